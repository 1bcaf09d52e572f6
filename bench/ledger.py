"""Error-ledger benchmark (issue 21 item 4): ``severity --json`` and ``severity backtest --json`` on the same rows
in Parquet (read into Polars), SQLite and PostgreSQL (SQL push-down), each a fresh process: seconds and peak RSS.

    python -m bench.ledger --rows 2000000            # Parquet, SQLite, and PostgreSQL when Debian's binaries exist
    python -m bench.ledger --rows 20000000 --no-sqlite

Rows are written the way a gateway writes its ledger: 200 providers, 12 error types, messages with ids in them,
60 days before NOW, a few providers failing now, in time order (a ledger is appended to as calls fail). The three
outputs must be identical (the script stops otherwise).
A throwaway PostgreSQL cluster is started on a temp dir and stopped at the end (``timestamptz`` column, bulk COPY,
then the two indexes docs/error-ledger-sql.md advises and VACUUM ANALYZE). Each command runs twice per ledger in
fresh processes, on an empty Triage Lens cache then warm: for Parquet the first run reads the whole file into Polars
(and writes the cache), the warm run scans the typed cache lazily.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from bench.ingest import DATA_ROOT, VENV_BIN, child_env, machine, timed_rss

NOW = "2026-06-14T12:00:00+00:00"
PROVIDERS = [f"provider_{n:03d}" for n in range(200)]
TYPES = ["UPSTREAM_ERROR", "AUTH_FAILED", "TIMEOUT", "RATE_LIMITED", "BAD_REQUEST", "CONFIG"] + [
    f"E{n}" for n in range(6)
]


def write_parquet(path: Path, rows: int, seed: int = 11) -> None:
    """``rows`` ledger rows, vectorised (numpy): most rows spread over 60 days, 2% concentrated in the last day
    on a handful of providers (so some are critical now)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    now = datetime.fromisoformat(NOW)
    span = 60 * 86_400_000_000
    age = rng.integers(0, span, rows)
    hot = rng.random(rows) < 0.02
    age = np.where(hot, rng.integers(0, 86_400_000_000, rows), age)
    provider_index = np.where(hot, rng.integers(0, 5, rows), rng.integers(0, len(PROVIDERS), rows))
    micros = int((now - datetime(1970, 1, 1, tzinfo=now.tzinfo)) / timedelta(microseconds=1)) - age
    frame = pl.DataFrame(
        {
            "timestamp": pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
            "provider": pl.Series(np.array(PROVIDERS)[provider_index]),
            "error_type": pl.Series(np.array(TYPES)[rng.integers(0, len(TYPES), rows)]),
            "error_message": pl.Series(rng.integers(0, 40, rows)),
            "tenant_id": pl.Series(rng.integers(0, 500, rows)),
            "category": pl.Series(np.where(rng.random(rows) < 0.03, "config_cleanup", "error")),
        }
    ).with_columns(
        pl.format(
            "upstream returned 5{}0 for request {}", pl.col("error_message") % 3, pl.col("error_message") * 7919 % 1000
        ).alias("error_message"),
        pl.format("tenant-{}", pl.col("tenant_id")).alias("tenant_id"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.sort("timestamp").write_parquet(path)  # in time order, as rows are appended when calls fail


def write_sqlite(parquet: Path, path: Path) -> None:
    """The same rows in a SQLite file, timestamps as ISO text with milliseconds (as D1 exports store them)."""
    import polars as pl

    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE error_ledger (timestamp TEXT, provider TEXT, error_type TEXT, error_message TEXT, "
        "tenant_id TEXT, category TEXT)"
    )
    for batch in (
        pl.scan_parquet(parquet)
        .with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00"))
        .collect()
        .iter_slices(500_000)
    ):
        connection.executemany("INSERT INTO error_ledger VALUES (?, ?, ?, ?, ?, ?)", batch.rows())
    connection.commit()
    connection.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_cluster() -> Iterator[str | None]:
    """A throwaway cluster (Debian's binaries), as the test suite starts one; None when there are none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        yield None
        return
    bindir = str(found[-1].parent)
    root = tempfile.mkdtemp(prefix="triage-lens-bench-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        prefix = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
    port, data = _free_port(), str(Path(root) / "data")
    subprocess.run(
        [*prefix, f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres"], check=True, capture_output=True
    )
    options = f"-p {port} -k {root} -c listen_addresses='' -c shared_buffers=256MB -c max_parallel_workers_per_gather=2"
    subprocess.run(
        [*prefix, f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", str(Path(root) / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


INDEXES = ("CREATE INDEX ON error_ledger (timestamp)", "CREATE INDEX ON error_ledger (provider)")


def load_postgres(dsn: str, parquet: Path) -> None:
    """COPY the Parquet rows into table ``error_ledger`` (timestamptz), create the two indexes the docs advise
    (:data:`INDEXES`) and VACUUM ANALYZE it."""
    import polars as pl
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS error_ledger")
        connection.execute(
            "CREATE TABLE error_ledger (timestamp TIMESTAMPTZ, provider TEXT, error_type TEXT, error_message TEXT, "
            "tenant_id TEXT, category TEXT)"
        )
        with connection.cursor() as cursor, cursor.copy("COPY error_ledger FROM STDIN (FORMAT csv)") as copy:
            for batch in pl.scan_parquet(parquet).collect().iter_slices(1_000_000):
                copy.write(batch.write_csv(include_header=False).encode())
        for statement in INDEXES:  # what docs/error-ledger-sql.md advises for a large ledger
            connection.execute(statement)
        connection.execute("VACUUM ANALYZE error_ledger")  # as autovacuum would after the inserts


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS MB, stdout) of one fresh process. The RSS comes from GNU time (``/usr/bin/time``), which
    forks from a small process: ``ru_maxrss`` of a child forked by this Python would count the pages it shared
    with this parent before its exec."""
    return timed_rss(command, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite file (slow to write at 20M)")
    args = parser.parse_args()
    folder = DATA_ROOT / f"ledger-{args.rows}-v2"  # v2: rows in time order
    parquet = folder / "parquet" / "error_ledger.parquet"
    if not parquet.is_file():
        write_parquet(parquet, args.rows)
    env = child_env(folder / "cache")
    cli = str(VENV_BIN / "triage-lens")
    header = f"{machine()}; {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    results: list[tuple[str, str, str, float, float, float]] = []
    outputs: dict[str, dict[str, str]] = {}

    def measure(engine: str, data: Path, runs: tuple[str, ...] = ("first", "warm")) -> None:
        """Each command twice in fresh processes: the first run on an empty Triage Lens cache (for Parquet: the
        whole file read into Polars and cached), then the warm run (for Parquet: the typed cache scanned lazily)."""
        outputs[engine] = {}
        for name, extra in (("severity --json", []), ("severity backtest --json", ["backtest"])):
            shutil.rmtree(folder / "cache", ignore_errors=True)
            command = [cli, "--data", str(data), "--now", NOW, "severity", *extra, "--json"]
            for run in runs:
                load = os.getloadavg()[0]
                seconds, rss, out = timed(command, env)
                results.append((engine, name, run, seconds, rss, load))
                if outputs[engine].setdefault(name, out) != out:
                    raise SystemExit(f"{engine} {name}: the warm output differs from the first")

    measure("Parquet (Polars)", parquet.parent)
    if not args.no_sqlite:
        sqlite_path = folder / "sqlite" / "error_ledger.sqlite"
        if not sqlite_path.is_file():
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            write_sqlite(parquet, sqlite_path)
        measure("SQLite (push-down)", sqlite_path.parent, ("once",))  # minutes a run: no Triage Lens cache anyway
    with postgres_cluster() as dsn:
        if dsn is not None:
            load_postgres(dsn, parquet)
            config = folder / "triage-lens.yaml"
            config.write_text(f"error_ledger: {dsn}\n")
            measure("PostgreSQL (push-down)", config)
    reference = outputs["Parquet (Polars)"]
    for engine, got in outputs.items():
        if got != reference:
            raise SystemExit(f"{engine}: output differs from Parquet's")
    print(f"\nLedger benchmark, {args.rows:,} rows — {header}")
    print("PostgreSQL: " + "; ".join(INDEXES) + "; VACUUM ANALYZE (as docs/error-ledger-sql.md advises)\n")
    print("| ledger | command | run | seconds | peak RSS MB | load (1 min) |")
    print("|---|---|---|---:|---:|---:|")
    for engine, name, run, seconds, rss, load in results:
        print(f"| {engine} | `{name}` | {run} | {seconds:.2f} | {rss:,.0f} | {load:.1f} |")
    print("\nSame output from every ledger: yes")
    (DATA_ROOT / f"ledger-results-{args.rows}.json").write_text(
        json.dumps({"machine": header, "rows": args.rows, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
