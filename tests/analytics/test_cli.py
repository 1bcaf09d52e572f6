"""The command line as a user meets it: exit codes, one-line errors, the check report."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import REPO, SAMPLE_DIR, write_lines
from triage_lens.cli.main import cli


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_check_on_the_sample_exits_0_and_lists_every_input() -> None:
    result = run("check", "--data", str(SAMPLE_DIR))
    assert result.exit_code == 0, result.output
    for name in ("misses", "feedback", "investigations", "incidents", "events", "error_ledger"):
        assert name in result.output
    assert "Now:    2026-11-16T09:00:00+00:00 (sample.json)" in result.output
    assert "nothing quarantined or flagged" in result.output


def test_check_names_file_and_line_of_a_corrupt_line_and_loads_the_rest(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "misses.jsonl",
        '{"miss_id": "a", "timestamp": "2026-06-02T10:00:00Z"}',
        '{"miss_id": "b", "timestamp": ',
        '{"miss_id": "c", "timestamp": "2026-06-03T10:00:00Z"}',
    )
    result = run("--data", str(tmp_path), "check")
    assert result.exit_code == 0
    assert f"{path}:2: quarantined: not valid JSON" in result.output
    payload = json.loads(run("--data", str(tmp_path), "check", "--json").output)
    misses = next(s for s in payload["sources"] if s["input"] == "misses")
    assert misses == {"input": "misses", "path": str(path), "rows": 2, "quarantined": 1, "flagged": 0}
    assert payload["items"] == [
        {
            "file": str(path),
            "line": 2,
            "reason": "not valid JSON (Expecting value at column 31)",
            "excerpt": '{"miss_id": "b", "timestamp": ',
        }
    ]
    assert payload["policy"] == "ok"
    assert set(payload) == {"sources", "items", "policy"}


def test_check_exits_1_when_an_input_is_unreadable(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "error_ledger.sqlite").close()
    result = run("--data", str(tmp_path), "check", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["policy"] == "ok"


def test_check_exits_1_on_an_invalid_policy_and_says_which_key(tmp_path: Path) -> None:
    (tmp_path / "policy.yml").write_text("severity: {critical: 3}\n")
    result = run("--data", str(tmp_path), "check", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["policy"] == f"{tmp_path / 'policy.yml'}: unknown key 'severity.critical'"


def test_usage_errors_exit_2_with_one_line() -> None:
    result = CliRunner().invoke(cli, ["--data", "/definitely/not/here", "check"])
    assert result.exit_code == 2
    assert result.output == "error: --data: /definitely/not/here does not exist\n"
    result = CliRunner().invoke(cli, ["--now", "later", "check"])
    assert (result.exit_code, result.output) == (2, "error: --now: not an ISO-8601 timestamp: 'later'\n")


def test_sample_twice_with_the_same_seed_gives_identical_trees(tmp_path: Path) -> None:
    for name in ("A", "B"):
        assert run("sample", "--out", str(tmp_path / name), "--seed", "7", "--scale", "0.02").exit_code == 0
    tree_a = sorted(p.relative_to(tmp_path / "A").as_posix() for p in (tmp_path / "A").rglob("*") if p.is_file())
    tree_b = sorted(p.relative_to(tmp_path / "B").as_posix() for p in (tmp_path / "B").rglob("*") if p.is_file())
    assert tree_a == tree_b
    assert [name for name in tree_a if "/" not in name] == [
        "error_ledger.csv",
        "events.jsonl",
        "feedback.jsonl",
        "incidents.jsonl",
        "investigations.jsonl",
        "misses.jsonl",
        "releases.yml",  # issue 23: the agent releases behind fixed in / back in
        "sample.json",
    ]
    assert any(name.startswith("scenarios/") and name.endswith("/alert.json") for name in tree_a)
    assert all((tmp_path / "A" / n).read_bytes() == (tmp_path / "B" / n).read_bytes() for n in tree_a)
    assert run("sample", "--out", str(tmp_path / "C"), "--scale", "0").exit_code == 2


def test_python_dash_m_triage_lens_is_the_same_cli() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "triage_lens", "--help"], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert completed.returncode == 0
    assert "check" in completed.stdout and "sample" in completed.stdout and "dashboard" in completed.stdout


def test_dashboard_runs_streamlit_on_localhost_with_the_same_sources(monkeypatch) -> None:
    calls = []

    def fake_execve(path, command, env):
        assert path == command[0]  # the command replaces this process: no child left behind on a stop signal
        calls.append((command, env))

    monkeypatch.setattr("triage_lens.cli.dashboard.os.execve", fake_execve)
    result = CliRunner().invoke(
        cli, ["--data", str(SAMPLE_DIR), "--now", "2026-11-16T10:00:00Z", "dashboard", "--port", "8599"]
    )
    assert result.exit_code == 0
    ((command, env),) = calls
    assert command[1:4] == ["-m", "dashboard.serve", "run"]  # `streamlit run` with the start-up warm-up
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8599"
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--client.showErrorDetails"] == "none"
    assert options["--client.toolbarMode"] == "minimal"
    assert options["--browser.gatherUsageStats"] == "false"
    assert options["--server.fileWatcherType"] == "none"  # no module walk after every run
    assert env["TRIAGE_LENS_DATA"] == str(SAMPLE_DIR)
    assert env["TRIAGE_LENS_NOW"] == "2026-11-16T10:00:00Z"
    assert "TRIAGE_LENS_WRITE" not in env


def test_dashboard_options_equal_the_repository_streamlit_config() -> None:
    import tomllib

    from tests.conftest import REPO
    from triage_lens.cli.dashboard import STREAMLIT_OPTIONS
    from triage_lens.hosts import allowed_hosts

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{key}": value for section, values in config.items() for key, value in values.items()}
    assert flat.pop("server.address") == "127.0.0.1"
    assert flat.pop("server.allowedHosts") == list(allowed_hosts())  # the command passes its own list
    assert {k: str(v).lower() for k, v in flat.items()} == STREAMLIT_OPTIONS
