"""OpenSRE framework runs (DEFINITIONS §1): read from ``cases/`` at any depth, scored per arm with a reproducible
bootstrap, the control lift, aborted runs kept out of defaults and the gate — expected answers from the table in
:mod:`tests.analytics.bench_fixtures`, worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import triage_lens.sources.runs as runs_module
from analytics.runs import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    arm_table,
    bootstrap_ci,
    control_lift,
    default_comparison,
    run_arms,
    run_summary,
    scenario_scores,
)
from tests.analytics.bench_fixtures import write_framework_world, write_run
from tests.analytics.test_cli_runs import scenario
from tests.conftest import write_lines
from triage_lens.cli.main import cli
from triage_lens.sources.runs import read_runs, run_files

A, B, C = "2026-11-02-a", "2026-11-09-b", "2026-11-12-c"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    write_framework_world(folder / "runs")
    write_lines(
        folder / "misses.jsonl",
        '{"miss_id": "m-1", "timestamp": "2026-11-01T10:00:00Z", "alert_name": "Db", "taxonomy": "reasoning_gap"}',
    )
    scenario(folder / "scenarios", "conn-limit", "m-1", "Db", "reasoning_gap")  # names db/conn-limit's last part
    return folder


def test_each_run_folder_is_one_entry_read_from_cases(data: Path) -> None:
    runs = data / "runs"
    assert [p.relative_to(runs).as_posix() for p in run_files(runs)] == [
        f".bench-results/rca-core/{r}" for r in (A, B, C)
    ]
    read = read_runs(runs)
    assert read.items == []
    assert read.frame.height == 6 + 12 + 2  # cells, not per_stratum
    assert read.meta.select("run_id", "benchmark", "aborted", "abort_reason").rows() == [
        (A, "rca-core", False, None),  # an older run without the aborted keys
        (B, "rca-core", False, None),
        (C, "rca-core", True, "cost budget exceeded"),
    ]
    cell = read.frame.filter(pl.col("file").str.ends_with("k8s_crashloop-api__llm_alone__claude-sonnet__1.json"))
    assert cell.select("name", "arm", "llm", "control", "repetition", "category", "status", "score").row(0) == (
        "k8s/crashloop-api",
        "llm_alone",
        "claude-sonnet",
        True,
        1,
        "crashloop",
        "passed",
        1.0,
    )


def test_a_run_folder_counts_once_against_the_file_cap(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs_module, "MAX_FILES", 2)
    assert len(run_files(data / "runs")) == 2  # 20 case files, yet two run folders fit


def test_symlinked_run_folders_are_skipped_and_bad_case_files_reported(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folder = write_run(tmp_path / "elsewhere", "r1", "2026-11-01T00:00:00Z", {("net/latency", "opensre+llm"): [1]})
    runs.mkdir()
    (runs / "linked").symlink_to(folder.parent, target_is_directory=True)
    assert run_files(runs) == []
    (folder / "cases" / "broken__opensre+llm__x__0.json").write_text("{not json", encoding="utf-8")
    (folder / "cases" / "nometric__opensre+llm__x__0.json").write_text(
        json.dumps({"case": {"case_id": "q"}, "run": {"mode": "opensre+llm"}, "score": {"metrics": {}}}), "utf-8"
    )
    read = read_runs(tmp_path / "elsewhere")
    assert [(Path(i.file).name, i.action) for i in read.items] == [
        ("broken__opensre+llm__x__0.json", "quarantined"),
        ("nometric__opensre+llm__x__0.json", "flagged"),  # no a1: a loss
    ]
    assert "not valid JSON" in read.items[0].reason and "counted as a loss" in read.items[1].reason
    (folder / "report.json").write_text("[]", encoding="utf-8")
    read = read_runs(tmp_path / "elsewhere")
    assert [(i.reason, i.action) for i in read.items] == [("report.json is not a JSON object", "skipped")]


def test_per_arm_scores_categories_and_the_control_lift_by_hand(data: Path) -> None:
    read = read_runs(data / "runs")
    runs = run_summary(read.frame.lazy(), read.meta)
    assert runs.select("run_id", "tests", "passed", "failed", "pass_rate", "cost_per_correct").rows() == [
        (C, 2, 1, 1, 0.5, 1.2),
        (B, 6, 3, 3, 0.5, 0.3),  # main arm: (1 + 0.5 + 0) / 3; $1.20 / 4 correct cells (both arms)
        (A, 6, 1, 5, 0.1667, 1.2),  # (0 + 0.5 + 0) / 3
    ]
    entry = run_arms(read.frame)[B]
    assert [(a["arm"], a["control"], a["scenarios"], a["cases"], a["score"]) for a in entry["arms"]] == [
        ("opensre+llm", False, 3, 6, 0.5),
        ("llm_alone", True, 3, 6, 0.1667),  # (0.5 + 0 + 0) / 3
    ]
    assert entry["arms"][0]["by_category"] == {"crashloop": 1.0, "database": 0.5, "network": 0.0}
    # paired main − control per scenario: db 0.5, k8s 0.5, net 0 → mean 1/3; P(all three draws = net) = 1/27 > 2.5 %
    lift = entry["control_lift"]
    assert (lift["delta"], lift["ci"], lift["verdict"]) == (0.3333, [0.0, 0.5], "no significant effect")
    assert run_arms(read.frame)[A]["control_lift"] is None  # no control arm
    assert default_comparison(runs) == (A, B)  # the aborted newest run is never the default


def test_the_lift_helps_when_every_scenario_gains_and_hurts_when_every_one_loses() -> None:
    rows = [
        {"run_id": "r", "arm": arm, "llm": "m", "control": arm == "llm_alone", "scenario": s, "value": v}
        for s in ("a", "b", "c")
        for arm, v in (("opensre+llm", 0.75), ("llm_alone", 0.25))
    ]
    scores = pl.DataFrame(rows)
    arms = pl.DataFrame(
        {"run_id": ["r", "r"], "arm": ["opensre+llm", "llm_alone"], "llm": ["m", "m"], "main": [True, False]}
    )
    assert control_lift(scores, arms, "r") == {
        "delta": 0.5,
        "ci": [0.5, 0.5],
        "verdict": "helps",
        "scenarios": 3,
        "arm": "opensre+llm",
        "control": "llm_alone",
        "llm": "m",
    }
    flipped = scores.with_columns((1 - pl.col("value")).alias("value"))
    assert control_lift(flipped, arms, "r")["verdict"] == "hurts"  # type: ignore[index]


def reference_bootstrap(values: list[float], seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Plain Python: the same index draws, means by hand and percentiles by linear interpolation."""
    n = len(values)
    draws = np.random.default_rng(seed).integers(0, n, size=(BOOTSTRAP_RESAMPLES, n)).tolist()
    means = sorted(sum(values[i] for i in row) / n for row in draws)

    def percentile(q: float) -> float:
        position = (len(means) - 1) * q
        low = math.floor(position)
        high = min(low + 1, len(means) - 1)
        return means[low] + (means[high] - means[low]) * (position - low)

    return round(percentile(0.025), 4), round(percentile(0.975), 4)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=1, max_size=12))
def test_the_bootstrap_matches_a_plain_python_reference(values: list[float]) -> None:
    assert bootstrap_ci(values) == pytest.approx(reference_bootstrap(values), abs=1e-4)


def test_the_bootstrap_is_reproducible_with_its_seed() -> None:
    values = [0.13, 0.71, 0.42, 0.99, 0.05, 0.66, 0.28]  # mean 0.4629
    # pinned: numpy default_rng(12345), 2,000 resamples; any change of draws or percentiles shows here
    assert bootstrap_ci(values) == (0.2529, 0.6986) == reference_bootstrap(values)
    assert bootstrap_ci(values, seed=1) == (0.2343, 0.6929)  # the seed, not luck, fixes it
    assert bootstrap_ci([]) is None


def test_scenario_scores_average_repetitions_first(data: Path) -> None:
    read = read_runs(data / "runs")
    scores = scenario_scores(read.frame).filter((pl.col("run_id") == B) & ~pl.col("control"))
    assert scores.select("scenario", "cells", "value").rows() == [
        ("db/conn-limit", 2, 0.5),
        ("k8s/crashloop-api", 2, 1.0),
        ("net/latency", 2, 0.0),
    ]
    assert arm_table(read.frame).filter(pl.col("run_id") == C).select("main", "scenarios").rows() == [(True, 2)]


def test_runs_list_json_rows_carry_format_benchmark_arms_and_provenance(data: Path) -> None:
    result = invoke("--data", str(data), "runs", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["run_id"]: r for r in json.loads(result.stdout)}
    b = rows[B]
    assert (b["format"], b["benchmark"], b["aborted"], b["abort_reason"]) == ("opensre-bench", "rca-core", False, None)
    assert (b["opensre_sha"], b["models"], b["total_cost_usd"], b["config_hash"]) == (
        "abc1234def5678",
        ["claude-sonnet-4-20250514"],
        1.2,
        "cfg-1",
    )
    assert b["arms"][0] == {
        "arm": "opensre+llm",
        "llm": "claude-sonnet",
        "control": False,
        "main": True,
        "scenarios": 3,
        "cases": 6,
        "score": 0.5,
        "ci": [0.0, 1.0],
        "by_category": {"crashloop": 1.0, "database": 0.5, "network": 0.0},
    }
    assert rows[C]["aborted"] is True and rows[C]["abort_reason"] == "cost budget exceeded"
    text = invoke("--data", str(data), "runs", "list").stdout
    assert "aborted: cost budget exceeded" in text and "+33 pts (no significant effect)" in text
    assert "$1.20 ($0.30/correct)" in text


def test_the_gate_blocks_an_aborted_newest_run(data: Path) -> None:
    result = invoke("--data", str(data), "runs", "gate", "--min-pass-rate", "0.1")
    assert result.exit_code == 1
    assert "BLOCKED: the newest run was aborted (cost budget exceeded)" in result.stdout


def test_compare_pairs_scenarios_per_arm_with_a_statistical_delta(data: Path) -> None:
    result = invoke("--data", str(data), "runs", "compare", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert (payload["baseline"]["run_id"], payload["run"]["run_id"]) == (A, B)  # C is aborted
    main = [s for s in payload["scenarios"] if s["arm"] == "opensre+llm"]
    assert [(s["scenario"], s["before"], s["after"], s["change"]) for s in main] == [
        ("db/conn-limit", 0.0, 0.5, "improved"),
        ("k8s/crashloop-api", 0.5, 1.0, "improved"),
        ("net/latency", 0.0, 0.0, "unchanged"),
    ]
    control = [s for s in payload["scenarios"] if s["arm"] == "llm_alone"]
    assert {s["change"] for s in control} == {"new"}  # the older run had no control arm
    assert payload["delta"] == {
        "arm": "opensre+llm",
        "llm": "claude-sonnet",
        "value": 0.3333,
        "ci": [0.0, 0.5],
        "verdict": "no change",
        "scenarios": 3,
    }
    assert payload["warnings"] == []
    aborted = invoke("--data", str(data), "runs", "compare", "--run", C, "--json")
    warned = json.loads(aborted.stdout)["warnings"]
    assert warned[0].startswith("the scenario sets differ (0 only in the run, 1 only in the baseline)")
    assert warned[1] == f"{C} was aborted (cost budget exceeded): incomplete evidence"


def test_compare_warns_on_another_config_and_refuses_another_benchmark(data: Path) -> None:
    write_run(
        data / "runs",
        "2026-11-10-d",
        "2026-11-10T03:00:00Z",
        {
            ("db/conn-limit", "opensre+llm"): [1],
            ("k8s/crashloop-api", "opensre+llm"): [1],
            ("net/latency", "opensre+llm"): [1],
        },
        config_hash="cfg-2",
    )
    payload = json.loads(invoke("--data", str(data), "runs", "compare", "--json").stdout)
    assert payload["run"]["run_id"] == "2026-11-10-d"
    assert payload["warnings"] == ["the benchmark configuration changed (config_hash cfg-1 → cfg-2)"]
    write_lines(
        data / "runs" / "other.jsonl",
        '{"run_id": "rca-x", "benchmark": "openrca-Bank", "started_at": "2026-11-11T00:00:00Z", "scenario": "s", '
        '"status": "passed"}',
    )
    refused = invoke("--data", str(data), "runs", "compare", "--baseline", B, "--run", "rca-x")
    assert refused.exit_code == 2
    assert "runs of different benchmarks are not compared" in refused.output


def test_framework_cases_join_the_funnel_only_when_they_name_an_exported_folder(data: Path) -> None:
    payload = json.loads(invoke("--data", str(data), "runs", "scenarios", "--json").stdout)
    assert [(s["scenario"], s["exported"]) for s in payload] == [
        ("conn-limit", True),  # db/conn-limit names the exported folder conn-limit
        ("k8s/crashloop-api", False),  # benchmark-only
        ("net/latency", False),
    ]


def test_the_verdict_names_the_aborted_run_and_reads_a_change_inside_the_interval_as_none(data: Path) -> None:
    from analytics.runs import score_delta, verdict

    read = read_runs(data / "runs")
    runs = run_summary(read.frame.lazy(), read.meta)
    scores, arms = scenario_scores(read.frame), arm_table(read.frame)
    delta = score_delta(scores, arms, baseline=A, run=B)
    assert delta is not None and delta["verdict"] == "no change"  # +33 points, interval [0, 0.5] holds 0
    assert verdict(runs, None, delta) == (
        "The newest run (2026-11-12 03:00 UTC) was aborted (cost budget exceeded): it is incomplete evidence, not a "
        "result. The newest completed run (2026-11-09 02:00 UTC) scored 50% (3 of 6 cases correct), no significant "
        "change from 17% in the run before (the difference is inside its 95% interval); no scenario regressed."
    )
    assert verdict(runs, None, None).endswith(
        "scored 50% (3 of 6 cases correct), up from 17% in the run before; no scenario regressed."
    )


def test_hostile_case_files_are_reported_never_a_traceback(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folder = write_run(runs, "r1", "2026-11-01T00:00:00Z", {("net/latency", "opensre+llm"): [1]})
    cases = folder / "cases"
    odd = {
        "list.json": "[1, 2]",
        "types__opensre+llm__m__99999999999999999999.json": json.dumps(
            {
                "case": {"case_id": "x", "metadata": "not a dict"},
                "run": {"mode": "opensre+llm", "llm": 5, "latency_ms": "slow"},
                "score": {"metrics": {"a1": True}},
            }
        ),
        "deep.json": "[" * 100_000,
        "nan.json": '{"case": {"case_id": "y"}, "run": {"mode": "opensre+llm"}, "score": {"metrics": {"a1": NaN}}}',
    }
    for name, text in odd.items():
        (cases / name).write_text(text, encoding="utf-8")
    read = read_runs(runs)
    got = {Path(i.file).name: i.action for i in read.items}
    assert got == {
        "deep.json": "quarantined",
        "list.json": "quarantined",
        "nan.json": "quarantined",  # NaN is not JSON
        "types__opensre+llm__m__99999999999999999999.json": "flagged",  # a1 true is no number: a loss
    }
    row = read.frame.filter(pl.col("name") == "x").row(0, named=True)
    assert (row["llm"], row["repetition"], row["category"], row["duration_s"], row["score"]) == (
        None,
        0,
        None,
        None,
        0.0,
    )
