"""Tabular ledgers and database rows: CSV and Parquet typed with vectorised casts, SQLite rows record by record."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from analytics.schemas import FieldType, InputSchema
from triage_lens.sources.records import _required_checks, _required_problem, finish_frame, records_to_frame
from triage_lens.sources.report import BOM, ReadResult, ReportItem, UnreadableInputError, _excerpt


def _vectorised_frame(raw: pl.DataFrame, schema: InputSchema, file_label: str, line_offset: int) -> ReadResult:
    """Type a frame read by Polars (CSV: all text; Parquet: any types) for a flat all-text schema."""
    items: list[ReportItem] = []
    raw = raw.with_row_index("_line", offset=line_offset).with_columns(pl.col("_line").cast(pl.Int64))
    columns = []
    for f in schema.fields:
        target = f"{f.name}_text" if f.type is FieldType.TIMESTAMP else f.name
        if f.name not in raw.columns:
            columns.append(pl.lit(None, pl.Utf8).alias(target))
            continue
        dtype = raw.schema[f.name]
        if f.type is FieldType.TIMESTAMP and isinstance(dtype, pl.Datetime):
            # Parquet may store real datetimes: naive means UTC.
            as_utc = pl.col(f.name) if dtype.time_zone else pl.col(f.name).dt.replace_time_zone("UTC")
            columns.append(as_utc.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%S%.f+00:00").alias(target))
        elif isinstance(dtype, pl.Datetime | pl.Date):
            columns.append(pl.col(f.name).cast(pl.Utf8).alias(target))
        else:
            columns.append(pl.col(f.name).cast(pl.Utf8, strict=False).alias(target))
    excerpt = pl.concat_str(
        [pl.col(c).cast(pl.Utf8, strict=False).fill_null("") for c in raw.columns if c != "_line"],
        separator=",",
    )
    typed = raw.select(pl.col("_line"), *columns, excerpt.alias("_excerpt"), pl.lit(None, pl.Utf8).alias("_flags"))
    missing = pl.lit(False)
    for name in schema.required:
        column = (
            f"{name}_text" if any(f.name == name and f.type is FieldType.TIMESTAMP for f in schema.fields) else name
        )
        missing = missing | pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
    dropped = typed.filter(missing)
    for row in dropped.iter_rows(named=True):
        absent = next(n for n in schema.required if not (row.get(n) or row.get(f"{n}_text") or "").strip())
        items.append(
            ReportItem(
                file_label,
                row["_line"],
                f"missing required field '{absent}'",
                _excerpt(row["_excerpt"]),
                "quarantined",
            )
        )
    typed = typed.filter(~missing)
    frame, ts_items = finish_frame(typed, schema, file_label, "_excerpt")
    items.extend(ts_items)
    items.sort(key=lambda i: i.line)
    return ReadResult(frame, items)


def read_csv(path: Path, schema: InputSchema, file_label: str) -> ReadResult:
    """Read a CSV with a header row; every cell is text until typed. Line numbers count the header as 1."""
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8", truncate_ragged_lines=True)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UnreadableInputError(f"{file_label}: cannot read as CSV ({str(exc).splitlines()[0]})") from exc
    raw = raw.rename({c: c.lstrip(BOM).strip() for c in raw.columns})
    return _vectorised_frame(raw, schema, file_label, line_offset=2)


def read_parquet(path: Path, schema: InputSchema, file_label: str) -> ReadResult:
    """Read a Parquet file; row numbers start at 1."""
    try:
        raw = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UnreadableInputError(f"{file_label}: cannot read as Parquet ({str(exc).splitlines()[0]})") from exc
    return _vectorised_frame(raw, schema, file_label, line_offset=1)


def read_sqlite(path: Path, schema: InputSchema, file_label: str, table: str) -> ReadResult:
    """Read table ``table`` of a SQLite file (a Cloudflare D1 export works as is), in rowid order."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UnreadableInputError(f"{file_label}: cannot open as SQLite ({exc})") from exc
    try:
        cursor = connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table name is a constant
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except sqlite3.Error as exc:
        raise UnreadableInputError(f"{file_label}: no readable table '{table}' ({exc})") from exc
    finally:
        connection.close()
    return read_rows(names, rows, schema, file_label)


def read_rows(names: Sequence[str], rows: Sequence[Sequence[Any]], schema: InputSchema, file_label: str) -> ReadResult:
    """Database rows (column ``names``, numbered from 1) checked and typed as the SQLite reader does."""
    items: list[ReportItem] = []
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    required = _required_checks(schema)
    for number, row in enumerate(rows, start=1):
        record = dict(zip(names, row, strict=True))
        problem = _required_problem(record, required)
        if problem is not None:
            items.append(
                ReportItem(file_label, number, problem, _excerpt(json.dumps(record, default=str)), "quarantined")
            )
            continue
        records.append(record)
        lines.append(number)
    frame, flagged = records_to_frame(records, lines, None, schema, file_label)
    excerpts = [json.dumps(r, ensure_ascii=False, default=str) for r in records]
    frame = frame.with_columns(pl.Series("_excerpt", excerpts, dtype=pl.Utf8))
    frame, ts_items = finish_frame(frame, schema, file_label, "_excerpt")
    items.extend(flagged + ts_items)
    items.sort(key=lambda i: i.line)
    return ReadResult(frame, items)
