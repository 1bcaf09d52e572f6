"""Scenarios: top-N recurring pairs as benchmark scenarios (the same tree as `opensre misses export`), the
alert.json preview and downloads, and coverage from a scenarios folder: covered, time to coverage, fix held."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.misses import DEFAULT_TOP, filter_misses, top_groups
from analytics.scenarios import build_cases, manifest_bytes, zip_bytes
from analytics.schemas import TAXONOMIES
from dashboard.charts import coverage_funnel_chart
from dashboard.context import current_context, page_title
from dashboard.exports import download_name
from dashboard.formatting import escape_markdown
from dashboard.misses_view import coverage_for, lifecycle
from dashboard.urlstate import url_number, url_selectbox

context = current_context()
page_title("Scenarios", context, services_note="misses carry no service")
loaded = context.data.inputs["misses"]
if loaded.path is None or loaded.error:
    st.info("No `misses.jsonl` in this data source: there is nothing to turn into scenarios yet.")
    st.stop()
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
            "representative miss": [str(c.miss_id) for c in cases],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
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
    st.code(case.content.decode("utf-8"), language="json")
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
scope_keys = in_scope.select("group_alert", "group_taxonomy").unique().collect()
missed = pairs.join(scope_keys, on=["group_alert", "group_taxonomy"], how="inner")
funnel = pl.DataFrame(
    {
        "stage": ["missed", "covered", "fix held"],
        "pairs": [missed.height, int(missed["covered"].sum()), int(missed["fix_held"].fill_null(False).sum())],
    }
)
left, right = st.columns([3, 2])
left.altair_chart(coverage_funnel_chart(funnel), width="stretch")
left.caption(f"Pairs missed {since_text} → covered by a scenario in the folder → no miss after that coverage time.")
covered = pairs.filter(pl.col("covered"))
median_days = covered.select((pl.col("time_to_coverage").dt.total_seconds() / 86400).median()).item()
right.metric("Covered pairs (all time)", f"{covered.height:,} of {pairs.height:,}")
right.metric(
    "Median time to coverage",
    "—" if median_days is None else f"{median_days:.1f} days",
    help="Coverage time (the manifest's exported_at, else the file's modification time) − the pair's first miss.",
)
st.caption(
    f"Scenarios folder: {escape_markdown(folder)} · a scenario covers the pair of the miss named by its "
    "`_meta.miss_id` (else its own alert name and taxonomy). Fix held = no miss of the pair after its coverage time."
)
st.dataframe(
    covered.select(
        pl.col("group_alert").alias("alert"),
        pl.col("group_taxonomy").alias("taxonomy"),
        "covered_at",
        (pl.col("time_to_coverage").dt.total_seconds() / 86400).round(1).alias("days to coverage"),
        "fix_held",
        pl.col("badge").alias("state"),
        "last_seen",
    ).sort("covered_at"),
    hide_index=True,
    width="stretch",
)
