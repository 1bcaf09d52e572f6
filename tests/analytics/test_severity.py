"""RULES.md §9 with hand-written expectations, the ADR's backtest shape, and a property test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.policy import Policy
from analytics.severity import SeverityOptions, backtest_report, severity_frame, severity_report
from analytics.timeparse import UTC_DATETIME
from reference.models import severity_reference as reference

NOW = datetime(2026, 6, 14, 12, tzinfo=UTC)
OPTIONS = SeverityOptions.from_policy(Policy().severity)


def ledger(*rows: tuple) -> pl.LazyFrame:
    """Rows of (age, provider, error_type, message, tenant, category); age is a timedelta before NOW."""
    return pl.LazyFrame(
        {
            "timestamp": [NOW - r[0] if r[0] is not None else None for r in rows],
            "provider": [r[1] for r in rows],
            "error_type": [r[2] if len(r) > 2 else "E" for r in rows],
            "error_message": [r[3] if len(r) > 3 else "boom" for r in rows],
            "tenant_id": [r[4] if len(r) > 4 else "t1" for r in rows],
            "category": [r[5] if len(r) > 5 else "error" for r in rows],
        },
        schema={
            "timestamp": UTC_DATETIME,
            "provider": pl.Utf8,
            "error_type": pl.Utf8,
            "error_message": pl.Utf8,
            "tenant_id": pl.Utf8,
            "category": pl.Utf8,
        },
    )


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def spread(n: int, provider: str, lo_hours: float, hi_hours: float, **kw: str) -> list[tuple]:
    step = (hi_hours - lo_hours) / n
    return [
        (
            hours(lo_hours + i * step),
            provider,
            kw.get("error_type", "E"),
            kw.get("message", "boom"),
            kw.get("tenant", "t1"),
            kw.get("category", "error"),
        )
        for i in range(n)
    ]


def report(*rows: tuple, options: SeverityOptions = OPTIONS) -> dict:
    return severity_report(ledger(*rows), now=NOW, options=options)


def test_loud_week_but_quiet_day_is_historical_info_and_not_in_the_header() -> None:
    result = report(*spread(500, "meta_ads", 72, 144))
    assert result["header"] == "All systems nominal"
    assert result["overall_severity"] == "info"
    (provider,) = result["providers"]
    assert (provider["provider"], provider["severity"], provider["status"]) == ("meta_ads", "info", "historical")
    assert (provider["last_24h_total"], provider["week_7d_total"]) == (0, 500)
    assert provider["trend"] == "falling" and provider["spike"] is False


def test_ten_in_24_hours_is_critical_with_samples() -> None:
    rows = (
        spread(6, "google_ads", 1, 20, error_type="AUTH_FAILED", message="old auth")
        + [(hours(0.5), "google_ads", "AUTH_FAILED", "newest auth")]
        + spread(3, "google_ads", 1, 20, error_type="TIMEOUT")
        + spread(2, "google_ads", 30, 40, error_type="ZETA")  # 7d only
        + spread(2, "google_ads", 30, 40, error_type="ALPHA")  # 7d only, ties ZETA → name order
    )
    result = report(*rows)
    assert result["header"] == "1 critical" and result["overall_severity"] == "critical"
    provider = result["providers"][0]
    assert (provider["severity"], provider["status"], provider["last_24h_total"], provider["week_7d_total"]) == (
        "critical",
        "active",
        10,
        14,
    )
    assert provider["samples"] == [
        # the most frequent message (6 × "old auth" against 1 × "newest auth"), not the latest (DEFINITIONS §3)
        {"error_type": "AUTH_FAILED", "count": 7, "message": "old auth"},
        {"error_type": "TIMEOUT", "count": 3, "message": "boom"},
        {"error_type": "ALPHA", "count": 0, "message": "boom"},
    ]


def test_three_to_nine_is_a_warning_when_it_is_not_a_spike() -> None:
    # c24 = 5, c7 = 40: 5 > 3 × 40 / 7 = 17.1 is false → no spike → warning
    result = report(*spread(5, "shopify", 1, 20), *spread(35, "shopify", 25, 160))
    provider = result["providers"][0]
    assert (provider["severity"], provider["status"], provider["spike"]) == ("warning", "active", False)
    assert result["header"] == "1 warning" and result["overall_severity"] == "warning"
    nine = report(*spread(9, "shopify", 1, 20), *spread(60, "shopify", 25, 160))["providers"][0]
    assert nine["severity"] == "warning"


def test_a_spike_on_little_history_is_critical() -> None:
    # c24 = 4 ≥ 3 and 4 > 3 × 5 / 7 = 2.14 → spike → critical although below 10
    provider = report(*spread(4, "stripe", 1, 20), (hours(50), "stripe"))["providers"][0]
    assert (provider["severity"], provider["spike"], provider["trend"]) == ("critical", True, "rising")


def test_all_quiet_is_all_systems_nominal() -> None:
    result = report(*spread(2, "slack", 1, 20), *spread(3, "zendesk", 30, 100))
    assert result == {
        "now": "2026-06-14T12:00:00+00:00",
        "overall_severity": "info",
        "header": "All systems nominal",
        "providers": [],
    }
    with_nominal = severity_report(ledger(*spread(2, "slack", 1, 20)), now=NOW, options=OPTIONS, include_nominal=True)
    assert [(p["provider"], p["status"]) for p in with_nominal["providers"]] == [("slack", "nominal")]


def test_the_24_hour_window_is_open_at_its_start_and_closed_at_now() -> None:
    rows = [
        (timedelta(hours=24), "p"),  # exactly 24 h old: out of c24, in c7
        (timedelta(hours=23, minutes=59, seconds=59), "p"),  # in
        (timedelta(0), "p"),  # exactly now: in
        (timedelta(seconds=-1), "p"),  # after now: nowhere
        (timedelta(days=7), "p"),  # exactly 7 days old: out of c7
        (None, "p"),  # unparseable timestamp: left out
    ]
    frame = severity_frame(ledger(*rows), now=NOW, options=OPTIONS)
    assert frame.select("c24", "c7", "daily").row(0) == (2, 3, [0, 0, 0, 0, 0, 1, 2])


def test_config_cleanup_rows_and_excluded_tenants_never_count() -> None:
    rows = spread(20, "google_ads", 1, 20, category="config_cleanup") + spread(
        12, "stripe", 1, 20, tenant="test-tenant"
    )
    assert report(*rows)["providers"][0]["provider"] == "stripe"  # stripe counts until its tenant is excluded
    excluded = SeverityOptions.from_policy(Policy().severity, ["test-tenant"])
    assert report(*rows, options=excluded)["header"] == "All systems nominal"
    assert severity_frame(ledger(*rows), now=NOW, options=excluded).height == 0


def test_sample_messages_are_cut_to_120_characters() -> None:
    long, exact = "x" * 130, "y" * 120
    rows = spread(10, "p", 1, 2, error_type="LONG", message=long) + spread(
        2, "p", 3, 4, error_type="EXACT", message=exact
    )
    samples = report(*rows)["providers"][0]["samples"]
    assert samples[0]["message"] == "x" * 120 + "…"
    assert samples[1]["message"] == exact


def test_recurring_needs_one_error_type_five_times_in_seven_days() -> None:
    recurring = report(*spread(5, "hubspot", 30, 150, error_type="RATE_LIMITED"))["providers"][0]
    assert (recurring["severity"], recurring["status"]) == ("info", "recurring")
    mixed = spread(4, "hubspot", 30, 150, error_type="A") + spread(4, "hubspot", 30, 150, error_type="B")
    assert report(*mixed)["providers"] == []  # 8 errors but no type reaches 5 → nominal, not listed


def test_trend_values() -> None:
    def trend(rows: list[tuple]) -> str:
        return severity_frame(ledger(*rows), now=NOW, options=OPTIONS)["trend"][0]

    assert trend(spread(2, "p", 1, 5)) == "new"  # six earlier windows empty
    assert trend(spread(4, "p", 1, 5) + spread(6, "p", 30, 150)) == "rising"  # 4 > 1.5 × 1
    assert trend(spread(6, "p", 30, 150)) == "falling"  # 0 < 0.5 × 1
    assert trend(spread(1, "p", 1, 5) + spread(6, "p", 30, 150)) == "steady"  # 1 within [0.5, 1.5] × 1
    assert trend([(timedelta(days=10), "p")]) == "steady"  # nothing this week at all


def test_backtest_on_a_ledger_shaped_like_the_adr() -> None:
    # 500 errors during 10 June (UTC), nothing else: the legacy 7-day average stays above 50 for a week.
    burst_day = datetime(2026, 6, 10, tzinfo=UTC)
    rows = [(NOW - (burst_day + timedelta(minutes=2 * i + 1)), "meta_ads") for i in range(500)]
    result = backtest_report(ledger(*rows), now=NOW, days=7, options=OPTIONS)
    assert [d["date"] for d in result["days"]] == [f"2026-06-{d:02d}" for d in range(7, 14)]
    assert [d["legacy"]["critical"] for d in result["days"]] == [0, 0, 0, 1, 1, 1, 1]
    assert [d["current"]["critical"] for d in result["days"]] == [0, 0, 0, 1, 0, 0, 0]
    assert result["legacy_pages"] == 4 and result["current_pages"] == 1
    # and today it is historical, not a page
    assert report(*rows)["header"] == "All systems nominal"


def test_backtest_day_windows_end_at_midnight_inclusive() -> None:
    midnight = datetime(2026, 6, 13, tzinfo=UTC)
    rows = [(NOW - midnight, "p")] * 10  # exactly 24:00 of 12 June → belongs to 12 June's window
    days = {
        d["date"]: d["current"]["critical"]
        for d in backtest_report(ledger(*rows), now=NOW, days=3, options=OPTIONS)["days"]
    }
    assert days == {"2026-06-11": 0, "2026-06-12": 1, "2026-06-13": 0}


# --- property test: the one-pass Polars counts vs a plain-Python reference --------------------------------


ages = st.one_of(
    st.none(),
    st.integers(-3600, 8 * 86400).map(lambda s: timedelta(seconds=s)),
    st.sampled_from([timedelta(hours=24), timedelta(days=7), timedelta(0)]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(ages, st.sampled_from(["a", "b", "c"]), st.sampled_from(["X", "Y"])), max_size=120))
def test_counts_and_classes_match_the_reference(rows: list[tuple]) -> None:
    frame = severity_frame(ledger(*rows), now=NOW, options=OPTIONS)
    got = {
        r["provider"]: (r["c24"], r["c7"], r["daily"], r["severity"], r["status"], r["spike"])
        for r in frame.iter_rows(named=True)
    }
    expected = {p: v for p, v in reference(rows).items() if any(r[1] == p and r[0] is not None for r in rows)}
    assert got == expected


def test_sample_message_is_the_most_frequent_with_ties_to_the_smallest_text() -> None:
    rows = [
        (hours(h), "p", "E", m) for h, m in ((1, "b"), (2, "a"), (3, "b"), (4, "a"), (5, None), (6, None), (7, None))
    ]
    rows += [(hours(8), "p", "ONLY_NULL", None)]
    (provider,) = report(*rows)["providers"]
    # "a" and "b" twice each (null messages are not candidates): the smaller text wins
    assert provider["samples"] == [
        {"error_type": "E", "count": 7, "message": "a"},
        {"error_type": "ONLY_NULL", "count": 1, "message": None},
    ]
