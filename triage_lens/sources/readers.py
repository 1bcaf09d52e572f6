"""Lenient readers: one stored file -> a typed Polars DataFrame plus its quarantine report.

The steps live in their own modules: :mod:`~triage_lens.sources.report` (what was skipped or flagged),
:mod:`~triage_lens.sources.records` (field checks and typing), :mod:`~triage_lens.sources.jsonl` (JSON Lines, the
vectorised and the per-line path), :mod:`~triage_lens.sources.tables` (CSV, Parquet, SQLite rows). This module
dispatches on the file suffix and keeps the public names importable from one place. Nothing here caches: see
:mod:`triage_lens.sources.cache`.
"""

from __future__ import annotations

from pathlib import Path

from analytics.schemas import CLAIM_DTYPE, InputSchema
from triage_lens.sources.jsonl import read_jsonl, read_jsonl_bytes, split_lines
from triage_lens.sources.limits import DEFAULT_MAX_LINE_BYTES
from triage_lens.sources.records import empty_frame, finish_frame, records_to_frame
from triage_lens.sources.report import (
    BOM,
    EXCERPT_CHARS,
    ReadResult,
    ReportCounts,
    ReportItem,
    UnreadableInputError,
)
from triage_lens.sources.tables import read_csv, read_parquet, read_rows, read_sqlite


def read_input_file(
    path: Path,
    schema: InputSchema,
    file_label: str | None = None,
    *,
    max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES,
) -> ReadResult:
    """Dispatch on the file suffix: .jsonl/.json/.ndjson, .csv, .parquet, .sqlite/.db/.sqlite3."""
    label = file_label or str(path)
    if not path.is_file():
        raise UnreadableInputError(f"{label}: not a file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return read_jsonl(path, schema, label, max_line_bytes=max_line_bytes)
    if suffix == ".csv":
        return read_csv(path, schema, label)
    if suffix == ".parquet":
        return read_parquet(path, schema, label)
    if suffix in (".sqlite", ".db", ".sqlite3", ".d1"):
        return read_sqlite(path, schema, label, table=schema.name)
    raise UnreadableInputError(f"{label}: unsupported file type '{suffix}' (use .jsonl, .csv, .parquet or .sqlite)")


__all__ = [
    "BOM",
    "CLAIM_DTYPE",
    "EXCERPT_CHARS",
    "ReadResult",
    "ReportCounts",
    "ReportItem",
    "UnreadableInputError",
    "empty_frame",
    "finish_frame",
    "read_csv",
    "read_input_file",
    "read_jsonl",
    "read_jsonl_bytes",
    "read_parquet",
    "read_rows",
    "read_sqlite",
    "records_to_frame",
    "split_lines",
]
