"""The range of "now" the rules support, and date arithmetic that cannot overflow.

Every rule subtracts windows from ``now`` (up to 520 weeks, 3,660 days, 100 years of ``--window-days``)
and adds due dates to it; Python's ``datetime`` ends at years 1 and 9999. A pinned clock (``--now``,
the config's ``now``, ``sample.json``) and a ``--week`` must therefore lie in :data:`MIN_NOW` …
:data:`MAX_NOW`; a ``--since`` that reaches before year 1 means "since the beginning".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MIN_NOW = datetime(1900, 1, 1, tzinfo=UTC)
MAX_NOW = datetime(9000, 12, 31, 23, 59, 59, tzinfo=UTC)
EARLIEST = datetime.min.replace(tzinfo=UTC)
MAX_WINDOW_DAYS = 36_500  # 100 years: the longest --window-days the CLI accepts


class ClockRangeError(ValueError):
    """A clock or week outside the supported range; the message names the option."""


def supported_range() -> str:
    return f"{MIN_NOW.date().isoformat()} … {MAX_NOW.date().isoformat()}"


def check_now(moment: datetime, what: str) -> datetime:
    """``moment`` when it lies in the supported range; :class:`ClockRangeError` naming ``what`` otherwise."""
    if not MIN_NOW <= moment <= MAX_NOW:
        raise ClockRangeError(f"{what}: {moment.date().isoformat()} is outside the supported range {supported_range()}")
    return moment


def before(moment: datetime, delta: timedelta) -> datetime:
    """``moment - delta``, or the earliest representable instant when that falls before year 1."""
    try:
        return moment - delta
    except OverflowError:
        return EARLIEST
