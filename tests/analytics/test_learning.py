"""RULES.md §2 on a hand-built three-week set; every number below is worked out by hand in the comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from analytics.derived import with_grouping_key
from analytics.learning import (
    coverage_by_key,
    learning_trend,
    lifecycle_events,
    pair_lifecycle,
    week_label,
    week_starts,
)
from analytics.scenarios import Scenario, scenarios_frame
from analytics.schemas import FEEDBACK, MISSES
from analytics.stats import change_label, wilson_interval
from tests.conftest import write_lines
from triage_lens.sources.readers import read_input_file

# Wednesday of ISO week 2026-W25 (Mon 15 June); three weeks = W23 (1–7 June), W24 (8–14), W25 (15–17, partial).
NOW = datetime(2026, 6, 17, 12, tzinfo=UTC)
MISSES_ROWS = [
    ("a1", "A", "retrieval_gap", "2026-06-02T10:00:00Z"),  # W23
    ("a2", "A", "retrieval_gap", "2026-06-03T10:00:00Z"),  # W23
    ("a3", "A", "retrieval_gap", "2026-06-09T10:00:00Z"),  # W24
    ("b1", "B", "reasoning_gap", "2026-06-02T08:00:00Z"),  # W23; nothing since → quiet
    ("c1", "C", "tool_failure", "2026-06-10T10:00:00Z"),  # W24
    ("c2", "C", "tool_failure", "2026-06-16T10:00:00Z"),  # W25, after C's coverage (12 June) → regressed
    ("d1", "D", None, "2026-06-15T01:00:00Z"),  # W25, first miss this week → new
    ("g1", "G", "routing_failure", "2026-05-20T10:00:00Z"),  # W21
    ("g2", "G", "routing_failure", "2026-06-16T11:00:00Z"),  # W25, 27 days after g1 → regressed
    ("h1", "H", "reasoning_gap", "2026-06-05T10:00:00Z"),  # W23, baseline week mean 1/4
    ("h2", "H", "reasoning_gap", "2026-06-15T10:00:00Z"),  # W25 ┐ 3 in the last 7 days ≥ 3 and ≥ 2 × 0.25
    ("h3", "H", "reasoning_gap", "2026-06-16T10:00:00Z"),  # W25 │ gap h1→h2 is 10 days < 14 → not regressed
    ("h4", "H", "reasoning_gap", "2026-06-17T09:00:00Z"),  # W25 ┘ → escalating
    ("e1", "E", "tool_failure", "not a time"),  # no week
    ("f1", "F", "routing_failure", "2026-06-18T10:00:00Z"),  # after now: no week
]
FEEDBACK_ROWS = [
    ("2026-06-02T10:00:00Z", "accurate", False),
    ("2026-06-03T10:00:00Z", "accurate", False),
    ("2026-06-04T10:00:00Z", "accurate", None),
    ("2026-06-05T10:00:00Z", "inaccurate", False),
    ("2026-06-05T11:00:00Z", "accurate", True),  # noise: left out
    ("2026-06-09T10:00:00Z", "accurate", False),
    ("2026-06-10T10:00:00Z", "partial", False),
    ("2026-06-11T10:00:00Z", "inaccurate", False),
    ("2026-06-12T10:00:00Z", "inaccurate", False),
    ("2026-06-13T10:00:00Z", "unrated", False),  # not a rating: left out
]


@pytest.fixture
def frames(tmp_path: Path) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    misses_path = write_lines(
        tmp_path / "misses.jsonl",
        *(json.dumps({"miss_id": i, "alert_name": a, "taxonomy": t, "timestamp": ts}) for i, a, t, ts in MISSES_ROWS),
    )
    feedback_path = write_lines(
        tmp_path / "feedback.jsonl",
        *(json.dumps({"timestamp": ts, "rating": r, "is_noise": n}) for ts, r, n in FEEDBACK_ROWS),
    )
    misses = with_grouping_key(read_input_file(misses_path, MISSES).frame.lazy())
    return misses, read_input_file(feedback_path, FEEDBACK).frame.lazy()


def test_weeks_are_iso_weeks_ending_with_the_partial_one() -> None:
    starts = week_starts(NOW, 3)
    assert starts == [
        datetime(2026, 6, 1, tzinfo=UTC),
        datetime(2026, 6, 8, tzinfo=UTC),
        datetime(2026, 6, 15, tzinfo=UTC),
    ]
    assert [week_label(s) for s in starts] == ["2026-W23", "2026-W24", "2026-W25"]
    assert week_label(datetime(2027, 1, 1, tzinfo=UTC) - timedelta(days=4)) == "2026-W53"


def test_wilson_intervals_against_published_values() -> None:
    z = 1.959964
    assert wilson_interval(3, 4, z) == (0.3006, 0.9544)
    assert wilson_interval(1, 4, z) == (0.0456, 0.6994)
    assert wilson_interval(0, 10, z) == (0.0, 0.2775)
    assert wilson_interval(0, 0, z) == (None, None)
    assert change_label((0.3006, 0.9544), (0.0456, 0.6994), 4, 4) == "not significant (n=4, 4)"
    assert change_label((0.1, 0.2), (0.3, 0.4), 100, 120) is None


def test_trend_weeks(frames: tuple[pl.LazyFrame, pl.LazyFrame]) -> None:
    misses, feedback = frames
    trend = learning_trend(misses, feedback, now=NOW, weeks=3)
    zero = {"retrieval_gap": 0, "reasoning_gap": 0, "tool_failure": 0, "routing_failure": 0, "unknown": 0}
    assert trend.weeks == [
        {
            "week": "2026-W23",
            "partial": False,
            "total": 4,
            "by_taxonomy": {**zero, "retrieval_gap": 2, "reasoning_gap": 2},
            # 3 accurate of 4 rated (the noise row is out; a null is_noise counts)
            "rated": 4,
            "accuracy": 0.75,
            "accuracy_lenient": 0.75,
            "ci_low": 0.3006,
            "ci_high": 0.9544,
            "pairs_prev": 0,
            "pairs_fixed": 0,
            "pair_fix_rate": None,  # nothing in W22
        },
        {
            "week": "2026-W24",
            "partial": False,
            "total": 2,
            "by_taxonomy": {**zero, "retrieval_gap": 1, "tool_failure": 1},
            "rated": 4,
            "accuracy": 0.25,
            "accuracy_lenient": 0.5,
            "ci_low": 0.0456,
            "ci_high": 0.6994,
            # W23 keys {A, B, H}; B and H have no miss in W24 → 2 of 3
            "pairs_prev": 3,
            "pairs_fixed": 2,
            "pair_fix_rate": 0.6667,
        },
        {
            "week": "2026-W25",
            "partial": True,
            "total": 6,
            "by_taxonomy": {**zero, "reasoning_gap": 3, "tool_failure": 1, "routing_failure": 1, "unknown": 1},
            "rated": 0,
            "accuracy": None,
            "accuracy_lenient": None,
            "ci_low": None,
            "ci_high": None,
            # W24 keys {A, C}; A has no miss in W25 → 1 of 2
            "pairs_prev": 2,
            "pairs_fixed": 1,
            "pair_fix_rate": 0.5,
        },
    ]


def test_pair_lifecycle_coverage_and_fix_held(frames: tuple[pl.LazyFrame, pl.LazyFrame]) -> None:
    misses, _ = frames
    scenarios = scenarios_frame(
        [
            Scenario(Path("c/alert.json"), "c1", "C", "tool_failure", datetime(2026, 6, 12, tzinfo=UTC)),
            # miss_id unknown to the store: covers its own alert/taxonomy
            Scenario(Path("a/alert.json"), "gone", "A", "retrieval_gap", datetime(2026, 6, 11, tzinfo=UTC)),
            Scenario(Path("a2/alert.json"), "a1", "A", "retrieval_gap", datetime(2026, 6, 13, tzinfo=UTC)),
        ]
    )
    lifecycle = pair_lifecycle(misses, now=NOW, coverage=coverage_by_key(misses, scenarios))
    rows = {(r["group_alert"], r["group_taxonomy"]): r for r in lifecycle.iter_rows(named=True)}
    states = {key: r["state"] for key, r in rows.items()}
    assert states == {
        ("A", "retrieval_gap"): "ongoing",  # last miss 9 June: within 14 days, none in the last 7
        ("B", "reasoning_gap"): "quiet",  # last miss 2 June 08:00, before now − 14 days (3 June 12:00)
        ("C", "tool_failure"): "regressed",  # miss on 16 June after its coverage on 12 June
        ("D", "unknown"): "new",
        ("G", "routing_failure"): "regressed",  # 27-day gap, then a miss this week
        ("H", "reasoning_gap"): "escalating",
        ("E", "tool_failure"): "quiet",  # no parseable timestamp: no miss in any window
        ("F", "routing_failure"): "quiet",  # only a miss after now
    }
    assert rows[("A", "retrieval_gap")]["covered_at"] == datetime(2026, 6, 11, tzinfo=UTC)  # earliest coverage
    # covered 11 June, now 17 June 12:00: 6.5 days, less than a full week since the fix → not judged yet
    from analytics.fixes import fix_table

    fixes = {
        (r["group_alert"], r["group_taxonomy"]): r
        for r in fix_table(misses, now=NOW, coverage=coverage_by_key(misses, scenarios)).iter_rows(named=True)
    }
    assert fixes[("A", "retrieval_gap")]["fix_held"] is None
    assert rows[("A", "retrieval_gap")]["time_to_coverage"] == timedelta(
        days=8, hours=14
    )  # 2 June 10:00 → 11 June 00:00
    assert fixes[("C", "tool_failure")]["fix_held"] is None  # covered 12 June: too early, even with a miss after
    assert rows[("C", "tool_failure")]["time_to_coverage"] == timedelta(days=1, hours=14)
    assert rows[("B", "reasoning_gap")]["covered"] is False and fixes[("B", "reasoning_gap")]["fix_held"] is None
    assert lifecycle["group_alert"].to_list()[:2] == ["H", "A"]  # count desc (4, 3), then first appearance


def test_fix_held_is_judged_after_one_full_week_since_the_fix() -> None:
    from analytics.fixes import fix_held_summary, fix_table

    now = datetime(2026, 6, 17, 12, tzinfo=UTC)
    misses = pl.LazyFrame(
        {
            "_line": [1, 2, 3, 4, 5],
            "timestamp": [
                datetime(2026, 6, 1, tzinfo=UTC),  # P: first miss; covered 9 June; none after → held
                datetime(2026, 6, 2, tzinfo=UTC),  # Q: covered 9 June; missed again 15 June → not held
                datetime(2026, 6, 15, tzinfo=UTC),
                datetime(2026, 6, 3, tzinfo=UTC),  # R: covered 10 June 12:00 exactly a week ago → judged, held
                datetime(2026, 6, 4, tzinfo=UTC),  # S: covered 10 June 12:01, less than a week → not judged
            ],
            "group_alert": ["P", "Q", "Q", "R", "S"],
            "group_taxonomy": ["tool_failure"] * 5,
        },
        schema_overrides={"timestamp": pl.Datetime("us", "UTC")},
    )
    coverage = pl.LazyFrame(
        {
            "group_alert": ["P", "Q", "R", "S"],
            "group_taxonomy": ["tool_failure"] * 4,
            "covered_at": [
                datetime(2026, 6, 9, tzinfo=UTC),
                datetime(2026, 6, 9, tzinfo=UTC),
                datetime(2026, 6, 10, 12, tzinfo=UTC),
                datetime(2026, 6, 10, 12, 1, tzinfo=UTC),
            ],
        },
        schema_overrides={"covered_at": pl.Datetime("us", "UTC")},
    )
    fixes = fix_table(misses, now=now, coverage=coverage)
    held = {r["group_alert"]: r["fix_held"] for r in fixes.iter_rows(named=True)}
    assert held == {"P": True, "Q": False, "R": True, "S": None}
    assert fix_held_summary(fixes).to_json() == {
        "basis": "coverage",
        "fixed": 4,
        "judged": 3,
        "held": 2,
        "too_early": 1,
        "rate": 0.6667,
    }
    empty = fix_table(misses.filter(pl.lit(False)), now=now)
    assert fix_held_summary(empty).to_json() == {
        "basis": "coverage",
        "fixed": 0,
        "judged": 0,
        "held": 0,
        "too_early": 0,
        "rate": None,
    }


def test_pair_lifecycle_from_events_sorted_once_gives_the_same_states_at_each_now(
    frames: tuple[pl.LazyFrame, pl.LazyFrame],
) -> None:
    """The dashboard sorts the misses by pair once (:func:`lifecycle_events`) and asks at each new now."""
    misses, _ = frames
    events = lifecycle_events(misses).collect().sort("_line")
    assert events.columns == ["_line", "timestamp", "group_alert", "group_taxonomy", "covered_at", "previous"]
    g = events.filter(pl.col("group_alert") == "G")  # g1 then g2: g2's previous miss is g1
    assert g["previous"].to_list() == [None, datetime(2026, 5, 20, 10, tzinfo=UTC)]
    for now in (NOW, NOW + timedelta(days=14)):
        assert pair_lifecycle(misses, now=now, events=events.lazy()).equals(pair_lifecycle(misses, now=now))
    later = pair_lifecycle(misses, now=NOW + timedelta(days=14), events=events.lazy())
    states = dict(zip(later["group_alert"], later["state"], strict=True))
    # now 1 July 12:00: the quiet window (17 June 12:00, 1 July 12:00] holds only F's miss of 18 June 10:00 (h4 is
    # 17 June 09:00, before it), so every other pair is quiet; F has no earlier miss and no coverage (not regressed),
    # its first miss is before 24 June 12:00 (not new) and it has none in the last 7 days (not escalating): ongoing.
    assert states == dict.fromkeys("ABCDGHE", "quiet") | {"F": "ongoing"}


def test_lifecycle_events_order_each_key_by_time_then_line_with_missing_times_last() -> None:
    ten = datetime(2026, 6, 1, 10, tzinfo=UTC)
    misses = pl.LazyFrame(
        {
            "_line": [1, 2, 3, 4, 5],
            "timestamp": [ten, None, ten, ten + timedelta(days=1), ten - timedelta(days=1)],
            "group_alert": ["A", "A", "A", "A", "B"],
            "group_taxonomy": ["x", "x", "x", "x", "x"],
        },
        schema_overrides={"timestamp": pl.Datetime("us", "UTC")},
    )
    previous = dict(lifecycle_events(misses).collect().select("_line", "previous").iter_rows())
    # A in order: line 1 (10:00), line 3 (10:00, tie: file order), line 4 (next day), line 2 (no time: last)
    assert previous == {1: None, 3: ten, 4: ten, 2: ten + timedelta(days=1), 5: None}
