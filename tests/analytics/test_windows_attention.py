"""Windows (one definition for pages and CLI), incident statuses, the range-vs-previous metrics and the
"Needs attention" ranking — expected values written out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from analytics.attention import needs_attention
from analytics.misses import UsageError
from analytics.periods import accuracy_in, misses_in, pair_fix_rate
from analytics.policy import Policy
from analytics.statuses import DEFAULT_OPEN_STATUSES, INCIDENT_STATUSES, UNRESOLVED, is_open, status_filter
from analytics.windows import DEFAULT_RANGE, RANGE_KEYS, range_or_default, window

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")


def at(days: float) -> datetime:
    return NOW - timedelta(days=days)


# --- windows --------------------------------------------------------------------------------------------


def test_a_range_spec_is_a_window_ending_at_now() -> None:
    w = window("7d", NOW)
    assert (w.start, w.end, w.label()) == (datetime(2026, 11, 9, 9, 0, tzinfo=UTC), NOW, "last 7d")
    assert window("24h", NOW).start == datetime(2026, 11, 15, 9, 0, tzinfo=UTC)
    assert window("2w", NOW).start == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for spec in ("all", "ALL", "", None):
        assert window(spec, NOW).start is None
        assert window(spec, NOW).label() == "all time"
    with pytest.raises(UsageError, match="--since"):
        window("fortnight", NOW)


def test_contains_is_start_exclusive_end_inclusive_and_since_is_opensre_inclusive() -> None:
    frame = pl.DataFrame(
        {"timestamp": [at(7), at(6.99), NOW, NOW + timedelta(hours=1), None]}, schema={"timestamp": TS}
    )
    w = window("7d", NOW)
    # (now − 7d, now]: the row exactly 7 days old and the future one are out, null is out
    assert frame.select(w.contains())["timestamp"].to_list() == [False, True, True, False, False]
    # OpenSRE --since 7d: timestamp >= cutoff, no upper bound
    assert frame.select(w.since()).fill_null(False)["timestamp"].to_list() == [True, True, True, True, False]
    everything = window("all", NOW)  # no time filter at all, as `--since ""`
    assert frame.with_columns(everything.contains().alias("in"))["in"].to_list() == [True] * 5


def test_a_window_reads_after_a_verb_in_a_sentence() -> None:
    assert window("30d", NOW).within() == "in the last 30d"
    assert window("all", NOW).within() == "across all time"  # not "in the all time"


def test_previous_window_has_the_same_length_and_all_time_has_none() -> None:
    previous = window("14d", NOW).previous()
    assert previous is not None
    assert (previous.start, previous.end) == (at(28), at(14))
    assert window("all", NOW).previous() is None


def test_range_keys_and_default() -> None:
    assert RANGE_KEYS == ("7d", "14d", "30d", "90d", "all")
    assert range_or_default("90d") == "90d"
    assert range_or_default("5y") == DEFAULT_RANGE == "30d"
    assert range_or_default(None) == "30d"


# --- statuses -------------------------------------------------------------------------------------------


def test_statuses_are_defined_once_and_the_policy_defaults_use_them() -> None:
    assert INCIDENT_STATUSES == ("open", "mitigating", "resolved", "closed")
    assert DEFAULT_OPEN_STATUSES == ("open", "mitigating")
    policy = Policy()
    assert tuple(policy.incidents.open_statuses) == DEFAULT_OPEN_STATUSES
    assert tuple(policy.buckets.include_statuses) == INCIDENT_STATUSES


def test_unresolved_filter_is_any_open_status() -> None:
    frame = pl.DataFrame({"status": ["open", "mitigating", "resolved", "closed", None]})
    assert frame.select(is_open(DEFAULT_OPEN_STATUSES))["status"].to_list() == [True, True, False, False, False]
    unresolved = status_filter(UNRESOLVED, DEFAULT_OPEN_STATUSES)
    assert unresolved is not None
    assert frame.filter(unresolved)["status"].to_list() == ["open", "mitigating"]
    only_open = status_filter("open", DEFAULT_OPEN_STATUSES)
    assert only_open is not None
    assert frame.filter(only_open)["status"].to_list() == ["open"]
    assert status_filter("all", DEFAULT_OPEN_STATUSES) is None


# --- the range against the range before it ------------------------------------------------------------------


def misses_frame(rows: list[tuple[str, str, datetime | None]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "group_alert": [r[0] for r in rows],
            "group_taxonomy": [r[1] for r in rows],
            "timestamp": [r[2] for r in rows],
        },
        schema={"group_alert": pl.Utf8, "group_taxonomy": pl.Utf8, "timestamp": TS},
    )


def test_pair_fix_rate_over_the_range_and_the_range_before() -> None:
    misses = misses_frame(
        [
            ("A", "tool_failure", at(10)),  # previous 7d window (now−14d, now−7d]: A, B, C
            ("B", "retrieval_gap", at(12)),
            ("C", "tool_failure", at(13.9)),
            ("A", "tool_failure", at(2)),  # A came back in the last 7 days; B and C did not
            ("D", "routing_failure", at(1)),  # new pair: not part of the rate
            ("E", "tool_failure", at(20)),  # too old for either window
            ("F", "tool_failure", None),  # unparseable timestamp: the epoch, in no window
        ]
    )
    w = window("7d", NOW)
    fix = pair_fix_rate(misses, w)
    assert fix is not None
    assert (fix.pairs_prev, fix.pairs_fixed, fix.rate) == (3, 2, 0.6667)
    assert misses_in(misses, w).collect().height == 2
    assert pair_fix_rate(misses, window("all", NOW)) is None
    assert misses_in(misses, window("all", NOW)).collect().height == 7


def test_pair_fix_rate_is_null_without_pairs_before() -> None:
    fix = pair_fix_rate(misses_frame([("A", "tool_failure", at(1))]), window("7d", NOW))
    assert fix is not None and (fix.pairs_prev, fix.rate) == (0, None)


def test_accuracy_in_a_window_leaves_noise_and_unrated_out() -> None:
    feedback = pl.LazyFrame(
        {
            "timestamp": [at(1), at(2), at(3), at(4), at(5), at(8)],
            "rating": ["accurate", "partial", "inaccurate", "accurate", None, "accurate"],
            "is_noise": [False, False, False, True, False, False],
        },
        schema={"timestamp": TS, "rating": pl.Utf8, "is_noise": pl.Boolean},
    )
    acc = accuracy_in(feedback, window("7d", NOW), z=1.959964)
    assert (acc.rated, acc.accurate, acc.partial) == (3, 1, 1)
    assert acc.accuracy == 0.3333
    assert acc.accuracy_lenient == 0.6667
    assert acc.ci_low is not None and acc.ci_high is not None and acc.ci_low < 0.3333 < acc.ci_high


# --- needs attention ------------------------------------------------------------------------------------


def incidents(rows: list[tuple[str, str, str, str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [r[0] for r in rows],
            "title": [r[1] for r in rows],
            "service": [r[2] for r in rows],
            "severity": [r[3] for r in rows],
            "started_at": [r[4] for r in rows],
        },
        schema={"id": pl.Utf8, "title": pl.Utf8, "service": pl.Utf8, "severity": pl.Utf8, "started_at": TS},
    )


PROVIDERS = pl.DataFrame(
    {
        "provider": ["meta_ads", "stripe", "google_ads", "tiktok"],
        "severity": ["critical", "critical", "warning", "info"],
        "c24": [42, 12, 4, 0],
        "c7": [70, 21, 10, 60],
        "spike": [True, False, False, False],
    }
)
BUCKETS = pl.DataFrame(
    {
        "bucket_key": ["payments|deploy", "search|latency", "auth|config"],
        "high": [True, False, True],
        "count_7d": [6, 5, 2],
        "count_30d": [11, 7, 9],
        "max_signature_7d": [2, 1, 2],
        "max_signature_30d": [4, 3, 7],
    }
)
PAIRS = pl.DataFrame(
    {
        "group_alert": ["HighLatency", "DiskFull", "OOMKilled"],
        "group_taxonomy": ["tool_failure", "retrieval_gap", "reasoning_error"],
        "count": [27, 9, 5],
        "recent": [4, 6, 1],
        "state": ["regressed", "escalating", "ongoing"],
    }
)
CALIBRATION = pl.DataFrame(
    {
        "band": ["high", "medium", "low", "unscored"],
        "n": [300, 120, 80, 0],
        "accuracy": [0.58, 0.5, 0.2, None],
        "ci_high": [0.6349, 0.59, 0.3, None],
        "nominal_low": [0.75, 0.4, 0.0, None],
        "overconfident": [True, False, False, False],
    }
)


def test_needs_attention_ranks_by_urgency_and_keeps_one_of_each_kind_first() -> None:
    open_incidents = incidents(
        [
            ("inc_1", "Checkout down", "payments", "P0", at(3)),
            ("inc_2", "Slow search", "search", "P1", at(1)),
            ("inc_3", "Login errors", "auth", "P2", at(0.5)),
        ]
    )
    items = needs_attention(
        now=NOW,
        open_incidents=open_incidents,
        providers=PROVIDERS,
        buckets=BUCKETS,
        kind_high=10,
        pairs=PAIRS,
        calibration=CALIBRATION,
    )
    # six kinds have something; five slots: the first item of the five most urgent kinds
    assert [(i.kind, i.what, i.how_bad) for i in items] == [
        ("p0", "Open P0: Checkout down (payments · inc_1)", "open for 3 days · 1 of 3 open incidents"),
        (
            "provider",
            "meta_ads is critical (spike)",
            "42 errors in the last 24 h vs 10.0 a day over the last 7 days",
        ),
        ("p1", "Open P1: Slow search (search · inc_2)", "open for 24 h · 1 of 3 open incidents"),
        (
            "bucket",
            "High recurrence: payments|deploy",
            "6 incidents in 7 days, 11 in 30 days (high from 10 per window)",
        ),
        (
            "pair",
            "Escalating: DiskFull · retrieval_gap",
            "6 misses in the last 7 days vs 9 all time; at least twice its usual week",
        ),
    ]
    assert (items[0].page, items[0].params) == ("incidents", {"status": "unresolved", "incident": "inc_1"})
    assert (items[1].page, items[1].params) == ("severity", {})
    assert (items[4].page, items[4].params) == ("misses", {"alert": "DiskFull", "taxonomy": "retrieval_gap"})


def test_a_bucket_high_by_one_signature_says_so() -> None:
    items = needs_attention(now=NOW, buckets=BUCKETS, kind_high=10, signature_high=6)
    assert [(i.what, i.how_bad) for i in items] == [
        ("High recurrence: payments|deploy", "6 incidents in 7 days, 11 in 30 days (high from 10 per window)"),
        ("High recurrence: auth|config", "2 incidents in 7 days, 9 in 30 days (one signature 7 times; high from 6)"),
    ]


def test_needs_attention_fills_free_slots_with_the_next_most_urgent() -> None:
    items = needs_attention(now=NOW, providers=PROVIDERS, pairs=PAIRS, calibration=CALIBRATION)
    assert [i.what for i in items] == [
        "meta_ads is critical (spike)",
        "stripe is critical",
        "Escalating: DiskFull · retrieval_gap",
        "Regressed: HighLatency · tool_failure",
        "Overconfident band: high",
    ]
    assert items[4].how_bad == "58% accurate (95% CI up to 63%) vs its nominal ≥ 75%, n=300 rated"
    assert items[4].page == "confidence"


def test_several_open_p0_incidents_make_one_line() -> None:
    open_incidents = incidents(
        [
            ("inc_a", "A", "payments", "P0", at(2)),
            ("inc_b", "B", "search", "P0", at(5)),
            ("inc_c", "C", "payments", "P3", at(1)),
        ]
    )
    items = needs_attention(now=NOW, open_incidents=open_incidents)
    assert [(i.what, i.how_bad, i.params) for i in items] == [
        (
            "2 open P0 incidents (payments, search)",
            "2 of 3 open incidents; the oldest, B, open for 5 days",
            {"status": "unresolved", "incident": "inc_b"},
        )
    ]


def test_nothing_to_report_is_an_empty_list() -> None:
    quiet_providers = PROVIDERS.with_columns(pl.lit("info").alias("severity"))
    quiet_pairs = PAIRS.with_columns(pl.lit("ongoing").alias("state"))
    quiet_bands = CALIBRATION.with_columns(pl.lit(False).alias("overconfident"))
    assert (
        needs_attention(
            now=NOW,
            open_incidents=incidents([("inc_3", "x", "auth", "P2", at(1))]),
            providers=quiet_providers,
            buckets=BUCKETS.with_columns(pl.lit(False).alias("high")),
            pairs=quiet_pairs,
            calibration=quiet_bands,
        )
        == []
    )
    assert needs_attention(now=NOW) == []


def test_confidence_report_since_uses_the_dashboard_window(tmp_path: object) -> None:
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from tests.conftest import write_lines
    from triage_lens.cli.main import cli

    folder = Path(str(tmp_path))
    write_lines(
        folder / "feedback.jsonl",
        # exactly 7 days old: outside (now − 7d, now]; one inside; one after now; one without a timestamp
        '{"run_id": "a", "validity_score": 0.9, "rating": "accurate", "timestamp": "2026-11-09T09:00:00Z"}',
        '{"run_id": "b", "validity_score": 0.9, "rating": "accurate", "timestamp": "2026-11-12T09:00:00Z"}',
        '{"run_id": "c", "validity_score": 0.5, "rating": "partial", "timestamp": "2026-11-17T09:00:00Z"}',
        '{"run_id": "d", "validity_score": 0.1, "rating": "inaccurate"}',
    )
    (folder / "sample.json").write_text('{"now": "2026-11-16T09:00:00+00:00"}')

    def bands(*since: str) -> dict[str, int]:
        result = CliRunner().invoke(cli, ["--data", str(folder), "confidence", "report", *since, "--json"])
        assert result.exit_code == 0, result.output
        counts: dict[str, int] = json.loads(result.stdout)["bands"]
        return {band: n for band, n in counts.items() if n}

    assert bands("--since", "7d") == {"high": 1}
    assert bands() == {"high": 2, "medium": 1, "low": 1}  # no --since: every result, as the page's 'all'
