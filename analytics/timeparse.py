"""Timestamp parsing shared by every reader: ISO-8601 text (naive = UTC) and epoch numbers.

The rule is Python's own (DATA.md general rules): a text parses when ``datetime.fromisoformat`` accepts
it (every form it accepts: ``2026-06-09T09``, ``20260609T090000Z``, week dates ``2026-W23-2``, any
one-character date/time separator), a value without an offset is UTC, and an instant that leaves
Python's range once moved to UTC (``9999-12-31T23:59:59-05:00``) does not parse. ``parse_timestamp`` is
that rule for one value; ``parse_timestamp_series`` is its vectorised twin: the layout real files use
(``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)``) goes through one native Polars parse, and every other
distinct text goes through ``parse_timestamp`` itself, so the two agree by construction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl

from analytics.clock import check_now, supported_range

UTC_DATETIME = pl.Datetime("us", "UTC")

# Epoch values above this are milliseconds (DATA.md: "a value above 1e11 is milliseconds").
EPOCH_MS_THRESHOLD = 1e11

_NUMERIC_PATTERN = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_NUMERIC_RE = re.compile(_NUMERIC_PATTERN, re.ASCII)

# Python's datetime range as UTC instants.
PY_MIN = datetime(1, 1, 1, tzinfo=UTC)
PY_MAX = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_MIN_EPOCH_SECONDS = -62135596800  # PY_MIN.timestamp()
_MAX_EPOCH_SECONDS = 253402300799  # PY_MAX.timestamp(), whole seconds

# The layout of nearly every stored value; a subset of what fromisoformat accepts and parsed identically
# by Polars (no year 0000, no leap second, hours 0-23, offsets under 24 h). Everything else is parsed by Python.
_FAST_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
_INTEGER_PATTERN = r"^[+-]?[0-9]{1,15}$"


def epoch_to_datetime(value: float) -> datetime | None:
    """Epoch seconds (or milliseconds above 1e11) to an aware UTC datetime; None when out of range."""
    if value != value:  # NaN
        return None
    seconds = value / 1000.0 if abs(value) > EPOCH_MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso(text: str) -> datetime | None:
    """``datetime.fromisoformat`` as OpenSRE calls it, naive meaning UTC; None when it does not parse or
    the instant leaves Python's range after its offset."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def parse_timestamp(value: object, *, allow_epoch: bool = False) -> datetime | None:
    """Parse one stored timestamp the way the readers do; None when it does not parse.

    Text parses as :func:`parse_iso` does. With ``allow_epoch``, numbers and numeric strings (surrounding
    whitespace allowed) are epoch seconds, or milliseconds when above 1e11.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if not allow_epoch:
            return None
        try:
            return epoch_to_datetime(float(value))
        except OverflowError:  # an int too large for a float
            return None
    if not isinstance(value, str):
        return None
    if allow_epoch:
        stripped = value.strip()
        if _NUMERIC_RE.match(stripped):
            return epoch_to_datetime(float(stripped))
    return parse_iso(value)


def _in_python_range(parsed: pl.Series) -> pl.Series:
    lo = pl.lit(PY_MIN, dtype=UTC_DATETIME)
    hi = pl.lit(PY_MAX, dtype=UTC_DATETIME)
    frame = pl.DataFrame({"p": parsed})
    return frame.select(
        pl.when(pl.col("p").is_between(lo, hi)).then(pl.col("p")).otherwise(pl.lit(None, UTC_DATETIME))
    ).to_series()


_FAST_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"


def _parse_fast_layout(texts: pl.Series) -> pl.Series:
    """Texts of the fast layout (``_FAST_PATTERN``) as UTC instants, by the cheapest exact path Polars has:
    ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`` all of one length (what Python's ``isoformat`` writes for UTC) as
    whole seconds plus the microsecond digits (a quarter of the time of a ``%z`` parse); other values ending
    ``+00:00`` as naive text without the offset; ``Z`` and other offsets through ``%z``. Unique values: no
    parse cache."""
    utc = texts.str.ends_with("+00:00")
    if utc.all():
        lengths = texts.str.len_bytes()
        if lengths.min() == lengths.max() and lengths[0] in (25, 32):
            seconds = texts.str.head(19).str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us", cache=False)
            if lengths[0] == 32:
                micros = texts.str.slice(20, 6).cast(pl.Int64).cast(pl.Duration("us"))
                seconds = seconds + micros
            return seconds.dt.replace_time_zone("UTC")
        naive = texts.str.head(-6).str.to_datetime(_FAST_FORMAT, strict=False, time_unit="us", cache=False)
        return naive.dt.replace_time_zone("UTC")
    zulu = texts.str.ends_with("Z")
    normalised = pl.select(
        pl.when(pl.lit(zulu)).then(pl.lit(texts).str.head(-1) + "+00:00").otherwise(pl.lit(texts))
    ).to_series()
    return normalised.str.to_datetime(f"{_FAST_FORMAT}%z", strict=False, time_zone="UTC", time_unit="us", cache=False)


def parse_timestamp_series(texts: pl.Series, *, allow_epoch: bool = False) -> pl.Series:
    """Vectorised :func:`parse_timestamp` for a Utf8 column of stored timestamp text.

    In: Utf8 values (null allowed). Out: ``Datetime[us, UTC]`` of the same length and name, null where the
    text does not parse. The usual layouts are parsed natively; every other distinct value by Python.
    """
    name = texts.name
    texts = texts.cast(pl.Utf8)
    parsed = pl.repeat(None, len(texts), dtype=UTC_DATETIME, eager=True).alias(name)
    if len(texts) == 0:
        return parsed
    done = pl.repeat(False, len(texts), dtype=pl.Boolean, eager=True)
    fast = texts.str.contains(_FAST_PATTERN).fill_null(False) & ~texts.str.starts_with("0000").fill_null(False)
    if allow_epoch:
        fast = fast & texts.is_not_null()
    if fast.all():  # the usual column: no gather and scatter
        parsed = _in_python_range(_parse_fast_layout(texts))
        done = fast
    elif fast.any():
        indices = fast.arg_true()
        parsed = parsed.scatter(indices, _in_python_range(_parse_fast_layout(texts.gather(indices))))
        done = done.scatter(indices, True)
    if allow_epoch:
        whole = (~done & texts.str.contains(_INTEGER_PATTERN).fill_null(False)).fill_null(False)
        if whole.any():
            indices = whole.arg_true()
            numbers = texts.gather(indices).cast(pl.Int64, strict=False)
            micros = pl.select(
                pl.when(pl.lit(numbers).abs() > EPOCH_MS_THRESHOLD)
                .then(pl.lit(numbers) * 1_000)
                .otherwise(pl.lit(numbers) * 1_000_000)
            ).to_series()
            moments = micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
            parsed = parsed.scatter(indices, _in_python_range(moments))
            done = done.scatter(indices, True)
    rest = (~done & texts.is_not_null()).fill_null(False)
    if rest.any():
        indices = rest.arg_true()
        others = texts.gather(indices)
        distinct = others.unique().to_list()
        mapping = pl.DataFrame(
            {"t": distinct, "p": [parse_timestamp(v, allow_epoch=allow_epoch) for v in distinct]},
            schema={"t": pl.Utf8, "p": UTC_DATETIME},
        )
        looked_up = pl.DataFrame({"t": others}).join(mapping, on="t", how="left", maintain_order="left")["p"]
        parsed = parsed.scatter(indices, looked_up)
    return parsed.alias(name)


def parse_timestamp_expr(column: str, *, allow_epoch: bool = False) -> pl.Expr:
    """:func:`parse_timestamp_series` as an expression on a Utf8 column; returns ``Datetime[us, UTC]``."""
    return pl.col(column).map_batches(
        lambda s: parse_timestamp_series(s, allow_epoch=allow_epoch), return_dtype=UTC_DATETIME
    )


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
        if is_iso_out_of_range(value):
            raise ValueError(f"{what}: {value!r} is outside the supported range {supported_range()}")
        raise ValueError(f"{what}: not an ISO-8601 timestamp: {value!r}")
    return check_now(parsed, what)


def is_iso_out_of_range(value: str) -> bool:
    """True for valid ISO text whose instant leaves Python's range after its offset
    (``9999-12-31T23:59:59-05:00``): :func:`parse_timestamp` returns None for it, as for garbage."""
    try:
        datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError):
        return False
    return True


def format_utc(moment: datetime) -> str:
    """ISO text with a ``+00:00`` offset, seconds precision unless there are microseconds."""
    return moment.astimezone(UTC).isoformat()
