"""Ingest benchmark (issues 13, 21): `misses stats` cold, warm, after an append, and `--help`, side by side with
Polars' own `read_ndjson`, DuckDB's `read_json` + group by, and the plain-Python per-line reader, each with its
peak RSS.

    python -m bench.ingest                  # 100k and 1M misses
    python -m bench.ingest --sizes 1000000 --repeat 3

Every timing is a fresh process (what a user waits for), the median of ``--repeat`` runs; peak RSS is GNU time's.
Files are written to ``.bench-data/ingest-real-N/misses.jsonl`` as OpenSRE writes them (one ``json.dumps`` per
record: 16-17 digit floats, ASCII escapes of non-ASCII text and emoji, escaped quotes and newlines, nulls, optional
fields absent, extra fields, any key order) and reused. "Cold" is Triage Lens's own cache empty with the file in the
OS page cache. The environment's ``PYTHONDONTWRITEBYTECODE`` is dropped for the child processes (bytecode is
compiled at install), and one row keeps it set. Prints a Markdown table and writes ``ingest-results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO / ".bench-data"
VENV_BIN = Path(sys.executable).parent
NOW = "2026-09-10T00:00:00+00:00"
APPEND_LINES = 1_000

ALERTS = [f"Alert{n:02d}" for n in range(40)]
TAXONOMIES = ["retrieval_gap", "reasoning_gap", "tool_failure", "routing_failure", "unknown", None]
CATEGORIES = ["database", "network", "resource_exhaustion", "deploy", "dependency", "config"]


DETAILS = [
    "Did not query the DB slow log, which had the answer.",
    'Agent said "no anomaly" although the p99 doubled.\nSecond line of the note.',
    "Consulta lenta en réplica — el agente no miró pg_stat_activity",
    "タイムアウト: 上流のステータスページを確認しなかった 🚨",
]
ROOT_CAUSES = ["Primary DB connection pool exhausted", "CPU throttling on search nodes", "Certificate expiré", None]
OPTIONAL = ("feedback_id", "pipeline_name", "taxonomy_detail", "root_cause_category", "user_id", "org_id")


def miss_records(rows: int, seed: int = 7) -> Iterator[dict[str, object]]:
    """``rows`` misses as OpenSRE's writer builds them: full-precision floats, non-ASCII and escaped text,
    nulls, optional fields absent, unknown extra fields and any key order; timestamps over the 90 days
    before NOW, in file order."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    now = datetime.fromisoformat(NOW)
    start = now - timedelta(days=90)
    span = 90 * 86_400 * 1_000_000
    offsets = sorted(rng.randrange(span) for _ in range(rows))
    for micros in offsets:
        record: dict[str, object] = {
            "miss_id": f"{rng.getrandbits(64):016x}-{rng.getrandbits(64):016x}",
            "feedback_id": f"fb-{rng.getrandbits(62):016x}",
            "timestamp": (start + timedelta(microseconds=micros)).isoformat(),
            "run_id": f"run-{rng.getrandbits(46):012x}",
            "alert_name": rng.choice(ALERTS),
            "pipeline_name": rng.choice(["billing", "search", "notifications", "checkout"]),
            "severity": rng.choice(["critical", "warning"]),
            "rating": rng.choice(["partial", "inaccurate"]),
            "taxonomy": rng.choice(TAXONOMIES),
            "taxonomy_detail": rng.choice(DETAILS),
            "root_cause": rng.choice(ROOT_CAUSES),
            "root_cause_category": rng.choice(CATEGORIES),
            "validity_score": rng.random() if rng.random() < 0.95 else None,
            "investigation_loop_count": rng.randint(1, 7),
            "user_id": f"u-{rng.randrange(50):03d}",
            "org_id": "org-acme",
        }
        for name in OPTIONAL:
            if rng.random() < 0.1:
                del record[name]
        if rng.random() < 0.2:
            record["agent_version"] = f"1.{rng.randrange(40)}.{rng.randrange(10)}"
        if rng.random() < 0.1:
            keys = list(record)
            rng.shuffle(keys)
            record = {k: record[k] for k in keys}
        yield record


def write_misses(path: Path, rows: int, seed: int = 7) -> None:
    """Write :func:`miss_records` as OpenSRE does: one ``json.dumps(record)`` per line (ASCII escapes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in miss_records(rows, seed):
            handle.write(json.dumps(record) + "\n")
    tmp.replace(path)


def child_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_LENS_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["XDG_CACHE_HOME"] = str(cache)
    return env


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return elapsed


def timed_rss(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS MB, stdout) of one fresh process, the RSS measured by GNU time (``/usr/bin/time -f %M``:
    it forks from a small process, so pages a big parent shared before exec are not counted)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        wrapped = (
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *command] if Path("/usr/bin/time").exists() else command
        )
        start = time.perf_counter()
        done = subprocess.run(wrapped, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
        text = report.read().strip().splitlines()
    rss = int(text[-1]) / 1024 if text and text[-1].isdigit() else float("nan")
    return elapsed, rss, done.stdout


def median_of(repeat: int, run: Callable[[], float]) -> float:
    return float(statistics.median(run() for _ in range(repeat)))


DUCKDB_SCRIPT = """
import sys, duckdb
duckdb.sql(
    "select coalesce(alert_name, '<unknown>') a, coalesce(taxonomy, 'unknown') t, count(*) n "
    "from read_json(?, format='newline_delimited') "
    "where cast(\\"timestamp\\" as timestamptz) >= cast(? as timestamptz) group by all",
    params=[sys.argv[1], sys.argv[2]],
).fetchall()
"""

NDJSON_SCRIPT = "import sys, polars as pl; pl.read_ndjson(sys.argv[1])"

PLAIN_SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path
from analytics.misses import filter_misses, miss_stats
from analytics.derived import with_grouping_key
from analytics.schemas import MISSES
from triage_lens.sources.readers import read_jsonl_bytes
result = read_jsonl_bytes(Path(sys.argv[1]).read_bytes(), MISSES, "misses", vectorised=False)
miss_stats(filter_misses(with_grouping_key(result.frame.lazy()), since=datetime.fromisoformat(sys.argv[2])))
"""


Result = tuple[float, float]  # (median seconds, largest peak RSS MB) over the repeats


def measured(repeat: int, command: list[str], env: dict[str, str], before: object = None) -> Result:
    """Median seconds and largest peak RSS of ``repeat`` fresh runs of ``command`` (``before()`` ahead of each)."""
    runs = []
    for _ in range(repeat):
        if callable(before):
            before()
        seconds, rss, _ = timed_rss(command, env)
        runs.append((seconds, rss))
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def bench_size(rows: int, repeat: int) -> dict[str, Result]:
    folder = DATA_ROOT / f"ingest-real-{rows}"
    path = folder / "misses.jsonl"
    if not path.is_file() or sum(1 for _ in path.open("rb")) != rows:
        write_misses(path, rows)
    size = path.stat().st_size
    cache = folder / "cache"
    env = child_env(cache)
    cli = [str(VENV_BIN / "triage-lens"), "--data", str(folder), "--now", NOW, "misses", "stats", "--since", "30d"]
    since = (datetime.fromisoformat(NOW) - timedelta(days=30)).isoformat()
    python = str(VENV_BIN / "python")
    timed([python, "-c", "import polars, duckdb, analytics.misses, triage_lens.cli.misses"], env)  # bytecode
    timed([python, "-c", NDJSON_SCRIPT, str(path)], env)  # the file in the OS page cache: "cold" is our cache only

    results: dict[str, Result] = {"file MB": (size / 1e6, float("nan"))}
    results["triage-lens --help"] = measured(repeat, [str(VENV_BIN / "triage-lens"), "--help"], env)
    results["misses stats, cold (no cache)"] = measured(
        repeat, cli, env, before=lambda: shutil.rmtree(cache, ignore_errors=True)
    )
    timed(cli, env)
    results["misses stats, warm (cache)"] = measured(repeat, cli, env)
    no_bytecode = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    results["misses stats, warm, PYTHONDONTWRITEBYTECODE=1"] = measured(repeat, cli, no_bytecode)
    with path.open("rb") as handle:
        handle.seek(max(0, size - 1200 * APPEND_LINES))
        extra = b"".join(handle.read().splitlines(keepends=True)[-APPEND_LINES:])

    def after_append() -> Result:
        with path.open("ab") as handle:
            handle.write(extra)
        try:
            seconds, rss, _ = timed_rss(cli, env)
            return seconds, rss
        finally:
            with path.open("r+b") as handle:
                handle.truncate(size)
            timed(cli, env)  # back to the cached state of the original file (a truncation rebuilds)

    appended = [after_append() for _ in range(repeat)]
    results[f"misses stats after appending {APPEND_LINES:,} lines"] = (
        statistics.median(a[0] for a in appended),
        max(a[1] for a in appended),
    )
    results["pl.read_ndjson (fresh process)"] = measured(repeat, [python, "-c", NDJSON_SCRIPT, str(path)], env)
    results["DuckDB read_json + group by (fresh process)"] = measured(
        repeat, [python, "-c", DUCKDB_SCRIPT, str(path), since], env
    )
    if rows <= 200_000:  # minutes at 1M; the issue measured it once
        results["plain-Python per-line reader + stats"] = measured(
            1, [python, "-c", PLAIN_SCRIPT, str(path), since], env
        )
    shutil.rmtree(cache, ignore_errors=True)
    return results


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        gigabytes = int(memory.split()[1]) / 1024 / 1024
    except (OSError, StopIteration, ValueError):
        gigabytes = 0.0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (
        f"{model or platform.processor()}, {os.cpu_count()} cores, {gigabytes:.0f} GB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, load average {load:.1f} at start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    header = f"{machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    table = {rows: bench_size(rows, args.repeat) for rows in sizes}
    steps = list(dict.fromkeys(step for result in table.values() for step in result))
    print(f"\nIngest benchmark (misses written as json.dumps writes them) — {header}\n")
    print("| step | " + " | ".join(f"{rows:,} misses: s | peak RSS MB" for rows in sizes) + " |")
    print("|---|" + "---:|---:|" * len(sizes))
    for step in steps:
        cells = []
        for rows in sizes:
            seconds, rss = table[rows].get(step, (float("nan"), float("nan")))
            cells.append(f"{seconds:.1f} MB | " if step == "file MB" else f"{seconds:.2f} | {rss:,.0f}")
        print(f"| {step} | " + " | ".join(cells) + " |")
    for rows in sizes:
        cold, ndjson = table[rows]["misses stats, cold (no cache)"], table[rows]["pl.read_ndjson (fresh process)"]
        print(
            f"\n{rows:,}: cold = {cold[0] / ndjson[0]:.1f}x pl.read_ndjson (target <= 2x); "
            f"cold peak RSS = {cold[1] / table[rows]['file MB'][0]:.2f}x the file (target <= 2x)"
        )
    DATA_ROOT.mkdir(exist_ok=True)
    (DATA_ROOT / "ingest-results.json").write_text(
        json.dumps({"machine": header, "results": {str(k): v for k, v in table.items()}}, indent=2)
    )


if __name__ == "__main__":
    main()
