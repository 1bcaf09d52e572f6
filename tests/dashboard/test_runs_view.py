"""The Benchmark runs grid as shown and exported: filters, the scenario x run layout and the CSV bytes."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from analytics.runs import RESULT_SCHEMA, match_results, run_summary, scenario_grid
from dashboard.runs_view import filter_grid, funnel_chart, grid_csv, grid_display, grid_wide, run_labels
from tests.analytics.test_runs import AUTH, GATEWAY, R1, R2, R3, SEARCH, world

HEADER = "scenario,alert,taxonomy,exported,11-05 02:00,11-10 02:00,11-15 02:00\n"


def test_run_labels_are_short_and_unique() -> None:
    _, _, runs, _ = world()
    assert run_labels(runs) == {R3: "11-15 02:00", R2: "11-10 02:00", R1: "11-05 02:00"}
    twin = pl.DataFrame({"run_id": ["a", "b"], "started_at": [datetime(2026, 11, 5, 2, tzinfo=UTC)] * 2})
    assert run_labels(twin) == {"a": "11-05 02:00", "b": "11-05 02:00 (b)"}


def test_the_wide_grid_puts_scenarios_not_passing_in_the_newest_run_first() -> None:
    _, _, runs, grid = world()
    wide = grid_wide(grid, runs)
    assert wide.columns == ["scenario", "alert", "taxonomy", "exported", "11-05 02:00", "11-10 02:00", "11-15 02:00"]
    assert wide.rows() == [
        (GATEWAY, "GatewayUpstream5xx", "reasoning_gap", True, "failed", "passed", "failed"),
        (AUTH, "AuthTokenFailures", "retrieval_gap", True, "passed", "passed", "failed"),
        ("brand_new", None, "(not exported)", False, None, None, "skipped"),
        ("canary_dns", None, "(not exported)", False, "passed", "failed", None),
        ("zz_handwritten", None, "(not exported)", False, None, "passed", None),
        (SEARCH, "SearchIndexLag", "retrieval_gap", True, "skipped", "error", "passed"),
    ]


def test_the_csv_holds_exactly_the_filtered_grid() -> None:
    _, _, runs, grid = world()
    retrieval = filter_grid(grid, runs=runs, taxonomy="retrieval_gap", show="all")
    assert grid_csv(grid_wide(retrieval, runs)) == (
        HEADER.encode()
        + b"0002_authtokenfailures_retrieval_gap,AuthTokenFailures,retrieval_gap,true,passed,passed,failed\n"
        + b"0003_search_retrieval_gap,SearchIndexLag,retrieval_gap,true,skipped,error,passed\n"
    )
    failing = filter_grid(grid, runs=runs, taxonomy="retrieval_gap", show="failing")
    assert grid_wide(failing, runs)["scenario"].to_list() == [AUTH]
    changed = filter_grid(grid, runs=runs, taxonomy="all", show="changed", changed={AUTH, "zz_handwritten"})
    assert grid_wide(changed, runs)["scenario"].to_list() == [AUTH, "zz_handwritten"]
    unexported = filter_grid(grid, runs=runs, taxonomy="all", show="unexported")
    assert grid_wide(unexported, runs)["scenario"].to_list() == ["brand_new", "canary_dns", "zz_handwritten"]
    not_exported = filter_grid(grid, runs=runs, taxonomy="(not exported)", show="all")
    assert grid_wide(not_exported, runs)["scenario"].to_list() == ["brand_new", "canary_dns", "zz_handwritten"]


def test_a_narrower_time_range_drops_the_older_run_columns() -> None:
    _, _, runs, grid = world()
    recent = runs.filter(pl.col("run_id") != R1)
    wide = grid_wide(filter_grid(grid, runs=recent, taxonomy="all", show="all"), recent)
    assert wide.columns[4:] == ["11-10 02:00", "11-15 02:00"]
    assert "brand_new" in wide["scenario"].to_list() and wide.height == 6
    empty = grid_wide(filter_grid(grid, runs=recent, taxonomy="tool_failure", show="all"), recent)
    assert empty.height == 0 and empty.columns[4:] == ["11-10 02:00", "11-15 02:00"]


def test_a_scenario_named_like_a_formula_is_neutralised_in_the_csv() -> None:
    results = pl.DataFrame(
        [
            {
                "run_id": "r",
                "started_at": datetime(2026, 11, 5, 2, tzinfo=UTC),
                "name": '=HYPERLINK("http://x")',
                "status": "passed",
                "source": "jsonl",
            }
        ],
        schema=RESULT_SCHEMA,
    )
    empty_index = pl.DataFrame(
        schema={
            "scenario": pl.Utf8,
            "miss_id": pl.Utf8,
            "group_alert": pl.Utf8,
            "group_taxonomy": pl.Utf8,
            "exported_at": pl.Datetime("us", "UTC"),
        }
    )
    matched = match_results(results.lazy(), empty_index)
    runs = run_summary(matched)
    wide = grid_wide(scenario_grid(matched, runs), runs)
    assert grid_csv(wide) == (
        b'scenario,alert,taxonomy,exported,11-05 02:00\n"\'=HYPERLINK(""http://x"")",,(not exported),false,passed\n'
    )


def test_the_display_shows_symbols_and_a_dash_where_a_run_lacks_the_scenario() -> None:
    _, _, runs, grid = world()
    styler = grid_display(grid_wide(grid, runs))
    shown = styler.data
    assert list(shown.columns) == ["scenario", "taxonomy", "11-05 02:00", "11-10 02:00", "11-15 02:00"]
    assert shown.iloc[2].tolist() == ["brand_new", "(not exported)", "—", "—", "– skipped"]
    assert shown.iloc[5].tolist() == [SEARCH, "retrieval_gap", "– skipped", "⚠ error", "✓ passed"]


def test_the_funnel_chart_gets_one_row_per_stage() -> None:
    stages = pl.DataFrame({"stage": ["a", "b", "c", "d"], "pairs": [4, 3, 1, 1]})
    spec = funnel_chart(stages).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert values == [
        {"stage": "a", "pairs": 4},
        {"stage": "b", "pairs": 3},
        {"stage": "c", "pairs": 1},
        {"stage": "d", "pairs": 1},
    ]


def test_the_time_axis_ticks_at_the_runs_with_the_hour_when_two_share_a_day() -> None:
    from dashboard.runs_view import time_axis

    one_day = [datetime(2026, 1, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, 14, tzinfo=UTC)]
    axis = time_axis(one_day).to_dict()
    assert axis["format"] == "%b %d %H:%M"  # never "Jan 01 Jan 01"
    assert axis["values"] == ["2026-01-01T02:00:00+00:00", "2026-01-01T14:00:00+00:00"]
    apart = time_axis([datetime(2026, 1, d, tzinfo=UTC) for d in (1, 2)]).to_dict()
    assert apart["format"] == "%b %d"
    many = time_axis(
        [datetime(2026, 1, 1, tzinfo=UTC) + (datetime(2026, 1, 2) - datetime(2026, 1, 1)) * i for i in range(30)]
    ).to_dict()
    assert len(many["values"]) == 10  # every third of 30 runs: at most 12 ticks


def test_run_pickers_show_benchmark_and_date_and_say_aborted() -> None:
    from dashboard.runs_view import run_choice_labels

    runs = pl.DataFrame(
        {
            "run_id": ["r3", "r2", "r1"],
            "started_at": [
                datetime(2026, 11, 3, 2, tzinfo=UTC),
                datetime(2026, 11, 2, 2, tzinfo=UTC),
                datetime(2026, 11, 2, 2, tzinfo=UTC),
            ],
            "benchmark": ["rca-core", "rca-core", "default"],
            "aborted": [True, False, False],
        }
    )
    assert run_choice_labels(runs) == {
        "r3": "rca-core · 2026-11-03 02:00 · aborted",
        "r2": "rca-core · 2026-11-02 02:00",
        "r1": "exported scenarios · 2026-11-02 02:00",
    }
