"""Lenient readers: one stored file → a typed Polars DataFrame plus its quarantine report.

JSONL and SQLite rows are checked record by record (wrong types become null and are flagged, lines
that are not JSON objects or lack a required field are quarantined); CSV and Parquet ledgers are
typed with vectorised casts. Timestamps are parsed for every format by the same Polars expression.
Nothing here caches: see :mod:`triage_lens.sources.loading` for the Parquet cache around these readers.
"""

from __future__ import annotations

import gc
import io
import json
import mmap
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from analytics.schemas import CLAIM_DTYPE, POLARS_TYPES, TYPE_WORDS, Field, FieldType, InputSchema
from analytics.timeparse import parse_timestamp_series
from triage_lens.sources.limits import (
    DEFAULT_MAX_LINE_BYTES,
    LONG_DIGIT_RUN,
    MAX_DEPTH,
    NESTED_TOO_DEEP,
    NUMBER_TOO_LARGE,
    line_too_long,
    long_lines,
    may_hold_big_integer,
    record_problem,
)

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


class ReportCounts:
    """``quarantined`` and ``flagged`` counted from ``items`` (for every result that carries a report)."""

    items: list[ReportItem]

    @property
    def quarantined(self) -> int:
        return sum(1 for i in self.items if i.action == "quarantined")

    @property
    def flagged(self) -> int:
        return sum(1 for i in self.items if i.action == "flagged")


@dataclass
class ReadResult(ReportCounts):
    """A typed frame (columns of ``InputSchema.polars_schema``) and what was skipped or flagged."""

    frame: pl.DataFrame
    items: list[ReportItem]
    blank_lines: int = 0
    lines: int = 0  # lines read (JSONL), blank ones included


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


def _utf8_ok(text: str) -> bool:
    """False for text holding a lone surrogate (a ``\\ud800`` escape): it cannot be stored as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def read_jsonl(
    path: Path, schema: InputSchema, file_label: str, *, max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES
) -> ReadResult:
    """Read a JSONL file leniently: blank lines skipped, non-JSON / non-object / incomplete lines quarantined.

    Lines split as Python's text mode does (``\n``, ``\r\n``, a bare ``\r``) and are stripped with
    ``str.strip()``; a leading BOM is dropped. See :func:`read_jsonl_bytes` for how lines are checked.
    A line longer than ``max_line_bytes`` is quarantined with its size, found without reading it into memory.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(3)
            size = os.fstat(handle.fileno()).st_size
            if max_line_bytes is not None and size > max_line_bytes:
                with mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ) as view:
                    too_long = long_lines(view, 0, size, max_line_bytes)
                    if too_long:
                        return _read_around(view, too_long, schema, file_label, 1, max_line_bytes)
            plain = size > 0 and head != BOM.encode()[: len(head)] and not _contains_any(handle.fileno(), size)
    except OSError as exc:
        raise UnreadableInputError(f"{file_label}: cannot read ({exc.strerror or exc})") from exc
    if plain:
        try:
            lines = pl.read_csv(
                path, has_header=False, separator="\x00", quote_char=None, schema={"line": pl.Utf8}, encoding="utf8"
            ).to_series()
        except pl.exceptions.PolarsError:
            plain = False
        else:
            with _collector_paused():
                return _read_lines(lines.fill_null(""), None, schema, file_label, 1, whole=path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableInputError(f"{file_label}: cannot read ({exc.strerror or exc})") from exc
    return read_jsonl_bytes(data, schema, file_label)


def _read_around(
    buffer: bytes | mmap.mmap,
    too_long: list[tuple[int, int]],
    schema: InputSchema,
    file_label: str,
    first_line: int,
    limit: int,
    vectorised: bool = True,
) -> ReadResult:
    """Read the lines between the too-long ones (each range as :func:`read_jsonl_bytes` reads it) and quarantine
    every too-long line with its size; only the first 800 bytes of such a line are ever copied (its excerpt)."""
    results: list[ReadResult] = []
    items: list[ReportItem] = []
    line = first_line
    position = 0
    for start, end in [*too_long, (len(buffer), len(buffer))]:
        if start > position:
            part = read_jsonl_bytes(
                bytes(buffer[position:start]),
                schema,
                file_label,
                first_line=line,
                vectorised=vectorised,
                max_line_bytes=None,
            )
            results.append(part)
            line += part.lines
        if start == end == len(buffer):
            break
        excerpt = bytes(buffer[start : start + 4 * EXCERPT_CHARS]).decode("utf-8", "replace")
        items.append(ReportItem(file_label, line, line_too_long(end - start, limit), _excerpt(excerpt), "quarantined"))
        line += 1
        position = end + 1
    frames = [r.frame for r in results]
    frame = pl.concat(frames, how="vertical") if frames else empty_frame(schema)
    items.extend(i for r in results for i in r.items)
    items.sort(key=lambda i: i.line)
    return ReadResult(frame, items, sum(r.blank_lines for r in results), line - first_line)


def _contains_any(fileno: int, size: int) -> bool:
    """True when the file holds a CR or NUL byte (those files are split in Python, as text mode does)."""
    with mmap.mmap(fileno, size, access=mmap.ACCESS_READ) as view:
        return view.find(b"\r") >= 0 or view.find(b"\x00") >= 0


def split_lines(data: bytes) -> list[bytes]:
    """Python text-mode lines of ``data`` without their terminators (``\n``, ``\r\n`` or a bare ``\r``)."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the file ends with a terminator: no extra line
    return lines


def read_jsonl_bytes(
    data: bytes,
    schema: InputSchema,
    file_label: str,
    *,
    first_line: int = 1,
    vectorised: bool = True,
    max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES,
) -> ReadResult:
    """Read JSONL ``data`` whose first line is line ``first_line`` of the file (a BOM is dropped at line 1).

    Lines that Polars parses and whose declared fields have the declared JSON types are typed in one
    vectorised pass; every other line goes through the per-line path (:func:`_read_lines_one_by_one`),
    which gives the exact reasons (``vectorised=False`` sends every line there: the reference the property
    tests compare with). Out: the frame of ``schema.polars_schema()`` ordered by line.
    """
    if max_line_bytes is not None and len(data) > max_line_bytes:
        too_long = long_lines(data, 0, len(data), max_line_bytes)
        if too_long:
            return _read_around(data, too_long, schema, file_label, first_line, max_line_bytes, vectorised)
    with _collector_paused():
        if first_line == 1 and data.startswith(BOM.encode()):
            data = data[len(BOM.encode()) :]
        lines, bad_utf8 = _line_series(data)
        return _read_lines(lines, bad_utf8, schema, file_label, first_line, vectorised=vectorised)


def _line_series(data: bytes) -> tuple[pl.Series, pl.Series | None]:
    """Every line of ``data`` as Utf8, and which lines were not valid UTF-8 (None when all were; those lines
    are decoded with replacement characters, for the excerpt)."""
    if not data:
        return pl.Series("line", [], dtype=pl.Utf8), None
    if b"\r" not in data and b"\x00" not in data:
        try:
            frame = pl.read_csv(
                io.BytesIO(data),
                has_header=False,
                separator="\x00",
                quote_char=None,
                schema={"line": pl.Utf8},
                encoding="utf8",
            )
            return frame.to_series().fill_null(""), None
        except pl.exceptions.PolarsError:
            pass  # not UTF-8 somewhere: split in Python below
    raw = split_lines(data)
    binary = pl.Series("line", raw, dtype=pl.Binary)
    try:
        return binary.cast(pl.Utf8), None
    except pl.exceptions.PolarsError:
        texts: list[str] = []
        bad: list[bool] = []
        for chunk in raw:
            try:
                texts.append(chunk.decode("utf-8"))
                bad.append(False)
            except UnicodeDecodeError:
                texts.append(chunk.decode("utf-8", "replace"))
                bad.append(True)
        return pl.Series("line", texts, dtype=pl.Utf8), pl.Series("_bad_utf8", bad, dtype=pl.Boolean)


def _suspicious_patterns(schema: InputSchema) -> list[str]:
    """Regexes matching lines whose declared fields may not hold the declared JSON type, or whose text Polars
    might decode differently from Python (surrogate or ASCII escapes, control characters, joined objects)."""
    by_type: dict[str, list[str]] = {}
    for f in schema.fields:
        by_type.setdefault(f.type.value, []).append(f.name)
    value_starts = {
        FieldType.STR.value: r'[^"n \t]',
        FieldType.TIMESTAMP.value: r'[^"n \t]',
        # Polars parses decimals correctly rounded, as Python does (property-tested); only an integer part
        # of 18+ digits (past 64 bits, or past a float's range) is left to Python's exact rules.
        FieldType.FLOAT.value: r"(?:[^-0-9n \t]|-?[0-9]{18})",
        # an integer past 64 bits makes Polars refuse its chunk, which then takes the per-line path
        FieldType.INT.value: r"(?:[^-0-9n \t]|-?[0-9]*[.eE])",
        FieldType.BOOL.value: r"[^tfn \t]",
    }
    parts = [
        r"\\u00[0-7][0-9a-fA-F]",
        r"\}[ \t]*\{",
        f"(?:{LONG_DIGIT_RUN})",  # a possible integer past 64 bits anywhere (a cap): Python's exact check decides
    ]
    for type_name, names in by_type.items():
        if type_name not in value_starts:
            continue  # lists and objects are checked in Python after the decode (see _complex_columns)
        keys = "|".join(re.escape(n) for n in names)
        parts.append(rf'"(?:{keys})"[ \t]*:[ \t]*{value_starts[type_name]}')
    return ["|".join(parts[:3]), *parts[3:]]


NDJSON_CHUNK = 200_000
SURROGATE_ESCAPE = r"\\u[dD][89a-fA-F]"
SURROGATE_PAIR = r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"


def _lone_surrogates_not_candidates(numbered: pl.DataFrame) -> pl.DataFrame:
    """Lines with a surrogate escape stay candidates only when every one is half of a valid pair (an emoji
    as ``json.dumps`` writes it with ASCII escapes): Polars and Python decode those alike; a lone surrogate
    is not valid Unicode and takes the per-line path for its exact reason. Only the lines holding a
    surrogate escape are rewritten, so the usual file pays one ``contains`` and nothing more."""
    with_escape = numbered.filter(pl.col("_surrogate") & pl.col("_candidate")).select("_line", "line")
    # Escaped backslashes first (left to right, as JSON pairs them), so `\\ud83d` is not taken for an escape.
    unpaired = pl.col("line").str.replace_all(r"\\", "", literal=True).str.replace_all(SURROGATE_PAIR, "")
    lone = with_escape.filter(unpaired.str.contains(SURROGATE_ESCAPE))
    if lone.height == 0:
        return numbered
    return numbered.with_columns(pl.col("_candidate") & ~pl.col("_line").is_in(lone["_line"].implode()))


COMPLEX_TYPES = (FieldType.OBJECT, FieldType.STR_LIST, FieldType.CLAIMS)


def _ndjson_schema(schema: InputSchema) -> dict[str, pl.DataType]:
    types: dict[str, pl.DataType] = {}
    for f in schema.fields:
        if f.type not in COMPLEX_TYPES:
            types[f.name] = pl.Utf8() if f.type is FieldType.TIMESTAMP else POLARS_TYPES[f.type]
    return types


def _decode_fast(texts: pl.Series, schema: InputSchema) -> tuple[pl.DataFrame | None, list[int]]:
    """Decode candidate lines with Polars' NDJSON reader. Out: the decoded rows (positions that failed left
    out) and the positions in ``texts`` that Polars could not decode (they take the per-line path)."""
    target = _ndjson_schema(schema)
    frames: list[pl.DataFrame] = []
    failed: list[int] = []

    def decode(lo: int, hi: int) -> None:
        part = texts.slice(lo, hi - lo)
        payload = ("\n".join(part.to_list()) + "\n").encode() if hi - lo < 64 else None
        try:
            if payload is None:
                payload = (part.str.join("\n").item() + "\n").encode()
            frame = pl.read_ndjson(io.BytesIO(payload), schema=target)
            if frame.height != hi - lo:
                raise ValueError("row count differs")
        except (pl.exceptions.PolarsError, ValueError, OverflowError):
            if hi - lo <= 16:
                failed.extend(range(lo, hi))
                return
            step = max(16, (hi - lo + 7) // 8)
            for start in range(lo, hi, step):
                decode(start, min(hi, start + step))
            return
        frames.append(frame.with_columns(pl.int_range(lo, hi, dtype=pl.Int64).alias("_pos")))

    for start in range(0, len(texts), NDJSON_CHUNK):
        decode(start, min(len(texts), start + NDJSON_CHUNK))
    if not frames:
        return None, failed
    return pl.concat(frames, rechunk=False), failed


def _read_lines(
    lines: pl.Series,
    bad_utf8: pl.Series | None,
    schema: InputSchema,
    file_label: str,
    first_line: int,
    whole: Path | None = None,
    *,
    vectorised: bool = True,
) -> ReadResult:
    line = pl.col("line")
    checks = [~line.str.contains(pattern) for pattern in _suspicious_patterns(schema)]
    # More brackets than the nesting cap allows may be nested too deep: Python's exact check decides.
    shallow = line.str.count_matches(r"[\[{]") <= MAX_DEPTH
    candidate = pl.all_horizontal(line.str.starts_with("{"), line.str.ends_with("}"), shallow, *checks)
    if bad_utf8 is not None:
        candidate = candidate & ~pl.lit(bad_utf8)
    if not vectorised:
        candidate = pl.lit(False)
    # One select: Polars runs the independent checks in parallel.
    numbered = pl.DataFrame({"line": lines}).select(
        pl.int_range(first_line, first_line + len(lines), dtype=pl.Int64).alias("_line"),
        line,
        (pl.lit(bad_utf8) if bad_utf8 is not None else pl.lit(False)).alias("_bad_utf8"),
        candidate.fill_null(False).alias("_candidate"),
        line.str.contains(SURROGATE_ESCAPE).alias("_surrogate"),
    )
    if vectorised and numbered["_surrogate"].any():
        numbered = _lone_surrogates_not_candidates(numbered)
    numbered = numbered.drop("_surrogate")
    if numbered["_candidate"].all():  # the usual file: no copy of the text through a filter
        fast_rows = numbered.select("_line", pl.col("line").alias("text"))
        slow_rows = numbered.clear()
    else:
        fast_rows = numbered.filter(pl.col("_candidate")).select("_line", pl.col("line").alias("text"))
        slow_rows = numbered.filter(~pl.col("_candidate") & (pl.col("line") != ""))
    blank = len(lines) - fast_rows.height - slow_rows.height
    decoded: pl.DataFrame | None = None
    failed: list[int] = []
    if whole is not None and fast_rows.height and slow_rows.height == 0:
        try:  # every line is a clean candidate: Polars reads the file itself, no copy of the text
            decoded = pl.read_ndjson(whole, schema=_ndjson_schema(schema))
            if decoded.height != fast_rows.height:
                decoded = None
            else:
                decoded = decoded.with_columns(pl.int_range(0, decoded.height, dtype=pl.Int64).alias("_pos"))
        except (pl.exceptions.PolarsError, OverflowError):
            decoded = None
    if decoded is None and fast_rows.height:
        decoded, failed = _decode_fast(fast_rows["text"], schema)
    if failed:
        failed_rows = fast_rows[failed].select(
            "_line", pl.col("text").alias("line"), pl.lit(False).alias("_bad_utf8"), pl.lit(False).alias("_candidate")
        )
        slow_rows = pl.concat([slow_rows, failed_rows]).sort("_line")
    frames: list[pl.DataFrame] = []
    items: list[ReportItem] = []
    if decoded is not None and decoded.height:
        frame, fast_items = _type_decoded(decoded, fast_rows, schema, file_label)
        frames.append(frame)
        items.extend(fast_items)
    if slow_rows.height:
        frame, slow_items, slow_blank = _read_lines_one_by_one(slow_rows, schema, file_label)
        blank += slow_blank
        frames.append(frame)
        items.extend(slow_items)
    if not frames:
        typed = records_to_frame([], [], [], schema, file_label)[0]
    elif len(frames) == 1:
        typed = frames[0]
    else:
        typed = pl.concat(frames, how="vertical").sort("_line")
    typed, ts_items = finish_frame(typed, schema, file_label, "_raw" if schema.keep_raw else None)
    items.extend(ts_items)
    items.sort(key=lambda i: i.line)
    return ReadResult(typed, items, blank, len(lines))


def _type_decoded(
    decoded: pl.DataFrame, fast_rows: pl.DataFrame, schema: InputSchema, file_label: str
) -> tuple[pl.DataFrame, list[ReportItem]]:
    """Decoded candidate rows -> the loose typed frame of :func:`records_to_frame`; required fields checked."""
    positions = decoded["_pos"]
    source = fast_rows.select("_line", "text")
    if not (positions.len() == source.height and (positions == pl.int_range(0, source.height, eager=True)).all()):
        source = source[positions]
    columns: dict[str, pl.Series] = {"_line": source["_line"], "_text": source["text"]}
    frame = pl.DataFrame(columns)
    typed_columns = []
    for f in schema.fields:
        name = f"{f.name}_text" if f.type is FieldType.TIMESTAMP else f.name
        if f.type not in COMPLEX_TYPES:
            typed_columns.append(decoded[f.name].alias(name))
    frame = frame.with_columns(*typed_columns, pl.lit(None, pl.Utf8).alias("_flags"))
    items: list[ReportItem] = []
    if schema.required:
        first_missing = pl.lit(None, pl.Utf8)
        for name in reversed(schema.required):
            column = (
                f"{name}_text" if any(f.name == name and f.type is FieldType.TIMESTAMP for f in schema.fields) else name
            )
            value = pl.col(column)
            empty = value.is_null()
            if frame.schema[column] == pl.Utf8:
                empty = empty | (value == "")
            first_missing = pl.when(empty).then(pl.lit(name)).otherwise(first_missing)
        frame = frame.with_columns(first_missing.alias("_missing"))
        dropped = frame.filter(pl.col("_missing").is_not_null())
        for number, missing, text in dropped.select("_line", "_missing", "_text").iter_rows():
            items.append(
                ReportItem(file_label, number, f"missing required field '{missing}'", _excerpt(text), "quarantined")
            )
        frame = frame.filter(pl.col("_missing").is_null()).drop("_missing")
    complex_fields = [f for f in schema.fields if f.type in COMPLEX_TYPES]
    if complex_fields:
        frame, complex_items = _complex_columns(frame, complex_fields, file_label)
        items.extend(complex_items)
    loose = _loose_schema(schema)
    if schema.keep_raw:
        frame = frame.with_columns(pl.col("_text").alias("_raw"))
    return frame.select([pl.col(k).cast(v) for k, v in loose.items()]), items


def _complex_columns(
    frame: pl.DataFrame, fields: list[Field], file_label: str
) -> tuple[pl.DataFrame, list[ReportItem]]:
    """List and object fields of decoded rows, checked in Python exactly as the per-line path checks them.

    In: rows with ``_line`` and ``_text``. Out: the rows with one column per field (rows Python's JSON parser
    rejects are quarantined and dropped), and the flagged or quarantined items.
    """
    items: list[ReportItem] = []
    values: dict[str, list[Any]] = {f.name: [] for f in fields}
    flags: list[str | None] = []
    keep: list[bool] = []
    for number, text in frame.select("_line", "_text").iter_rows():
        record = _parse_record(text)
        if isinstance(record, str):
            items.append(ReportItem(file_label, number, record, _excerpt(text), "quarantined"))
            keep.append(False)
            continue
        keep.append(True)
        flagged: list[str] = []
        for f in fields:
            value = record.get(f.name)
            typed, ok = (None, True) if value is None else _CHECKS[f.type](value)
            if not ok:
                flagged.append(f.name)
                items.append(ReportItem(file_label, number, _problem(f.name, value, f.type), _excerpt(text), "flagged"))
            values[f.name].append(typed)
        flags.append(",".join(flagged) if flagged else None)
    if not all(keep):
        frame = frame.filter(pl.Series(keep, dtype=pl.Boolean))
    columns = []
    for f in fields:
        if f.type is FieldType.OBJECT:
            columns.append(pl.Series(f.name, values[f.name], dtype=pl.Utf8))
            continue
        texts = pl.Series(f.name, [None if v is None else orjson.dumps(v).decode() for v in values[f.name]], pl.Utf8)
        columns.append(texts.str.json_decode(POLARS_TYPES[f.type]) if len(texts) else texts.cast(POLARS_TYPES[f.type]))
    return frame.with_columns(*columns, pl.Series("_flags", flags, dtype=pl.Utf8)), items


def _read_lines_one_by_one(
    rows: pl.DataFrame, schema: InputSchema, file_label: str
) -> tuple[pl.DataFrame, list[ReportItem], int]:
    """The per-line path: exact reasons for lines that are not JSON objects, miss a required field or hold
    values of the wrong type. In: rows with ``_line``, ``line`` (null when not UTF-8) and ``text`` (stripped)."""
    items: list[ReportItem] = []
    frames: list[pl.DataFrame] = []
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    raws: list[str] = []
    required = _required_checks(schema)

    def flush() -> None:
        if records:
            frame, flagged = records_to_frame(records, numbers, raws, schema, file_label)
            frames.append(frame)
            items.extend(flagged)
            records.clear()
            numbers.clear()
            raws.clear()

    blank = 0
    for number, line, bad_utf8 in rows.select("_line", "line", "_bad_utf8").iter_rows():
        if bad_utf8:
            items.append(ReportItem(file_label, number, "not valid UTF-8", _excerpt(line), "quarantined"))
            continue
        text = line.strip()  # str.strip(): every Unicode whitespace, as OpenSRE strips a line
        if not text:
            blank += 1
            continue
        lead = len(line) - len(line.lstrip())
        trail = line[lead + len(text) :]
        # Error columns as today: counted in the line as stored, JSON whitespace after the record included.
        outcome = _parse_record(text, lead, trail if trail.strip(" \t") == "" else "")
        if isinstance(outcome, str):
            items.append(ReportItem(file_label, number, outcome, _excerpt(line), "quarantined"))
            continue
        problem = _required_problem(outcome, required) if required else None
        if problem is not None:
            items.append(ReportItem(file_label, number, problem, _excerpt(line), "quarantined"))
            continue
        records.append(outcome)
        numbers.append(number)
        raws.append(text)
        if len(records) >= JSONL_CHUNK_ROWS:
            flush()
    flush()
    frame = pl.concat(frames) if frames else records_to_frame([], [], [], schema, file_label)[0]
    return frame, items, blank


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


JSONL_CHUNK_ROWS = 100_000  # records typed per batch: bounds memory on the per-line path


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
