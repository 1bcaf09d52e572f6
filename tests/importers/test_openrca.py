"""``triage-lens import openrca``: OpenRCA agent result CSVs become runs in ``DIR/runs/`` — hand-built CSVs with
quoted multi-line fields, answers by hand; a bad file writes nothing; the real files when they are present."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import SHARED
from triage_lens.cli.main import cli

REAL = SHARED / "realdata" / "openrca_agent_results"
HEADER = ["instruction", "prediction", "groundtruth", "passed", "failed", "score", "row_id", "task_index"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


ROWS = [
    [
        "Find the root cause.\nTwo lines.",
        '{"1": {"root cause component": "Mysql02"}}',
        "component: Mysql02",
        "Mysql02",
        "",
        "1.0",
        "0.0",
        "task_3",
    ],
    [
        "Find the time and reason.",
        "{}",
        "reason: high memory usage",
        "2021-03-04 14:57",
        "high memory usage",
        "0.5",
        "1.0",
        "task_4",
    ],
    ["Find all three.", "{}", "x", "", "Redis02\nnetwork delay\n2021-03-05 10:00", "0.0", "2.0", "task_7"],
]


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "agent-Bank.csv"
    path.parent.mkdir()
    path.write_bytes(csv_bytes(ROWS))
    return path


def test_one_run_per_file_a_case_per_row_passed_only_on_an_exact_match(bank: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = invoke("import", "openrca", str(bank), "--out", str(out), "--started-at", "2024-06-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert "openrca-Bank: 3 cases, 1 exact matches (33.3%), mean partial score 0.500" in result.stdout
    lines = [json.loads(line) for line in (out / "runs" / "openrca-Bank.jsonl").read_text("utf-8").splitlines()]
    assert lines[1] == {
        "run_id": "openrca-Bank",
        "benchmark": "openrca-Bank",
        "format": "openrca",
        "started_at": "2024-06-01T00:00:00+00:00",
        "scenario": "row-0001",
        "status": "failed",
        "score": 0.5,
        "category": "task_4",
        "detail": "high memory usage",
    }
    assert [(r["status"], r["detail"]) for r in lines] == [
        ("passed", None),
        ("failed", "high memory usage"),
        ("failed", "Redis02; network delay; 2021-03-05 10:00"),
    ]
    again = invoke("import", "openrca", str(bank), "--out", str(out), "--started-at", "2024-06-01T00:00:00Z")
    assert "wrote 0 run(s), 1 unchanged" in again.stdout  # idempotent
    listed = json.loads(invoke("--data", str(out), "runs", "list", "--json").stdout)
    assert [(r["run_id"], r["benchmark"], r["format"], r["tests"], r["passed"], r["pass_rate"]) for r in listed] == [
        ("openrca-Bank", "openrca-Bank", "openrca", 3, 1, 0.3333)
    ]
    assert listed[0]["arms"][0]["by_category"] == {"task_3": 1.0, "task_4": 0.0, "task_7": 0.0}


def test_started_at_defaults_to_the_file_time_and_auto_detects_the_csv(bank: Path, tmp_path: Path) -> None:
    import os

    os.utime(bank, (1_700_000_000, 1_700_000_000))
    out = tmp_path / "data"
    result = invoke("import", "auto", str(bank), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["runs"][0]["started_at"] == "2023-11-14T22:13:20+00:00"
    assert (payload["written"], payload["runs"][0]["exact_match_rate"]) == (1, 0.3333)


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([["q", "p", "g", "", "", "most", "0.0", "task_1"]], HEADER, ":2: score 'most' is not a number"),
        ([["q", "p", "g", "", "", "1.5", "0.0", "task_1"]], HEADER, ":2: score 1.5 is outside 0–1"),
        ([["q", "p"]], HEADER[:2], "missing column(s) groundtruth, passed, failed, score, row_id, task_index"),
        (
            [["q\nq", "p", "g", "", "", "1", "0.0", "t"], ["q", "p", "g", "", "", "0", "0.0", "t"]],
            HEADER,
            ":4: row_id '0.0' appears twice",
        ),
    ],
)
def test_a_bad_file_is_a_clear_error_and_nothing_is_written(
    bank: Path, tmp_path: Path, rows: list[list[str]], header: list[str], message: str
) -> None:
    bad = tmp_path / "in" / "agent-Telecom.csv"
    bad.write_bytes(csv_bytes(rows, header))
    out = tmp_path / "data"
    result = invoke("import", "openrca", str(bank), str(bad), "--out", str(out))
    assert result.exit_code == 1
    assert message in result.stderr and "nothing imported" in result.stderr
    assert not (out / "runs").exists()


def test_postgres_out_and_a_mix_with_incident_exports_are_refused(bank: Path, tmp_path: Path) -> None:
    refused = invoke("import", "openrca", str(bank), "--out", "postgresql://localhost/db")
    assert refused.exit_code == 1 and "a PostgreSQL store holds incidents only" in refused.stderr
    other = tmp_path / "in" / "statuspage.json"
    other.write_text('{"incidents": []}', encoding="utf-8")
    mixed = invoke("import", "auto", str(bank), str(other), "--out", str(tmp_path / "data"))
    assert mixed.exit_code == 1 and "OpenRCA results are runs, not incidents" in mixed.stderr


@pytest.mark.skipif(not REAL.is_dir(), reason="the real OpenRCA results are not next to this checkout")
def test_the_published_results_give_each_systems_exact_match_rate(tmp_path: Path) -> None:
    files = sorted(str(p) for p in REAL.glob("agent-*.csv"))
    result = invoke("import", "openrca", *files, "--out", str(tmp_path), "--json")
    got = {r["run_id"]: (r["cases"], r["passed"]) for r in json.loads(result.stdout)["runs"]}
    assert got == {
        "openrca-Bank": (136, 20),
        "openrca-Market-cloudbed-1": (70, 3),
        "openrca-Market-cloudbed-2": (78, 3),
        "openrca-Telecom": (51, 12),
    }


def test_the_system_comes_from_the_file_name_and_is_safe_as_a_file_name() -> None:
    from triage_lens.importers.openrca import system_of

    assert [system_of(n) for n in ("dl/agent-Bank.csv", "agent-Market-cloudbed-1.csv", "agent-..a b.csv", "x.csv")] == [
        "Bank",
        "Market-cloudbed-1",
        "a-b",
        "x",
    ]
