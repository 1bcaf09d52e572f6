"""Benchmark runs: does the agent now pass the scenarios exported from its misses? Pass rate per run, the two-run
comparison (regressions first), the scenario x run grid with its CSV, and the funnel per recurring pair:
missed -> exported -> passing in the newest run -> not missed again since it first passed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from analytics.fixes import FIX_HELD_HELP, benchmark_pairs_held
from analytics.runs import (
    CHANGES,
    NOT_EXPORTED,
    changes_by_taxonomy,
    compare_runs,
    default_comparison,
    pair_benchmark,
    pair_funnel,
    previous_run,
    runs_in_window,
    verdict,
)
from dashboard.context import current_context, page_title, relative_path
from dashboard.exports import download_name
from dashboard.fixes_view import fix_held_for, fixes_for, releases_for
from dashboard.formatting import escape_markdown
from dashboard.misses_view import range_since
from dashboard.runs_view import (
    CHANGE_LABELS,
    SHOW_CHOICES,
    STATUS_LABELS,
    benchmark_for,
    filter_grid,
    funnel_chart,
    grid_csv,
    grid_display,
    grid_wide,
    pass_rate_chart,
    run_labels,
    when,
)
from dashboard.tables import cut_names
from dashboard.versions_view import pass_rate_with_releases
from triage_lens.sources.runs import runs_report_lines


def url_choice(
    container: Any,
    label: str,
    options: list[str],
    param: str,
    default: str,
    format_func: Callable[[str], str] = str,
    help: str | None = None,
    scope: str = "",
) -> str:
    """A selectbox kept in the URL parameter ``param`` (absent when it equals ``default``); local on purpose.
    ``scope`` gives the widget a fresh identity when what its default depends on changes."""
    wanted = st.query_params.get(param, default)
    index = options.index(wanted) if wanted in options else (options.index(default) if default in options else 0)
    # A key keeps the widget's identity when the URL moves its index (else the next choice would be lost).
    chosen = str(
        container.selectbox(label, options, index=index, format_func=format_func, help=help, key=f"runs_{param}{scope}")
    )
    if chosen == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != chosen:
        st.query_params[param] = chosen
    return chosen


context = current_context()
page_title("Benchmark runs", context, services_note="benchmark results carry no service")
benchmark = benchmark_for(context)
if benchmark is None:
    st.info(
        "No benchmark results in this data source. Run the exported scenarios with pytest "
        "(`pytest --junitxml runs/<date>.xml`) or write JSONL results (`run_id`, `started_at`, `scenario`, "
        "`status`, optional `score`), and put the files in a `runs/` folder of the data folder, or set "
        "`runs_dir` in `triage-lens.yaml`."
    )
    st.stop()

problems = runs_report_lines(benchmark.read) + benchmark.scenario_problems
if problems:
    with st.expander(f"{len(problems)} problem(s) reading {escape_markdown(relative_path(benchmark.runs_dir))}"):
        st.markdown("\n".join(f"- {escape_markdown(p)}" for p in problems))
if not benchmark.has_runs:
    st.info(f"No readable test results in `{relative_path(benchmark.runs_dir)}` yet.")
    st.stop()

since, since_label = range_since(context)
runs = runs_in_window(benchmark.runs, start=since, end=context.now)
if runs.height == 0:
    st.info(f"No benchmark run started {since_label}: widen the time range in the sidebar.")
    st.stop()
baseline_default, newest = default_comparison(runs)
default_compare = (
    None if baseline_default is None else compare_runs(benchmark.grid, baseline=baseline_default, run=str(newest))
)
st.markdown(f"**{verdict(runs, default_compare)}**")
st.caption(
    f"{runs.height} run{'' if runs.height == 1 else 's'} in the time range ({since_label}) · pass rate = passed / "
    "(tests − skipped); errors count as not passed. A run is one JUnit `<testsuite>` or one JSONL `run_id`."
)

# --- pass rate per run ------------------------------------------------------------------------------
st.subheader("Pass rate per run")
rate_chart = pass_rate_chart(runs, z=context.policy.confidence.wilson_z)
st.altair_chart(pass_rate_with_releases(rate_chart, runs, releases_for(context)[0]), width="stretch")
st.caption(
    "Dots: passed / tests not skipped; bars: 95% Wilson interval — with few tests, a step inside the bars "
    "is not a real change."
)

# --- compare two runs -------------------------------------------------------------------------------
st.subheader("Compare two runs")
labels = run_labels(runs)
run_ids = runs["run_id"].to_list()
pick_run, pick_base = st.columns(2)
chosen_run = url_choice(
    pick_run,
    "Run",
    run_ids,
    "run",
    run_ids[0],
    format_func=lambda r: f"{labels[r]} · {r}",
    help="The run to look at (default: the newest).",
)
base_default = previous_run(runs, chosen_run) or chosen_run
chosen_base = url_choice(
    pick_base,
    "Baseline",
    run_ids,
    "baseline",
    base_default,
    format_func=lambda r: f"{labels[r]} · {r}",
    help="The run to compare against (default: the one before the chosen run).",
    scope=chosen_run,
)
comparison = compare_runs(benchmark.grid, baseline=chosen_base, run=chosen_run)
if chosen_base == chosen_run:
    st.info("Pick a different baseline: a run compared with itself changes nothing.")
counts = {c: int((comparison["change"] == c).sum()) for c in CHANGES}
for column, change in zip(st.columns(len(CHANGES)), CHANGES, strict=True):
    column.metric(CHANGE_LABELS[change], counts[change])
st.dataframe(
    cut_names(comparison).select(
        pl.col("change").replace_strict(CHANGE_LABELS, return_dtype=pl.Utf8),
        "scenario",
        pl.col("alert_name").alias("alert"),
        "taxonomy",
        pl.col("before").replace_strict(STATUS_LABELS, default=None, return_dtype=pl.Utf8),
        pl.col("after").replace_strict(STATUS_LABELS, default=None, return_dtype=pl.Utf8),
    ),
    hide_index=True,
    width="stretch",
)
by_taxonomy = changes_by_taxonomy(comparison)
if by_taxonomy:
    st.markdown("**Changes per taxonomy**")
    st.dataframe(
        pl.DataFrame([{"taxonomy": t, **c} for t, c in by_taxonomy.items()]),
        hide_index=True,
        width="stretch",
    )
st.caption("Regressed: passed in the baseline, not in the run; improved: the reverse; skipped counts as not passed.")

# --- scenario x run grid ----------------------------------------------------------------------------
st.subheader("Scenario × run grid")
taxonomies = sorted({t or NOT_EXPORTED for t in benchmark.grid["group_taxonomy"].to_list()})
col_taxonomy, col_show = st.columns(2)
taxonomy = url_choice(
    col_taxonomy,
    "Taxonomy",
    ["all", *taxonomies],
    "taxonomy",
    "all",
    format_func=lambda t: "all taxonomies" if t == "all" else t,
)
show = url_choice(col_show, "Show", list(SHOW_CHOICES), "show", "all", format_func=lambda s: SHOW_CHOICES[s])
changed = set(comparison.filter(pl.col("change") != "unchanged")["scenario"].to_list())
shown = filter_grid(benchmark.grid, runs=runs, taxonomy=taxonomy, show=show, changed=changed)
wide = grid_wide(shown, runs)
if wide.height == 0:
    st.info("No scenario matches these filters.")
else:
    st.dataframe(grid_display(wide), hide_index=True, width="stretch")
    st.download_button(
        f"Download the grid ({wide.height} scenarios × {runs.height} runs, CSV)",
        data=lambda: grid_csv(wide),
        file_name=download_name(
            "benchmark_grid",
            context.now,
            "csv",
            range=context.filters.range_key,
            taxonomy=None if taxonomy == "all" else taxonomy,
            show=None if show == "all" else show,
        ),
        mime="text/csv",
    )
st.caption(
    "One column per run, oldest on the left; scenarios not passing in the newest run come first. A scenario "
    "is the text in the last `[...]` of a test name, matched to an exported folder by `miss_id` or name."
)

# --- the funnel per recurring pair --------------------------------------------------------------------
st.subheader("From a recurring miss to a fix that held")
# fix held: the one rule of analytics.fixes (the same answer as Overview, Misses, Scenarios and `misses trend`)
pairs = pair_benchmark(benchmark.grid, benchmark.runs, context.data.frame("misses"))
pairs = benchmark_pairs_held(pairs, fixes_for(context))
stages, per_pair = pair_funnel(context.data.frame("misses"), benchmark.index, pairs)
held = fix_held_for(context)
left, right = st.columns([3, 2])
left.altair_chart(funnel_chart(stages), width="stretch")
right.metric("Fix held", f"{held.held} of {held.judged} fixed pairs", help=FIX_HELD_HELP)
right.caption(held.line())
st.dataframe(
    cut_names(per_pair).select(
        pl.col("group_alert").alias("alert"),
        pl.col("group_taxonomy").alias("taxonomy"),
        pl.col("misses").alias("misses (all time)"),
        pl.col("stage").alias("furthest stage"),
        pl.col("newest_status").replace_strict(STATUS_LABELS, default=None, return_dtype=pl.Utf8).alias("newest run"),
        pl.col("first_passed_at").alias("first passed"),
        pl.col("missed_since_pass").alias("misses since"),
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "first passed": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", help="UTC"),
        "misses since": st.column_config.NumberColumn(help="Misses of the pair after the first run it passed in."),
    },
)
st.caption(
    f"Recurring pair: (alert, taxonomy) missed at least twice, all time. Runs from "
    f"`{escape_markdown(relative_path(benchmark.runs_dir))}` ({len(benchmark.read.files)} files); newest run "
    f"{when(benchmark.runs['started_at'][0])} UTC."
)
