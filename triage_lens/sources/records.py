"""Parsed records (JSONL objects, database rows) checked field by field and typed into a Polars frame.

Each declared field type has one check (value -> typed value, ok); a wrong type is flagged and the field left
null, a missing required field quarantines the record. Timestamps are parsed for every format by the same
Polars expression (:func:`finish_frame`).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import polars as pl

from analytics.schemas import TYPE_WORDS, FieldType, InputSchema
from analytics.timeparse import parse_timestamp_series
from triage_lens.sources.limits import NESTED_TOO_DEEP, NUMBER_TOO_LARGE, may_hold_big_integer, record_problem
from triage_lens.sources.report import ReportItem, _excerpt


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


def _utf8_ok(text: str) -> bool:
    """False for text holding a lone surrogate (a ``\\ud800`` escape): it cannot be stored as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _check_str(v: object) -> tuple[Any, bool]:
    return (v, True) if isinstance(v, str) and _utf8_ok(v) else (None, False)


def _check_float(v: object) -> tuple[Any, bool]:
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            return float(v), True
        except OverflowError:  # an integer past a float's range
            return None, False
    return None, False


def _check_int(v: object) -> tuple[Any, bool]:
    if isinstance(v, bool):
        return None, False
    if isinstance(v, int):
        return (v, True) if INT64_MIN <= v <= INT64_MAX else (None, False)
    if isinstance(v, float) and v.is_integer() and INT64_MIN <= v < 2.0**63:
        return int(v), True
    return None, False


def _check_bool(v: object) -> tuple[Any, bool]:
    return (v, True) if isinstance(v, bool) else (None, False)


def _check_timestamp_text(v: object) -> tuple[Any, bool]:
    if isinstance(v, str):
        return (v, True) if _utf8_ok(v) else (None, False)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(v), True
    return None, False


def _check_object(v: object) -> tuple[Any, bool]:
    if isinstance(v, dict):
        try:
            text = json.dumps(v, ensure_ascii=False)
        except (ValueError, RecursionError):
            return None, False
        return (text, True) if _utf8_ok(text) else (None, False)
    return None, False


def _check_str_list(v: object) -> tuple[Any, bool]:
    if isinstance(v, list) and all(isinstance(x, str) and _utf8_ok(x) for x in v):
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
        if (claim is not None and not (isinstance(claim, str) and _utf8_ok(claim))) or not (
            isinstance(keys, list) and all(isinstance(k, str) and _utf8_ok(k) for k in keys)
        ):
            return None, False
        claims.append({"claim": claim, "evidence_keys": keys})
    return claims, True


def _has_lone_surrogate(value: object, depth: int = 0) -> bool:
    if isinstance(value, str):
        return not _utf8_ok(value)
    if depth > 50:
        return False
    if isinstance(value, list):
        return any(_has_lone_surrogate(x, depth + 1) for x in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(x, depth + 1) for x in value.values())
    return False


def _problem(name: str, value: object, column_type: FieldType) -> str:
    """Why ``value`` does not fit ``column_type``: the wrong type, or an odd value of the right one."""
    if _has_lone_surrogate(value):
        return f"field '{name}' holds a lone surrogate escape (not valid Unicode)"
    if isinstance(value, int) and not isinstance(value, bool) and column_type in (FieldType.INT, FieldType.FLOAT):
        return f"field '{name}' is a number out of range for {TYPE_WORDS[column_type]}"
    if isinstance(value, float) and column_type is FieldType.INT and value.is_integer():
        return f"field '{name}' is a number out of range for {TYPE_WORDS[column_type]}"
    return f"field '{name}' is {_type_name(value)}, expected {TYPE_WORDS[column_type]}"


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
    FieldType.FLOAT: (float,),
    FieldType.BOOL: (bool,),
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
            return "required " + _problem(name, value, column_type)
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
                        _problem(f.name, value, f.type),
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
        excerpt_col = excerpt_column or f"{name}_text"
        excerpts = bad_rows.select(pl.col("_line"), pl.col(f"{name}_text").alias("_t"), pl.col(excerpt_col).alias("_e"))
        for line, text, excerpt in excerpts.iter_rows():
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


def _parse_record(text: str, lead: int = 0, trail: str = "") -> dict[str, Any] | str:
    """One stripped line -> its JSON object, or the reason it is quarantined (columns count from the start
    of the line as stored, ``lead`` characters before ``text``)."""
    try:
        if may_hold_big_integer(text):
            raise orjson.JSONDecodeError("exact integers needed", text, 0)
        record = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:  # the standard library also accepts NaN/Infinity and integers past 64 bits, as OpenSRE's reader does
            record = json.loads(text + trail)
        except RecursionError:
            return NESTED_TOO_DEEP
        except ValueError as exc:
            if not isinstance(exc, json.JSONDecodeError):
                return NUMBER_TOO_LARGE  # an integer past Python's 4,300-digit conversion limit
            return f"not valid JSON ({exc.msg} at column {exc.colno + lead})"
    problem = record_problem(record, text)  # caps: integers past 64 bits, nesting past 256 levels
    if problem is not None:
        return problem
    if not isinstance(record, dict):
        return f"not a JSON object (got {_type_name(record)})"
    return record


def empty_frame(schema: InputSchema) -> pl.DataFrame:
    """A zero-row frame with the typed columns of ``schema``."""
    return pl.DataFrame(schema=schema.polars_schema())
