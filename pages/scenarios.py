"""Scenarios: top-N recurring pairs as benchmark scenarios (the same tree as `opensre misses export`), the
alert.json preview and downloads, and coverage from a scenarios folder: covered, time to coverage, fix held."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.learning import FIX_HELD_AFTER_DAYS, fix_held_summary, median_days_to_coverage
from analytics.misses import DEFAULT_TOP, filter_misses, top_groups
from analytics.scenarios import build_cases, manifest_bytes, zip_bytes
from analytics.schemas import TAXONOMIES
from dashboard.charts import coverage_funnel_chart
from dashboard.context import current_context, page_title
from dashboard.exports import download_name
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.misses_view import coverage_for, lifecycle
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
col_top, col_tax = st.columns(2)
top = int(url_number(col_top, "Top pairs", "top", DEFAULT_TOP, min_value=0, max_value=500, step=1))
taxonomy = url_selectbox(col_tax, "Taxonomy", ["all", *TAXONOMIES], "taxonomy", "all", all_label="all taxonomies")

chosen_taxonomy = None if taxonomy == "all" else taxonomy
in_scope = filter_misses(misses, since=window.start, taxonomy=chosen_taxonomy)
groups = top_groups(in_scope, top=top)
cases = build_cases(groups)
manifest = manifest_bytes(cases, exported_at=context.now, since=since, top=top, taxonomy=chosen_taxonomy)
n_scope = in_scope.select(pl.len()).collect().item()
st.caption(
    f"{n_scope:,} misses {since_text} (the sidebar range); grouped by (alert, taxonomy), ordered by count then "
    f"recency, first {top}. "
    "Each case's `alert.json` is byte-identical to `opensre misses export`; the rubric sits in "
    "`commonAnnotations.scoring_points`."
)

if not cases:
    st.info("No scenarios for these settings: widen **Since** or raise **Top pairs**.")
else:
    table = pl.DataFrame(
        {
            "#": [i + 1 for i in range(len(cases))],
            "folder": [c.dir for c in cases],
            "alert": [c.alert_name for c in cases],
            "taxonomy": [c.taxonomy for c in cases],
            "misses": [c.count for c in cases],
            "representative": [str(c.miss_id) if c.miss_id not in (None, "") else "—" for c in cases],
        }
    )
    show_table(table)
    name_filters = {"since": context.filters.range_key, "top": str(top), "taxonomy": chosen_taxonomy}
    st.download_button(
        f"Download {len(cases)} scenario(s) (ZIP)",
        data=lambda: zip_bytes(cases, manifest),
        file_name=download_name("scenarios", context.now, "zip", **name_filters),
        mime="application/zip",
        type="primary",
        help="The same tree as `triage-lens misses export`: one folder per case plus the manifest.",
    )
    st.subheader("alert.json preview")
    dirs = [c.dir for c in cases]
    case = cases[dirs.index(url_selectbox(st, "Case", dirs, "case", dirs[0]))]
    st.code(case.content.decode("utf-8"), language="json", height=360)
    st.download_button(
        "Download this alert.json",
        data=case.content,
        file_name=f"{case.dir}.alert.json",
        mime="application/json",
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
summary = fix_held_summary(pairs)
funnel = pl.DataFrame(
    {
        "stage": [
            "pairs missed",
            "covered by a scenario",
            f"judged (≥ {FIX_HELD_AFTER_DAYS} days since the fix)",
            "fix held",
        ],
        "pairs": [pairs.height, summary["covered"], summary["judged"], summary["held"]],
    }
)
left, right = st.columns([3, 2])
left.altair_chart(coverage_funnel_chart(funnel), width="stretch")
left.caption(
    "Every (alert, taxonomy) pair ever missed → covered by a scenario in the folder → covered at least a full week "
    "ago, so it had time to come back → no miss after its coverage time."
)
median_days = median_days_to_coverage(pairs)
right.metric("Covered pairs (all time)", f"{summary['covered']:,} of {pairs.height:,}")
right.metric(
    "Fix held",
    "—" if summary["rate"] is None else format_percent(summary["rate"]),
    help=f"Held / judged: {summary['held']:,} of {summary['judged']:,} pairs covered at least "
    f"{FIX_HELD_AFTER_DAYS} days ago had no miss after their coverage time; {summary['too_early']:,} covered "
    "more recently are not judged yet.",
)
right.caption(f"n = {summary['judged']:,} judged · {summary['too_early']:,} too recent to judge")
right.metric(
    "Median time to coverage",
    "—" if median_days is None else f"{median_days:.1f} days",
    help="Coverage time (the manifest's exported_at, else the file's modification time) − the pair's first miss.",
)
st.caption(
    f"Scenarios folder: {escape_markdown(folder)} · a scenario covers the pair of the miss named by its "
    "`_meta.miss_id` (else its own alert name and taxonomy)."
)
covered = pairs.filter(pl.col("covered"))
show_table(
    covered.select(
        "group_alert",
        "group_taxonomy",
        "covered_at",
        (pl.col("time_to_coverage").dt.total_seconds() / 86400).round(1).alias("days_to_coverage"),
        pl.when(pl.col("fix_held").is_null())
        .then(pl.lit("too early"))
        .when(pl.col("fix_held"))
        .then(pl.lit("held"))
        .otherwise(pl.lit("missed again"))
        .alias("fix_held"),
        pl.col("badge").alias("state"),
        "last_seen",
    ).sort("covered_at"),
    help={"fix_held": f"Judged {FIX_HELD_AFTER_DAYS} days or more after the coverage time."},
)
