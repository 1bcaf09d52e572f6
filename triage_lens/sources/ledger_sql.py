"""The error ledger in a database (DEFINITIONS.md §3): severity aggregates pushed down as plain SQL.

A ledger in PostgreSQL (``error_ledger: postgresql://…`` in ``triage-lens.yaml``, table ``error_ledger``) or in a
SQLite/D1 file is never read row by row for severity: each aggregate the rules of :mod:`analytics.severity` need
(:class:`~analytics.severity.LedgerCounts`, :class:`~analytics.severity.BacktestCounts`) is one parameterised
``SELECT … GROUP BY`` that the database runs, returning hundreds of rows whatever the ledger's size. The SQL is
portable (``CASE``, ``COUNT``, ``SUM``, ``GROUP BY`` ordinals, ``ROW_NUMBER() OVER``, integer arithmetic); only
the timestamp expression and the text ordering differ by dialect.

Timestamps become integer epoch microseconds in SQL: PostgreSQL from a ``timestamptz`` or ``timestamp`` (UTC)
column (any other type is refused); SQLite from epoch numbers (seconds, or milliseconds above 1e11, as the file
readers do) or ISO-8601 text through ``julianday`` (SQLite keeps milliseconds). A row whose timestamp SQL cannot
read counts nowhere and is counted (not listed) in ``check``.
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
DAY_US = 86_400_000_000
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
        """Epoch microseconds of the ``timestamp`` column as a 64-bit integer, NULL where it cannot be read."""
        ts = '"timestamp"'
        if self.engine == "postgresql":
            # date_part is double precision (EXTRACT is numeric since PostgreSQL 14: several times slower per row);
            # epoch seconds of these years carry sub-microsecond precision in a double, so rounding is exact.
            return f"CAST(ROUND(date_part('epoch', {ts}) * 1000000) AS BIGINT)"
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
    def _rows(self, options: SeverityOptions, window: tuple[datetime, datetime] | None = None) -> tuple[str, list[Any]]:
        """The countable rows as a subquery (provider, error_type, error_message, t) and its parameters. With a
        ``window`` (lo, hi], PostgreSQL first narrows on its own timestamp column (an index on it serves; only the
        rows inside get their epoch computed); the exact bounds are applied to ``t`` by each query as well."""
        p = self.placeholder
        provider, category, tenant = self.column("provider"), self.column("category"), self.column("tenant_id")
        where = [f"{provider} IS NOT NULL", f"{provider} <> ''"]
        params: list[Any] = []
        if window is not None and self.engine == "postgresql":
            where.append(f'"timestamp" > {p} AND "timestamp" <= {p}')  # session time zone UTC: see postgres_ledger
            params.extend(window)
        if options.excluded_categories:
            where.append(f"COALESCE({category}, 'error') NOT IN ({', '.join([p] * len(options.excluded_categories))})")
            params.extend(options.excluded_categories)
        if options.excluded_tenants:
            where.append(f"COALESCE({tenant}, '') NOT IN ({', '.join([p] * len(options.excluded_tenants))})")
            params.extend(options.excluded_tenants)
        inner = (
            f"SELECT {provider} AS provider, {self.column('error_type')} AS error_type, "
            f"{self.column('error_message')} AS error_message, {self.ts_us()} AS t "
            f"FROM {TABLE} WHERE {' AND '.join(where)}"
        )
        return f"(SELECT * FROM ({inner}) AS r WHERE t IS NOT NULL) AS b", params

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

    def counts(self, *, now: datetime, options: SeverityOptions) -> LedgerCounts:
        """:class:`LedgerCounts` computed by the database: four queries, none per provider."""
        rows, base = self._rows(options, (now - timedelta(days=7), now))
        everything, all_params = self._rows(options)
        p = self.placeholder
        now_us = epoch_us(now)
        week = (now_us - 7 * DAY_US, now_us)
        providers = self._query(f"SELECT DISTINCT provider FROM {everything}", all_params)
        buckets = self._query(
            f"SELECT provider, ({p} - t) / {DAY_US} AS bucket, COUNT(*) FROM {rows} "
            f"WHERE t > {p} AND t <= {p} GROUP BY 1, 2",
            [now_us, *base, *week],
        )
        types = self._query(
            f"SELECT provider, error_type, SUM(CASE WHEN t > {p} THEN 1 ELSE 0 END), COUNT(*) FROM {rows} "
            f"WHERE t > {p} AND t <= {p} AND error_type IS NOT NULL GROUP BY 1, 2",
            [now_us - DAY_US, *base, *week],
        )
        order = self.text_order("error_message")
        messages = self._query(
            "SELECT provider, error_type, error_message FROM ("
            "SELECT provider, error_type, error_message, ROW_NUMBER() OVER (PARTITION BY provider, error_type "
            f"ORDER BY COUNT(*) DESC, {order} ASC) AS rk FROM {rows} "
            f"WHERE t > {p} AND t <= {p} AND error_type IS NOT NULL AND error_message IS NOT NULL "
            "GROUP BY provider, error_type, error_message) AS m WHERE rk = 1",
            [*base, *week],
        )
        type_counts = {k: v for k, v in TYPES_SCHEMA.items() if k != "message"}
        message_schema = {"provider": pl.Utf8, "error_type": pl.Utf8, "message": pl.Utf8}
        type_frame = _frame(types, type_counts).join(
            _frame(messages, message_schema), on=["provider", "error_type"], how="left"
        )
        return LedgerCounts(
            _frame(providers, PROVIDERS_SCHEMA),
            _frame(buckets, BUCKETS_SCHEMA),
            type_frame.select(list(TYPES_SCHEMA)).cast(TYPES_SCHEMA),  # type: ignore[arg-type]
        )

    def backtest_counts(self, *, now: datetime, days: int, options: SeverityOptions) -> BacktestCounts:
        """:class:`BacktestCounts` computed by the database: two queries."""
        origin, today = backtest_window(now, days)
        rows, base = self._rows(options, (origin, today))
        p = self.placeholder
        origin_us, today_us = epoch_us(origin), epoch_us(today)
        per_day = self._query(
            f"SELECT provider, (t - {p} - 1) / {DAY_US} AS day, COUNT(*) FROM {rows} "
            f"WHERE t > {p} AND t <= {p} GROUP BY 1, 2",
            [origin_us, *base, origin_us, today_us],
        )
        per_type_day = self._query(
            f"SELECT provider, error_type, (t - {p} - 1) / {DAY_US} AS day, COUNT(*) FROM {rows} "
            f"WHERE t > {p} AND t <= {p} AND error_type IS NOT NULL GROUP BY 1, 2, 3",
            [origin_us, *base, origin_us, today_us],
        )
        return BacktestCounts(_frame(per_day, DAYS_SCHEMA), _frame(per_type_day, TYPE_DAYS_SCHEMA))

    def summary(self) -> LedgerSummary:
        """One query: rows kept and quarantined as the file reader would, unreadable timestamps, time span."""
        provider = self.column("provider")
        required = f"({provider} IS NOT NULL AND {provider} <> '' AND NOT {self.ts_missing()})"
        t = self.ts_us()
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
    return database


def _require(database: LedgerDatabase, names: set[str]) -> None:
    missing = [c for c in ("timestamp", "provider") if c not in names]
    if missing:
        raise UnreadableInputError(f"{database.label}: table '{TABLE}' has no column {', '.join(map(repr, missing))}")


def is_sqlite_ledger(path: Path | None) -> bool:
    return path is not None and path.suffix.lower() in (".sqlite", ".db", ".sqlite3", ".d1")
