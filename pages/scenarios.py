"""Scenarios: top-N recurring pairs as benchmark scenarios (the same tree as `opensre misses export`), the
alert.json preview and downloads, coverage (covered, time to coverage, fix held, fixed in / back in) and how long
fixes last."""

from __future__ import annotations

import streamlit as st

from analytics.durability import durability
from analytics.fixes import FIX_HELD_HELP, fix_funnel, fix_held_summary
from analytics.learning import median_days_to_coverage
from analytics.misses import DEFAULT_TOP, filter_misses, scope_count, top_groups
from analytics.scenarios import build_cases, manifest_bytes, zip_bytes
from analytics.schemas import TAXONOMIES
from dashboard.charts import coverage_funnel_chart
from dashboard.context import current_context, memo, page_title
from dashboard.exports import download_button, download_name
from dashboard.fixes_view import fixes_for
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.misses_view import coverage_for, lifecycle
from dashboard.scenarios_view import (
    cases_table,
    coverage_table,
    covered_count,
    durability_by_taxonomy,
    durability_chart,
    durability_line,
)
from dashboard.tables import format_percent, show_table
from dashboard.urlstate import url_number, url_selectbox

context = current_context()
page_title("Scenarios", context, services_note="misses carry no service")
require_inputs(context, "misses", purpose="nothing to turn into scenarios yet")
misses = context.data.frame("misses")

# --- export controls (kept in the URL) ---------------------------------------------------------------
# The time window is the sidebar range, as `opensre misses export --since <range>` (all = `--since ""`).
window = context.filters.window(context.now)
since = "" if window.start is None else window.spec
since_text = f"since {since}" if since else "of all time"
EMPTY_SINCE = '""'
col_top, col_tax = st.columns(2)
top = int(url_number(col_top, "Top pairs", "top", DEFAULT_TOP, min_value=0, max_value=500, step=1))
taxonomy = url_selectbox(col_tax, "Taxonomy", ["all", *TAXONOMIES], "taxonomy", "all", all_label="all taxonomies")

chosen_taxonomy = None if taxonomy == "all" else taxonomy
in_scope = filter_misses(misses, since=window.start, taxonomy=chosen_taxonomy)
cases = build_cases(top_groups(in_scope, top=top))
manifest = manifest_bytes(cases, exported_at=context.now, since=since, top=top, taxonomy=chosen_taxonomy)
st.caption(
    f"{scope_count(in_scope):,} misses {since_text} (the sidebar range); grouped by (alert, taxonomy), ordered by "
    f"count then recency, first {top}. Each case's `alert.json` is byte-identical to `opensre misses export`; the "
    "rubric sits in `commonAnnotations.scoring_points`."
)

if not cases:
    st.info("No scenarios for these settings: widen **Since** or raise **Top pairs**.")
else:
    show_table(cases_table(cases))
    name_filters = {"since": context.filters.range_key, "top": str(top), "taxonomy": chosen_taxonomy}
    download_button(
        f"Download {len(cases)} scenario(s) (ZIP)",
        data=lambda: zip_bytes(cases, manifest),
        file_name=download_name("scenarios", context.now, "zip", **name_filters),
        mime="application/zip",
        primary=True,
        help="The same tree as `triage-lens misses export`: one folder per case plus the manifest.",
    )
    st.subheader("alert.json preview")
    dirs = [c.dir for c in cases]
    case = cases[dirs.index(url_selectbox(st, "Case", dirs, "case", dirs[0]))]
    st.code(case.content.decode("utf-8"), language="json", height=360)
    download_button(
        "Download this alert.json", data=case.content, file_name=f"{case.dir}.alert.json", mime="application/json"
    )

# --- coverage ----------------------------------------------------------------------------------------------
st.subheader("Coverage")
coverage, problems, folder = coverage_for(context)
for problem in problems:
    st.warning(escape_markdown(problem))
if coverage is None:
    st.info(
        "No scenarios folder: set `scenarios_dir` in `triage-lens.yaml` (or keep a `scenarios/` folder in the data "
        "folder) and restart the dashboard to see which recurring pairs are covered by a regression scenario, how "
        "long coverage took and whether the fix held."
    )
    st.stop()

pairs = lifecycle(context, coverage)
fixes = fixes_for(context)
summary = fix_held_summary(fixes)
left, right = st.columns([3, 2])
left.altair_chart(coverage_funnel_chart(fix_funnel(pairs.height, fixes)), width="stretch")
left.caption(summary.line())
median_days = median_days_to_coverage(pairs)
right.metric("Covered pairs (all time)", f"{covered_count(pairs):,} of {pairs.height:,}")
right.metric(
    "Fix held",
    "—" if summary.rate is None else f"{format_percent(summary.rate)} ({summary.held} of {summary.judged})",
    help=FIX_HELD_HELP,
)
covered = covered_count(pairs)
right.caption(f"n = {summary.judged:,} judged · {covered - summary.judged:,} covered, not judged yet")
right.metric(
    "Median time to coverage",
    "—" if median_days is None else f"{median_days:.1f} days",
    help="Coverage time (the manifest's exported_at, else the file's modification time) − the pair's first miss.",
)
st.caption(
    f"Scenarios folder: {escape_markdown(folder)} · a scenario covers the pair of the miss named by its "
    "`_meta.miss_id` (else its own alert name and taxonomy)."
)
show_table(
    coverage_table(pairs, fixes),
    labels={"fixed_back": "Fixed / back"},
    help={
        "fix_held": FIX_HELD_HELP,
        "fixed_back": "First run that passed the pair (its version), first miss after it.",
    },
)

# --- how long fixes last -------------------------------------------------------------------------------------
st.subheader("How long fixes last")
result = memo(
    context,
    "durability",
    context.filters.range_key,
    build=lambda: durability(fixes, now=context.now, since=window.start, z=context.policy.confidence.wilson_z),
)
if not result["pairs"]:
    st.info(f"No pair was fixed {since_text}: widen the sidebar range.")
else:
    st.markdown(escape_markdown(durability_line(result)))
    chart_col, table_col = st.columns([3, 2])
    chart_col.altair_chart(durability_chart(result), width="stretch")
    show_table(durability_by_taxonomy(result), container=table_col)
    st.caption(
        f"Kaplan–Meier from each fix ({'first passing run' if result['basis'] == 'runs' else 'first coverage'}) "
        f"to the first miss after it, for pairs fixed {since_text}; pairs not back are censored at now. Same "
        f"numbers: `triage-lens misses durability --since {since or EMPTY_SINCE} --json`."
    )
