"""Writing imported records: atomically and idempotently, to a data folder's ``incidents.jsonl`` or PostgreSQL.

JSONL: under an exclusive ``fcntl.flock`` on ``incidents.jsonl.lock`` (the lock the other incident-store
writers take), the current file is read, a record whose id is already there replaces that line in place,
a new one is appended, every other line is kept byte for byte; the result goes to a temporary file in the
same folder, is fsynced and moved over the original with ``os.replace`` (then the folder is fsynced).
A symlinked ``incidents.jsonl`` is refused.

PostgreSQL: one transaction creates the tables if needed, a unique index on ``incidents.id`` and runs
``INSERT … ON CONFLICT (id) DO UPDATE`` (only where something changed), so a re-import never duplicates.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage_lens.importers.mapping import ImportFailure
from triage_lens.sources.atomic import write_file
from triage_lens.sources.redaction import redact, redact_error
from triage_lens.sources.store import CREATE_TABLES, INCIDENT_COLUMNS, is_postgres_uri

INCIDENTS_FILE = "incidents.jsonl"
LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class WriteResult:
    """New records, records replaced because they changed, and records already stored as they are."""

    written: int
    updated: int
    unchanged: int


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


@contextlib.contextmanager
def jsonl_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<target>.lock`` (created if absent, never through a symlink)."""
    lock_path = target.with_name(target.name + LOCK_SUFFIX)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise ImportFailure(f"{lock_path}: cannot open the lock file ({exc.strerror or exc})") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _plan(existing: bytes, records: Sequence[dict[str, Any]]) -> tuple[bytes, WriteResult]:
    """The new file content and the counts: lines replaced in place by id, new records appended."""
    bom = b"\xef\xbb\xbf" if existing.startswith(b"\xef\xbb\xbf") else b""
    body = existing[len(bom) :]
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    positions: dict[str, int] = {}
    stored: dict[str, Any] = {}
    for index, raw in enumerate(lines):
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, an integer past the digit limit, nested too deep
            continue  # kept verbatim: not ours to judge (the reader quarantines it)
        if isinstance(parsed, dict) and isinstance(parsed.get("id"), str) and parsed["id"] not in positions:
            positions[parsed["id"]] = index
            stored[parsed["id"]] = parsed
    written = updated = unchanged = 0
    appended: list[bytes] = []
    for record in records:
        rid = record["id"]
        if rid in positions:
            if stored[rid] == record:
                unchanged += 1
            else:
                lines[positions[rid]] = _line(record)
                stored[rid] = record
                updated += 1
        else:
            appended.append(_line(record))
            written += 1
    if written == 0 and updated == 0:
        return existing, WriteResult(0, 0, unchanged)
    content = bom + b"".join(line + b"\n" for line in [*lines, *appended])
    return content, WriteResult(written, updated, unchanged)


def write_jsonl(folder: Path, records: Sequence[dict[str, Any]], *, dry_run: bool = False) -> WriteResult:
    """Upsert ``records`` into ``folder/incidents.jsonl`` (created with the folder if absent)."""
    target = folder / INCIDENTS_FILE
    if target.is_symlink():
        raise ImportFailure(f"{target}: is a symlink; refusing to write through it (point --out at the real folder)")
    if folder.exists() and not folder.is_dir():
        raise ImportFailure(f"{folder}: not a folder")
    if dry_run and not folder.exists():
        return WriteResult(len({r["id"] for r in records}), 0, 0)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportFailure(f"{folder}: cannot create the folder ({exc.strerror or exc})") from exc
    with jsonl_lock(target):
        if target.is_symlink():
            raise ImportFailure(f"{target}: is a symlink; refusing to write through it")
        try:
            existing = target.read_bytes() if target.exists() else b""
        except OSError as exc:
            raise ImportFailure(f"{target}: cannot read ({exc.strerror or exc})") from exc
        content, result = _plan(existing, records)
        if dry_run or (content == existing and target.exists()):
            return result
        try:
            # temp file .incidents.jsonl.<pid>.<rand>.tmp beside it, fsynced, renamed; stale ones of killed runs removed
            write_file(target, content)
        except OSError as exc:
            raise ImportFailure(f"{target}: cannot write ({exc.strerror or exc}); nothing changed") from exc
        return result


def _pg_error(uri: str, what: str, exc: Exception) -> ImportFailure:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # the driver quotes pieces of a malformed DSN ("failed to resolve host 'tPW@127.0.0.1'"): redact_error masks them
    return ImportFailure(redact_error(f"{uri}: {what}: {first}; nothing changed", [uri]))


def write_postgres(uri: str, records: Sequence[dict[str, Any]], *, dry_run: bool = False) -> WriteResult:
    """Upsert ``records`` into the ``incidents`` table in one transaction (rolled back on any error)."""
    import psycopg
    from psycopg.types.json import Jsonb

    columns = INCIDENT_COLUMNS
    updates = [c for c in columns if c != "id"]
    statement = (
        f"INSERT INTO incidents ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
        f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in updates)} "
        f"WHERE ({', '.join(f'incidents.{c}' for c in updates)}) "
        f"IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in updates)}) "
        "RETURNING (xmax = 0) AS inserted"
    )
    rows = []
    for record in records:
        row: list[Any] = []
        for column in columns:
            value = record.get(column)
            row.append(Jsonb(value) if column == "labels" and value is not None else value)
        rows.append(row)
    try:
        connection = psycopg.connect(uri, connect_timeout=10)
    except psycopg.Error as exc:
        raise _pg_error(uri, "cannot connect", exc) from exc
    written = updated = 0
    try:
        with connection, connection.transaction(), connection.cursor() as cursor:
            cursor.execute(CREATE_TABLES)
            try:
                cursor.execute("CREATE UNIQUE INDEX IF NOT EXISTS incidents_id_unique ON incidents (id)")
            except psycopg.errors.UniqueViolation as exc:
                raise ImportFailure(
                    f"{redact(uri)}: the incidents table holds duplicate ids, so records cannot be updated in "
                    "place; remove the duplicates first; nothing changed"
                ) from exc
            for row in rows:
                cursor.execute(statement, row)
                returned = cursor.fetchone()
                if returned is None:
                    continue
                if returned[0]:
                    written += 1
                else:
                    updated += 1
            if dry_run:
                raise _DryRun  # leaving the transaction with an exception rolls it back
    except _DryRun:
        pass
    except psycopg.Error as exc:
        raise _pg_error(uri, "cannot write", exc) from exc
    finally:
        connection.close()
    return WriteResult(written, updated, len(rows) - written - updated)


class _DryRun(Exception):
    """Raised inside the transaction to roll it back after counting (``--dry-run``)."""


def write_records(target: str, records: Sequence[dict[str, Any]], *, dry_run: bool = False) -> WriteResult:
    """Write to a ``postgresql://`` store or a data folder."""
    if is_postgres_uri(target):
        return write_postgres(target, records, dry_run=dry_run)
    return write_jsonl(Path(target).expanduser(), records, dry_run=dry_run)
