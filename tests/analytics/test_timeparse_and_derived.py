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


def test_every_form_python_accepts_by_hand() -> None:
    """DATA.md: timestamps parse as ``datetime.fromisoformat`` does, naive = UTC; out of range after the
    offset does not parse."""
    cases = {
        "2026-06-09T09": datetime(2026, 6, 9, 9, tzinfo=UTC),
        "20260609T090000Z": datetime(2026, 6, 9, 9, tzinfo=UTC),
        "2026-W23-2": datetime(2026, 6, 2, tzinfo=UTC),
        "2026W232": datetime(2026, 6, 2, tzinfo=UTC),
        "2026-W23": datetime(2026, 6, 1, tzinfo=UTC),
        "2026-06-09T0900": datetime(2026, 6, 9, 9, tzinfo=UTC),
        "2026-06-09x09:00": datetime(2026, 6, 9, 9, tzinfo=UTC),
        "2026-06-09T09:00:00,5": datetime(2026, 6, 9, 9, 0, 0, 500000, tzinfo=UTC),
        "2026-06-09T09:00:00.1234567": datetime(2026, 6, 9, 9, 0, 0, 123456, tzinfo=UTC),
        "2026-06-09T09:00:00+05:30:15": datetime(2026, 6, 9, 3, 29, 45, tzinfo=UTC),
        "2026-06-09T09:00:00+05": datetime(2026, 6, 9, 4, tzinfo=UTC),
        "2026-06-09T09:00:00z": None,
        "2026-06": None,
        "2026-06-09T24:00:00": None,
        "2026-06-09T09:00:00+24:00": None,
        " 2026-06-09": None,
        "9999-12-31T23:59:59-05:00": None,
        "0001-01-01T00:00:00+05:00": None,
        "9999-12-31T23:59:59+05:00": datetime(9999, 12, 31, 18, 59, 59, tzinfo=UTC),
    }
    assert [parse_timestamp(v) for v in cases] == list(cases.values())
    assert parse_timestamp_series(pl.Series("t", list(cases), dtype=pl.Utf8)).to_list() == list(cases.values())


def test_epochs_out_of_pythons_range_do_not_parse() -> None:
    values = ["1e15", "1000000000000000", "-99999999999999999", "99999999999", "99999999999999999999"]
    expected = [None, None, None, datetime(5138, 11, 16, 9, 46, 39, tzinfo=UTC), None]
    assert [parse_timestamp(v, allow_epoch=True) for v in values] == expected
    assert parse_timestamp_series(pl.Series("t", values), allow_epoch=True).to_list() == expected
    assert parse_timestamp(1e15, allow_epoch=True) is None
    assert parse_timestamp(10**400, allow_epoch=True) is None


def python_reference(text: str) -> datetime | None:
    """Plain Python, as OpenSRE parses: fromisoformat, naive = UTC, None when it fails or leaves the range."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


iso_like = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, off: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{off}",
    st.sampled_from([0, 1, 1970, 2026, 9999]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["T", " ", "x"]),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 61),
    st.sampled_from(["", ".", ".5", ".123456", ".1234567", ",25"]),
    st.sampled_from(["", "Z", "z", "+00:00", "-05:00", "+23:59", "+24:00", "+0530", "+05", "-00:00:30"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(iso_like, iso_texts, st.text(alphabet="0123456789-:TWZ+. ", max_size=22)), max_size=25))
def test_vectorised_parse_matches_fromisoformat(values: list[str]) -> None:
    fast = parse_timestamp_series(pl.Series("t", values, dtype=pl.Utf8)).to_list()
    assert fast == [python_reference(v) for v in values]


fast_layout = st.builds(
    lambda d, t, frac, off: f"{d.isoformat()}T{t.strftime('%H:%M:%S')}{frac}{off}",
    st.dates(min_value=datetime(1, 1, 1).date(), max_value=datetime(9999, 12, 31).date()),
    st.times(),
    st.sampled_from(["", ".5", ".05", ".123", ".000001", ".999999", ".1234"]),
    st.sampled_from(["+00:00", "Z", "-05:30", "+23:59"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(fast_layout, min_size=1, max_size=25), st.booleans())
def test_columns_wholly_in_the_fast_layout_match_fromisoformat(values: list[str], python_offsets: bool) -> None:
    """The shortcut for a column whose every value has the usual layout (and the one for ``+00:00`` alone, the
    offset Python's ``isoformat`` writes) gives Python's answers, years 1 and 9999 included."""
    if python_offsets:
        values = [v.removesuffix("Z").rsplit("+", 1)[0].rsplit("-05:30", 1)[0] + "+00:00" for v in values]
    fast = parse_timestamp_series(pl.Series("t", values, dtype=pl.Utf8)).to_list()
    assert fast == [python_reference(v) for v in values]


def test_the_utc_shortcuts_by_hand() -> None:
    values = ["2026-06-09T09:00:00+00:00", "2026-06-09T09:00:00.5+00:00", "0001-01-01T00:00:00+00:00"]
    assert parse_timestamp_series(pl.Series("t", values)).to_list() == [
        datetime(2026, 6, 9, 9, 0, tzinfo=UTC),
        datetime(2026, 6, 9, 9, 0, 0, 500000, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
    ]
    # isoformat's own layout, all one length: seconds plus the six microsecond digits; no 30 February
    same_length = [
        "2026-06-09T09:00:00.000005+00:00",
        "2026-02-30T09:00:00.500000+00:00",
        "9999-12-31T23:59:59.999999+00:00",
    ]
    assert parse_timestamp_series(pl.Series("t", same_length)).to_list() == [
        datetime(2026, 6, 9, 9, 0, 0, 5, tzinfo=UTC),
        None,
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    whole_seconds = ["2026-06-09T09:00:00+00:00", "2026-06-09T24:00:00+00:00"]
    assert parse_timestamp_series(pl.Series("t", whole_seconds)).to_list() == [
        datetime(2026, 6, 9, 9, tzinfo=UTC),
        None,
    ]
