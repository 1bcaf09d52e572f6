"""RULES.md §1 (OpenSRE parity) on a hand-written misses.jsonl; expectations written out from the rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.derived import with_grouping_key
from analytics.misses import (
    UsageError,
    filter_misses,
    list_misses,
    miss_stats,
    parse_since,
    parse_taxonomy,
    stored_records,
    top_groups,
)
from analytics.schemas import MISSES
from reference.models import reference_stats, reference_top, reference_ts
from tests.conftest import write_lines
from triage_lens.sources.readers import read_input_file

NOW = datetime(2026, 6, 14, tzinfo=UTC)
EDGE_LINES = [
    '{"miss_id": "m1", "timestamp": "2026-06-10T10:00:00+00:00", "alert_name": "CheckoutDown", "taxonomy": "retrieval_gap", "pipeline_name": "checkout", "severity": "critical", "rating": "partial", "taxonomy_detail": "Missed deploy log", "root_cause": "DB outage", "root_cause_category": "database", "run_id": "r1"}',
    '{"miss_id": "m2", "timestamp": "2026-06-12T10:00:00Z", "alert_name": null, "taxonomy": null, "pipeline_name": null, "severity": "", "run_id": "r2", "taxonomy_detail": null}',
    '{"miss_id": "m3", "timestamp": "2026-06-11T10:00:00", "alert_name": "CheckoutDown", "taxonomy": "retrieval_gap", "run_id": "r3"}',
    '{"miss_id": "m4", "timestamp": "garbage", "alert_name": "Flappy", "taxonomy": "tool_failure"}',
    '{"miss_id": "m5", "timestamp": "2026-06-12T10:00:00+00:00", "alert_name": "", "taxonomy": ""}',
    '{"miss_id": "m6", "timestamp": "2026-06-13T09:00:00+00:00", "alert_name": "../../etc/passwd", "taxonomy": "reasoning_gap"}',
    '{"miss_id": "m7", "timestamp": "2026-06-13T09:00:00+00:00", "alert_name": "Disk full 🔥 on /var", "taxonomy": "tool_failure"}',
    '{"timestamp": "2026-06-09T00:00:00+00:00", "alert_name": "NoId", "taxonomy": "routing_failure"}',
]


@pytest.fixture
def misses(tmp_path: Path) -> pl.LazyFrame:
    path = write_lines(tmp_path / "misses.jsonl", *EDGE_LINES)
    return with_grouping_key(read_input_file(path, MISSES).frame.lazy())


def ids(frame: pl.LazyFrame) -> list[str | None]:
    return frame.collect()["miss_id"].to_list()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("7d", datetime(2026, 6, 7, tzinfo=UTC)),
        ("7 D", datetime(2026, 6, 7, tzinfo=UTC)),
        ("24h", datetime(2026, 6, 13, tzinfo=UTC)),
        ("2w", datetime(2026, 5, 31, tzinfo=UTC)),
        ("2026-06-12T10:00:00", datetime(2026, 6, 12, 10, tzinfo=UTC)),
        ("2026-06-12T12:00:00+02:00", datetime(2026, 6, 12, 10, tzinfo=UTC)),
    ],
)
def test_since_specs(spec: str, expected: datetime) -> None:
    assert parse_since(spec, NOW) == expected


def test_empty_since_is_no_time_filter() -> None:
    assert parse_since("", NOW) is None


@pytest.mark.parametrize("spec", ["  ", "7", "d7", "7 days", "yesterday", "-7d"])
def test_bad_since_is_a_usage_error_naming_the_option(spec: str) -> None:
    with pytest.raises(UsageError, match="^--since: "):
        parse_since(spec, NOW)


def test_taxonomy_choice_is_case_insensitive_and_checked() -> None:
    assert parse_taxonomy("Retrieval_Gap") == "retrieval_gap"
    with pytest.raises(UsageError, match="^--taxonomy: expected one of"):
        parse_taxonomy("retrieval")


def test_since_is_inclusive_and_unparseable_timestamps_are_outside(misses: pl.LazyFrame) -> None:
    assert ids(filter_misses(misses, since=parse_since("7d", NOW))) == ["m1", "m2", "m3", "m5", "m6", "m7", None]
    assert ids(filter_misses(misses, since=parse_since("2d", NOW))) == ["m2", "m5", "m6", "m7"]
    assert ids(filter_misses(misses, since=parse_since("2026-06-12T10:00:00", NOW))) == ["m2", "m5", "m6", "m7"]


def test_taxonomy_filter_matches_the_stored_value_only(misses: pl.LazyFrame) -> None:
    assert ids(filter_misses(misses, taxonomy="tool_failure")) == ["m4", "m7"]
    assert ids(filter_misses(misses, taxonomy="unknown")) == []  # a null or "" taxonomy never matches


def test_list_is_newest_first_with_ties_in_file_order_and_records_as_stored(misses: pl.LazyFrame) -> None:
    assert ids(list_misses(misses)) == ["m6", "m7", "m2", "m5", "m3", "m1", None, "m4"]
    assert ids(list_misses(misses, limit=2)) == ["m6", "m7"]
    assert ids(list_misses(misses, limit=0)) == []
    records = stored_records(list_misses(filter_misses(misses, since=parse_since("2d", NOW)), limit=3))
    assert records[2] == {
        "miss_id": "m2",
        "timestamp": "2026-06-12T10:00:00Z",
        "alert_name": None,
        "taxonomy": None,
        "pipeline_name": None,
        "severity": "",
        "run_id": "r2",
        "taxonomy_detail": None,
    }
    assert "pipeline_name" not in records[0]  # absent stays absent


def test_stats_exact_json(misses: pl.LazyFrame) -> None:
    assert miss_stats(misses).to_json() == {
        "total": 8,
        "by_taxonomy": {"retrieval_gap": 2, "unknown": 2, "tool_failure": 2, "reasoning_gap": 1, "routing_failure": 1},
        "recurring": [["CheckoutDown", "retrieval_gap", 2], ["<unknown>", "unknown", 2]],
        "unique_alerts": 6,
    }
    assert miss_stats(filter_misses(misses, since=parse_since("2d", NOW))).to_json() == {
        "total": 4,
        "by_taxonomy": {"unknown": 2, "reasoning_gap": 1, "tool_failure": 1},
        "recurring": [["<unknown>", "unknown", 2]],
        "unique_alerts": 3,
    }
    assert miss_stats(misses.head(0)).to_json() == {"total": 0, "by_taxonomy": {}, "recurring": [], "unique_alerts": 0}


def test_top_n_recurrence_beats_recency_and_ties_keep_first_appearance(misses: pl.LazyFrame) -> None:
    groups = top_groups(filter_misses(misses, since=parse_since("7d", NOW)), top=10)
    assert groups.select("index", "group_alert", "group_taxonomy", "count").rows() == [
        (1, "<unknown>", "unknown", 2),
        (2, "CheckoutDown", "retrieval_gap", 2),
        (3, "../../etc/passwd", "reasoning_gap", 1),
        (4, "Disk full 🔥 on /var", "tool_failure", 1),
        (5, "NoId", "routing_failure", 1),
    ]
    # representatives: the newest miss; m2 and m5 tie → the first in the file
    assert [json.loads(r).get("miss_id") for r in groups["_raw"]] == ["m2", "m3", "m6", "m7", None]
    assert top_groups(misses, top=2)["group_alert"].to_list() == ["<unknown>", "CheckoutDown"]
    assert top_groups(misses, top=0).height == 0
    assert top_groups(misses, top=-3).height == 0


# --- property test: Polars vs a plain-Python reference of RULES §1 ----------------------------------


records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "alert_name": st.sampled_from([None, "", "A", "B", "C"]),
            "taxonomy": st.sampled_from([None, "", "retrieval_gap", "tool_failure", "other"]),
            "timestamp": st.sampled_from(
                [
                    "2026-06-10T10:00:00Z",
                    "2026-06-10T10:00:00",
                    "2026-06-11T00:00:00+02:00",
                    "2026-06-12T08:30:00Z",
                    "bad",
                    "2026-06-13T23:59:59.999999+00:00",
                ]
            ),
        }
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, top=st.integers(-1, 6), since=st.sampled_from([None, "3d", "2026-06-11T00:00:00Z"]))
def test_stats_and_top_n_match_the_reference(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict], top: int, since: str | None
) -> None:
    path = tmp_path_factory.mktemp("prop") / "misses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    frame = with_grouping_key(read_input_file(path, MISSES).frame.lazy())
    cutoff = parse_since(since, NOW) if since else None
    kept = [r for r in records if cutoff is None or reference_ts(r) >= cutoff]
    scoped = filter_misses(frame, since=cutoff)
    assert miss_stats(scoped).to_json() == reference_stats(kept)
    lines = [i + 1 for i, r in enumerate(records) if cutoff is None or reference_ts(r) >= cutoff]
    expected = [(i, a, t, c, lines[rep]) for i, a, t, c, rep in reference_top(kept, top)]
    got = top_groups(scoped, top=top).select("index", "group_alert", "group_taxonomy", "count", "representative_line")
    assert got.rows() == expected
