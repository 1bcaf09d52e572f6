"""``misses pairs``, ``misses durability``, ``assign`` and a bad ``releases.yml`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from analytics.pairs import PAIRS_JSON_KEYS
from tests.conftest import SAMPLE_DIR
from triage_lens.cli.main import cli

NOW = '{"now": "2026-06-20T12:00:00+00:00"}'


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_misses_pairs_json_on_the_sample() -> None:
    result = run("--data", str(SAMPLE_DIR), "misses", "pairs", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(tuple(r) == PAIRS_JSON_KEYS for r in rows)
    auth = next(r for r in rows if (r["alert_name"], r["taxonomy"]) == ("IngestWorkerOOM", "tool_failure"))
    # fixed by the Oct 28 run (v1.4.0 was the release then), back on Nov 09 under v1.5.0 (shipped Nov 03)
    assert (auth["fixed_at"], auth["fixed_in"]) == ("2026-10-28T02:00:00+00:00", "v1.4.0")
    assert auth["regressed_in"] == "v1.5.0" and auth["regressed_at"].startswith("2026-11-09")


def test_misses_durability_json_keys_on_the_sample() -> None:
    result = run("--data", str(SAMPLE_DIR), "misses", "durability", "--since", "90d", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"basis", "curve", "median_days", "median_ci", "events", "censored", "pairs", "by_taxonomy"}
    assert out["basis"] == "runs" and out["curve"][0] == {"days": 0.0, "surviving": 1.0, "at_risk": 6}
    assert (out["events"], out["censored"]) == (3, 3)
    assert set(out["pairs"][0]) == {"alert_name", "taxonomy", "fixed_at", "recurred_at", "days", "censored"}


def write_world(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "sample.json").write_text(NOW)
    (folder / "misses.jsonl").write_text(
        '{"miss_id": "a", "timestamp": "2026-06-02T10:00:00Z", "alert_name": "X", "taxonomy": "reasoning_gap"}\n'
    )
    (folder / "incidents.jsonl").write_text(
        '{"id": "i1", "service": "api", "started_at": "2026-06-01T10:00:00Z", "status": "open"}\n'
    )
    (folder / "events.jsonl").write_text(
        '{"event_id": "f1", "incident_id": "i1", "ts": "2026-06-01T11:00:00Z", "type": "followup", '
        '"message": "fix it", "meta": {"bucket_key": "api|custom"}}\n'
    )


def test_assign_needs_write_and_appends_once(tmp_path: Path) -> None:
    write_world(tmp_path)
    before = (tmp_path / "events.jsonl").read_text()
    refused = run("--data", str(tmp_path), "assign", "--pair", "X::reasoning_gap", "--owner", "ana")
    assert refused.exit_code == 2 and "enable write mode" in refused.output
    args = ["--data", str(tmp_path), "--write", "assign", "--followup", "f1", "--owner", "ana", "--due", "2026-06-10"]
    first = run(*args, "--status", "done", "--json")
    assert first.exit_code == 0, first.output
    written = json.loads(first.stdout)["written"]
    assert [e["type"] for e in written] == ["assignment", "status_change"]
    assert written[0]["incident_id"] == "i1" and written[0]["meta"]["followup_id"] == "f1"
    after = (tmp_path / "events.jsonl").read_text()
    assert after.startswith(before) and after.count("\n") == 3  # appended, history untouched
    again = run(*args, "--status", "done")
    assert again.exit_code == 0 and "already recorded" in again.output
    assert (tmp_path / "events.jsonl").read_text() == after
    unknown = run("--data", str(tmp_path), "--write", "assign", "--followup", "nope", "--owner", "ana")
    assert unknown.exit_code == 1 and "no follow-up with that id" in unknown.output
    bad = run("--data", str(tmp_path), "--write", "assign", "--pair", "X", "--owner", "ana")
    assert bad.exit_code == 2 and "ALERT::TAXONOMY" in bad.output
    both = run("--data", str(tmp_path), "--write", "assign", "--pair", "X::y", "--followup", "f1", "--owner", "a")
    assert both.exit_code == 2 and "exactly one" in both.output


def test_a_bad_releases_file_is_one_clear_error(tmp_path: Path) -> None:
    write_world(tmp_path)
    (tmp_path / "releases.yml").write_text("- version: v1\n  shipped_at: 2026-06-01\n  color: red\n")
    result = run("--data", str(tmp_path), "misses", "pairs")
    assert result.exit_code == 2
    assert "releases.yml: release 1: unknown key 'color'" in result.output
    assert "Traceback" not in result.output
    (tmp_path / "releases.yml").write_text("version: v1\n")
    assert "expected a list of releases" in run("--data", str(tmp_path), "misses", "durability").output
    (tmp_path / "releases.yml").write_text("- version: v1\n  shipped_at: 2026-06-01\n")
    fine = run("--data", str(tmp_path), "misses", "pairs", "--since", "", "--json")
    assert fine.exit_code == 0 and json.loads(fine.stdout)[0]["lifecycle"] == "quiet"
