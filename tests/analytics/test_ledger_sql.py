"""SQL push-down of the error ledger (issue 21 items 4 and 6, DEFINITIONS.md §3): the same ``severity --json`` and
backtest from a SQLite/D1 file and from PostgreSQL as from the same rows in Parquet; a missing or unreadable
ledger is "unknown", never "All systems nominal"."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.policy import Policy
from analytics.severity import SeverityOptions, backtest_counts, ledger_counts
from analytics.timeparse import UTC_DATETIME
from triage_lens.cli.main import cli
from triage_lens.sources.ledger_sql import epoch_us, sqlite_ledger
from triage_lens.sources.readers import UnreadableInputError

NOW = datetime(2026, 6, 14, 12, tzinfo=UTC)
OPTIONS = SeverityOptions.from_policy(Policy().severity)
Row = tuple[datetime, str, str | None, str | None, str | None, str | None]


def ledger_rows() -> list[Row]:
    """A hand-built ledger: a critical provider (12 in 24h), a spike, a historical one, a config_cleanup row that
    never counts, message ties, nulls, rows 8-40 days old for the backtest (whole milliseconds: SQLite's unit)."""
    rows: list[Row] = []
    for i in range(12):
        rows.append((NOW - timedelta(hours=1 + i, milliseconds=7), "stripe", "TIMEOUT", "read timed out", "t1", None))
    rows += [(NOW - timedelta(hours=2), "stripe", "TIMEOUT", "b-message", "t2", "error")] * 3
    rows += [(NOW - timedelta(hours=3), "stripe", "TIMEOUT", "a-message", "t2", "error")] * 3
    rows += [
        (NOW - timedelta(days=d, hours=5), "meta_ads", "AUTH", "token expired", "t1", "error") for d in range(2, 7)
    ]
    rows += [(NOW - timedelta(hours=4), "meta_ads", None, None, None, "error")]
    rows += [(NOW - timedelta(hours=1), "google_ads", "CLEANUP", "dropped", "t1", "config_cleanup")]
    rows += [(NOW - timedelta(days=1), "hubspot", "RATE", None, "t3", "error")]  # exactly 24h old: bucket 1
    for d in range(8, 40):
        for k in range(d % 5 * 3):
            rows.append((NOW - timedelta(days=d, minutes=k), f"p{d % 3}", f"E{k % 2}", f"m{k % 4}", "t1", "error"))
    return rows


FIELDS = ("timestamp", "provider", "error_type", "error_message", "tenant_id", "category")


def write_parquet(folder: Path, rows: list[Row]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {name: [r[i] for r in rows] for i, name in enumerate(FIELDS)}
    pl.DataFrame(data, schema={"timestamp": UTC_DATETIME, **dict.fromkeys(FIELDS[1:], pl.Utf8)}).write_parquet(
        folder / "error_ledger.parquet"
    )
    return folder


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def write_sqlite(folder: Path, rows: list[Row], stamp: Any = iso) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(folder / "error_ledger.sqlite")
    connection.execute(
        "CREATE TABLE error_ledger (timestamp, provider TEXT, error_type TEXT, error_message TEXT, tenant_id TEXT, "
        "category TEXT)"
    )
    connection.executemany("INSERT INTO error_ledger VALUES (?, ?, ?, ?, ?, ?)", [(stamp(r[0]), *r[1:]) for r in rows])
    connection.commit()
    connection.close()
    return folder


def cli_json(data: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--data", str(data), "--now", NOW.isoformat(), *args])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_sqlite_push_down_gives_the_parquet_answers(tmp_path: Path) -> None:
    rows = ledger_rows()
    parquet = write_parquet(tmp_path / "parquet", rows)
    text = write_sqlite(tmp_path / "text", rows)
    epoch = write_sqlite(tmp_path / "epoch", rows, stamp=lambda m: m.timestamp())  # epoch seconds (REAL)
    millis = write_sqlite(tmp_path / "millis", rows, stamp=lambda m: int(m.timestamp() * 1000))
    expected = cli_json(parquet, "severity", "--json")
    assert expected["header"] == "1 critical"
    stripe = expected["providers"][0]
    assert (stripe["provider"], stripe["last_24h_total"]) == ("stripe", 18)
    # 12 × "read timed out", 3 × "a-message", 3 × "b-message": the most frequent message
    assert stripe["samples"] == [{"error_type": "TIMEOUT", "count": 18, "message": "read timed out"}]
    for folder in (text, epoch, millis):
        assert cli_json(folder, "severity", "--json") == expected, folder.name
        for days in ("7", "30"):
            assert cli_json(folder, "severity", "backtest", "--days", days, "--json") == cli_json(
                parquet, "severity", "backtest", "--days", days, "--json"
            )


def test_ties_between_messages_go_to_the_smallest_text_in_sql(tmp_path: Path) -> None:
    rows: list[Row] = [(NOW - timedelta(hours=h), "p", "E", m, "t", None) for h, m in ((1, "b"), (2, "a"), (3, "ab"))]
    rows += [(NOW - timedelta(hours=4), "p", "E", "b", "t", None), (NOW - timedelta(hours=5), "p", "E", "a", "t", None)]
    counts = sqlite_ledger(write_sqlite(tmp_path, rows) / "error_ledger.sqlite").counts(now=NOW, options=OPTIONS)
    assert counts.types.select("error_type", "count", "count_7d", "message").rows() == [("E", 5, 5, "a")]


def test_sqlite_rows_sql_cannot_read_are_counted_in_check(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    write_sqlite(folder, [(NOW - timedelta(hours=1), "p", "E", "m", "t", None)])
    connection = sqlite3.connect(folder / "error_ledger.sqlite")
    connection.executemany(
        "INSERT INTO error_ledger (timestamp, provider) VALUES (?, ?)",
        [("not a time", "p"), ("", "p"), (None, "p"), ("2026-06-14T10:00:00Z", None), ("1780394400", "q")],
    )
    connection.commit()
    connection.close()
    result = CliRunner().invoke(cli, ["--data", str(folder), "check", "--json"])
    ledger = next(s for s in json.loads(result.stdout)["sources"] if s["input"] == "error_ledger")
    # kept: the first row, "not a time" (flagged: SQL cannot read it) and the epoch text; quarantined: the
    # empty and the null timestamp, and the row without a provider
    assert (ledger["rows"], ledger["quarantined"], ledger["flagged"]) == (3, 3, 1)


def test_a_missing_or_unreadable_ledger_is_unknown_never_nominal(tmp_path: Path) -> None:
    (tmp_path / "misses.jsonl").write_text("")
    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "--now", NOW.isoformat(), "severity", "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["overall_severity"] == "unknown" and report["providers"] == []
    assert "All systems nominal" not in result.output
    assert "warning: no error ledger" in result.stderr
    (tmp_path / "error_ledger.sqlite").write_bytes(b"not a database at all" * 10)
    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "--now", NOW.isoformat(), "severity"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Unknown: the error ledger cannot be read")
    assert "nominal" not in result.stdout


def test_a_table_without_the_required_columns_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "error_ledger.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE error_ledger (ts TEXT, provider TEXT)")
    connection.close()
    with pytest.raises(UnreadableInputError, match="has no column 'timestamp'"):
        sqlite_ledger(path)


stamps = st.integers(-9 * 86_400_000, 50 * 86_400_000).map(lambda ms: NOW - timedelta(milliseconds=ms))
rows_strategy = st.lists(
    st.tuples(
        stamps,
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["E1", "E2", None]),
        st.sampled_from(["x", "y", "z", None]),
        st.sampled_from(["t1", "t2", None]),
        st.sampled_from(["error", "config_cleanup", None]),
    ),
    max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy)
def test_sqlite_aggregates_equal_the_polars_aggregates(
    tmp_path_factory: pytest.TempPathFactory, rows: list[Row]
) -> None:
    folder = tmp_path_factory.mktemp("ledger")
    database = sqlite_ledger(write_sqlite(folder, rows) / "error_ledger.sqlite")
    frame = pl.LazyFrame(
        {name: [r[i] for r in rows] for i, name in enumerate(FIELDS)},
        schema={"timestamp": UTC_DATETIME, **dict.fromkeys(FIELDS[1:], pl.Utf8)},
    )
    options = SeverityOptions.from_policy(Policy().severity, ["t2"])
    sql, polars = database.counts(now=NOW, options=options), ledger_counts(frame, now=NOW, options=options)
    for a, b in ((sql.providers, polars.providers), (sql.buckets, polars.buckets), (sql.types, polars.types)):
        assert sorted(a.rows(), key=repr) == sorted(b.rows(), key=repr)
    sql_bt, polars_bt = (
        database.backtest_counts(now=NOW, days=30, options=options),
        backtest_counts(frame, now=NOW, days=30, options=options),
    )
    assert sorted(sql_bt.days.rows()) == sorted(polars_bt.days.rows())
    assert sorted(sql_bt.type_days.rows()) == sorted(polars_bt.type_days.rows())


def create_ledger_table(connection: Any, rows: list[Row], *, with_id: bool = False) -> None:
    """``error_ledger`` with DATA.md's columns as ``timestamptz`` and text (``with_id``: a ``BIGSERIAL`` key first,
    as a real table has), holding ``rows`` (timestamp, provider, error_type, error_message, tenant_id, category)."""
    key = "id BIGSERIAL, " if with_id else ""
    connection.execute(
        f"CREATE TABLE error_ledger ({key}timestamp TIMESTAMPTZ, provider TEXT, error_type TEXT, "
        "error_message TEXT, tenant_id TEXT, category TEXT)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO error_ledger (timestamp, provider, error_type, error_message, tenant_id, category) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )


def test_postgresql_push_down_gives_the_parquet_answers(tmp_path: Path, postgres_dsn: str) -> None:
    import psycopg

    rows = ledger_rows()
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        create_ledger_table(connection, rows, with_id=True)
    config = tmp_path / "triage-lens.yaml"
    config.write_text(f"error_ledger: {postgres_dsn}\n")
    parquet = write_parquet(tmp_path / "parquet", rows)
    assert cli_json(config, "severity", "--json") == cli_json(parquet, "severity", "--json")
    assert cli_json(config, "severity", "backtest", "--json") == cli_json(parquet, "severity", "backtest", "--json")
    check = json.loads(CliRunner().invoke(cli, ["--data", str(config), "check", "--json"]).stdout)
    ledger = next(s for s in check["sources"] if s["input"] == "error_ledger")
    assert ledger["rows"] == len(rows) and "postgres@" not in json.dumps(check).replace("postgres@/", "")
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:  # `timestamp` without time zone: UTC
        connection.execute("SET TIME ZONE 'America/New_York'")
        connection.execute(
            "ALTER TABLE error_ledger ALTER COLUMN timestamp TYPE TIMESTAMP USING timestamp AT TIME ZONE 'UTC'"
        )
    assert cli_json(config, "severity", "--json") == cli_json(parquet, "severity", "--json")
    assert cli_json(config, "severity", "backtest", "--json") == cli_json(parquet, "severity", "backtest", "--json")
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute("ALTER TABLE error_ledger ALTER COLUMN timestamp TYPE TEXT")
    result = CliRunner().invoke(cli, ["--data", str(config), "--now", NOW.isoformat(), "severity", "--json"])
    assert json.loads(result.stdout)["overall_severity"] == "unknown"
    assert "column 'timestamp' is text; the ledger needs timestamptz" in result.stderr


# --- window boundaries, byte-order ties, providers that never count (hand-computed) -----------------------------
MS = timedelta(milliseconds=1)
TODAY = NOW.replace(hour=0)  # the backtest's "today" for NOW; with --days 7 its origin is TODAY − 14 days
ORIGIN = TODAY - timedelta(days=14)


def edge_rows() -> list[Row]:
    """Rows exactly on each window's ends. ``edge``: now (bucket 0), now − 24h (bucket 1), now − 24h + 1 ms
    (bucket 0), now − 3d (bucket 3), now − 7d (outside the week), now − 7d + 1 ms (bucket 6), now + 1 ms (future);
    messages "x" ×2 and "Y" ×2 in the week (a tie: "Y" is the smaller in byte order, though not alphabetically).
    ``bt``: the backtest's today 00:00 (its last window), origin (outside), origin + 1 ms (window 0), origin + 5d
    (window 4, closed on the right), today + 1 ms (after today: outside the backtest, inside the week). Never
    counted: a provider with only config_cleanup rows, one with only rows of an excluded tenant, no provider."""
    d = timedelta(days=1)
    return [
        (NOW, "edge", "E", "x", "t", None),
        (NOW - d, "edge", "E", "Y", "t", None),
        (NOW - d + MS, "edge", "E", "Y", "t", None),
        (NOW - 3 * d, "edge", "E", "z", "t", None),
        (NOW - 7 * d, "edge", "E", "x", "t", None),
        (NOW - 7 * d + MS, "edge", "E", "x", "t", None),
        (NOW + MS, "edge", "E", "x", "t", None),
        (TODAY, "bt", "T", "m", "t", "error"),
        (ORIGIN, "bt", "T", "m", "t", "error"),
        (ORIGIN + MS, "bt", "T", "m", "t", "error"),
        (ORIGIN + 5 * d, "bt", "T", "m", "t", "error"),
        (TODAY + MS, "bt", "T", None, "t", "error"),
        (NOW - d, "cleanup", "C", "gone", "t", "config_cleanup"),
        (NOW - d, "tenant_x", "X", "hidden", "t-bad", "error"),
        (NOW - d, None, "E", "no provider", "t", None),  # type: ignore[list-item]  # a row the reader quarantines
        (NOW - d, "", "E", "empty provider", "t", None),
    ]


EDGE_OPTIONS = SeverityOptions.from_policy(Policy().severity, ["t-bad"])
EDGE_BUCKETS = [("bt", 0, 2), ("edge", 0, 2), ("edge", 1, 1), ("edge", 3, 1), ("edge", 6, 1)]
EDGE_TYPES = [("bt", "T", 2, 2, "m"), ("edge", "E", 2, 5, "Y")]
# window k = (origin + k days, origin + k + 1 days]; edge: now − 24h and − 24h + 1 ms in 13, − 7d and − 7d + 1 ms
# in 7, − 3d in 11
EDGE_DAYS = [("bt", 0, 1), ("bt", 4, 1), ("bt", 13, 1), ("edge", 7, 2), ("edge", 11, 1), ("edge", 13, 2)]


def assert_edge_answers(database: Any) -> None:
    counts = database.counts(now=NOW, options=EDGE_OPTIONS)
    assert sorted(counts.providers["provider"].to_list()) == ["bt", "edge"]
    assert sorted(counts.buckets.rows()) == EDGE_BUCKETS
    assert sorted(counts.types.rows()) == EDGE_TYPES
    backtest = database.backtest_counts(now=NOW, days=7, options=EDGE_OPTIONS)
    assert sorted(backtest.days.rows()) == EDGE_DAYS
    assert sorted((p, d, n) for p, _, d, n in backtest.type_days.rows()) == EDGE_DAYS


def test_window_ends_and_byte_order_ties_by_hand_in_polars_and_sqlite(tmp_path: Path) -> None:
    rows = edge_rows()
    frame = pl.LazyFrame(
        {name: [r[i] for r in rows] for i, name in enumerate(FIELDS)},
        schema={"timestamp": UTC_DATETIME, **dict.fromkeys(FIELDS[1:], pl.Utf8)},
    ).filter(pl.col("provider") != "")  # the file readers quarantine an empty provider

    class PolarsLedger:
        def counts(self, **kw: Any) -> Any:
            return ledger_counts(frame, **kw)

        def backtest_counts(self, **kw: Any) -> Any:
            return backtest_counts(frame, **kw)

    assert_edge_answers(PolarsLedger())  # the rule itself, then SQL held to it
    database = sqlite_ledger(write_sqlite(tmp_path, rows) / "error_ledger.sqlite")
    assert_edge_answers(database)
    summary = database.summary()
    assert (summary.rows, summary.quarantined, summary.unparsed) == (len(rows) - 2, 2, 0)


def test_postgresql_window_ends_ties_and_infinity_with_and_without_the_advised_indexes(postgres_dsn: str) -> None:
    import psycopg

    from triage_lens.sources.ledger_sql import postgres_ledger

    rows = edge_rows()
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        create_ledger_table(connection, rows)
        # ±infinity: a time no rule can place; flagged in check, never counted, never an error
        connection.execute(
            "INSERT INTO error_ledger VALUES ('infinity', 'inf_only', 'E', 'm', 't', NULL), "
            "('-infinity', 'edge', 'E', 'm', 't', NULL), (NULL, 'edge', 'E', 'm', 't', NULL)"
        )
    plain = postgres_ledger(postgres_dsn)
    assert plain.indexed == frozenset()
    assert_edge_answers(plain)
    expected_summary = (len(rows) + 3 - 3, 3, 2)  # quarantined: no provider, empty provider, NULL time
    summary = plain.summary()
    assert (summary.rows, summary.quarantined, summary.unparsed) == expected_summary
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute("CREATE INDEX ON error_ledger (timestamp)")
        connection.execute("CREATE INDEX ON error_ledger (provider)")
        connection.execute("ANALYZE error_ledger")
    indexed = postgres_ledger(postgres_dsn)
    assert indexed.indexed == frozenset({"timestamp", "provider"})  # summary from the indexes, providers skip-scanned
    assert_edge_answers(indexed)
    assert indexed.summary() == summary
    assert (summary.first_us, summary.last_us) == (epoch_us(ORIGIN), epoch_us(NOW + MS))


def test_the_postgresql_statements_run_unchanged_on_duckdb(tmp_path: Path) -> None:
    """What docs/error-ledger-sql.md claims for DuckDB: the PostgreSQL dialect's statements, with DuckDB's ``?``
    placeholders, give the same hand-computed answers (DuckDB is a dev dependency: not a served engine yet)."""
    duckdb = pytest.importorskip("duckdb")
    from triage_lens.sources.ledger_sql import COLUMNS, LedgerDatabase

    path = str(tmp_path / "ledger.duckdb")
    connection = duckdb.connect(path)
    connection.execute(
        "CREATE TABLE error_ledger (timestamp TIMESTAMPTZ, provider TEXT, error_type TEXT, error_message TEXT, "
        "tenant_id TEXT, category TEXT)"
    )
    connection.executemany("INSERT INTO error_ledger VALUES (?, ?, ?, ?, ?, ?)", edge_rows())
    connection.close()
    database = LedgerDatabase(
        "postgresql", "duckdb", lambda: duckdb.connect(path, read_only=True), "?", present=frozenset(COLUMNS)
    )
    assert_edge_answers(database)
    summary = database.summary()
    assert (summary.rows, summary.quarantined, summary.unparsed) == (len(edge_rows()) - 2, 2, 0)
