"""Timestamp parsing shared by every reader: ISO-8601 text (naive = UTC) and epoch numbers.

One vectorised Polars expression does the work for whole columns; ``parse_timestamp`` is the
plain-Python reference of the same rule (used for single values such as ``--now`` and by the
property tests that keep the two in step).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl

from analytics.clock import check_now, supported_range

UTC_DATETIME = pl.Datetime("us", "UTC")

# Epoch values above this are milliseconds (DATA.md: "a value above 1e11 is milliseconds").
EPOCH_MS_THRESHOLD = 1e11

# date, optional time (HH:MM[:SS[.frac]]), optional offset (Z, ±HH, ±HHMM, ±HH:MM).
_ISO_PATTERN = (
    r"^(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}:\d{2})(:\d{2})?(?:[.,](\d{1,9}))?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_ISO_RE = re.compile(_ISO_PATTERN)
_NUMERIC_PATTERN = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_NUMERIC_RE = re.compile(_NUMERIC_PATTERN)


def _normalise_offset(offset: str | None) -> str:
    if offset is None or offset in ("Z", "z"):
        return "+00:00"
    digits = offset[1:].replace(":", "")
    if len(digits) == 2:
        digits += "00"
    return f"{offset[0]}{digits[:2]}:{digits[2:]}"


def epoch_to_datetime(value: float) -> datetime | None:
    """Epoch seconds (or milliseconds above 1e11) to an aware UTC datetime; None when out of range."""
    seconds = value / 1000.0 if abs(value) > EPOCH_MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_timestamp(value: object, *, allow_epoch: bool = False) -> datetime | None:
    """Parse one stored timestamp the way the readers do; None when it does not parse.

    Accepts ISO-8601 dates and date-times (``T`` or space separator, optional fraction, offset ``Z`` or
    ``±HH[:MM]``; no offset means UTC). With ``allow_epoch``, numbers and numeric strings are epoch
    seconds, or milliseconds when above 1e11.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if not allow_epoch or value != value:  # NaN
            return None
        return epoch_to_datetime(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if allow_epoch and _NUMERIC_RE.match(text):
        return epoch_to_datetime(float(text))
    match = _ISO_RE.match(text)
    if match is None:
        return None
    date_part, hour_minute, seconds, fraction, offset = match.groups()
    iso = f"{date_part}T{hour_minute or '00:00'}{seconds or ':00'}"
    if fraction:
        iso += "." + (fraction + "000000")[:6]
    try:
        return datetime.fromisoformat(iso + _normalise_offset(offset)).astimezone(UTC)
    except ValueError:
        return None


def parse_timestamp_expr(column: str, *, allow_epoch: bool = False) -> pl.Expr:
    """Vectorised twin of :func:`parse_timestamp` for a text column; returns ``Datetime[us, UTC]``.

    Input: a Utf8 column of stored timestamp text. Output: the parsed instant, null when it does not parse.
    """
    text = pl.col(column).str.strip_chars()
    parts = text.str.extract_groups(_ISO_PATTERN)
    fraction = parts.struct.field("4")
    offset = parts.struct.field("5")
    offset_digits = offset.str.slice(1).str.replace_all(":", "")
    offset_digits = pl.when(offset_digits.str.len_chars() == 2).then(offset_digits + "00").otherwise(offset_digits)
    normalised_offset = (
        pl.when(offset.is_null() | offset.is_in(["Z", "z"]))
        .then(pl.lit("+00:00"))
        .otherwise(
            pl.concat_str(
                [
                    offset.str.slice(0, 1),
                    offset_digits.str.slice(0, 2),
                    pl.lit(":"),
                    offset_digits.str.slice(2, 2),
                ]
            )
        )
    )
    iso = pl.concat_str(
        [
            parts.struct.field("1"),
            pl.lit("T"),
            parts.struct.field("2").fill_null("00:00"),
            parts.struct.field("3").fill_null(":00"),
            pl.when(fraction.is_not_null())
            .then(pl.lit(".") + (fraction + "000000").str.slice(0, 6))
            .otherwise(pl.lit("")),
            normalised_offset,
        ]
    )
    parsed = iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC", time_unit="us")
    # chrono accepts a leap second (:60); Python's datetime, the reference, does not.
    parsed = pl.when(parts.struct.field("3") == ":60").then(pl.lit(None, dtype=UTC_DATETIME)).otherwise(parsed)
    if not allow_epoch:
        return parsed
    number = pl.when(text.str.contains(_NUMERIC_PATTERN)).then(text.cast(pl.Float64, strict=False))
    seconds = pl.when(number.abs() > EPOCH_MS_THRESHOLD).then(number / 1000.0).otherwise(number)
    # Out-of-range epochs would overflow the microsecond cast: keep them null (unparseable) instead.
    in_range = seconds.abs() < 9.0e12
    epoch = pl.when(in_range).then((seconds * 1_000_000).round(0).cast(pl.Int64, strict=False))
    return pl.coalesce([epoch.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), parsed])


_FAST_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.fZ")


def parse_timestamp_series(texts: pl.Series, *, allow_epoch: bool = False) -> pl.Series:
    """:func:`parse_timestamp_expr` for a whole column, faster: the two layouts that real files use almost
    exclusively (``…+00:00`` and ``…Z``) go through one native parse each, and only what is left takes the
    general path. A leap second (``:60``) always takes the general path, which rejects it as Python does.
    Out: ``Datetime[us, UTC]``, null where the text does not parse.
    """
    name = texts.name
    leap = texts.str.contains(":60", literal=True).fill_null(False)
    parsed = texts.str.to_datetime(_FAST_FORMATS[0], strict=False, time_zone="UTC", time_unit="us")
    for layout in _FAST_FORMATS[1:]:
        missing = parsed.is_null() & texts.is_not_null()
        if not missing.any():
            break
        indices = missing.arg_true()
        again = texts.gather(indices).str.to_datetime(layout, strict=False, time_zone="UTC", time_unit="us")
        parsed = parsed.scatter(indices, again)
    rest = (texts.is_not_null() & (parsed.is_null() | leap)).fill_null(False)
    if rest.any():
        indices = rest.arg_true()
        general = (
            pl.DataFrame({"t": texts.gather(indices)})
            .select(parse_timestamp_expr("t", allow_epoch=allow_epoch))
            .to_series()
        )
        parsed = parsed.scatter(indices, general)
    return parsed.alias(name)


def parse_cli_time(value: str, what: str = "--now") -> datetime:
    """Parse a ``--now``-style ISO value inside the supported clock range.

    Raises ValueError naming ``what`` and the bad text (unparsable, or outside
    :func:`analytics.clock.supported_range`).
    """
    try:
        parsed = parse_timestamp(value)
    except (OverflowError, ValueError):  # a date that leaves Python's range after its offset
        raise ValueError(f"{what}: {value!r} is outside the supported range {supported_range()}") from None
    if parsed is None:
        raise ValueError(f"{what}: not an ISO-8601 timestamp: {value!r}")
    return check_now(parsed, what)


def format_utc(moment: datetime) -> str:
    """ISO text with a ``+00:00`` offset, seconds precision unless there are microseconds."""
    return moment.astimezone(UTC).isoformat()
