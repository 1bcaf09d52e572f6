"""Lenient readers: one stored file → a typed Polars DataFrame plus its quarantine report.

JSONL and SQLite rows are checked record by record (wrong types become null and are flagged, lines
that are not JSON objects or lack a required field are quarantined); CSV and Parquet ledgers are
typed with vectorised casts. Timestamps are parsed for every format by the same Polars expression.
Nothing here caches: see :mod:`triage_lens.sources.loading` for the Parquet cache around these readers.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from analytics.schemas import CLAIM_DTYPE, TYPE_WORDS, FieldType, InputSchema
from analytics.timeparse import parse_timestamp_series

EXCERPT_CHARS = 200
BOM = "\ufeff"


class UnreadableInputError(Exception):
    """The input cannot be read at all (not a file, not UTF-8 CSV, no ``error_ledger`` table, ...)."""


@dataclass(frozen=True)
class ReportItem:
    """One quarantined line or flagged field: where it is, why, and what it looked like."""

    file: str
    line: int
    reason: str
    excerpt: str
    action: str  # "quarantined" (row left out) or "flagged" (row kept, field null in typed columns)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReadResult:
    """A typed frame (columns of ``InputSchema.polars_schema``) and what was skipped or flagged."""

    frame: pl.DataFrame
    items: list[ReportItem]
    blank_lines: int = 0

    @property
    def quarantined(self) -> int:
        return sum(1 for i in self.items if i.action == "quarantined")

    @property
    def flagged(self) -> int:
        return sum(1 for i in self.items if i.action == "flagged")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _excerpt(text: str) -> str:
    return text[:EXCERPT_CHARS]


# --- per-type checks: value -> (typed value, ok) -------------------------------------------------


def _check_str(v: object) -> tuple[Any, bool]:
    return (v, True) if isinstance(v, str) else (None, False)


def _check_float(v: object) -> tuple[Any, bool]:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v), True
    return None, False


def _check_int(v: object) -> tuple[Any, bool]:
    if isinstance(v, bool):
        return None, False
    if isinstance(v, int):
        return v, -(2**63) <= v < 2**63
    if isinstance(v, float) and v.is_integer():
        return int(v), True
    return None, False


def _check_bool(v: object) -> tuple[Any, bool]:
    return (v, True) if isinstance(v, bool) else (None, False)


def _check_timestamp_text(v: object) -> tuple[Any, bool]:
    if isinstance(v, str):
        return v, True
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(v), True
    return None, False


def _check_object(v: object) -> tuple[Any, bool]:
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False), True
    return None, False


def _check_str_list(v: object) -> tuple[Any, bool]:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return v, True
    return None, False


def _check_claims(v: object) -> tuple[Any, bool]:
    if not isinstance(v, list):
        return None, False
    claims: list[dict[str, Any]] = []
    for item in v:
        if not isinstance(item, dict):
            return None, False
        claim = item.get("claim")
        keys = item.get("evidence_keys")
        keys = [] if keys is None else keys
        if (claim is not None and not isinstance(claim, str)) or not (
            isinstance(keys, list) and all(isinstance(k, str) for k in keys)
        ):
            return None, False
        claims.append({"claim": claim, "evidence_keys": keys})
    return claims, True


_CHECKS: dict[FieldType, Callable[[object], tuple[Any, bool]]] = {
    FieldType.STR: _check_str,
    FieldType.FLOAT: _check_float,
    FieldType.INT: _check_int,
    FieldType.BOOL: _check_bool,
    FieldType.TIMESTAMP: _check_timestamp_text,
    FieldType.OBJECT: _check_object,
    FieldType.STR_LIST: _check_str_list,
    FieldType.CLAIMS: _check_claims,
}


# Python types that need no conversion for a field type (exact type: a bool is not an int here).
_EXACT_TYPES: dict[FieldType, tuple[type, ...]] = {
    FieldType.STR: (str,),
    FieldType.FLOAT: (float, int),
    FieldType.BOOL: (bool,),
    FieldType.TIMESTAMP: (str,),
}


def _required_checks(schema: InputSchema) -> list[tuple[str, FieldType]]:
    """(name, type) of the required fields, computed once per file rather than once per line."""
    return [(f.name, f.type) for f in schema.fields if f.required]


def _required_problem(record: dict[str, Any], required: list[tuple[str, FieldType]]) -> str | None:
    for name, column_type in required:
        value = record.get(name)
        if value is None or value == "":
            return f"missing required field '{name}'"
        if not _CHECKS[column_type](value)[1]:
            return f"required field '{name}' is {_type_name(value)}, expected {TYPE_WORDS[column_type]}"
    return None


def records_to_frame(
    records: Sequence[dict[str, Any]],
    lines: Sequence[int],
    raws: Sequence[str] | None,
    schema: InputSchema,
    file_label: str,
) -> tuple[pl.DataFrame, list[ReportItem]]:
    """Type already-parsed records (JSONL objects, SQLite rows) column by column.

    In: records with their 1-based line numbers and raw text (``raws`` None for sources without one).
    Out: a frame with the columns of ``schema.polars_schema()`` and one flagged item per bad field.
    """
    items: list[ReportItem] = []
    flags: dict[int, list[str]] = {}
    data: dict[str, Any] = {"_line": list(lines)}
    if schema.keep_raw:
        data["_raw"] = list(raws) if raws is not None else [json.dumps(r, ensure_ascii=False) for r in records]
    for f in schema.fields:
        values = [r.get(f.name) for r in records]
        check = _CHECKS[f.type]
        exact_types = _EXACT_TYPES.get(f.type)
        if exact_types is not None and all(v is None or type(v) in exact_types for v in values):
            # Common case: nulls and values of the right type only; no per-value work needed.
            data[f.name if f.type is not FieldType.TIMESTAMP else f"{f.name}_text"] = values
            continue
        for i, value in enumerate(values):
            if value is None:
                continue
            typed, ok = check(value)
            values[i] = typed
            if not ok:
                flags.setdefault(i, []).append(f.name)
                excerpt = raws[i] if raws is not None else json.dumps(records[i], ensure_ascii=False, default=str)
                items.append(
                    ReportItem(
                        file_label,
                        lines[i],
                        f"field '{f.name}' is {_type_name(value)}, expected {TYPE_WORDS[f.type]}",
                        _excerpt(excerpt),
                        "flagged",
                    )
                )
        data[f.name if f.type is not FieldType.TIMESTAMP else f"{f.name}_text"] = values
    data["_flags"] = [",".join(flags[i]) if i in flags else None for i in range(len(records))]
    frame_schema = _loose_schema(schema)
    nested = {f.name for f in schema.fields if f.type in (FieldType.STR_LIST, FieldType.CLAIMS)}
    for name in nested:
        # Building nested Polars values from Python objects is slow and memory-hungry at millions of
        # rows: hand the checked values over as JSON text and let Polars decode them in one pass.
        data[name] = [None if v is None else orjson.dumps(v).decode() for v in data[name]]
    frame = pl.DataFrame(data, schema={k: (pl.Utf8() if k in nested else v) for k, v in frame_schema.items()})
    if nested:
        frame = frame.with_columns(pl.col(n).str.json_decode(frame_schema[n]) for n in nested)
    return frame, items


def _loose_schema(schema: InputSchema) -> dict[str, pl.DataType]:
    """The typed schema with timestamps still as text (parsed afterwards by :func:`finish_frame`)."""
    columns = schema.polars_schema()
    loose: dict[str, pl.DataType] = {}
    for name, dtype in columns.items():
        if any(f.name == name and f.type is FieldType.TIMESTAMP for f in schema.fields):
            continue
        loose[name] = dtype
    return loose


def finish_frame(
    frame: pl.DataFrame, schema: InputSchema, file_label: str, excerpt_column: str | None
) -> tuple[pl.DataFrame, list[ReportItem]]:
    """Parse every ``<ts>_text`` into ``<ts>`` (UTC) and flag the values that do not parse.

    In: a frame from :func:`records_to_frame` or the vectorised CSV/Parquet path.
    Out: the columns of ``schema.polars_schema()`` in order, plus flagged items for bad timestamps.
    """
    items: list[ReportItem] = []
    timestamp_fields = [f.name for f in schema.fields if f.type is FieldType.TIMESTAMP]
    frame = frame.with_columns(
        parse_timestamp_series(frame[f"{name}_text"], allow_epoch=schema.allow_epoch).alias(name)
        for name in timestamp_fields
    )
    for name in timestamp_fields:
        bad = pl.col(f"{name}_text").is_not_null() & pl.col(name).is_null()
        bad_rows = frame.filter(bad)
        if bad_rows.height == 0:
            continue
        # without a raw column the excerpt is the timestamp text itself (selected once: no DuplicateError)
        columns = ["_line", f"{name}_text", *([excerpt_column] if excerpt_column else [])]
        for row in bad_rows.select(columns).iter_rows():
            line, text = row[0], row[1]
            excerpt = row[2] if excerpt_column else text
            items.append(
                ReportItem(
                    file_label,
                    line,
                    f"field '{name}' is not a timestamp: {text[:60]!r}",
                    _excerpt(excerpt),
                    "flagged",
                )
            )
        frame = frame.with_columns(
            pl.when(bad)
            .then(
                pl.when(pl.col("_flags").is_null())
                .then(pl.lit(name))
                .otherwise(pl.concat_str([pl.col("_flags"), pl.lit(name)], separator=","))
            )
            .otherwise(pl.col("_flags"))
            .alias("_flags")
        )
    return frame.select(list(schema.polars_schema())), items


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small dicts are built (none form cycles):
    its repeated full passes otherwise double the parse time of large files."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_jsonl(path: Path, schema: InputSchema, file_label: str) -> ReadResult:
    """Read a JSONL file leniently: blank lines skipped, non-JSON / non-object / incomplete lines quarantined."""
    with _collector_paused():
        return _read_jsonl(path, schema, file_label)


JSONL_CHUNK_ROWS = 100_000  # records typed per batch: bounds memory on multi-GB files


def _read_jsonl(path: Path, schema: InputSchema, file_label: str) -> ReadResult:
    items: list[ReportItem] = []
    frames: list[pl.DataFrame] = []
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    raws: list[str] = []
    blank = 0
    required = _required_checks(schema)

    def flush() -> None:
        if records:
            frame, flagged = records_to_frame(records, lines, raws, schema, file_label)
            frames.append(frame)
            items.extend(flagged)
            records.clear()
            lines.clear()
            raws.clear()

    try:
        handle = path.open("rb")
    except OSError as exc:
        raise UnreadableInputError(f"{file_label}: cannot read ({exc.strerror or exc})") from exc
    with handle:
        for number, line_bytes in enumerate(handle, start=1):
            raw_bytes = line_bytes[:-1] if line_bytes.endswith(b"\n") else line_bytes
            if number == 1 and raw_bytes.startswith(BOM.encode()):
                raw_bytes = raw_bytes[len(BOM.encode()) :]
            stripped = raw_bytes.strip()
            if not stripped:
                blank += 1
                continue
            try:
                text = raw_bytes.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError:
                excerpt = _excerpt(raw_bytes.decode("utf-8", "replace"))
                items.append(ReportItem(file_label, number, "not valid UTF-8", excerpt, "quarantined"))
                continue
            try:
                record = orjson.loads(stripped)
            except orjson.JSONDecodeError:
                try:  # the standard library also accepts NaN/Infinity, as OpenSRE's reader does
                    record = json.loads(text)
                except (ValueError, RecursionError) as exc:  # RecursionError: nested 1,000+ levels
                    reason = (
                        f"not valid JSON ({exc.msg} at column {exc.colno})"
                        if isinstance(exc, json.JSONDecodeError)
                        else (
                            "not valid JSON (nested too deeply)"
                            if isinstance(exc, RecursionError)
                            else "not valid JSON"
                        )
                    )
                    items.append(ReportItem(file_label, number, reason, _excerpt(text), "quarantined"))
                    continue
            if not isinstance(record, dict):
                reason = f"not a JSON object (got {_type_name(record)})"
                items.append(ReportItem(file_label, number, reason, _excerpt(text), "quarantined"))
                continue
            problem = _required_problem(record, required) if required else None
            if problem is not None:
                items.append(ReportItem(file_label, number, problem, _excerpt(text), "quarantined"))
                continue
            records.append(record)
            lines.append(number)
            raws.append(text.strip())
            if len(records) >= JSONL_CHUNK_ROWS:
                flush()
    flush()
    typed = pl.concat(frames, rechunk=True) if frames else records_to_frame([], [], [], schema, file_label)[0]
    typed, ts_items = finish_frame(typed, schema, file_label, "_raw" if schema.keep_raw else None)
    items.extend(ts_items)
    items.sort(key=lambda i: i.line)
    return ReadResult(typed, items, blank)


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


def read_input_file(path: Path, schema: InputSchema, file_label: str | None = None) -> ReadResult:
    """Dispatch on the file suffix: .jsonl/.json/.ndjson, .csv, .parquet, .sqlite/.db/.sqlite3."""
    label = file_label or str(path)
    if not path.is_file():
        raise UnreadableInputError(f"{label}: not a file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return read_jsonl(path, schema, label)
    if suffix == ".csv":
        return read_csv(path, schema, label)
    if suffix == ".parquet":
        return read_parquet(path, schema, label)
    if suffix in (".sqlite", ".db", ".sqlite3", ".d1"):
        return read_sqlite(path, schema, label, table=schema.name)
    raise UnreadableInputError(f"{label}: unsupported file type '{suffix}' (use .jsonl, .csv, .parquet or .sqlite)")


def empty_frame(schema: InputSchema) -> pl.DataFrame:
    """A zero-row frame with the typed columns of ``schema``."""
    return pl.DataFrame(schema=schema.polars_schema())


__all__ = [
    "CLAIM_DTYPE",
    "ReadResult",
    "ReportItem",
    "UnreadableInputError",
    "empty_frame",
    "read_input_file",
]
