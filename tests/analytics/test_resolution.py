"""Time to resolve / acknowledge: hand-computed percentiles, periods and weeks; a property test against the
plain-Python percentile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.resolution import by_service, by_week, durations, percentile_reference
from analytics.timeparse import UTC_DATETIME

NOW = datetime(2024, 3, 31, 12, 0, tzinfo=UTC)  # a Sunday


def incidents(rows: list[tuple[str, str, datetime, datetime | None, str | None]]) -> pl.LazyFrame:
    """(id, service, started_at, ended_at, labels JSON)."""
    return pl.LazyFrame(
        {
            "id": [r[0] for r in rows],
            "service": [r[1] for r in rows],
            "started_at": [r[2] for r in rows],
            "ended_at": [r[3] for r in rows],
            "labels": [r[4] for r in rows],
        },
        schema={
            "id": pl.Utf8,
            "service": pl.Utf8,
            "started_at": UTC_DATETIME,
            "ended_at": UTC_DATETIME,
            "labels": pl.Utf8,
        },
    )


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def test_durations_in_minutes_with_acknowledgement_from_labels() -> None:
    frame = incidents(
        [
            ("a", "api", at(25, 10), at(25, 11, 30), '{"acknowledged_at": "2024-03-25T12:05:00+02:00"}'),
            ("b", "api", at(26, 10), None, None),
            ("c", "db", at(27, 10), at(27, 9), '{"acknowledged_at": "not a time"}'),  # end before start
        ]
    )
    out = durations(frame).collect()
    assert out.select("id", "week", "resolve_minutes", "ack_minutes").rows() == [
        ("a", datetime(2024, 3, 25).date(), 90.0, 5.0),
        ("b", datetime(2024, 3, 25).date(), None, None),
        ("c", datetime(2024, 3, 25).date(), None, None),
    ]


def test_p50_p90_per_service_against_the_previous_period() -> None:
    rows = []
    # this week (24, 31]: api resolves in 10, 20, 30, 40, 100 minutes
    for i, minutes in enumerate([10, 20, 30, 40, 100]):
        rows.append((f"a{i}", "api", at(25 + i), at(25 + i) + timedelta(minutes=minutes), None))
    # the week before (17, 24]: api 60 and 80 minutes; db only there
    rows.append(("p1", "api", at(18), at(18) + timedelta(minutes=60), None))
    rows.append(("p2", "api", at(20), at(20) + timedelta(minutes=80), None))
    rows.append(("d1", "db", at(19), at(19) + timedelta(minutes=5), None))
    table = by_service(durations(incidents(rows)), "resolve_minutes", start=NOW - timedelta(days=7), end=NOW)
    # sorted 10 20 30 40 100: p50 = 30; p90 at position 3.6 = 40 + 0.6 × 60 = 76
    # previous 60 80: p50 = 70, p90 at 0.9 = 60 + 0.9 × 20 = 78
    assert table.collect().rows() == [("api", 5, 30.0, 76.0, 2, 70.0, 78.0, -40.0, -2.0)]


def test_all_time_has_no_previous_period() -> None:
    rows = [("a", "api", at(25), at(25) + timedelta(minutes=10), None)]
    table = by_service(durations(incidents(rows)), "resolve_minutes", start=None, end=NOW).collect()
    assert table.rows() == [("api", 1, 10.0, 10.0, None, None, None, None, None)]


def test_weekly_percentiles_with_change_against_the_week_before() -> None:
    rows = [
        ("w1a", "api", at(11, 9), None, '{"acknowledged_at": "2024-03-11T09:04:00Z"}'),
        ("w1b", "db", at(12, 9), None, '{"acknowledged_at": "2024-03-12T09:10:00Z"}'),
        # week of 18 March: nothing acknowledged
        ("w3a", "api", at(25, 9), None, '{"acknowledged_at": "2024-03-25T09:02:00Z"}'),
        ("w3b", "api", at(26, 9), None, '{"acknowledged_at": "2024-03-26T09:03:00Z"}'),
        ("w3c", "api", at(27, 9), None, '{"acknowledged_at": "2024-03-27T09:30:00Z"}'),
    ]
    weeks = by_week(durations(incidents(rows)), "ack_minutes", start=None, end=NOW).collect()
    d = datetime(2024, 3, 1).date()
    assert weeks.rows() == [
        # 2, 3, 30: p50 3, p90 at 1.8 = 3 + 0.8 × 27 = 24.6; the week before had none
        (d.replace(day=25), 3, 3.0, pytest.approx(24.6), None, None, None, None),
        # 4, 10: p50 7, p90 4 + 0.9 × 6 = 9.4
        (d.replace(day=11), 2, 7.0, pytest.approx(9.4), None, None, None, None),
    ]
    again = rows + [("w2a", "api", at(19, 9), None, '{"acknowledged_at": "2024-03-19T09:20:00Z"}')]
    weeks = by_week(durations(incidents(again)), "ack_minutes", start=at(18), end=NOW).collect()
    assert [(w, p50, c50) for w, _, p50, _, _, _, c50, _ in weeks.rows()] == [
        (d.replace(day=25), 3.0, -17.0),
        (d.replace(day=18), 20.0, 13.0),  # the week of 11 March is before the range but still the baseline
    ]


def test_percentile_reference_by_hand() -> None:
    assert percentile_reference([], 0.5) is None
    assert percentile_reference([7.0], 0.9) == 7.0
    assert percentile_reference([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile_reference([40.0, 10.0, 100.0, 20.0, 30.0], 0.9) == pytest.approx(76.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["api", "db", "web"]), st.integers(min_value=0, max_value=60 * 24 * 10)),
        min_size=1,
        max_size=40,
    )
)
def test_per_service_percentiles_match_the_plain_python_reference(items: list[tuple[str, int]]) -> None:
    start = at(1)
    rows = [
        (f"i{n}", service, start + timedelta(hours=n), start + timedelta(hours=n, minutes=minutes), None)
        for n, (service, minutes) in enumerate(items)
    ]
    table = by_service(durations(incidents(rows)), "resolve_minutes", start=None, end=at(31)).collect()
    for service, n, p50, p90, *_ in table.rows():
        values = [float(m) for s, m in items if s == service]
        assert n == len(values)
        assert p50 == pytest.approx(percentile_reference(values, 0.5))
        assert p90 == pytest.approx(percentile_reference(values, 0.9))
    assert sorted(table["service"].to_list()) == sorted({s for s, _ in items})
