"""Recurrence and buckets as people read them (issue 11 item 5): titles instead of hashes, levels that say why,
each recommendation once with what it applies to, and CSV cells that hold data. Expected values by hand."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from analytics.buckets import BucketOptions, advice_by_recommendation, bucket_frame, high_reason_expr, shown_buckets
from analytics.policy import Policy
from analytics.recurrence import RecurrenceOptions, level_reason, recurrence_tables
from dashboard.exports import buckets_csv
from tests.analytics.incident_helpers import T0, incident, incidents_frame

POLICY = Policy()
HOUR = 60
DAY = 24 * HOUR


def test_level_reason_says_count_window_and_threshold() -> None:
    assert level_reason(12, "high", days=7, warn=5, high=10) == "high: 12 in 7 days ≥ 10"
    assert level_reason(4, "warn", days=30, warn=3, high=6) == "warn: 4 in 30 days ≥ 3"
    assert level_reason(2, None, days=7, warn=3, high=6) == "below warn (3)"


def test_recurrence_tables_show_titles_levels_and_each_advice_once(tmp_path: Path) -> None:
    records = (
        # signature A: 6 in 7 days (high), mostly titled "Disk full on db-1"
        [
            incident(f"a{i}", -(i + 1) * HOUR, signature="aaaa1111bbbb", kind="disk", title="Disk full on db-1")
            for i in range(5)
        ]
        + [incident("a5", -7 * HOUR, signature="aaaa1111bbbb", kind="disk", title="Disk 95% on db-1")]
        # signature B: 6 in 7 days (high) → the same signature advice, said once for both
        + [
            incident(f"b{i}", -(i + 1) * HOUR, signature="cccc2222dddd", kind="queue", title="Queue lag")
            for i in range(6)
        ]
        # signature C: 3 (warn)
        + [
            incident(f"c{i}", -(i + 1) * HOUR, signature="eeee3333ffff", kind="queue", title="Slow consumer")
            for i in range(3)
        ]
    )
    tables = recurrence_tables(
        incidents_frame(tmp_path, records), now=T0, days=7, options=RecurrenceOptions.from_policy(POLICY.recurrence)
    )
    assert tables["signatures"].select("title", "count", "why").rows() == [
        ("Disk full on db-1", 6, "high: 6 in 7 days ≥ 6"),
        ("Queue lag", 6, "high: 6 in 7 days ≥ 6"),
        ("Slow consumer", 3, "warn: 3 in 7 days ≥ 3"),
    ]
    assert tables["kinds"].select("kind", "count", "why").rows() == [
        ("queue", 9, "warn: 9 in 7 days ≥ 5"),
        ("disk", 6, "warn: 6 in 7 days ≥ 5"),
    ]
    assert tables["advice"].rows() == [
        (
            "high",
            "Create permanent fix: add regression test + SLO guard for this failure type",
            ["Disk full on db-1 ×6", "Queue lag ×6"],
        ),
        ("warn", "Review root cause history; consider adding monitoring threshold", ["Slow consumer ×3"]),
        ("warn", "Recurring kind=queue: validate if alert thresholds are tuned correctly", ["kind queue ×9"]),
        ("warn", "Recurring kind=disk: validate if alert thresholds are tuned correctly", ["kind disk ×6"]),
    ]


def bucket_records() -> list[dict]:
    return (
        # api|oom: 10 in 7 days → high by count
        [incident(f"o{i}", -(i + 1) * HOUR, service="api", kind="oom", signature=f"o{i}") for i in range(10)]
        # web|oom: 3 in 7 days, 2 more in 30 days, one signature 6 times in 30 days → high by signature; one open
        + [
            incident(
                f"w{i}",
                -d * DAY,
                service="web",
                kind="oom",
                signature="same0000",
                status="open" if i == 0 else "resolved",
            )
            for i, d in enumerate([1, 2, 3, 10, 11, 12])
        ]
        # db|disk: 3 in 7 days, different signatures → shown, not high
        + [incident(f"d{i}", -(i + 1) * HOUR, service="db", kind="disk", signature=f"d{i}") for i in range(3)]
    )


def test_bucket_level_says_why_and_advice_is_listed_once_per_recommendation(tmp_path: Path) -> None:
    options = BucketOptions.from_policy(POLICY)
    shown = shown_buckets(bucket_frame(incidents_frame(tmp_path, bucket_records()), now=T0, options=options), options)
    assert shown.select("bucket_key", high_reason_expr(options).alias("why")).rows() == [
        ("api|oom", "high: 10 in 7 days ≥ 10"),
        ("web|oom", "high: one signature 6 times in 30 days ≥ 6"),
        ("db|disk", "not high"),
    ]
    assert advice_by_recommendation(shown).rows() == [
        ("Memory profiling", ["api|oom", "web|oom"], True),
        ("Review container limits", ["api|oom", "web|oom"], True),
        ("Fix leaks", ["api|oom", "web|oom"], True),
        ("⚠ Do not deploy risky changes until mitigated", ["web|oom"], True),
        ("Retention/cleanup automation", ["db|disk"], False),
        ("Verify volumes", ["db|disk"], False),
    ]


def test_buckets_csv_holds_data_not_glyphs(tmp_path: Path) -> None:
    options = BucketOptions.from_policy(POLICY)
    shown = shown_buckets(bucket_frame(incidents_frame(tmp_path, bucket_records()), now=T0, options=options), options)
    data = buckets_csv(shown, options)
    text = data.decode("utf-8")
    for glyph in ("▲", "●", "✦", "↩", "○", "×"):
        assert glyph not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "bucket_key",
        "high",
        "level",
        "count_7d",
        "count_30d",
        "open",
        "last_seen",
        "services",
        "kinds",
        "recommendations",
    ]
    assert rows[1] == [
        "api|oom",
        "true",
        "high: 10 in 7 days ≥ 10",
        "10",
        "10",
        "0",
        "2026-06-10T11:00:00+00:00",
        '["api"]',
        '["oom"]',
        '["Memory profiling", "Review container limits", "Fix leaks"]',
    ]
    assert rows[3][:3] == ["db|disk", "false", "not high"]
