"""The error ledger in a database (DEFINITIONS.md §3): severity aggregates pushed down as plain SQL.

A ledger in PostgreSQL (``error_ledger: postgresql://…`` in ``triage-lens.yaml``, table ``error_ledger``) or in a
SQLite/D1 file is never read row by row for severity: the aggregates the rules of :mod:`analytics.severity` need
(:class:`~analytics.severity.LedgerCounts`, :class:`~analytics.severity.BacktestCounts`) come from a few
parameterised statements the database runs (one read of the week for ``severity``, one of the backtest's window,
none per provider), returning thousands of rows whatever the ledger's size. The SQL is portable (``CASE``,
``COUNT(*) FILTER``, ``SUM``, ``GROUP BY``, ``WITH [RECURSIVE]``, ``ROW_NUMBER() OVER``); the dialect pieces are the
time column, the text ordering and, for PostgreSQL, ``isfinite`` and the catalog query that finds the indexes.

Time windows are range conditions: PostgreSQL compares its ``timestamptz`` or ``timestamp`` (UTC) column itself with
parameter timestamps (any other type is refused), so an index on it serves and no row's time is converted; SQLite
compares epoch microseconds it computes from epoch numbers (seconds, or milliseconds above 1e11, as the file
readers do) or ISO-8601 text through ``julianday`` (SQLite keeps milliseconds). A row whose timestamp SQL cannot
place (SQLite: unparsable; PostgreSQL: ±infinity) counts nowhere and is counted (not listed) in ``check``.
See docs/error-ledger-sql.md for the statements and the indexes a large PostgreSQL ledger wants.
"""

# ruff: noqa: S608 - every statement is built from fixed table and column names; all values are parameters

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analytics.schemas import InputSchema
from analytics.severity import (
    BUCKETS_SCHEMA,
    DAYS_SCHEMA,
    PROVIDERS_SCHEMA,
    TYPE_DAYS_SCHEMA,
    TYPES_SCHEMA,
    BacktestCounts,
    LedgerCounts,
    SeverityOptions,
    backtest_window,
)
from triage_lens.sources.readers import UnreadableInputError, read_rows
from triage_lens.sources.redaction import redact, redact_error
from triage_lens.sources.store import StoreError, connect_postgres

TABLE = "error_ledger"
COLUMNS = ("timestamp", "provider", "error_type", "error_message", "tenant_id", "category")
DAY = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PG_TIMESTAMP_TYPES = ("timestamp with time zone", "timestamp without time zone")
EPOCH_MS_THRESHOLD = 1e11  # as analytics.timeparse: a larger epoch number is milliseconds


def epoch_us(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (no float rounding)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class LedgerSummary:
    """What ``check`` shows for a database ledger: rows kept, rows quarantined (no provider or no timestamp),
    rows whose timestamp SQL could not read, and the time span (epoch microseconds)."""

    rows: int
    quarantined: int
    unparsed: int
    first_us: int | None
    last_us: int | None


@dataclass
class LedgerDatabase:
    """One ledger table and how to speak to its engine. Build with :func:`sqlite_ledger` or :func:`postgres_ledger`."""

    engine: str  # "sqlite" or "postgresql"
    label: str  # for people: the file path or the redacted URI
    connect: Callable[[], Any]
    placeholder: str
    present: frozenset[str] = field(default_factory=frozenset)  # ledger columns the table has
    secrets: tuple[str, ...] = ()  # connection strings whose passwords never reach a message
    naive_timestamps: bool = False  # PostgreSQL `timestamp` (without time zone) column: bounds are naive UTC
    indexed: frozenset[str] = field(default_factory=frozenset)  # columns that lead an index (PostgreSQL)

    # --- dialect -------------------------------------------------------------------------------------------
    def column(self, name: str) -> str:
        """A column as text (absent columns are NULL); SQLite values of another type are NULL, as the reader
        flags them."""
        if name not in self.present:
            return "NULL"
        quoted = f'"{name}"'
        if self.engine == "sqlite":
            return f"CASE WHEN typeof({quoted}) = 'text' THEN {quoted} END"
        return quoted

    def ts_us(self) -> str:
        """SQLite: epoch microseconds of the ``timestamp`` column as a 64-bit integer, NULL where it cannot be read.
        (PostgreSQL compares its ``timestamptz``/``timestamp`` column itself with the bounds: no per-row
        conversion.)"""
        ts = '"timestamp"'
        number = f"CAST({ts} AS REAL)"
        ms = f"{EPOCH_MS_THRESHOLD:.0f}"
        text = f"trim({ts})"
        numeric_text = f"({text} <> '' AND {text} NOT GLOB '*[^0-9.eE+-]*' AND {text} GLOB '*[0-9]*')"
        # The usual case first (ISO text), so most rows pay one typeof and one GLOB before julianday.
        return (
            "CASE"
            f" WHEN typeof({ts}) = 'text' AND {ts} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
            f" THEN CAST(round((julianday({ts}) - 2440587.5) * 86400000) AS INTEGER) * 1000"
            f" WHEN typeof({ts}) IN ('integer', 'real') THEN CAST(round(CASE WHEN abs({number}) > {ms}"
            f" THEN {number} * 1000 ELSE {number} * 1000000 END) AS INTEGER)"
            f" WHEN typeof({ts}) = 'text' AND {numeric_text} THEN CAST(round(CASE WHEN abs(CAST({text} AS REAL)) >"
            f" {ms} THEN CAST({text} AS REAL) * 1000 ELSE CAST({text} AS REAL) * 1000000 END)"
            " AS INTEGER)"
            " END"
        )

    def ts_missing(self) -> str:
        ts = '"timestamp"'
        if self.engine == "postgresql":
            return f"{ts} IS NULL"
        return f"({ts} IS NULL OR (typeof({ts}) = 'text' AND {ts} = ''))"

    def text_order(self, expression: str) -> str:
        """Ordering by code point, as Polars sorts text (PostgreSQL's default collation would not)."""
        return f'{expression} COLLATE "C"' if self.engine == "postgresql" else expression

    # --- queries -------------------------------------------------------------------------------------------
    def _bound(self, moment: datetime) -> Any:
        """A window bound as the time column compares: the datetime itself for PostgreSQL (naive UTC for a
        ``timestamp`` column, so the comparison stays on the column and an index on it serves), epoch
        microseconds for SQLite."""
        if self.engine == "postgresql":
            return moment.astimezone(UTC).replace(tzinfo=None) if self.naive_timestamps else moment
        return epoch_us(moment)

    def _countable(self, options: SeverityOptions) -> tuple[str, list[Any]]:
        """Rows that count (provider present, category and tenant not excluded) as ``b`` (provider, error_type,
        error_message, t) and its parameters. ``t`` is the time column itself in PostgreSQL (the derived table is
        merged into each query, so ``t > bound`` is a range condition on the column) and the epoch-microsecond
        expression in SQLite."""
        p = self.placeholder
        provider, category, tenant = self.column("provider"), self.column("category"), self.column("tenant_id")
        where = [f"{provider} IS NOT NULL", f"{provider} <> ''"]
        params: list[Any] = []
        if options.excluded_categories:
            where.append(f"COALESCE({category}, 'error') NOT IN ({', '.join([p] * len(options.excluded_categories))})")
            params.extend(options.excluded_categories)
        if options.excluded_tenants:
            where.append(f"COALESCE({tenant}, '') NOT IN ({', '.join([p] * len(options.excluded_tenants))})")
            params.extend(options.excluded_tenants)
        t = '"timestamp"' if self.engine == "postgresql" else self.ts_us()
        return (
            f"(SELECT {provider} AS provider, {self.column('error_type')} AS error_type, "
            f"{self.column('error_message')} AS error_message, {t} AS t FROM {TABLE} WHERE {' AND '.join(where)}) AS b"
        ), params

    def _readable(self) -> str:
        """``t`` of ``b`` is a time the rules can place (PostgreSQL: not NULL, not ±infinity)."""
        return "isfinite(t)" if self.engine == "postgresql" else "t IS NOT NULL"

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            connection = self.connect()
        except UnreadableInputError:
            raise
        try:
            cursor = connection.cursor()
            cursor.execute(sql, list(params))
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        except Exception as exc:  # any driver error is "cannot read", with the password redacted
            reason = redact_error(exc, [self.label, *self.secrets])
            raise UnreadableInputError(f"{self.label}: query failed ({reason})") from None
        finally:
            connection.close()

    def _providers(self, options: SeverityOptions) -> list[str]:
        """Every provider with a countable row, any time. With an index whose first column is ``provider``
        (PostgreSQL), a recursive skip scan: each step is the smallest provider above the last one with a
        countable row, which the index finds without reading the other rows; else one scan, ``SELECT DISTINCT``."""
        rows, params = self._countable(options)
        readable = self._readable()
        if "provider" not in self.indexed:
            return [r[0] for r in self._query(f"SELECT DISTINCT provider FROM {rows} WHERE {readable}", params)]
        sql = (
            f"WITH RECURSIVE p (provider) AS (SELECT MIN(provider) FROM {rows} WHERE {readable} "
            f"UNION ALL SELECT (SELECT MIN(provider) FROM {rows} WHERE {readable} AND provider > p.provider) "
            "FROM p WHERE p.provider IS NOT NULL) SELECT provider FROM p WHERE provider IS NOT NULL"
        )
        return [r[0] for r in self._query(sql, [*params, *params])]

    def counts(self, *, now: datetime, options: SeverityOptions) -> LedgerCounts:
        """:class:`LedgerCounts` computed by the database: one statement over the week's rows (one read, a range
        on the time column) and one for the providers (:meth:`_providers`).

        The week's rows are grouped once by (provider, error_type, error_message) with seven conditional counts:
        ``c1`` … ``c6`` = rows newer than now − k days, ``c7`` = all of the week. Bucket 0 (now − 24h, now] is
        ``c1``, bucket k is ``c(k+1) − ck``; a row exactly k days old is in bucket k (not newer than now − k
        days). The sample message of each (provider, error_type) is its most frequent message, ties broken by the
        smallest text in byte order, as in :func:`analytics.severity.most_frequent_message`.
        """
        rows, base = self._countable(options)
        p = self.placeholder
        order = self.text_order("error_message")
        newer = ", ".join(f"COUNT(*) FILTER (WHERE t > {p}) AS c{k}" for k in range(1, 7))
        sums = ", ".join(f"CAST(SUM(c{k}) AS BIGINT) AS c{k}" for k in range(1, 8))
        sql = (
            f"WITH g AS (SELECT provider, error_type, error_message, {newer}, COUNT(*) AS c7 FROM {rows} "
            f"WHERE t > {p} AND t <= {p} GROUP BY provider, error_type, error_message), "
            "tops AS (SELECT provider, error_type, error_message, ROW_NUMBER() OVER (PARTITION BY provider, "
            f"error_type ORDER BY c7 DESC, {order} ASC) AS rk FROM g "
            "WHERE error_type IS NOT NULL AND error_message IS NOT NULL), "
            f"totals AS (SELECT provider, error_type, {sums} FROM g GROUP BY provider, error_type) "
            "SELECT totals.*, tops.error_message FROM totals LEFT JOIN tops ON tops.rk = 1 "
            "AND tops.provider = totals.provider AND tops.error_type = totals.error_type"
        )
        bounds = [self._bound(now - k * DAY) for k in range(1, 7)]
        week = self._query(sql, [*bounds, *base, self._bound(now - 7 * DAY), self._bound(now)])
        names = ["provider", "error_type", *(f"c{k}" for k in range(1, 8)), "message"]
        schema = dict.fromkeys(names, pl.Int64) | {"provider": pl.Utf8, "error_type": pl.Utf8, "message": pl.Utf8}
        frame = pl.DataFrame(week, schema=schema, orient="row")
        per_provider = frame.group_by("provider").agg(pl.col(f"c{k}").sum() for k in range(1, 8))
        buckets = (
            per_provider.select(
                "provider",
                pl.concat_list(pl.col("c1"), *(pl.col(f"c{k + 1}") - pl.col(f"c{k}") for k in range(1, 7))).alias("n"),
                pl.lit(list(range(7)), dtype=pl.List(pl.Int64)).alias("bucket"),
            )
            .explode("n", "bucket")
            .filter(pl.col("n") > 0)
            .select(list(BUCKETS_SCHEMA))
        )
        types = frame.filter(pl.col("error_type").is_not_null()).select(
            "provider", "error_type", pl.col("c1").alias("count"), pl.col("c7").alias("count_7d"), "message"
        )
        # With the week's providers too: a provider whose first row arrived between the two statements is listed.
        providers = sorted(set(self._providers(options)) | set(per_provider["provider"].to_list()))
        return LedgerCounts(
            pl.DataFrame({"provider": providers}, schema=PROVIDERS_SCHEMA),
            buckets.cast(BUCKETS_SCHEMA),  # type: ignore[arg-type]
            types.cast(TYPES_SCHEMA),  # type: ignore[arg-type]
        )

    def backtest_counts(self, *, now: datetime, days: int, options: SeverityOptions) -> BacktestCounts:
        """:class:`BacktestCounts` computed by the database: one scan of (origin, today], per provider and error
        type, window ``day`` = k for (origin + k days, origin + k + 1 days], found by range conditions on the time
        column (no per-row date arithmetic). The per-provider series is the sum over error types (null included),
        rolled up here from the small result.

        PostgreSQL: ``GROUP BY provider, error_type`` with one ``COUNT(*) FILTER (WHERE t > origin + k days)`` per
        window end (the planner knows how many groups that makes, so it aggregates in parallel workers); day k is
        the difference of two neighbours. SQLite (whose ``t`` is an expression it would evaluate once per
        reference): ``GROUP BY`` a binary ``CASE`` over the window ends, a handful of comparisons per row.
        """
        origin, today = backtest_window(now, days)
        rows, base = self._countable(options)
        p = self.placeholder
        total = days + 7
        window = [self._bound(origin), self._bound(today)]
        if self.engine == "postgresql":
            newer = ", ".join(f"COUNT(*) FILTER (WHERE t > {p})" for _ in range(1, total))
            grouped = self._query(
                f"SELECT provider, error_type, COUNT(*), {newer} FROM {rows} WHERE t > {p} AND t <= {p} GROUP BY 1, 2",
                [*(self._bound(origin + k * DAY) for k in range(1, total)), *base, *window],
            )
            wide = pl.DataFrame(
                grouped,
                schema={"provider": pl.Utf8, "error_type": pl.Utf8} | {f"n{k}": pl.Int64 for k in range(total)},
                orient="row",
            )
            frame = (
                wide.select(
                    "provider",
                    "error_type",
                    pl.concat_list(
                        *(pl.col(f"n{k}") - pl.col(f"n{k + 1}") for k in range(total - 1)), pl.col(f"n{total - 1}")
                    ).alias("n"),
                    pl.lit(list(range(total)), dtype=pl.List(pl.Int64)).alias("day"),
                )
                .explode("n", "day")
                .filter(pl.col("n") > 0)
                .select("provider", "error_type", "day", "n")
            )
        else:
            ends: list[Any] = []

            def day(lo: int, hi: int) -> str:  # window index k in [lo, hi), given origin + lo d < t <= origin + hi d
                if hi - lo == 1:
                    return str(lo)
                mid = (lo + hi) // 2
                ends.append(self._bound(origin + mid * DAY))
                return f"CASE WHEN t > {p} THEN {day(mid, hi)} ELSE {day(lo, mid)} END"

            expression = day(0, total)
            grouped = self._query(
                f"SELECT provider, error_type, {expression} AS day, COUNT(*) FROM {rows} "
                f"WHERE t > {p} AND t <= {p} GROUP BY 1, 2, 3",
                [*ends, *base, *window],
            )
            frame = _frame(grouped, {"provider": pl.Utf8, "error_type": pl.Utf8, "day": pl.Int64, "n": pl.Int64})
        per_day = frame.group_by("provider", "day").agg(pl.col("n").sum()).select(list(DAYS_SCHEMA))
        per_type_day = frame.filter(pl.col("error_type").is_not_null())
        return BacktestCounts(per_day.cast(DAYS_SCHEMA), per_type_day.cast(TYPE_DAYS_SCHEMA))  # type: ignore[arg-type]

    def summary(self) -> LedgerSummary:
        """Rows kept and quarantined as the file reader would (no provider, or no timestamp), timestamps SQL
        cannot read (SQLite: unparsable; PostgreSQL: ±infinity) and the time span (epoch microseconds), in one
        statement. PostgreSQL with indexes on ``timestamp`` and ``provider`` answers each part from them (a count
        of the whole table, then index lookups); without, one scan with ``FILTER``ed counts."""
        provider = self.column("provider")
        named = f"({provider} IS NOT NULL AND {provider} <> '')"
        missing = self.ts_missing()
        if self.engine == "postgresql":
            ts = '"timestamp"'
            # Python's datetime stops at year 9999: the two ends become epoch microseconds in SQL.
            epoch = "CAST(ROUND(date_part('epoch', {}) * 1000000) AS BIGINT)"
            unreadable = f"{ts} IN ('infinity', '-infinity')"  # an index lookup, as NOT isfinite() would not be
            kept = f"{named} AND isfinite({ts})"
            if {"provider", "timestamp"} <= self.indexed:
                sql = (
                    f"SELECT (SELECT COUNT(*) FROM {TABLE}), "
                    f"(SELECT COUNT(*) FROM {TABLE} WHERE {provider} IS NULL OR {provider} = '' OR {missing}), "
                    f"(SELECT COUNT(*) FROM {TABLE} WHERE {named} AND {unreadable}), "
                    + ", ".join(
                        epoch.format(f"(SELECT {agg}({ts}) FROM {TABLE} WHERE {kept})") for agg in ("MIN", "MAX")
                    )
                )
            else:
                sql = (
                    f"SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT {named} OR {missing}), "
                    f"COUNT(*) FILTER (WHERE {named} AND {unreadable}), "
                    + ", ".join(epoch.format(f"{agg}({ts}) FILTER (WHERE {kept})") for agg in ("MIN", "MAX"))
                    + f" FROM {TABLE}"
                )
        else:
            t = self.ts_us()
            required = f"({named} AND NOT {missing})"
            sql = (
                f"SELECT COUNT(*), SUM(CASE WHEN {required} THEN 0 ELSE 1 END), "
                f"SUM(CASE WHEN {required} AND ({t}) IS NULL THEN 1 ELSE 0 END), "
                f"MIN(CASE WHEN {required} THEN {t} END), MAX(CASE WHEN {required} THEN {t} END) FROM {TABLE}"
            )
        total, quarantined, unparsed, first, last = self._query(sql, [])[0]
        quarantined = int(quarantined or 0)
        return LedgerSummary(int(total) - quarantined, quarantined, int(unparsed or 0), first, last)

    def read_all(self, schema: InputSchema) -> pl.DataFrame:
        """Every row, typed as the file readers type them: only for views that need rows (not severity)."""
        names = sorted(self.present, key=COLUMNS.index)
        selected = ", ".join(f'"{n}"' for n in names)
        rows = self._query(f"SELECT {selected} FROM {TABLE}", [])
        return read_rows(names, rows, schema, self.label).frame


def _frame(rows: list[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def sqlite_ledger(path: Path, label: str | None = None) -> LedgerDatabase:
    """The ``error_ledger`` table of a SQLite/D1 file, opened read-only. Raises :class:`UnreadableInputError`."""
    shown = label or str(path)

    def connect() -> sqlite3.Connection:
        try:
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise UnreadableInputError(f"{shown}: cannot open as SQLite ({exc})") from None

    database = LedgerDatabase("sqlite", shown, connect, "?")
    try:
        info = database._query(f'PRAGMA table_info("{TABLE}")', [])
    except UnreadableInputError as exc:
        raise UnreadableInputError(f"{shown}: cannot open as SQLite ({exc})") from None
    names = {str(row[1]) for row in info}
    if not names:
        raise UnreadableInputError(f"{shown}: no readable table '{TABLE}'")
    database.present = frozenset(names & set(COLUMNS))
    _require(database, names)
    return database


def postgres_ledger(uri: str) -> LedgerDatabase:
    """Table ``error_ledger`` in PostgreSQL; its ``timestamp`` must be ``timestamptz`` or ``timestamp`` (UTC).
    Raises :class:`UnreadableInputError` with the password redacted."""
    label = f"{redact(uri)} table {TABLE}"

    def connect() -> Any:
        try:
            connection = connect_postgres(uri)
        except StoreError as exc:
            raise UnreadableInputError(str(exc)) from None
        # A `timestamp` (without time zone) column is read as UTC: compared with the window bounds in UTC.
        connection.execute("SET TIME ZONE 'UTC'")
        # These few aggregates run once per call: compiling them (JIT) cost 1-2 s a query at 20M rows, more than
        # it saved. A session setting, for this connection only.
        connection.execute("SET jit = off")
        # The week's grouping by (provider, error type, message) outgrew the default 4 MB and spilled to disk at
        # 20M rows (48-68 MB a worker); a memory budget for this session's sorts and hashes (each worker's).
        connection.execute("SET work_mem = '64MB'")
        return connection

    database = LedgerDatabase("postgresql", label, connect, "%s", secrets=(uri,))
    info = database._query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND table_schema = ANY (current_schemas(false)) ORDER BY ordinal_position",
        [TABLE],
    )
    if not info:
        raise UnreadableInputError(f"{label}: no table '{TABLE}' (DATA.md §5 columns: {', '.join(COLUMNS)})")
    types = {str(name): str(kind) for name, kind in info}
    _require(database, set(types))
    kind = types["timestamp"]
    if kind not in PG_TIMESTAMP_TYPES:
        raise UnreadableInputError(
            f"{label}: column 'timestamp' is {kind}; the ledger needs timestamptz (or timestamp, read as UTC)"
        )
    database.present = frozenset(set(types) & set(COLUMNS))
    database.naive_timestamps = kind == "timestamp without time zone"
    leading = database._query(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "WHERE i.indrelid = to_regclass(%s)",
        [TABLE],
    )
    database.indexed = frozenset(str(row[0]) for row in leading) & {"timestamp", "provider"}
    return database


def _require(database: LedgerDatabase, names: set[str]) -> None:
    missing = [c for c in ("timestamp", "provider") if c not in names]
    if missing:
        raise UnreadableInputError(f"{database.label}: table '{TABLE}' has no column {', '.join(map(repr, missing))}")


def is_sqlite_ledger(path: Path | None) -> bool:
    return path is not None and path.suffix.lower() in (".sqlite", ".db", ".sqlite3", ".d1")
