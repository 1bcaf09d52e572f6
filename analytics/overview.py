"""Small rules the Overview used to hold itself: how many weeks a trend shows for a range, and the worst severity of
a set of incidents (tested here, shared by the page and anything else that needs them)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from analytics.schemas import SEVERITIES
from analytics.windows import Window

MAX_TREND_WEEKS = 26


def trend_weeks(window: Window) -> int:
    """The ISO weeks a weekly chart shows for ``window``: the weeks the range touches (days / 7, rounded up, plus
    the partial current week), at least 2 and at most 26; 26 for "all"."""
    if window.length is None:
        return MAX_TREND_WEEKS
    return max(2, min(MAX_TREND_WEEKS, math.ceil(window.length.days / 7) + 1))


def worst_severity(values: Iterable[str | None]) -> str | None:
    """The most severe of ``values`` in the order P0, P1, P2, P3, INFO; an unknown label sorts after those (then by
    text); None when there is none."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    known = [str(v) for v in values if v is not None and str(v) != ""]
    if not known:
        return None
    return min(known, key=lambda v: (order.get(v, len(order)), v))
