"""`triage-lens misses …` end to end on the hand-written edge-case file: exact JSON, folders and bytes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.analytics.test_misses import EDGE_LINES
from tests.analytics.test_scenarios import GOLDEN_M1
from tests.conftest import SAMPLE_DIR, write_lines
from triage_lens.cli.main import cli


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    write_lines(data / "misses.jsonl", *EDGE_LINES)
    return data


def run(folder: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--data", str(folder), "--now", "2026-06-14T00:00:00Z", *args])


def test_list_json_is_the_stored_records_newest_first(folder: Path) -> None:
    result = run(folder, "misses", "list", "--since", "2d", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [json.loads(EDGE_LINES[i]) for i in (5, 6, 1, 4)]
    assert json.loads(run(folder, "misses", "list", "--json", "--limit", "1").stdout) == [json.loads(EDGE_LINES[5])]
    assert json.loads(run(folder, "misses", "list", "--json", "--taxonomy", "TOOL_FAILURE").stdout) == [
        json.loads(EDGE_LINES[6]),
        json.loads(EDGE_LINES[3]),
    ]


def test_stats_json_has_exactly_the_documented_keys(folder: Path) -> None:
    result = run(folder, "misses", "stats", "--json")
    assert json.loads(result.stdout) == {
        "total": 8,
        "by_taxonomy": {"retrieval_gap": 2, "unknown": 2, "tool_failure": 2, "reasoning_gap": 1, "routing_failure": 1},
        "recurring": [["CheckoutDown", "retrieval_gap", 2], ["<unknown>", "unknown", 2]],
        "unique_alerts": 6,
    }


def test_empty_since_means_no_time_filter(folder: Path, tmp_path: Path) -> None:
    # RULES.md §1: --since "" is no time filter (as OpenSRE), so even m4 (timestamp "garbage") is counted.
    stats = json.loads(run(folder, "misses", "stats", "--since", "", "--json").stdout)
    assert stats["total"] == 8
    listed = json.loads(run(folder, "misses", "list", "--since", "", "--json").stdout)
    assert [r.get("miss_id") for r in listed] == ["m6", "m7", "m2", "m5", "m3", "m1", None, "m4"]
    out = tmp_path / "all"
    exported = json.loads(run(folder, "misses", "export", "--out", str(out), "--since", "", "--json").stdout)
    assert (exported["in_scope"], exported["pairs"]) == (8, 6)
    assert json.loads((out / "triage-lens-manifest.json").read_text())["since"] == ""
    assert "(all time)" in run(folder, "misses", "export", "--out", str(tmp_path / "t"), "--since", "").output


def test_usage_errors_name_the_option(folder: Path) -> None:
    result = run(folder, "misses", "stats", "--since", "yesterday")
    assert result.exit_code == 2
    assert result.output.startswith("error: --since: ")
    result = run(folder, "misses", "list", "--taxonomy", "bogus")
    assert result.exit_code == 2 and "--taxonomy" in result.output


def test_export_writes_the_folders_the_manifest_and_the_zip(folder: Path, tmp_path: Path) -> None:
    out, archive = tmp_path / "out", tmp_path / "cases.zip"
    result = run(folder, "misses", "export", "--out", str(out), "--zip", str(archive), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["in_scope"] == 7 and payload["pairs"] == 5
    assert [Path(p).relative_to(out).as_posix() for p in payload["written"]] == [
        "0001_miss-0001_unknown/alert.json",
        "0002_checkoutdown_retrieval_gap/alert.json",
        "0003_..-..-etc-passwd_reasoning_gap/alert.json",
        "0004_disk-full-on-var_tool_failure/alert.json",
        "0005_noid_routing_failure/alert.json",
    ]
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as z:
        assert sorted(z.namelist()) == sorted(
            [*(Path(p).relative_to(out).as_posix() for p in payload["written"]), "triage-lens-manifest.json"]
        )
    assert json.loads((out / "triage-lens-manifest.json").read_text())["exported_at"] == "2026-06-14T00:00:00+00:00"
    top1 = run(folder, "misses", "export", "--out", str(tmp_path / "one"), "--top", "1", "--since", "30d", "--json")
    assert [Path(p).parent.name for p in json.loads(top1.stdout)["written"]] == ["0001_miss-0001_unknown"]
    none = run(folder, "misses", "export", "--out", str(tmp_path / "none"), "--top", "0", "--json")
    assert json.loads(none.stdout)["written"] == []


def test_export_keeps_the_representative_bytes(folder: Path, tmp_path: Path) -> None:
    run(
        folder,
        "misses",
        "export",
        "--out",
        str(tmp_path / "o"),
        "--since",
        "2026-06-10T10:00:00Z",
        "--taxonomy",
        "retrieval_gap",
    )
    written = tmp_path / "o" / "0001_checkoutdown_retrieval_gap" / "alert.json"
    assert json.loads(written.read_text())["_meta"]["miss_id"] == "m3"  # the newest of the pair


def test_convert_prints_the_alert_json_bytes_and_one_more_newline(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--data", str(folder), "misses", "convert", "m1"])
    assert result.exit_code == 0
    # CLI.md: on stdout the alert.json bytes and one more newline (OpenSRE print()s the text); the file has none.
    assert result.stdout_bytes == GOLDEN_M1.encode("utf-8") + b"\n"
    assert result.stdout_bytes.endswith(b"}\n\n")
    target = tmp_path / "m1.json"
    assert run(folder, "misses", "convert", "m1", "--out", str(target)).exit_code == 0
    assert target.read_bytes() == GOLDEN_M1.encode("utf-8")
    # convert searches every miss, with no time window: m4's timestamp does not even parse
    assert json.loads(run(folder, "misses", "convert", "m4").stdout_bytes)["alert_name"] == "Flappy"


def test_convert_of_an_unknown_id_exits_1_not_found(folder: Path) -> None:
    result = run(folder, "misses", "convert", "nope")
    assert result.exit_code == 1
    assert "not found" in result.output


def test_trend_json_on_the_sample_has_the_documented_shape() -> None:
    result = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "misses", "trend", "--weeks", "4", "--json"])
    assert result.exit_code == 0
    trend = json.loads(result.stdout)
    assert [w["week"] for w in trend["weeks"]] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    assert [w["partial"] for w in trend["weeks"]] == [False, False, False, True]
    assert set(trend["weeks"][0]) == {
        "week",
        "partial",
        "total",
        "by_taxonomy",
        "rated",
        "accuracy",
        "accuracy_lenient",
        "ci_low",
        "ci_high",
        "pairs_prev",
        "pairs_fixed",
        "pair_fix_rate",
    }
    assert set(trend["pairs"][0]) == {
        "alert_name",
        "taxonomy",
        "count",
        "first_seen",
        "last_seen",
        "state",
        "covered",
        "covered_at",
        "fix_held",
    }
    states = {p["state"] for p in trend["pairs"]}
    assert {"quiet", "regressed", "new", "escalating", "ongoing"} <= states


def test_trend_with_a_scenarios_folder_reports_coverage(folder: Path, tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    CliRunner().invoke(
        cli, ["--data", str(folder), "--now", "2026-06-12T00:00:00Z", "misses", "export", "--out", str(scenarios)]
    )
    result = run(folder, "misses", "trend", "--weeks", "2", "--scenarios", str(scenarios), "--json")
    pairs = {(p["alert_name"], p["taxonomy"]): p for p in json.loads(result.stdout)["pairs"]}
    # exported at 12 June, now 14 June: less than a full week since the fix, so "fix held" is not judged yet
    assert pairs[("CheckoutDown", "retrieval_gap")]["covered_at"] == "2026-06-12T00:00:00+00:00"
    assert pairs[("CheckoutDown", "retrieval_gap")]["fix_held"] is None
    # <unknown>/unknown was missed again on 12 June 10:00 after its export → regressed (fix held not judged yet)
    assert pairs[("<unknown>", "unknown")]["fix_held"] is None
    assert pairs[("<unknown>", "unknown")]["state"] == "regressed"
    # a week later both are judged: CheckoutDown held (no miss after 12 June), <unknown> did not
    later = CliRunner().invoke(
        cli,
        ["--data", str(folder), "--now", "2026-06-19T00:00:00Z", "misses", "trend", "--weeks", "2"]
        + ["--scenarios", str(scenarios), "--json"],
    )
    pairs = {(p["alert_name"], p["taxonomy"]): p for p in json.loads(later.stdout)["pairs"]}
    assert pairs[("CheckoutDown", "retrieval_gap")]["fix_held"] is True
    assert pairs[("<unknown>", "unknown")]["fix_held"] is False
