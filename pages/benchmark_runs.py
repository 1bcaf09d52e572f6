"""Benchmark runs: does the agent now pass the scenarios exported from its misses? One benchmark at a time: the
score per run, the chosen run's arms and control lift (OpenSRE framework runs), the two-run comparison, the
scenario x run grid with its CSV, and the funnel per recurring pair. Aborted runs are shown, never a default."""

from __future__ import annotations

import streamlit as st

from analytics.fixes import FIX_HELD_HELP
from dashboard.context import current_context, page_title, relative_path
from dashboard.exports import download_button
from dashboard.fixes_view import fix_held_for, fixes_for, releases_for
from dashboard.formatting import escape_markdown
from dashboard.runs_view import (
    FUNNEL_HELP,
    GRID_CAPTION,
    NO_RUNS_HELP,
    SHOW_CHOICES,
    benchmark_for,
    benchmark_view,
    comparison_view,
    funnel_chart,
    funnel_view,
    grid_csv,
    grid_display,
    grid_file_name,
    grid_view,
    render_comparison,
    render_detail,
    run_detail,
    trend_chart,
    url_choice,
)
from dashboard.versions_view import pass_rate_with_releases
from triage_lens.sources.runs import runs_report_lines

context = current_context()
page_title("Benchmark runs", context, services_note="benchmark results carry no service")
benchmark = benchmark_for(context)
if benchmark is None:
    st.info(NO_RUNS_HELP)
    st.stop()
problems = runs_report_lines(benchmark.read) + benchmark.scenario_problems
if problems:
    with st.expander(f"{len(problems)} problem(s) reading {escape_markdown(relative_path(benchmark.runs_dir))}"):
        st.markdown("\n".join(f"- {escape_markdown(p)}" for p in problems))
if not benchmark.has_runs:
    st.info(f"No readable test results in `{relative_path(benchmark.runs_dir)}` yet.")
    st.stop()

names, name_labels = benchmark_view(benchmark)
chosen_benchmark = names[0]
if len(names) > 1:
    chosen_benchmark = url_choice(
        st,
        "Benchmark",
        names,
        "benchmark",
        names[0],
        format_func=lambda b: name_labels[b],
        help="Runs of different benchmarks are never one series: the trend and the comparison stay within one.",
    )
view = comparison_view(benchmark, context, chosen_benchmark)
if view is None:
    st.info(f"No run of {chosen_benchmark} started in the time range: widen the time range in the sidebar.")
    st.stop()
labels = view.labels
st.markdown(f"**{view.verdict}**")
st.caption(view.caption)
for line in view.aborted_lines:
    st.warning(line, icon=":material/block:")

st.subheader(view.trend_title)
trend = trend_chart(view.runs, benchmark.arm_rows, z=context.policy.confidence.wilson_z)
st.altair_chart(pass_rate_with_releases(trend, view.results, releases_for(context)[0]), width="stretch")
st.caption(view.trend_caption)

st.subheader("Compare two runs" if view.comparable else "The run")
pick_run, pick_base = st.columns(2)
chosen_run = url_choice(
    pick_run,
    "Run",
    view.run_ids,
    "run",
    view.default_run,
    format_func=lambda r: labels[r],
    help="The run to look at (default: the newest run that was not aborted).",
    scope=chosen_benchmark,
)
changed: set[str] = set()
if view.comparable:
    chosen_base = url_choice(
        pick_base,
        "Baseline",
        view.run_ids,
        "baseline",
        view.baseline_for(chosen_run),
        format_func=lambda r: labels[r],
        help="The run to compare against (default: the completed run before the chosen one).",
        scope=chosen_run,
    )
render_detail(run_detail(benchmark, chosen_run))
if view.comparable:
    changed = render_comparison(view.compare(chosen_base, chosen_run), same=chosen_base == chosen_run)
else:
    st.caption("This benchmark has one run: nothing to compare it with yet.")

st.subheader("Scenario × run grid")
col_taxonomy, col_show = st.columns(2)
taxonomy = url_choice(
    col_taxonomy,
    "Taxonomy",
    ["all", *view.taxonomies],
    "taxonomy",
    "all",
    format_func=lambda t: "all taxonomies" if t == "all" else t,
)
show = url_choice(col_show, "Show", list(SHOW_CHOICES), "show", "all", format_func=lambda s: SHOW_CHOICES[s])
wide = grid_view(benchmark, view.runs, taxonomy=taxonomy, show=show, changed=changed)
if wide.height == 0:
    st.info("No scenario matches these filters.")
else:
    st.dataframe(grid_display(wide), hide_index=True, width="stretch")
    download_button(
        f"Download the grid ({wide.height} scenarios × {view.runs.height} runs, CSV)",
        data=lambda: grid_csv(wide),
        file_name=grid_file_name(context, taxonomy, show),
        mime="text/csv",
    )
st.caption(GRID_CAPTION)

st.subheader("From a recurring miss to a fix that held")
# fix held: the one rule of analytics.fixes (the same answer as Overview, Misses, Scenarios and `misses trend`)
funnel = funnel_view(benchmark, context, fixes_for(context))
if funnel.empty:
    st.info(funnel.caption)
    st.stop()
left, right = st.columns([3, 2])
left.altair_chart(funnel_chart(funnel.stages), width="stretch")
held = fix_held_for(context)
right.metric("Fix held", f"{held.held} of {held.judged} fixed pairs", help=FIX_HELD_HELP)
right.caption(held.line())
st.dataframe(funnel.table, hide_index=True, width="stretch")
st.caption(f"{funnel.caption} {FUNNEL_HELP}")
