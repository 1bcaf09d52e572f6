"""The Overview's small rules, by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.overview import trend_weeks, worst_severity
from analytics.windows import window

NOW = datetime(2026, 11, 16, 9, tzinfo=UTC)


def test_trend_weeks_for_each_range() -> None:
    assert trend_weeks(window("7d", NOW)) == 2  # ceil(7/7) + 1
    assert trend_weeks(window("30d", NOW)) == 6  # ceil(30/7)=5, + 1
    assert trend_weeks(window("24h", NOW)) == 2  # at least 2
    assert trend_weeks(window("all", NOW)) == 26


def test_worst_severity_orders_p0_first_and_unknown_last() -> None:
    assert worst_severity(["P2", "P1", None, "INFO"]) == "P1"
    assert worst_severity(["SEV-9", "P3"]) == "P3"
    assert worst_severity(["zeta", "alpha"]) == "alpha"
    assert worst_severity([None, ""]) is None
