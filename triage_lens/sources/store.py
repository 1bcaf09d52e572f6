"""The incident store: a JSONL folder (``incidents.jsonl`` + ``events.jsonl``) or PostgreSQL (tables
``incidents`` and ``incident_events``), read into the same typed frames and written only by appending.

Writes happen only in write mode (the caller checks); they never rewrite existing rows: JSONL appends one
line per event and fsyncs after each; PostgreSQL inserts all events of a call in one transaction. Event
appends are serialised (a file lock beside ``events.jsonl``; ``pg_advisory_xact_lock`` in PostgreSQL) and
re-check the stored dedupe keys inside the lock, so concurrent runs never write a follow-up twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from analytics.schemas import EVENTS, INCIDENTS, InputSchema
from triage_lens.sources.readers import ReadResult, ReportItem, UnreadableInputError, finish_frame, records_to_frame
from triage_lens.sources.redaction import redact, redact_error
from triage_lens.sources.resolve import DataSources

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

CREATE_TABLES = """
CREATE TABLE IF NOT EXISTS incidents (
    row_id BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL,
    service TEXT NOT NULL,
    env TEXT,
    kind TEXT,
    severity TEXT,
    status TEXT,
    title TEXT,
    summary TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    signature TEXT,
    labels JSONB
);
CREATE INDEX IF NOT EXISTS incidents_id ON incidents (id);
CREATE TABLE IF NOT EXISTS incident_events (
    row_id BIGSERIAL PRIMARY KEY,
    event_id TEXT,
    incident_id TEXT,
    ts TEXT,
    type TEXT,
    message TEXT,
    meta JSONB
);
CREATE INDEX IF NOT EXISTS incident_events_incident ON incident_events (incident_id);
CREATE INDEX IF NOT EXISTS incident_events_dedupe ON incident_events ((meta ->> 'dedupe_key'));
"""
# pg_advisory_xact_lock key serialising event appends (any fixed 64-bit number; "tlevents" in ASCII)
EVENTS_LOCK_KEY = 0x746C6576656E7473
INCIDENT_COLUMNS = [f.name for f in INCIDENTS.fields]
EVENT_COLUMNS = [f.name for f in EVENTS.fields]


class StoreError(Exception):
    """The store cannot be reached or written; the message says which and why."""


def is_postgres_uri(value: str | None) -> bool:
    return bool(value) and str(value).startswith(POSTGRES_SCHEMES)


def _driver_error(uri: str, what: str, exc: BaseException) -> StoreError:
    """A driver exception as a :class:`StoreError` whose message never holds the password (or a piece of it)."""
    return StoreError(f"{what} {redact(uri)}: {redact_error(exc, [uri])}")


# --- JSONL ---------------------------------------------------------------------------------------------


def _event_keys(event: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(``meta.dedupe_key``, ``event_id``) of an event: either one already stored means "already written"."""
    meta = event.get("meta")
    key = meta.get("dedupe_key") if isinstance(meta, Mapping) else None
    event_id = event.get("event_id")
    return (key if isinstance(key, str) else None), (event_id if isinstance(event_id, str) else None)


def _jsonl_keys(path: Path) -> tuple[set[str], set[str]]:
    """Every dedupe key and event id already in an events file (lines that are not JSON objects are skipped)."""
    keys: set[str] = set()
    ids: set[str] = set()
    if not path.exists():
        return keys, ids
    with path.open("rb") as handle:
        for raw in handle:
            if b"dedupe_key" not in raw and b"event_id" not in raw:
                continue
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            if isinstance(record, dict):
                key, event_id = _event_keys(record)
                keys.update([key] if key else [])
                ids.update([event_id] if event_id else [])
    return keys, ids


def _new_events(events: Sequence[dict[str, Any]], keys: set[str], ids: set[str]) -> list[dict[str, Any]]:
    """The events whose dedupe key and event id are not stored yet (nor repeated within ``events``)."""
    fresh = []
    for event in events:
        key, event_id = _event_keys(event)
        if (key and key in keys) or (event_id and event_id in ids):
            continue
        keys.update([key] if key else [])
        ids.update([event_id] if event_id else [])
        fresh.append(event)
    return fresh


def append_jsonl_events(path: Path, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append each new event as one JSON line, flushing and fsyncing after every line (never rewriting).

    Runs under an exclusive ``fcntl.flock`` on ``<events file>.lock`` and re-reads the stored dedupe keys and
    event ids inside the lock, so concurrent writers never append the same follow-up or note twice.
    Returns the events actually written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        fresh = _new_events(events, *_jsonl_keys(path))
        if not fresh:
            return []
        needs_newline = False
        if path.exists() and path.stat().st_size > 0:
            with path.open("rb") as existing:
                existing.seek(-1, os.SEEK_END)
                needs_newline = existing.read(1) != b"\n"
        with path.open("a", encoding="utf-8") as handle:
            if needs_newline:
                handle.write("\n")
            for event in fresh:
                handle.write(json.dumps(event, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return fresh
    finally:
        os.close(lock_fd)  # closing releases the lock


# --- PostgreSQL ----------------------------------------------------------------------------------------


def _connect(uri: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(uri, connect_timeout=10)
    except psycopg.Error as exc:
        # `from None`: the chained driver exception quotes the DSN; a printed chain would leak it
        raise _driver_error(uri, "cannot connect to", exc) from None


connect_postgres = _connect  # the one way every PostgreSQL reader of this package opens its connection


def init_postgres(uri: str) -> None:
    """Create the two tables and their indexes (idempotent)."""
    import psycopg

    with _connect(uri) as connection:
        try:
            connection.execute(CREATE_TABLES)
        except psycopg.Error as exc:
            raise _driver_error(uri, "cannot create tables in", exc) from None


def _insert_rows(connection: Any, table: str, records: Iterable[dict[str, Any]]) -> int:
    """INSERT records into ``incidents`` or ``incident_events`` on an open connection; returns the row count."""
    from psycopg.types.json import Jsonb

    columns = INCIDENT_COLUMNS if table == "incidents" else EVENT_COLUMNS
    json_column = "labels" if table == "incidents" else "meta"
    rows = []
    for record in records:
        row = []
        for column in columns:
            value = record.get(column)
            if column == json_column:
                value = Jsonb(value) if value is not None else None
            elif value is not None and not isinstance(value, str):
                value = json.dumps(value) if isinstance(value, dict | list) else str(value)
            row.append(value)
        rows.append(row)
    if not rows:
        return 0
    placeholders = ", ".join(["%s"] * len(columns))
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608 - fixed names
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)
    return len(rows)


def insert_postgres(uri: str, table: str, records: Iterable[dict[str, Any]]) -> int:
    """Insert records into ``incidents`` or ``incident_events`` in one transaction; returns the row count."""
    import psycopg

    with _connect(uri) as connection:
        try:
            with connection.transaction():
                return _insert_rows(connection, table, records)
        except psycopg.Error as exc:
            raise _driver_error(uri, "cannot write to", exc) from None


def read_postgres(uri: str, schema: InputSchema) -> ReadResult:
    """Read ``incidents`` or ``incident_events`` in insertion order into the typed frame of ``schema``."""
    import psycopg

    table = "incidents" if schema is INCIDENTS else "incident_events"
    columns = INCIDENT_COLUMNS if schema is INCIDENTS else EVENT_COLUMNS
    label = f"{redact(uri)} table {table}"
    try:
        with _connect(uri) as connection:
            cursor = connection.execute(
                f"SELECT row_id, {', '.join(columns)} FROM {table} ORDER BY row_id"  # noqa: S608 - fixed names
            )
            rows = cursor.fetchall()
    except StoreError as exc:
        raise UnreadableInputError(str(exc)) from None
    except psycopg.Error as exc:
        raise UnreadableInputError(f"{label}: {redact_error(exc, [uri])}") from None
    records, lines, raws = [], [], []
    for row in rows:
        record = {c: v for c, v in zip(columns, row[1:], strict=True) if v is not None}
        records.append(record)
        lines.append(int(row[0]))
        raws.append(json.dumps(record, ensure_ascii=False))
    frame, items = records_to_frame(records, lines, raws, schema, label)
    frame, ts_items = finish_frame(frame, schema, label, "_raw")
    return ReadResult(frame, sorted([*items, *ts_items], key=lambda i: i.line))


def insert_postgres_events(uri: str, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert new events into ``incident_events`` in one transaction under ``pg_advisory_xact_lock``,
    re-checking inside the lock which dedupe keys and event ids are already stored. Returns the events
    actually written."""
    import psycopg

    keys = sorted({k for e in events if (k := _event_keys(e)[0])})
    ids = sorted({i for e in events if (i := _event_keys(e)[1])})
    with _connect(uri) as connection:
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK_KEY,))
                rows = connection.execute(
                    "SELECT meta ->> 'dedupe_key', event_id FROM incident_events "
                    "WHERE meta ->> 'dedupe_key' = ANY(%s) OR event_id = ANY(%s)",
                    (keys, ids),
                ).fetchall()
                stored_keys = {r[0] for r in rows if r[0]}
                stored_ids = {r[1] for r in rows if r[1]}
                fresh = _new_events(events, stored_keys, stored_ids)
                if fresh:
                    _insert_rows(connection, "incident_events", fresh)
        except psycopg.Error as exc:
            raise _driver_error(uri, "cannot write to", exc) from None
    return fresh


def append_events(
    *, events: Sequence[dict[str, Any]], uri: str | None, events_path: Path | None
) -> list[dict[str, Any]]:
    """Append new events to the store they belong to: PostgreSQL (one locked transaction) or the JSONL
    events file (under a file lock). An event whose ``meta.dedupe_key`` or ``event_id`` is already stored is
    not written again. Returns the events actually written."""
    if not events:
        return []
    if uri is not None:
        return insert_postgres_events(uri, events)
    if events_path is None:
        raise StoreError("no events file to append to (the data source has no incident store)")
    try:
        return append_jsonl_events(events_path, events)
    except OSError as exc:
        raise StoreError(f"cannot append to {events_path}: {exc.strerror or exc}") from None


def events_target(sources: DataSources) -> tuple[str | None, Path | None]:
    """Where new events go: the PostgreSQL store, or the events.jsonl beside incidents.jsonl."""
    if sources.incident_store_uri:
        return sources.incident_store_uri, None
    events = sources.paths.get("events")
    incidents = sources.paths.get("incidents")
    return None, events or (incidents.parent / "events.jsonl" if incidents else None)


def note_event(incident_id: str, text: str, now_iso: str) -> dict[str, Any]:
    """A ``note`` event for the timeline (id derived from its content, so it is stable)."""
    digest = hashlib.sha256(f"{incident_id}|{now_iso}|{text}".encode()).hexdigest()[:16]
    return {
        "event_id": f"evt_{digest}",
        "incident_id": incident_id,
        "ts": now_iso,
        "type": "note",
        "message": text,
        "meta": {"source": "triage-lens"},
    }


def existing_dedupe_keys(events: pl.LazyFrame) -> set[str]:
    """Every ``meta.dedupe_key`` already in the timeline."""
    keys = (
        events.select(pl.col("meta").str.json_path_match("$.dedupe_key").alias("key"))
        .drop_nulls()
        .collect()["key"]
        .to_list()
    )
    return set(keys)


__all__ = [
    "ReportItem",
    "StoreError",
    "append_events",
    "existing_dedupe_keys",
    "init_postgres",
    "insert_postgres",
    "is_postgres_uri",
    "read_postgres",
]
