"""The benchmark rules of issue 16 on a hand-built world, with every expected answer written out by hand.

The world: three exported scenarios (one named by a miss_id the store does not know), three runs (JUnit-style
names with ``[...]``, a JSONL run naming a scenario by miss_id only, a path-like id, a duplicate result), a
skipped case, an error, a scenario that was never exported, and misses before and after the first pass.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.digest import build_digest, parse_week
from analytics.policy import Policy
from analytics.runs import (
    RESULT_SCHEMA,
    RUN_COLUMNS,
    changes_by_taxonomy,
    compare_runs,
    default_comparison,
    match_results,
    pair_benchmark,
    pair_funnel,
    pass_rate_intervals,
    previous_run,
    run_summary,
    scenario_from_name,
    scenario_grid,
    scenario_index,
    scenario_summary,
    verdict,
    weekly_pass_rate,
    weekly_pass_rate_line,
)
from analytics.timeparse import UTC_DATETIME
from tests.analytics.incident_helpers import incidents_frame


def at(day: int, hour: int = 2) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


R1, R2, R3 = "2026-11-05T02:00:00Z@ci", "nightly-1110", "2026-11-15T02:00:00Z@ci"
GATEWAY = "0001_gatewayupstream5xx_reasoning_gap"
AUTH = "0002_authtokenfailures_retrieval_gap"
SEARCH = "0003_search_retrieval_gap"

MISSES = pl.DataFrame(
    {
        "_line": [1, 2, 3, 4, 5, 6, 7, 8],
        "miss_id": ["m-1", "m-2", "m-3", "m-4", "m-5", "m-6", "m-7", "m-8"],
        "timestamp": [at(1), at(1), at(12), at(2), at(1), at(2), at(3), at(4)],
        "group_alert": [
            "GatewayUpstream5xx",
            "AuthTokenFailures",
            "AuthTokenFailures",
            "GatewayUpstream5xx",
            "SearchIndexLag",
            "SearchIndexLag",
            "KafkaConsumerLag",
            "KafkaConsumerLag",
        ],
        "group_taxonomy": ["reasoning_gap", "retrieval_gap", "retrieval_gap", "reasoning_gap"] + ["retrieval_gap"] * 4,
    },
    schema_overrides={"timestamp": UTC_DATETIME},
).lazy()

SCENARIOS = pl.DataFrame(
    {
        "path": [f"/exports/2026-11-03/{name}/alert.json" for name in (GATEWAY, AUTH, SEARCH)],
        "miss_id": ["m-1", "m-2", "not-in-the-store"],
        "alert_name": ["GatewayUpstream5xx", "AuthTokenFailures", "SearchIndexLag"],
        "taxonomy": ["reasoning_gap", "retrieval_gap", "retrieval_gap"],
        "covered_at": [at(3, 9)] * 3,
    },
    schema_overrides={"covered_at": UTC_DATETIME},
)


def result(run: str, started: datetime, name: str, status: str, *, source: str = "junit", **extra: Any) -> dict:
    return {"run_id": run, "started_at": started, "name": name, "status": status, "source": source, **extra}


RESULTS = pl.DataFrame(
    [
        result(R1, at(5), f"test_case[{GATEWAY}]", "failed"),
        result(R1, at(5), f"test_case[{AUTH}]", "passed"),
        result(R1, at(5), f"test_case[2026-11-03/{SEARCH}]", "skipped"),
        result(R1, at(5), "test_case[canary_dns]", "passed"),
        result(R2, at(10), "renamed_by_the_runner", "passed", source="jsonl", miss_id="m-1"),
        result(R2, at(10), AUTH, "passed", source="jsonl"),
        result(R2, at(10), SEARCH, "error", source="jsonl"),
        result(R2, at(10), "canary_dns", "failed", source="jsonl"),
        result(R2, at(10), "zz_handwritten", "passed", source="jsonl"),
        result(R3, at(15), f"test_a[{GATEWAY}]", "passed"),
        result(R3, at(15), f"test_b[{GATEWAY}]", "failed"),
        result(R3, at(15), f"test_case[{AUTH}]", "failed"),
        result(R3, at(15), f"test_case[{SEARCH}]", "passed"),
        result(R3, at(15), "test_case[brand_new]", "skipped"),
    ],
    schema=RESULT_SCHEMA,
)


def world() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    index = scenario_index(MISSES, SCENARIOS)
    matched = match_results(RESULTS.lazy(), index).collect()
    runs = run_summary(matched.lazy())
    return index, matched, runs, scenario_grid(matched.lazy(), runs)


def test_scenario_is_the_text_in_the_last_brackets_else_the_name() -> None:
    names = pl.Series("n", ["test_x[0001_a_b]", "test_x[a][b]", "test_plain", "test_x[]", "test[a]-suffix", "t[a[b]]"])
    got = pl.DataFrame({"n": names}).select(scenario_from_name(pl.col("n")))["n"].to_list()
    assert got == ["0001_a_b", "b", "test_plain", "test_x[]", "a", "t[a[b]]"]


def test_the_index_names_each_folder_and_the_pair_it_came_from() -> None:
    index = scenario_index(MISSES, SCENARIOS)
    assert index.select("scenario", "miss_id", "group_alert", "group_taxonomy").rows() == [
        (GATEWAY, "m-1", "GatewayUpstream5xx", "reasoning_gap"),
        (AUTH, "m-2", "AuthTokenFailures", "retrieval_gap"),
        (SEARCH, "not-in-the-store", "SearchIndexLag", "retrieval_gap"),  # its own alert name and taxonomy
    ]


def test_results_match_folders_by_miss_id_by_name_and_by_the_last_path_part() -> None:
    _, matched, _, _ = world()
    assert matched.select("name", "scenario", "exported", "group_taxonomy").rows() == [
        (f"test_case[{GATEWAY}]", GATEWAY, True, "reasoning_gap"),
        (f"test_case[{AUTH}]", AUTH, True, "retrieval_gap"),
        (f"test_case[2026-11-03/{SEARCH}]", SEARCH, True, "retrieval_gap"),
        ("test_case[canary_dns]", "canary_dns", False, None),
        ("renamed_by_the_runner", GATEWAY, True, "reasoning_gap"),  # by its miss_id property
        (AUTH, AUTH, True, "retrieval_gap"),
        (SEARCH, SEARCH, True, "retrieval_gap"),
        ("canary_dns", "canary_dns", False, None),
        ("zz_handwritten", "zz_handwritten", False, None),
        (f"test_a[{GATEWAY}]", GATEWAY, True, "reasoning_gap"),
        (f"test_b[{GATEWAY}]", GATEWAY, True, "reasoning_gap"),
        (f"test_case[{AUTH}]", AUTH, True, "retrieval_gap"),
        (f"test_case[{SEARCH}]", SEARCH, True, "retrieval_gap"),
        ("test_case[brand_new]", "brand_new", False, None),
    ]


def test_runs_newest_first_with_errors_not_passed_and_skips_out_of_the_denominator() -> None:
    _, _, runs, _ = world()
    assert runs.select(RUN_COLUMNS[:8]).rows() == [
        # run, started, tests, passed, failed, errors, skipped, pass rate
        (R3, at(15), 5, 2, 2, 0, 1, 0.5),  # 2 / (5 - 1)
        (R2, at(10), 5, 3, 1, 1, 0, 0.6),  # the error counts against it
        (R1, at(5), 4, 2, 1, 0, 1, 0.6667),  # 2 / (4 - 1)
    ]
    assert runs.columns == [*RUN_COLUMNS, "scenarios"]
    assert runs.select("run_id", "format", "benchmark", "aborted").rows() == [
        (R3, "junit", "default", False),
        (R2, "jsonl", "default", False),
        (R1, "junit", "default", False),
    ]


def test_a_run_whose_tests_were_all_skipped_has_no_pass_rate() -> None:
    frame = pl.DataFrame([result("r", at(1), "a", "skipped"), result("r", at(1), "b", "skipped")], schema=RESULT_SCHEMA)
    assert run_summary(frame.lazy())["pass_rate"].to_list() == [None]
    assert run_summary(pl.DataFrame(schema=RESULT_SCHEMA).lazy()).height == 0


def test_the_grid_takes_the_worst_status_of_a_scenario_in_a_run() -> None:
    _, _, _, grid = world()
    newest = grid.filter(pl.col("run_id") == R3)
    assert newest.select("scenario", "status", "results").rows() == [
        (GATEWAY, "failed", 2),  # passed in test_a, failed in test_b
        (AUTH, "failed", 1),
        (SEARCH, "passed", 1),
        ("brand_new", "skipped", 1),
    ]
    assert grid["run_id"].unique(maintain_order=True).to_list() == [R3, R2, R1]


def test_scenario_summary() -> None:
    _, _, _, grid = world()
    assert scenario_summary(grid).rows() == [
        # scenario, exported, runs, passed, last status, first passed, alert, taxonomy
        (GATEWAY, True, 3, 1, "failed", at(10), "GatewayUpstream5xx", "reasoning_gap"),
        (AUTH, True, 3, 2, "failed", at(5), "AuthTokenFailures", "retrieval_gap"),
        (SEARCH, True, 3, 1, "passed", at(15), "SearchIndexLag", "retrieval_gap"),
        ("brand_new", False, 1, 0, "skipped", None, None, None),
        ("canary_dns", False, 2, 1, "failed", at(5), None, None),
        ("zz_handwritten", False, 1, 1, "passed", at(10), None, None),
    ]


def test_compare_puts_regressions_first_and_counts_per_taxonomy() -> None:
    _, _, runs, grid = world()
    assert default_comparison(runs) == (R2, R3)
    assert previous_run(runs, R2) == R1
    assert previous_run(runs, R1) is None
    comparison = compare_runs(grid, baseline=R2, run=R3)
    assert comparison.select("scenario", "before", "after", "change").rows() == [
        (GATEWAY, "passed", "failed", "regressed"),
        (AUTH, "passed", "failed", "regressed"),
        (SEARCH, "error", "passed", "improved"),
        ("brand_new", None, "skipped", "new"),
        ("canary_dns", "failed", None, "gone"),
        ("zz_handwritten", "passed", None, "gone"),
    ]
    zero = {"regressed": 0, "improved": 0, "new": 0, "gone": 0, "unchanged": 0}
    assert changes_by_taxonomy(comparison) == {
        "(not exported)": {**zero, "new": 1, "gone": 2},
        "reasoning_gap": {**zero, "regressed": 1},
        "retrieval_gap": {**zero, "regressed": 1, "improved": 1},
    }
    canary = compare_runs(grid, baseline=R1, run=R2).filter(pl.col("scenario") == "canary_dns")
    assert canary.select("before", "after", "change").row(0) == ("passed", "failed", "regressed")
    skipped_then_error = compare_runs(grid, baseline=R1, run=R2).filter(pl.col("scenario") == SEARCH)
    assert skipped_then_error.select("before", "after", "change").row(0) == ("skipped", "error", "unchanged")


def test_fix_held_by_the_benchmark_and_the_funnel() -> None:
    index, _, runs, grid = world()
    pairs = pair_benchmark(grid, runs, MISSES)
    assert pairs.rows() == [
        # alert, taxonomy, scenarios, first passed, newest, passing newest, misses since, fix held
        ("AuthTokenFailures", "retrieval_gap", 1, at(5), "failed", False, 1, False),  # missed on the 12th
        ("GatewayUpstream5xx", "reasoning_gap", 1, at(10), "failed", False, 0, True),  # misses all before
        ("SearchIndexLag", "retrieval_gap", 1, at(15), "passed", True, 0, True),
    ]
    stages, per_pair = pair_funnel(MISSES, index, pairs)
    assert stages.rows() == [
        ("missed (recurring)", 4),
        ("exported", 3),
        ("passing in the newest run", 1),
        ("fix held", 1),
    ]
    assert per_pair.select("group_alert", "misses", "stage").rows() == [
        ("AuthTokenFailures", 2, "exported"),
        ("GatewayUpstream5xx", 2, "exported"),
        ("KafkaConsumerLag", 2, "missed (recurring)"),
        ("SearchIndexLag", 2, "fix held"),
    ]


def test_weekly_pass_rate_pools_the_tests_of_the_week_s_runs() -> None:
    _, _, runs, _ = world()
    weekly = weekly_pass_rate(runs, week_monday=at(9, 0))
    assert weekly == {
        "week": "2026-W46",
        "this_week": {"runs": 2, "passed": 5, "n": 9, "pass_rate": 0.5556},
        "last_week": {"runs": 1, "passed": 2, "n": 3, "pass_rate": 0.6667},
    }
    assert weekly_pass_rate_line(weekly) == (
        "Benchmark pass rate: 56% (5/9 tests, 2 runs) this week against 67% (2/3 tests, 1 run) the week before."
    )
    empty = weekly_pass_rate(runs, week_monday=at(23, 0))
    assert (
        weekly_pass_rate_line(empty) == "Benchmark pass rate: no results this week against no results the week before."
    )


def test_verdict_sentence() -> None:
    _, _, runs, grid = world()
    comparison = compare_runs(grid, baseline=R2, run=R3)
    assert verdict(runs, comparison) == (
        "The newest run (2026-11-15 02:00 UTC) passed 2 of 4 tests (50%), down from 60% in the run before; "
        "2 scenarios regressed."
    )
    assert verdict(runs.tail(1), None) == (
        "The newest run (2026-11-05 02:00 UTC) passed 2 of 3 tests (67%); there is no earlier run to compare with."
    )
    assert verdict(runs.head(0), None) == "No benchmark runs yet."


def test_pass_rate_intervals_are_oldest_first_with_n() -> None:
    _, _, runs, _ = world()
    chart = pass_rate_intervals(runs, z=1.959964)
    assert chart.select("run_id", "n").rows() == [(R1, 3), (R2, 5), (R3, 4)]
    low, high = chart.filter(pl.col("run_id") == R3).select("ci_low", "ci_high").row(0)
    assert (low, high) == (0.15, 0.85)  # Wilson 95% of 2/4


def test_the_digest_gains_one_benchmark_line_only_when_runs_exist(tmp_path: Path) -> None:
    incidents = incidents_frame(tmp_path, [])
    _, _, runs, _ = world()
    without = build_digest(incidents, week_monday=parse_week("2026-W46"), policy=Policy())
    with_runs = build_digest(incidents, week_monday=parse_week("2026-W46"), policy=Policy(), runs=runs)
    assert "benchmark" not in without.summary and "Benchmark pass rate" not in without.markdown
    assert with_runs.summary["benchmark"]["this_week"] == {"runs": 2, "passed": 5, "n": 9, "pass_rate": 0.5556}
    added = set(with_runs.markdown.splitlines()) - set(without.markdown.splitlines())
    assert added == {weekly_pass_rate_line(with_runs.summary["benchmark"])}


STATUS = st.sampled_from(["passed", "failed", "error", "skipped"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 3), STATUS), max_size=40))
def test_run_summary_matches_a_plain_python_reference(rows: list[tuple[str, int, str]]) -> None:
    frame = pl.DataFrame(
        [result(run, at(day), f"t{i}", status) for i, (run, day, status) in enumerate(rows)], schema=RESULT_SCHEMA
    )
    expected: dict[str, dict[str, Any]] = {}
    for run, day, status in rows:
        entry = expected.setdefault(
            run, {"started": at(day), "counts": dict.fromkeys(["passed", "failed", "error", "skipped"], 0)}
        )
        entry["started"] = min(entry["started"], at(day))
        entry["counts"][status] += 1
    reference = []
    for run, entry in expected.items():
        c = entry["counts"]
        tests = sum(c.values())
        denominator = tests - c["skipped"]
        rate = round(c["passed"] / denominator, 4) if denominator else None
        reference.append((run, entry["started"], tests, c["passed"], c["failed"], c["error"], c["skipped"], rate))
    reference.sort(key=lambda r: (-r[1].timestamp(), r[0]))
    assert run_summary(frame.lazy()).select(RUN_COLUMNS[:8]).rows() == reference
