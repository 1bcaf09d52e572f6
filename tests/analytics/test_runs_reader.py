"""The runs folder reader: JUnit XML and JSONL results in, one row per test result out; truncated, hostile,
oversized and non-regular files are reported by name and skipped, never a traceback."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

import triage_lens.sources.runs as runs_module
from triage_lens.sources.readers import ReportItem
from triage_lens.sources.runs import read_runs, run_files

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests">
  <testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" timestamp="2026-11-10T02:00:00.123456+01:00"
             hostname="ci-7">
    <testcase classname="bench.test_misses" name="test_case[0001_gateway_reasoning_gap]" time="12.5">
      <properties>
        <property name="miss_id" value="m-1"/>
        <property name="score" value="0.9"/>
      </properties>
    </testcase>
    <testcase classname="bench.test_misses" name="test_case[0002_auth_retrieval_gap]" time="3">
      <failure message="wrong root cause">AssertionError</failure>
    </testcase>
    <testcase classname="bench.test_misses" name="test_case[0003_search_tool_failure]" time="0.1">
      <error message="setup failed">ConnectionError</error>
      <failure message="also failed">AssertionError</failure>
    </testcase>
    <testcase classname="bench.test_misses" name="test_case[0004_billing_routing_failure]" time="0">
      <skipped type="pytest.skip" message="sandbox down"/>
    </testcase>
  </testsuite>
</testsuites>
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_a_pytest_junit_file_gives_one_row_per_test_case(tmp_path: Path) -> None:
    path = write(tmp_path / "runs" / "night.xml", JUNIT)
    read = read_runs(tmp_path / "runs")
    assert read.items == []
    assert read.files == [str(path)]
    rows = read.frame.to_dicts()
    started = datetime(2026, 11, 10, 1, 0, 0, 123456, tzinfo=UTC)  # +01:00 → UTC
    assert [(r["run_id"], r["started_at"], r["hostname"]) for r in rows] == [
        ("2026-11-10T01:00:00Z@ci-7", started, "ci-7")
    ] * 4
    assert [(r["name"], r["status"], r["miss_id"], r["score"], r["duration_s"]) for r in rows] == [
        ("test_case[0001_gateway_reasoning_gap]", "passed", "m-1", 0.9, 12.5),
        ("test_case[0002_auth_retrieval_gap]", "failed", None, None, 3.0),
        ("test_case[0003_search_tool_failure]", "error", None, None, 0.1),  # an error wins over a failure
        ("test_case[0004_billing_routing_failure]", "skipped", None, None, 0.0),
    ]
    assert {r["source"] for r in rows} == {"junit"}
    assert [r["line"] for r in rows] == [1, 2, 3, 4]


def test_a_root_testsuite_a_naive_timestamp_and_a_nested_suite_that_inherits_it(tmp_path: Path) -> None:
    write(
        tmp_path / "r.xml",
        '<testsuite name="outer" timestamp="2026-11-10T02:00:00">'
        '<testcase name="a"/>'
        '<testsuite name="inner"><testcase name="b[x]"/></testsuite>'
        "</testsuite>",
    )
    read = read_runs(tmp_path)
    assert read.items == []
    naive_as_utc = datetime(2026, 11, 10, 2, tzinfo=UTC)
    assert read.frame.select("run_id", "started_at", "hostname", "name").rows() == [
        ("2026-11-10T02:00:00Z", naive_as_utc, None, "a"),
        ("2026-11-10T02:00:00Z", naive_as_utc, None, "b[x]"),
    ]


def test_a_truncated_file_is_named_and_skipped_and_the_others_are_still_read(tmp_path: Path) -> None:
    good = write(tmp_path / "a_good.xml", JUNIT)
    bad = write(tmp_path / "b_truncated.xml", JUNIT[: len(JUNIT) // 2])
    read = read_runs(tmp_path)
    assert read.files == [str(good)]
    assert read.frame.height == 4
    assert len(read.items) == 1
    item = read.items[0]
    assert (item.file, item.action) == (str(bad), "skipped")
    assert item.reason.startswith("not well-formed XML (truncated or damaged) at line ")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuites><testsuite timestamp="2026-11-10T02:00:00"><testcase name="&lol4;"/></testsuite></testsuites>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<testsuites><testsuite timestamp="2026-11-10T02:00:00"><testcase name="&secret;"/></testsuite></testsuites>
"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_a_hostile_file_is_refused_by_name_without_expanding_anything(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "evil.xml", content)
    read = read_runs(tmp_path)
    assert read.frame.height == 0
    assert read.files == []
    assert [(i.file, i.line, i.action) for i in read.items] == [(str(path), 0, "skipped")]
    assert read.items[0].reason.startswith("refused: declares a DTD")


def test_xml_that_is_not_junit_is_skipped_with_the_root_element_named(tmp_path: Path) -> None:
    write(tmp_path / "pom.xml", "<project><modelVersion>4.0.0</modelVersion></project>")
    read = read_runs(tmp_path)
    assert [i.reason for i in read.items] == ["not JUnit XML (the root element is <project>, expected <testsuites>)"]


def test_a_suite_without_a_timestamp_and_a_nameless_case_are_quarantined(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.xml",
        "<testsuites>"
        '<testsuite name="untimed"><testcase name="a"/><testcase name="b"/></testsuite>'
        '<testsuite name="timed" timestamp="2026-11-10T02:00:00Z"><testcase/><testcase name="c"/></testsuite>'
        "</testsuites>",
    )
    read = read_runs(tmp_path)
    assert read.frame["name"].to_list() == ["c"]
    assert read.items == [
        ReportItem(
            str(path),
            0,
            "<testsuite name='untimed'> has no timestamp: its 2 test case(s) cannot be placed in time and were left out",
            "",
            "quarantined",
        ),
        ReportItem(str(path), 0, "test case #3 has no name: left out", "", "quarantined"),
    ]


def test_jsonl_results_with_bad_lines_quarantined_by_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "results.jsonl",
        "\ufeff"
        + "\n".join(
            [
                '{"run_id": "r1", "started_at": "2026-11-10T02:00:00Z", "scenario": "s1", "status": "passed", '
                '"score": 0.8, "miss_id": "m-1"}',
                '{"run_id": "r1", "started_at": "2026-11-10T02:00:00Z", "scenario": "s2", "status": "FAILED"}',
                "",
                '{"run_id": "r1", "started_at": "2026-11-10T02:00:00Z", "scenario": "s3", "status": "flaky"}',
                '{"run_id": "r1", "started_at": "yesterday", "scenario": "s4", "status": "passed"}',
                '{"started_at": "2026-11-10T02:00:00Z", "scenario": "s5", "status": "passed"}',
                "[1, 2]",
                '{"run_id": "r1", "started_at": "2026-11-10T02:00',
                '{"run_id": "r1", "started_at": "2026-11-10T02:00:00Z", "scenario": "s6", "status": "skipped", '
                '"score": "high"}',
            ]
        )
        + "\n",
    )
    read = read_runs(tmp_path)
    assert read.frame.select("line", "run_id", "name", "status", "score", "miss_id", "source").rows() == [
        (1, "r1", "s1", "passed", 0.8, "m-1", "jsonl"),
        (2, "r1", "s2", "failed", None, None, "jsonl"),
        (9, "r1", "s6", "skipped", None, None, "jsonl"),
    ]
    assert [(i.line, i.action, i.reason) for i in read.items] == [
        (4, "quarantined", "field 'status' is \"flaky\", expected one of passed, failed, error, skipped"),
        (5, "quarantined", "field 'started_at' is missing or not an ISO-8601 timestamp"),
        (6, "quarantined", "missing required field 'run_id' (a non-empty string)"),
        (7, "quarantined", "not a JSON object"),
        (8, "quarantined", "not valid JSON"),
        (9, "flagged", "field 'score' is not a number"),
    ]
    assert {i.file for i in read.items} == {str(path)}


def test_a_fifo_is_never_opened_for_reading_and_a_big_file_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)  # reading it would block forever: the reader must refuse it without waiting
    big = write(tmp_path / "big.jsonl", "x" * 2048)
    monkeypatch.setattr(runs_module, "MAX_FILE_BYTES", 1024)
    read = read_runs(tmp_path)
    reasons = {Path(i.file).name: i.reason for i in read.items}
    assert reasons == {"pipe.xml": "not a regular file", big.name: "larger than 1,024 bytes"}
    assert read.frame.height == 0


def test_hidden_files_other_suffixes_and_symlinked_folders_are_left_alone_hidden_folders_walked(tmp_path: Path) -> None:
    write(tmp_path / "runs" / "2026-11" / "a.XML", JUNIT)
    write(tmp_path / "runs" / "b.ndjson", "")
    write(tmp_path / "runs" / ".hidden.xml", JUNIT)
    write(tmp_path / "runs" / ".cache" / "c.xml", JUNIT)
    write(tmp_path / "runs" / "notes.txt", "hello")
    write(tmp_path / "elsewhere" / "d.xml", JUNIT)
    (tmp_path / "runs" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert [p.relative_to(tmp_path / "runs").as_posix() for p in run_files(tmp_path / "runs")] == [
        "b.ndjson",
        ".cache/c.xml",  # hidden folders are walked (OpenSRE writes .bench-results/)
        "2026-11/a.XML",
    ]


def test_a_missing_folder_is_one_report_item(tmp_path: Path) -> None:
    read = read_runs(tmp_path / "absent")
    assert read.frame.height == 0
    assert [(i.reason, i.action) for i in read.items] == [("not a folder", "skipped")]


def test_the_runs_folder_is_resolved_like_the_scenarios_folder(tmp_path: Path) -> None:
    from tests.conftest import SAMPLE_DIR
    from triage_lens.sources.loading import resolve_sources

    folder = tmp_path / "data"
    (folder / "runs").mkdir(parents=True)
    assert resolve_sources(str(folder), environ={}).runs_dir == folder / "runs"
    assert resolve_sources(str(tmp_path), environ={}).runs_dir is None  # no runs/ subfolder
    assert resolve_sources(str(SAMPLE_DIR), environ={}).runs_dir == SAMPLE_DIR / "runs"
    empty_home = tmp_path / "home"
    empty_home.mkdir()
    default = resolve_sources(environ={}, cwd=tmp_path, home=empty_home)
    assert default.runs_dir is not None and default.runs_dir.name == "runs"  # the bundled sample's
    config = tmp_path / "triage-lens.yaml"
    config.write_text("runs_dir: results\n", encoding="utf-8")
    assert resolve_sources(str(config), environ={}).runs_dir == tmp_path / "results"
    config.write_text("data_dir: data\n", encoding="utf-8")
    assert resolve_sources(str(config), environ={}).runs_dir == tmp_path / "data" / "runs"
    config.write_text("misses: data/misses.jsonl\n", encoding="utf-8")
    assert resolve_sources(str(config), environ={}).runs_dir is None


def test_jsonl_results_carry_benchmark_version_category_and_detail(tmp_path: Path) -> None:
    write(
        tmp_path / "runs" / "r.jsonl",
        '{"run_id": "r1", "started_at": "2026-11-01T00:00:00Z", "scenario": "s1", "status": "passed", '
        '"benchmark": "nightly", "version": "1.4.2", "category": "oom", "detail": "ok"}\n'
        '{"run_id": "r2", "started_at": "2026-11-02T00:00:00Z", "scenario": "s1", "status": "failed", '
        '"agent_version": 7}\n',
    )
    read = read_runs(tmp_path / "runs")
    assert read.frame.select("run_id", "benchmark", "format", "version", "category", "detail").rows() == [
        ("r1", "nightly", "jsonl", "1.4.2", "oom", "ok"),
        ("r2", "default", "jsonl", "7", None, None),  # agent_version, a number read as text
    ]
    from analytics.runs import run_summary

    assert run_summary(read.frame.lazy(), read.meta).select("run_id", "version", "benchmark").rows() == [
        ("r2", "7", "default"),
        ("r1", "1.4.2", "nightly"),
    ]
