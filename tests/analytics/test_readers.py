"""Readers on bad input: every expectation is written out by hand from DATA.md's general rules."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.schemas import ERROR_LEDGER, FEEDBACK, INCIDENTS, INVESTIGATIONS, MISSES
from tests.conftest import write_lines
from triage_lens.sources.loading import load_input
from triage_lens.sources.readers import ReportItem, read_input_file


def dt(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_corrupt_blank_and_non_object_lines_are_quarantined_and_the_rest_loads(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "misses.jsonl",
        '{"miss_id": "m1", "timestamp": "2026-06-02T10:00:00+00:00", "alert_name": "A", "taxonomy": "retrieval_gap"}',
        "",
        "{not json",
        "[1, 2]",
        '"just a string"',
        "   ",
        '{"miss_id": "m2"}',
    )
    result = read_input_file(path, MISSES, "misses.jsonl")
    assert result.frame["_line"].to_list() == [1, 7]
    assert result.frame["miss_id"].to_list() == ["m1", "m2"]
    assert result.blank_lines == 2
    assert result.items == [
        ReportItem(
            "misses.jsonl",
            3,
            "not valid JSON (Expecting property name enclosed in double quotes at column 2)",
            "{not json",
            "quarantined",
        ),
        ReportItem("misses.jsonl", 4, "not a JSON object (got array)", "[1, 2]", "quarantined"),
        ReportItem("misses.jsonl", 5, "not a JSON object (got string)", '"just a string"', "quarantined"),
    ]


def test_nulls_in_every_optional_field_give_a_row_of_nulls_and_the_record_as_stored(tmp_path: Path) -> None:
    record = {f.name: None for f in MISSES.fields}
    line = json.dumps(record)
    result = read_input_file(write_lines(tmp_path / "misses.jsonl", line), MISSES, "m")
    assert result.items == []
    row = result.frame.row(0, named=True)
    assert row["_raw"] == line
    assert row["_flags"] is None
    assert all(row[f.name] is None for f in MISSES.fields)
    assert row["timestamp_text"] is None


def test_null_and_absent_survive_in_the_raw_record(tmp_path: Path) -> None:
    lines = ['{"miss_id": "a", "alert_name": null}', '{"miss_id": "b"}']
    frame = read_input_file(write_lines(tmp_path / "misses.jsonl", *lines), MISSES, "m").frame
    assert frame["_raw"].to_list() == lines
    assert [json.loads(r) for r in frame["_raw"]] == [{"miss_id": "a", "alert_name": None}, {"miss_id": "b"}]


def test_naive_offset_z_and_unparseable_timestamps(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "misses.jsonl",
        '{"miss_id": "naive", "timestamp": "2026-06-02T10:00:00"}',
        '{"miss_id": "offset", "timestamp": "2026-06-02T12:00:00+02:00"}',
        '{"miss_id": "zulu", "timestamp": "2026-06-02T10:00:00.250Z"}',
        '{"miss_id": "bad", "timestamp": "not a time"}',
        '{"miss_id": "number", "timestamp": 1780000000}',
    )
    result = read_input_file(path, MISSES, "m.jsonl")
    expected = pl.DataFrame(
        {
            "miss_id": ["naive", "offset", "zulu", "bad", "number"],
            "timestamp": [
                dt(2026, 6, 2, 10),
                dt(2026, 6, 2, 10),
                datetime(2026, 6, 2, 10, 0, 0, 250000, tzinfo=UTC),
                None,
                None,
            ],
            "timestamp_text": [
                "2026-06-02T10:00:00",
                "2026-06-02T12:00:00+02:00",
                "2026-06-02T10:00:00.250Z",
                "not a time",
                "1780000000",
            ],
            "_flags": [None, None, None, "timestamp", "timestamp"],
        },
        schema_overrides={"timestamp": pl.Datetime("us", "UTC")},
    )
    assert_frame_equal(result.frame.select(expected.columns), expected)
    assert [(i.line, i.reason, i.action) for i in result.items] == [
        (4, "field 'timestamp' is not a timestamp: 'not a time'", "flagged"),
        (5, "field 'timestamp' is not a timestamp: '1780000000'", "flagged"),
    ]


def test_bom_at_file_start_is_accepted(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "feedback.jsonl", '{"feedback_id": "f1", "rating": "accurate"}', bom=True)
    result = read_input_file(path, FEEDBACK, "f")
    assert result.items == []
    assert result.frame.select("_line", "feedback_id", "rating").rows() == [(1, "f1", "accurate")]


def test_empty_file_gives_zero_rows_and_no_report(tmp_path: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b"")
    result = read_input_file(path, MISSES, "m")
    assert result.frame.height == 0
    assert result.items == []
    assert result.frame.schema == pl.Schema(MISSES.polars_schema())


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    loaded = load_input("misses", tmp_path / "nope.jsonl")
    assert loaded.error == f"{tmp_path / 'nope.jsonl'}: file not found"
    assert loaded.frame.collect().height == 0
    absent = load_input("misses", None)
    assert absent.error is None and absent.path is None and absent.rows == 0


def test_unknown_extra_fields_are_kept_in_the_raw_record_only(tmp_path: Path) -> None:
    line = '{"miss_id": "m1", "new_field": {"nested": [1, 2]}, "another": "x"}'
    result = read_input_file(write_lines(tmp_path / "m.jsonl", line), MISSES, "m")
    assert result.items == []
    assert "new_field" not in result.frame.columns
    assert json.loads(result.frame["_raw"][0])["new_field"] == {"nested": [1, 2]}


def test_wrong_types_become_null_and_are_flagged_row_kept(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "feedback.jsonl",
        '{"feedback_id": "f1", "validity_score": "0.9", "is_noise": "yes", "investigation_loop_count": true}',
        '{"feedback_id": "f2", "validity_score": 1, "is_noise": false, "investigation_loop_count": 3.0}',
    )
    result = read_input_file(path, FEEDBACK, "feedback.jsonl")
    assert result.frame.select(
        "feedback_id", "validity_score", "is_noise", "investigation_loop_count", "_flags"
    ).rows() == [
        ("f1", None, None, None, "validity_score,is_noise,investigation_loop_count"),
        ("f2", 1.0, False, 3, None),
    ]
    assert [(i.line, i.reason) for i in result.items] == [
        (1, "field 'validity_score' is string, expected a number"),
        (1, "field 'is_noise' is string, expected true or false"),
        (1, "field 'investigation_loop_count' is boolean, expected an integer"),
    ]
    assert all(i.action == "flagged" for i in result.items)


def test_missing_required_field_quarantines_the_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "incidents.jsonl",
        '{"id": "i1", "service": "api", "started_at": "2026-06-02T10:00:00Z"}',
        '{"id": "i2", "started_at": "2026-06-02T10:00:00Z"}',
        '{"id": "", "service": "api", "started_at": "2026-06-02T10:00:00Z"}',
        '{"id": 7, "service": "api", "started_at": "2026-06-02T10:00:00Z"}',
    )
    result = read_input_file(path, INCIDENTS, "incidents.jsonl")
    assert result.frame["id"].to_list() == ["i1"]
    assert [(i.line, i.reason, i.action) for i in result.items] == [
        (2, "missing required field 'service'", "quarantined"),
        (3, "missing required field 'id'", "quarantined"),
        (4, "required field 'id' is number, expected a string", "quarantined"),
    ]


def test_investigation_claims_are_typed_and_bad_claims_flagged(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "investigations.jsonl",
        '{"run_id": "r1", "validated_claims": [{"claim": "pool exhausted", "evidence_keys": ["logs:api", "metrics:db"]}]}',
        '{"run_id": "r2", "validated_claims": [{"claim": "x", "evidence_keys": "logs:api"}]}',
    )
    result = read_input_file(path, INVESTIGATIONS, "inv")
    assert result.frame["validated_claims"].to_list() == [
        [{"claim": "pool exhausted", "evidence_keys": ["logs:api", "metrics:db"]}],
        None,
    ]
    assert [(i.line, i.reason) for i in result.items] == [
        (2, "field 'validated_claims' is array, expected a list of {claim, evidence_keys} objects")
    ]


def test_invalid_utf8_line_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b'{"miss_id": "ok"}\n{"miss_id": "\xff"}\n')
    result = read_input_file(path, MISSES, "m")
    assert result.frame["miss_id"].to_list() == ["ok"]
    assert [(i.line, i.reason) for i in result.items] == [(2, "not valid UTF-8")]


def test_ledger_csv_with_bom_epoch_seconds_milliseconds_and_missing_provider(tmp_path: Path) -> None:
    path = tmp_path / "error_ledger.csv"
    path.write_bytes(
        b"\xef\xbb\xbftimestamp,provider,error_type,error_message,tenant_id,action,category\n"
        b"2026-06-02T10:00:00Z,google_ads,AUTH_FAILED,token expired,t1,sync,error\n"
        b"1780394400,stripe,TIMEOUT,,t2,charge,\n"
        b"1780394400000,stripe,TIMEOUT,,t2,charge,\n"
        b"2026-06-02T10:00:00Z,,TIMEOUT,,t2,charge,\n"
        b"soon,meta_ads,,,,,\n"
    )
    result = read_input_file(path, ERROR_LEDGER, "error_ledger.csv")
    assert result.frame.select("_line", "provider", "timestamp", "category").rows() == [
        (2, "google_ads", dt(2026, 6, 2, 10), "error"),
        (3, "stripe", dt(2026, 6, 2, 10), None),
        (4, "stripe", dt(2026, 6, 2, 10), None),
        (6, "meta_ads", None, None),
    ]
    assert [(i.line, i.reason, i.action) for i in result.items] == [
        (5, "missing required field 'provider'", "quarantined"),
        (6, "field 'timestamp' is not a timestamp: 'soon'", "flagged"),
    ]


def test_ledger_sqlite_d1_export_with_millisecond_integers(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE error_ledger (id INTEGER PRIMARY KEY, timestamp INTEGER, provider TEXT, error_type TEXT, category TEXT)"
        )
        connection.executemany(
            "INSERT INTO error_ledger (timestamp, provider, error_type, category) VALUES (?, ?, ?, ?)",
            [
                (1780394400000, "google_ads", "AUTH_FAILED", "error"),
                (1780394400, None, "X", "error"),
                ("2026-06-02 10:00:00", "stripe", None, None),
            ],
        )
    connection.close()
    result = read_input_file(path, ERROR_LEDGER, "ledger.sqlite")
    assert result.frame.select("_line", "provider", "timestamp").rows() == [
        (1, "google_ads", dt(2026, 6, 2, 10)),
        (3, "stripe", dt(2026, 6, 2, 10)),
    ]
    assert [(i.line, i.reason) for i in result.items] == [(2, "missing required field 'provider'")]


def test_ledger_sqlite_without_the_table_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    sqlite3.connect(path).close()
    loaded = load_input("error_ledger", path)
    assert loaded.error is not None and "no readable table 'error_ledger'" in loaded.error


def test_ledger_parquet_with_native_datetimes(tmp_path: Path) -> None:
    path = tmp_path / "error_ledger.parquet"
    pl.DataFrame(
        {"timestamp": [datetime(2026, 6, 2, 10)], "provider": ["google_ads"], "error_type": ["X"]}
    ).write_parquet(path)
    result = read_input_file(path, ERROR_LEDGER, "p")
    assert result.frame.select("_line", "provider", "timestamp", "error_message").rows() == [
        (1, "google_ads", dt(2026, 6, 2, 10), None)
    ]


def test_cache_serves_an_unchanged_file_and_rebuilds_after_a_change(tmp_path: Path, isolated_environment: Path) -> None:
    path = write_lines(tmp_path / "misses.jsonl", '{"miss_id": "a"}', "oops")
    first = load_input("misses", path)
    assert not first.from_cache
    second = load_input("misses", path)
    assert second.from_cache
    assert_frame_equal(first.frame.collect(), second.frame.collect())
    assert second.items == first.items and second.rows == 1
    assert list((isolated_environment / "triage-lens").glob("misses-*.parquet"))
    write_lines(path, '{"miss_id": "a"}', '{"miss_id": "b"}')
    third = load_input("misses", path)
    assert not third.from_cache
    assert third.frame.collect()["miss_id"].to_list() == ["a", "b"]
    assert len(list((isolated_environment / "triage-lens").glob("misses-*.parquet"))) == 1


@pytest.mark.parametrize("suffix", [".txt", ".xlsx"])
def test_unsupported_suffix_is_unreadable_with_a_clear_message(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"error_ledger{suffix}"
    path.write_text("x")
    loaded = load_input("error_ledger", path)
    assert loaded.error == f"{path}: unsupported file type '{suffix}' (use .jsonl, .csv, .parquet or .sqlite)"
