"""JSON Lines, read as OpenSRE reads them, at Polars speed.

Lines split as Python's text mode does; the lines whose declared fields hold the declared JSON types are decoded by
Polars in one pass, every other line takes the per-line path that gives the exact reason
(:func:`_read_lines_one_by_one`); property tests hold both paths to the same frame and report. Caps
(:mod:`triage_lens.sources.limits`) apply on both.
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from analytics.schemas import POLARS_TYPES, Field, FieldType, InputSchema
from triage_lens.sources.limits import DEFAULT_MAX_LINE_BYTES, MAX_DEPTH, line_too_long, long_lines
from triage_lens.sources.records import (
    _CHECKS,
    _collector_paused,
    _loose_schema,
    _parse_record,
    _problem,
    _required_checks,
    _required_problem,
    empty_frame,
    finish_frame,
    records_to_frame,
)
from triage_lens.sources.report import BOM, EXCERPT_CHARS, ReadResult, ReportItem, UnreadableInputError, _excerpt


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
                        return _read_around(view, too_long, schema, file_label, 1, max_line_bytes, byte_offset=0)
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
                return _read_lines(lines.fill_null(""), None, schema, file_label, 1, whole=path, offset_base=0)
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
    byte_offset: int | None = None,
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
                byte_offset=None if byte_offset is None else byte_offset + position,
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
    offsets = [r.offsets for r in results]
    known = pl.concat([o for o in offsets if o is not None]) if all(o is not None for o in offsets) else None
    return ReadResult(frame, items, sum(r.blank_lines for r in results), line - first_line, known)


def too_long_line(
    fileno: int, start: int, end: int, line: int, file_label: str, limit: int, schema: InputSchema
) -> ReadResult:
    """The result of one line over the cap: quarantined with its size; only its first bytes are read (with
    ``pread``, so threads reading other blocks of the same file never move a shared position)."""
    excerpt = os.pread(fileno, min(end - start, 4 * EXCERPT_CHARS), start).decode("utf-8", "replace")
    item = ReportItem(file_label, line, line_too_long(end - start, limit), _excerpt(excerpt), "quarantined")
    return ReadResult(
        empty_frame(schema),
        [item],
        0,
        1,
        pl.DataFrame(schema={"_line": pl.Int64, "_offset": pl.Int64, "_len": pl.Int64}),
    )


def _contains_any(fileno: int, size: int) -> bool:
    """True when the file holds a CR or NUL byte (those files are split in Python, as text mode does)."""
    with mmap.mmap(fileno, size, access=mmap.ACCESS_READ) as view:
        return view.find(b"\r") >= 0 or view.find(b"\x00") >= 0


def line_count(data: bytes) -> int:
    """How many lines :func:`read_jsonl_bytes` reads in ``data`` (Python text-mode lines: ``\n``, ``\r\n`` or a
    bare ``\r`` ends one; a last line without a terminator counts)."""
    if b"\r" in data:
        return len(split_lines(data))
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


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
    byte_offset: int | None = None,
    numbering: Callable[[int], int] | None = None,
) -> ReadResult:
    """Read JSONL ``data`` whose first line is line ``first_line`` of the file (a BOM is dropped at line 1);
    ``byte_offset``, where ``data`` starts in the file, makes the result carry each record's offsets.
    ``numbering``, when given, is called once with the number of lines in ``data`` as soon as they are split and
    returns the real number of its first line (``first_line`` then only says whether ``data`` starts the file):
    blocks read in parallel learn their numbers from the blocks before them without counting twice.

    Lines that Polars parses and whose declared fields have the declared JSON types are typed in one
    vectorised pass; every other line goes through the per-line path (:func:`_read_lines_one_by_one`),
    which gives the exact reasons (``vectorised=False`` sends every line there: the reference the property
    tests compare with). Out: the frame of ``schema.polars_schema()`` ordered by line.
    """
    if max_line_bytes is not None and len(data) > max_line_bytes:
        too_long = long_lines(data, 0, len(data), max_line_bytes)
        if too_long:
            if numbering is not None:
                first_line = numbering(line_count(data))
            return _read_around(data, too_long, schema, file_label, first_line, max_line_bytes, vectorised, byte_offset)
    with _collector_paused():
        if first_line == 1 and data.startswith(BOM.encode()):
            data = data[len(BOM.encode()) :]
            byte_offset = None if byte_offset is None else byte_offset + len(BOM.encode())
        lines, bad_utf8 = _line_series(data)
        if numbering is not None:
            first_line = numbering(len(lines))
        # Offsets hold only where lines end with "\n" alone and every line decoded as UTF-8 as it is stored.
        base = byte_offset if b"\r" not in data and bad_utf8 is None else None
        return _read_lines(
            lines,
            bad_utf8,
            schema,
            file_label,
            first_line,
            whole=data if base is not None else None,  # every line a candidate: Polars decodes the bytes as they are
            vectorised=vectorised,
            offset_base=base,
        )


def _line_series(data: bytes) -> tuple[pl.Series, pl.Series | None]:
    """Every line of ``data`` as Utf8, and which lines were not valid UTF-8 (None when all were; those lines
    are decoded with replacement characters, for the excerpt)."""
    if not data:
        return pl.Series("line", [], dtype=pl.Utf8), None
    if b"\r" not in data and b"\x00" not in data:
        try:
            frame = pl.read_csv(
                data,  # bytes as they are: a BytesIO would be copied once more
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
    # What a value other than the declared type (or null) starts with, as positive ASCII classes: every valid JSON
    # value starts with one of `"`, `-`, a digit, `t`, `f`, `n`, `[` or `{` (anything else fails Polars' decode and
    # takes the per-line path), and the regex engine walks positive ASCII classes about 15 % faster than negated
    # Unicode ones. A superset is enough: Python's exact check decides every line matched.
    value_starts = {
        FieldType.STR.value: r"[-0-9tf\[{]",
        FieldType.TIMESTAMP.value: r"[-0-9tf\[{]",
        # Polars parses decimals correctly rounded, as Python does (property-tested); only an integer part
        # of 18+ digits (past 64 bits, or past a float's range) is left to Python's exact rules.
        FieldType.FLOAT.value: r'(?:[tf"\[{]|-?[0-9]{18})',
        # an integer past 64 bits makes Polars refuse its chunk, which then takes the per-line path
        FieldType.INT.value: r'(?:[tf"\[{]|-?[0-9]*[.eE])',
        FieldType.BOOL.value: r'[-0-9"\[{]',
    }
    parts = [
        r"\\u00[0-7][0-9a-fA-F]",
        r"\}[ \t]*\{",
        # A possible integer past 64 bits anywhere (a cap; Python's exact check decides): LONG_DIGIT_RUN's start
        # without its line ends (a candidate line starts with "{" and holds no line break) and without its
        # last character (a float's long integer part is matched too, and left to Python).
        r"[:,\[ \t]-?(?:[0-9]{20}|9[0-9]{18})",
    ]
    for type_name, names in by_type.items():
        if type_name not in value_starts:
            continue  # lists and objects are checked in Python after the decode (see _complex_columns)
        keys = "|".join(re.escape(n) for n in names)
        parts.append(rf'"(?:{keys})"[ \t]*:[ \t]*{value_starts[type_name]}')
    # One alternation: a single pass of the regex automaton over the text (measured 2.5x faster than one pass
    # per pattern on 300k real-shaped lines).
    return ["|".join(f"(?:{part})" for part in parts)]


NDJSON_CHUNK = 200_000


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
            frame = pl.read_ndjson(payload, schema=target)
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


def _without_lone_surrogates(decoded: pl.DataFrame, surrogate: pl.Series) -> tuple[pl.DataFrame, list[int]]:
    """Decoded rows whose text fields Polars may have decoded differently from Python, left out (their ``_pos``
    returned: they take the per-line path). A lone surrogate escape (``\\ud83d`` alone) is not valid Unicode:
    Python flags the field, while Polars either refuses the chunk (a low surrogate first, or a high one
    before another escape) or writes U+0000 in its place (a high one before anything else). U+0000 in a
    decoded text is therefore the sign, whatever the layout of the escapes around it (a real ``\\u0000``
    escape already took the per-line path). Only rows whose line holds ``\\ud``/``\\uD`` (``surrogate``,
    by position in the candidate rows) are looked at: a literal search over the lines, then the short decoded
    values of those rows alone."""
    if not surrogate.any():
        return decoded, []
    texts = [name for name, dtype in decoded.schema.items() if dtype == pl.Utf8]
    suspects = decoded.select(*texts, "_pos").filter(surrogate.gather(decoded["_pos"]))  # text columns only
    if not texts or suspects.height == 0:
        return decoded, []
    nul = pl.any_horizontal([pl.col(name).str.contains("\x00", literal=True) for name in texts]).fill_null(False)
    flagged = suspects.filter(nul)["_pos"]
    if flagged.is_empty():
        return decoded, []
    return decoded.filter(~pl.col("_pos").is_in(flagged.implode())), flagged.to_list()


def _read_lines(
    lines: pl.Series,
    bad_utf8: pl.Series | None,
    schema: InputSchema,
    file_label: str,
    first_line: int,
    whole: Path | bytes | None = None,
    *,
    vectorised: bool = True,
    offset_base: int | None = None,
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
        (line.str.contains("\\ud", literal=True) | line.str.contains("\\uD", literal=True)).alias("_surrogate"),
    )
    if numbered["_candidate"].all():  # the usual file: no copy of the text through a filter
        fast_rows = numbered.select("_line", pl.col("line").alias("text"), "_surrogate")
        slow_rows = numbered.drop("_surrogate").clear()
    else:
        fast_rows = numbered.filter(pl.col("_candidate")).select("_line", pl.col("line").alias("text"), "_surrogate")
        slow_rows = numbered.filter(~pl.col("_candidate") & (pl.col("line") != "")).drop("_surrogate")
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
    if decoded is not None and decoded.height:
        decoded, undecodable = _without_lone_surrogates(decoded, fast_rows["_surrogate"])
        failed = sorted(failed + undecodable) if undecodable else failed
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
    offsets = None
    if offset_base is not None:
        # A candidate's stored text is its whole line (it starts with "{" and ends with "}"), at the line's start.
        size = pl.col("line").str.len_bytes().cast(pl.Int64)
        starts = pl.DataFrame({"line": lines}).select(
            pl.int_range(first_line, first_line + len(lines), dtype=pl.Int64).alias("_line"),
            (size + 1).cum_sum().shift(1, fill_value=0).add(offset_base).alias("_offset"),
            size.alias("_len"),
        )
        every_line = fast_rows.height == len(lines)  # the usual block: no join needed
        offsets = starts if every_line else starts.join(fast_rows.select("_line"), on="_line", how="semi")
    return ReadResult(typed, items, blank, len(lines), offsets)


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


JSONL_CHUNK_ROWS = 100_000  # records typed per batch: bounds memory on the per-line path
