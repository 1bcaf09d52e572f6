"""Export builders and the shared filters: hand-written expectations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from dashboard.context import Filters
from dashboard.exports import csv_bytes, download_name, json_bytes, neutralise_formulas


def test_formula_cells_are_neutralised_and_numbers_stay_numbers() -> None:
    frame = pl.DataFrame(
        {
            "text": ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", None, "a=b"],
            "number": [-1, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    )
    out = neutralise_formulas(frame)
    assert out["text"].to_list() == [
        "'=cmd|' /C calc'!A0",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
        None,
        "a=b",
    ]
    assert out["number"].to_list() == [-1, 2, 3, 4, 5, 6, 7, 8, 9]
    text = csv_bytes(frame).decode()
    assert text.splitlines()[0] == "text,number"
    assert text.splitlines()[1] == "'=cmd|' /C calc'!A0,-1"


def test_csv_writes_nested_values_as_json_and_json_keeps_types() -> None:
    frame = pl.DataFrame({"keys": [["logs:a", "metrics:b"]], "at": [datetime(2026, 6, 2, 10, tzinfo=UTC)], "n": [1.5]})
    assert csv_bytes(frame).decode().splitlines()[1].startswith('"[""logs:a"", ""metrics:b""]"')
    assert json.loads(json_bytes(frame)) == [
        {"keys": ["logs:a", "metrics:b"], "at": "2026-06-02T10:00:00+00:00", "n": 1.5}
    ]


def test_download_names_carry_filters_and_time_and_are_safe() -> None:
    at = datetime(2026, 11, 16, 9, 5, tzinfo=UTC)
    assert download_name("misses", at, "csv", since="7d", taxonomy=None) == "misses_since-7d_20261116T0905Z.csv"
    assert (
        download_name("report", at, "csv", file="../../etc/passwd") == "report_file-..-..-etc-passwd_20261116T0905Z.csv"
    )
    assert "/" not in download_name("x", at, "json", alert="a/b\\c")


def test_filters_since_and_query_params() -> None:
    now = datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert Filters("7d").since(now) == datetime(2026, 11, 9, 9, tzinfo=UTC)
    assert Filters("all").since(now) is None
    assert Filters("30d", ("api", "db")).query_params() == {"range": "30d", "service": ["api", "db"]}
    assert Filters().query_params() == {"range": "30d"}


def test_the_newest_rows_are_the_head_of_the_miss_table() -> None:
    """The table's rows are found on the sort columns first (dashboard.misses_view.newest_rows): the same rows in
    the same order as sorting every column. Ties in time keep file order; an unparsable time counts as 1970."""
    from dashboard.misses_view import miss_table, newest_rows

    def at(day: int) -> datetime:
        return datetime(2026, 11, day, tzinfo=UTC)

    misses = pl.DataFrame(
        {
            "_line": [1, 2, 3, 4, 5, 6],
            "timestamp": [at(3), at(5), None, at(5), at(1), at(4)],
            "timestamp_text": ["2026-11-03", "2026-11-05", "soon", "2026-11-05", "2026-11-01", "2026-11-04"],
            **{c: [f"{c}{i}" for i in range(6)] for c in ["alert_name", "taxonomy", "rating", "severity"]},
            **{c: [None] * 6 for c in ["pipeline_name", "root_cause", "root_cause_category", "taxonomy_detail"]},
            **{c: [None] * 6 for c in ["miss_id", "run_id", "feedback_id", "user_id", "org_id"]},
            "validity_score": [0.5] * 6,
            "investigation_loop_count": [1] * 6,
        },
        schema_overrides={"timestamp": pl.Datetime("us", "UTC")},
    ).lazy()
    assert newest_rows(misses, 4)["line"].to_list() == [2, 4, 6, 1]  # Nov 5 (lines 2, 4), Nov 4, Nov 3
    assert newest_rows(misses, 10)["line"].to_list() == [2, 4, 6, 1, 5, 3]  # "soon" counts as 1970: last
    for personal in (False, True):
        for limit in (0, 3, 6):
            expected = miss_table(misses, include_personal=personal).head(limit).collect()
            assert newest_rows(misses, limit, include_personal=personal).equals(expected)
