"""Timestamp parsing and derived columns: hand-written cases plus property tests (Polars vs plain Python)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.derived import (
    derive_incident_fields,
    grouping_key_reference,
    incident_kind_reference,
    incident_signature_reference,
    with_grouping_key,
)
from analytics.policy import DEFAULT_KIND_KEYWORDS
from analytics.timeparse import parse_timestamp, parse_timestamp_expr, parse_timestamp_series


def parse_column(values: list[object], *, allow_epoch: bool = False) -> list[datetime | None]:
    frame = pl.DataFrame({"t": [None if v is None else str(v) for v in values]}, schema={"t": pl.Utf8})
    return frame.select(parse_timestamp_expr("t", allow_epoch=allow_epoch)).to_series().to_list()


def test_hand_written_timestamps() -> None:
    cases = {
        "2026-06-02T10:00:00.123456+00:00": datetime(2026, 6, 2, 10, 0, 0, 123456, tzinfo=UTC),
        "2026-06-02T10:00:00Z": datetime(2026, 6, 2, 10, tzinfo=UTC),
        "2026-06-02T10:00:00": datetime(2026, 6, 2, 10, tzinfo=UTC),
        "2026-06-02 12:30:00+02:00": datetime(2026, 6, 2, 10, 30, tzinfo=UTC),
        "2026-06-02T10:00:00-0530": datetime(2026, 6, 2, 15, 30, tzinfo=UTC),
        "2026-06-02": datetime(2026, 6, 2, tzinfo=UTC),
        "2026-06-02T10:00": datetime(2026, 6, 2, 10, tzinfo=UTC),
        "2026-02-30T10:00:00": None,
        "yesterday": None,
        "": None,
    }
    assert parse_column(list(cases)) == list(cases.values())
    assert [parse_timestamp(v) for v in cases] == list(cases.values())


def test_epochs_only_where_allowed() -> None:
    assert parse_column(["1780394400", "1780394400500"], allow_epoch=True) == [
        datetime(2026, 6, 2, 10, tzinfo=UTC),
        datetime(2026, 6, 2, 10, 0, 0, 500000, tzinfo=UTC),
    ]
    assert parse_column(["1780394400"]) == [None]
    assert parse_timestamp(1780394400, allow_epoch=True) == datetime(2026, 6, 2, 10, tzinfo=UTC)
    assert parse_timestamp(1780394400) is None
    assert parse_timestamp(True, allow_epoch=True) is None


iso_texts = st.builds(
    lambda d, t, sep, frac, off: f"{d.isoformat()}{sep}{t.strftime('%H:%M:%S')}{frac}{off}",
    st.dates(min_value=datetime(1971, 1, 1).date(), max_value=datetime(2100, 1, 1).date()),
    st.times(),
    st.sampled_from(["T", " "]),
    st.one_of(
        st.just(""),
        st.integers(0, 999999).map(lambda n: f".{n:06d}"),
        st.integers(0, 999).map(lambda n: f".{n:03d}"),
    ),
    st.sampled_from(["", "Z", "+00:00", "+02:00", "-05:30", "+0100", "+05"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(iso_texts, st.text(max_size=12), st.sampled_from(["2026-06-02T23:59:60Z", " 2026-06-02T10:00:00Z"])),
        max_size=30,
    )
)
def test_vectorised_parse_matches_the_reference(values: list[str]) -> None:
    assert parse_column(values) == [parse_timestamp(v) for v in values]
    fast = parse_timestamp_series(pl.Series("t", values, dtype=pl.Utf8)).to_list()
    assert fast == [parse_timestamp(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 4_000_000_000), st.integers(100_000_000_000, 4_000_000_000_000)), max_size=20))
def test_vectorised_epochs_match_the_reference(values: list[int]) -> None:
    assert parse_column(values, allow_epoch=True) == [parse_timestamp(v, allow_epoch=True) for v in values]


def test_grouping_key_falls_back_for_null_and_empty() -> None:
    frame = pl.LazyFrame({"alert_name": ["A", None, "", "B"], "taxonomy": [None, "reasoning_gap", "", "tool_failure"]})
    assert with_grouping_key(frame).select("group_alert", "group_taxonomy").collect().rows() == [
        ("A", "unknown"),
        ("<unknown>", "reasoning_gap"),
        ("<unknown>", "unknown"),
        ("B", "tool_failure"),
    ]
    assert grouping_key_reference(None, "") == ("<unknown>", "unknown")


def derive(rows: list[dict[str, str | None]]) -> list[tuple[str, str, bool, bool]]:
    frame = pl.LazyFrame(rows, schema=dict.fromkeys(("service", "kind", "title", "summary", "signature"), pl.Utf8))
    out = derive_incident_fields(frame, kind_keywords=DEFAULT_KIND_KEYWORDS, default_kind="custom")
    return out.select("kind", "signature", "kind_derived", "signature_derived").collect().rows()


def test_kind_and_signature_derivation_by_hand() -> None:
    rows = [
        # "5xx" and "errors" are error_rate keywords; no earlier kind matches.
        {
            "service": "gateway",
            "kind": None,
            "title": "Gateway  5xx  Errors 12%",
            "summary": None,
            "signature": None,
        },
        # "memory" (oom) comes before "slow" (latency) in policy order.
        {
            "service": "api",
            "kind": "",
            "title": "Memory leak causing slow responses",
            "summary": "",
            "signature": "",
        },
        # no keyword anywhere → the default kind; a stored kind and signature are kept.
        {"service": "api", "kind": None, "title": "Something odd", "summary": "unclear", "signature": None},
        {"service": "api", "kind": "deploy", "title": "x", "summary": None, "signature": "abc"},
    ]
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    assert derive(rows) == [
        ("error_rate", sha("gateway|error_rate|gateway #xx errors #%"), True, True),
        ("oom", sha("api|oom|memory leak causing slow responses"), True, True),
        ("custom", sha("api|custom|something odd"), True, True),
        ("deploy", "abc", False, False),
    ]


words = st.sampled_from(
    ["oom", "Slow", "DNS", "disk", "5xx", "deploy", "queue", "plain", "SLO", "  ", "42", "x9y", "é"]
)
texts = st.one_of(st.none(), st.lists(words, max_size=5).map(" ".join))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "service": st.sampled_from(["api", "db", "web"]),
                "kind": st.one_of(st.none(), st.sampled_from(["", "latency", "custom"])),
                "title": texts,
                "summary": texts,
                "signature": st.one_of(st.none(), st.just(""), st.just("f" * 64)),
            }
        ),
        max_size=20,
    )
)
def test_derivation_matches_the_reference(rows: list[dict[str, str | None]]) -> None:
    expected = []
    for r in rows:
        kind = incident_kind_reference(
            r["title"], r["summary"], r["kind"], kind_keywords=DEFAULT_KIND_KEYWORDS, default_kind="custom"
        )
        signature = incident_signature_reference(r["service"] or "", kind, r["title"], r["signature"])
        expected.append((kind, signature, not r["kind"], not r["signature"]))
    assert derive(rows) == expected
