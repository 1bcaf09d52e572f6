"""``triage-lens runs``: list, scenarios, gate and compare on a hand-written data folder (a truncated file, a
hostile file, a skipped case and results for scenarios that were never exported), answers written by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.analytics.test_runs_reader import BILLION_LAUGHS
from tests.conftest import SAMPLE_DIR, write_lines
from triage_lens.cli.main import cli

R1, R2, R3 = "2026-11-05T02:00:00Z@ci", "nightly-1110", "2026-11-15T02:00:00Z@ci"
GW, AUTH = "0001_gw_reasoning_gap", "0002_auth_retrieval_gap"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def junit(stamp: str, *cases: tuple[str, str]) -> str:
    children = {"passed": "", "failed": "<failure message='no'/>", "skipped": "<skipped message='later'/>"}
    body = "".join(f'<testcase classname="bench" name="test_s[{name}]">{children[s]}</testcase>' for name, s in cases)
    return f'<testsuites><testsuite name="pytest" timestamp="{stamp}" hostname="ci">{body}</testsuite></testsuites>'


def scenario(folder: Path, name: str, miss_id: str, alert: str, taxonomy: str) -> None:
    (folder / name).mkdir(parents=True)
    meta = {"_meta": {"miss_id": miss_id, "taxonomy": taxonomy}, "alert_name": alert}
    (folder / name / "alert.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    write_lines(
        folder / "misses.jsonl",
        '{"miss_id": "m-1", "timestamp": "2026-11-01T10:00:00Z", "alert_name": "Gw", "taxonomy": "reasoning_gap"}',
        '{"miss_id": "m-2", "timestamp": "2026-11-02T10:00:00Z", "alert_name": "Gw", "taxonomy": "reasoning_gap"}',
        '{"miss_id": "m-3", "timestamp": "2026-11-01T10:00:00Z", "alert_name": "Auth", "taxonomy": "retrieval_gap"}',
        '{"miss_id": "m-4", "timestamp": "2026-11-12T10:00:00Z", "alert_name": "Auth", "taxonomy": "retrieval_gap"}',
    )
    scenario(folder / "scenarios", GW, "m-1", "Gw", "reasoning_gap")
    scenario(folder / "scenarios", AUTH, "m-3", "Auth", "retrieval_gap")
    runs = folder / "runs"
    runs.mkdir()
    (runs / "a.xml").write_text(
        junit("2026-11-05T02:00:00Z", (GW, "failed"), (AUTH, "passed"), ("handwritten", "skipped")), encoding="utf-8"
    )
    write_lines(
        runs / "b.jsonl",
        *(
            json.dumps({"run_id": R2, "started_at": "2026-11-10T02:00:00Z", "scenario": s, "status": "passed"})
            for s in (GW, AUTH, "handwritten")
        ),
    )
    (runs / "c_truncated.xml").write_text(junit("2026-11-08T02:00:00Z", (GW, "passed"))[:70], encoding="utf-8")
    (runs / "d_hostile.xml").write_text(BILLION_LAUGHS, encoding="utf-8")
    (runs / "e.xml").write_text(
        junit("2026-11-15T02:00:00Z", (GW, "passed"), (AUTH, "failed"), ("zz_new", "passed")), encoding="utf-8"
    )
    return folder


def test_list_is_newest_first_and_names_the_files_it_skipped(data: Path) -> None:
    result = CliRunner().invoke(cli, ["--data", str(data), "runs", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    old = ("run_id", "started_at", "tests", "passed", "failed", "errors", "skipped", "pass_rate")
    assert [(r["format"], r["benchmark"], r["aborted"], r["control_lift"]) for r in rows] == [
        ("junit", "default", False, None),
        ("jsonl", "default", False, None),
        ("junit", "default", False, None),
    ]
    # one arm each, scored per scenario: e.xml passed 2 of 3 scenarios
    assert [(a["arm"], a["scenarios"], a["cases"], a["score"]) for a in rows[0]["arms"]] == [("default", 3, 3, 0.6667)]
    assert [{k: r[k] for k in old} for r in rows] == [
        {
            "run_id": R3,
            "started_at": "2026-11-15T02:00:00+00:00",
            "tests": 3,
            "passed": 2,
            "failed": 1,
            "errors": 0,
            "skipped": 0,
            "pass_rate": 0.6667,
        },
        {
            "run_id": R2,
            "started_at": "2026-11-10T02:00:00+00:00",
            "tests": 3,
            "passed": 3,
            "failed": 0,
            "errors": 0,
            "skipped": 0,
            "pass_rate": 1.0,
        },
        {
            "run_id": R1,
            "started_at": "2026-11-05T02:00:00+00:00",
            "tests": 3,
            "passed": 1,
            "failed": 1,
            "errors": 0,
            "skipped": 1,
            "pass_rate": 0.5,
        },
    ]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith(f"warning: {data / 'runs' / 'c_truncated.xml'}: not well-formed XML")
    assert warnings[1].startswith(f"warning: {data / 'runs' / 'd_hostile.xml'}: refused: declares a DTD")


def test_list_for_people(data: Path) -> None:
    lines = run("--data", str(data), "runs", "list").stdout.splitlines()
    assert lines[0].split() == [
        "run",
        "started",
        "(UTC)",
        "tests",
        "passed",
        "failed",
        "errors",
        "skipped",
        "pass",
        "rate",
    ]
    assert lines[2].split() == [R3, "2026-11-15", "02:00", "3", "2", "1", "0", "0", "66.7%"]
    assert lines[4].split() == [R1, "2026-11-05", "02:00", "3", "1", "1", "0", "1", "50.0%"]


def test_scenarios_say_exported_or_not_and_the_pair_they_came_from(data: Path) -> None:
    result = run("--data", str(data), "runs", "scenarios", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "scenario": GW,
            "exported": True,
            "runs": 3,
            "passed": 2,
            "last_status": "passed",
            "first_passed_at": "2026-11-10T02:00:00+00:00",
            "alert_name": "Gw",
            "taxonomy": "reasoning_gap",
        },
        {
            "scenario": AUTH,
            "exported": True,
            "runs": 3,
            "passed": 2,
            "last_status": "failed",
            "first_passed_at": "2026-11-05T02:00:00+00:00",
            "alert_name": "Auth",
            "taxonomy": "retrieval_gap",
        },
        {
            "scenario": "handwritten",
            "exported": False,
            "runs": 2,
            "passed": 1,
            "last_status": "passed",
            "first_passed_at": "2026-11-10T02:00:00+00:00",
            "alert_name": None,
            "taxonomy": None,
        },
        {
            "scenario": "zz_new",
            "exported": False,
            "runs": 1,
            "passed": 1,
            "last_status": "passed",
            "first_passed_at": "2026-11-15T02:00:00+00:00",
            "alert_name": None,
            "taxonomy": None,
        },
    ]


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["--min-pass-rate", "0.6"], 0, f"PASS: pass rate 66.7% is at least the minimum 60.0% (newest run {R3})"),
        (["--min-pass-rate", "0.6667"], 0, f"PASS: pass rate 66.7% is at least the minimum 66.7% (newest run {R3})"),
        (["--min-pass-rate", "0.7"], 1, f"BLOCKED: pass rate 66.7% is below the minimum 70.0% (newest run {R3})"),
        (
            ["--min-pass-rate", "0.1", "--min-runs", "4"],
            1,
            f"BLOCKED: only 3 runs recorded, --min-runs is 4 (newest run {R3})",
        ),
    ],
)
def test_gate(data: Path, args: list[str], code: int, line: str) -> None:
    result = run("--data", str(data), "runs", "gate", *args)
    assert result.exit_code == code
    assert result.stdout.strip() == line


def test_gate_json_and_the_cases_without_enough_runs(data: Path, tmp_path: Path) -> None:
    result = run("--data", str(data), "runs", "gate", "--min-pass-rate", "0.9", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "passed": False,
        "reason": "pass rate 66.7% is below the minimum 90.0%",
        "run_id": R3,
        "started_at": "2026-11-15T02:00:00+00:00",
        "pass_rate": 0.6667,
        "min_pass_rate": 0.9,
        "runs": 3,
        "min_runs": 1,
        "aborted": False,
        "benchmark": "default",
    }
    empty = tmp_path / "empty-runs"
    empty.mkdir()
    result = run("--data", str(data), "runs", "gate", "--min-pass-rate", "0.5", "--runs", str(empty))
    assert (result.exit_code, result.stdout.strip()) == (1, "BLOCKED: only 0 runs recorded, --min-runs is 1")
    only_skips = tmp_path / "skips"
    only_skips.mkdir()
    (only_skips / "r.xml").write_text(junit("2026-11-15T02:00:00Z", ("a", "skipped")), encoding="utf-8")
    result = run("--data", str(data), "runs", "gate", "--min-pass-rate", "0", "--runs", str(only_skips))
    assert result.exit_code == 1
    assert result.stdout.startswith("BLOCKED: every test of the newest run was skipped: no pass rate")
    folder_without_runs = tmp_path / "plain"
    folder_without_runs.mkdir()
    result = run("--data", str(folder_without_runs), "runs", "gate", "--min-pass-rate", "0.5")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no benchmark runs folder: put JUnit XML or JSONL results in <data>/runs")
    result = run("--data", str(data), "runs", "gate", "--min-pass-rate", "1.5")
    assert result.exit_code == 2


def test_compare_defaults_to_the_newest_against_the_one_before(data: Path) -> None:
    result = run("--data", str(data), "runs", "compare", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["baseline"]["run_id"] == R2 and payload["run"]["run_id"] == R3
    assert payload["run"]["pass_rate"] == 0.6667
    assert payload["scenarios"] == [
        {"scenario": AUTH, "before": "passed", "after": "failed", "change": "regressed"},
        {"scenario": "zz_new", "before": None, "after": "passed", "change": "new"},
        {"scenario": "handwritten", "before": "passed", "after": None, "change": "gone"},
        {"scenario": GW, "before": "passed", "after": "passed", "change": "unchanged"},
    ]
    zero = {"regressed": 0, "improved": 0, "new": 0, "gone": 0, "unchanged": 0}
    assert payload["by_taxonomy"] == {
        "(not exported)": {**zero, "new": 1, "gone": 1},
        "reasoning_gap": {**zero, "unchanged": 1},
        "retrieval_gap": {**zero, "regressed": 1},
    }
    assert set(payload) == {"baseline", "run", "scenarios", "by_taxonomy", "delta", "warnings"}
    assert payload["delta"] is None  # JUnit / JSONL runs compare statuses, not scores
    assert payload["warnings"] == [
        "the scenario sets differ (1 only in the run, 1 only in the baseline): the delta pairs the scenarios in both"
    ]


def test_compare_chosen_runs_and_errors(data: Path, tmp_path: Path) -> None:
    result = run("--data", str(data), "runs", "compare", "--baseline", R1, "--run", R2, "--json")
    assert [(s["scenario"], s["change"]) for s in json.loads(result.stdout)["scenarios"]] == [
        (GW, "improved"),
        ("handwritten", "improved"),  # skipped counts as not passed
        (AUTH, "unchanged"),
    ]
    only_run = json.loads(run("--data", str(data), "runs", "compare", "--run", R2, "--json").stdout)
    assert only_run["baseline"]["run_id"] == R1  # the one before the chosen run
    result = run("--data", str(data), "runs", "compare", "--run", "nope")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"error: --run: no run 'nope' (runs: {R3}, {R2}, {R1}; ")
    result = run("--data", str(data), "runs", "compare", "--run", R1)
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1]
        == f"error: run '{R1}' has no earlier completed run of its benchmark to compare with: pass --baseline RUN"
    )
    text = run("--data", str(data), "runs", "compare").stdout.splitlines()
    assert text[0] == f"{R3} (66.7%) against {R2} (100.0%): 1 regressed, 0 improved, 1 new, 1 gone, 1 unchanged"
    assert text[4].split() == ["regressed", AUTH, "retrieval_gap", "passed", "failed"]


def test_runs_dir_and_scenarios_dir_from_the_config(data: Path, tmp_path: Path) -> None:
    config = tmp_path / "triage-lens.yaml"
    config.write_text(
        f"misses: {data / 'misses.jsonl'}\nruns_dir: {data / 'runs'}\nscenarios_dir: {data / 'scenarios'}\n",
        encoding="utf-8",
    )
    payload = json.loads(run("--data", str(config), "runs", "scenarios", "--json").stdout)
    assert [(s["scenario"], s["exported"]) for s in payload] == [
        (GW, True),
        (AUTH, True),
        ("handwritten", False),
        ("zz_new", False),
    ]


def test_the_sample_story_and_its_digest_line() -> None:
    every = json.loads(run("--data", str(SAMPLE_DIR), "runs", "list", "--json").stdout)
    assert [(r["benchmark"], r["aborted"]) for r in every if r["format"] == "opensre-bench"] == [
        ("rca-core", True),  # the framework sample: one aborted run and two results, older than the newest JUnit
        ("rca-core", False),
        ("rca-core", False),
    ]
    runs = json.loads(run("--data", str(SAMPLE_DIR), "runs", "list", "--benchmark", "default", "--json").stdout)
    assert [(r["tests"], r["passed"], r["skipped"], r["errors"]) for r in runs] == [
        (14, 5, 0, 0),
        (14, 5, 1, 0),
        (9, 6, 0, 0),
        (9, 5, 0, 1),
        (9, 0, 0, 0),
    ]
    compare = json.loads(run("--data", str(SAMPLE_DIR), "runs", "compare", "--json").stdout)
    changes = [(s["scenario"], s["change"]) for s in compare["scenarios"] if s["change"] != "unchanged"]
    assert changes == [
        ("0002_authtokenfailures_retrieval_gap", "regressed"),
        ("0003_ingestworkeroom_tool_failure", "regressed"),
        ("0002_gatewayupstream5xx_retrieval_gap", "improved"),
        ("0005_gatewayupstream5xx_retrieval_gap", "improved"),
    ]
    scenarios = json.loads(
        run("--data", str(SAMPLE_DIR), "runs", "scenarios", "--benchmark", "default", "--json").stdout
    )
    assert [s["scenario"] for s in scenarios if not s["exported"]] == ["dns_failover_canary"]
    digest = json.loads(run("--data", str(SAMPLE_DIR), "incidents", "digest", "--week", "2026-W46", "--json").stdout)
    assert digest["json_summary"]["benchmark"] == {
        "week": "2026-W46",
        "this_week": {"runs": 1, "passed": 5, "n": 13, "pass_rate": 0.3846},
        "last_week": {"runs": 1, "passed": 6, "n": 9, "pass_rate": 0.6667},
    }
    assert (
        "Benchmark pass rate: 38% (5/13 tests, 1 run) this week against 67% (6/9 tests, 1 run)"
        in digest["markdown_preview"]
    )
