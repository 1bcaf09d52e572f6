"""Misses: filters in the URL, weekly taxonomy trend, recurring pairs with lifecycle badges, the miss table
with a detail panel, and CSV/JSON downloads of exactly the filtered rows."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from analytics.learning import weekly_taxonomy_counts
from analytics.misses import filter_misses, miss_stats
from analytics.periods import pair_fix_rate
from analytics.scenarios import alert_bytes
from analytics.schemas import TAXONOMIES, TAXONOMY_LABELS
from dashboard.charts import weekly_taxonomy_chart
from dashboard.context import current_context, page_title
from dashboard.exports import csv_bytes, download_name, json_bytes
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.misses_view import miss_table, pairs_in_range, range_since, weeks_for_range
from dashboard.runs_view import fix_held_definition, fix_held_for
from dashboard.tables import format_time, show_table
from dashboard.urlstate import url_selectbox, url_selection, url_toggle

TABLE_ROWS_SHOWN = 2_000
context = current_context()
page_title("Misses", context, services_note="misses carry no service")
require_inputs(context, "misses", purpose="no misses to trend, group or export yet")
loaded = context.data.inputs["misses"]

all_misses = context.data.frame("misses")
since, since_label = range_since(context)
windowed = filter_misses(all_misses, since=since)

# --- filters (kept in the URL) ----------------------------------------------------------------------
alerts = windowed.group_by("group_alert").len().sort(["len", "group_alert"], descending=[True, False]).collect()
pipelines = sorted(v for v in windowed.select(pl.col("pipeline_name").drop_nulls().unique()).collect().to_series())
col_tax, col_alert, col_pipe = st.columns(3)
taxonomy = url_selectbox(
    col_tax,
    "Taxonomy",
    ["all", *TAXONOMIES],
    "taxonomy",
    "all",
    all_label="all taxonomies",
    help="Exact match on the stored taxonomy, as `opensre misses --taxonomy` (a missing taxonomy never matches).",
)
alert = url_selectbox(
    col_alert, "Alert", ["all", *alerts["group_alert"].to_list()], "alert", "all", all_label="all alerts"
)
pipeline = url_selectbox(col_pipe, "Pipeline", ["all", *pipelines], "pipeline", "all", all_label="all pipelines")

chosen = filter_misses(
    windowed,
    taxonomy=None if taxonomy == "all" else taxonomy,
    alert=None if alert == "all" else alert,
    pipeline=None if pipeline == "all" else pipeline,
)
stats = miss_stats(chosen)
total_all = loaded.rows
st.caption(
    f"**{stats.total:,}** misses {since_label} (inclusive cutoff, as `opensre misses --since`), "
    f"{stats.unique_alerts:,} distinct alerts, {len(stats.recurring):,} recurring pairs · {total_all:,} misses in the "
    "file. Misses whose timestamp does not parse count as 1970 (OpenSRE's behaviour)."
)
if stats.total == 0:
    st.info("No misses match these filters.")

# --- weekly taxonomy trend --------------------------------------------------------------------------
st.subheader("Weekly taxonomy mix")
weeks = weeks_for_range(context, chosen)
counts = weekly_taxonomy_counts(chosen, now=context.now, weeks=weeks)
st.altair_chart(weekly_taxonomy_chart(counts), width="stretch")
st.caption(
    "Misses per ISO week (Monday 00:00 UTC) by taxonomy; the current week is counted up to now. "
    + " · ".join(f"**{t}**: {TAXONOMY_LABELS[t].split(' — ')[-1]}" for t in TAXONOMIES[:4])
)

# --- recurring pairs ---------------------------------------------------------------------------------
st.subheader("Recurring pairs")
pairs = fix_held_for(context, pairs_in_range(context, chosen))[0]
show_table(
    pairs.select(
        "group_alert",
        "group_taxonomy",
        "in_range",
        pl.col("count").alias("all_time"),
        pl.col("badge").alias("state"),
        "first_seen",
        "last_seen",
        pl.col("recent").alias("last_7d"),
        "fix_held",
    ),
    labels={"in_range": f"Misses ({since_label})", "all_time": "All time"},
    help={
        "state": "Relative to now, first match wins: quiet (none in 14 days), regressed (back after a 14-day gap "
        "or after its scenario was exported), new (first seen in the last 7 days), escalating (≥ 3 in 7 days "
        "and ≥ 2× the mean week of days 8–35), else ongoing."
    },
)
st.caption(f"{pairs.height:,} (alert, taxonomy) pairs · grouping key as OpenSRE: missing alert → `<unknown>`.")
st.caption(f"Fix held, by {fix_held_definition(context)}; empty when it cannot be judged.")
fix = pair_fix_rate(all_misses, context.filters.window(context.now))
if fix is not None and fix.rate is not None:
    st.caption(
        f"Pair fix rate, last {context.filters.range_key}: **{fix.rate:.0%}** — {fix.pairs_fixed} of {fix.pairs_prev} "
        f"pairs missed in the {context.filters.range_key} before did not recur (all taxonomies and alerts)."
    )

# --- miss table with a detail panel -------------------------------------------------------------------
st.subheader("Misses")
include_personal = url_toggle(st, "Include personal data (user_id, org_id)", "personal")
# Only the shown rows are materialised per session; the downloads build theirs from the shared data on click.
rows_plan = miss_table(chosen, include_personal=include_personal)
n_rows = rows_plan.select(pl.len()).collect().item()
table = rows_plan.head(TABLE_ROWS_SHOWN).collect()
if n_rows > TABLE_ROWS_SHOWN:
    st.caption(f"Showing the newest {TABLE_ROWS_SHOWN:,} of {n_rows:,} rows; the downloads hold all of them.")
selection = show_table(
    table.select("timestamp_utc", *[c for c in table.columns if c != "timestamp_utc"]),
    hide=("timestamp_as_stored", "line"),
    on_select="rerun",
    selection_mode="single-row",
    key="miss_table",
)
filters_for_name = {
    "since": context.filters.range_key,
    "taxonomy": None if taxonomy == "all" else taxonomy,
    "alert": None if alert == "all" else alert,
    "pipeline": None if pipeline == "all" else pipeline,
}
left, right = st.columns(2)
left.download_button(
    f"Download {n_rows:,} rows (CSV)",
    data=lambda: csv_bytes(rows_plan.collect()),
    file_name=download_name("misses", context.now, "csv", **filters_for_name),
    mime="text/csv",
)
right.download_button(
    f"Download {n_rows:,} rows (JSON)",
    data=lambda: json_bytes(rows_plan.collect()),
    file_name=download_name("misses", context.now, "json", **filters_for_name),
    mime="application/json",
)

rows = selection.selection.rows if selection is not None and hasattr(selection, "selection") else []
selected_line = url_selection("line", str(table["line"][rows[0]]) if rows else None)
shown_lines = set(table["line"].to_list())
if selected_line and selected_line.isdigit() and int(selected_line) in shown_lines:
    line = int(selected_line)
    raw = all_misses.filter(pl.col("_line") == line).select("_raw").collect().item()
    record = json.loads(raw)
    with st.container(border=True):
        when = table.filter(pl.col("line") == line)["timestamp_utc"][0]
        st.markdown(
            f"**{escape_markdown(record.get('alert_name') or '<unknown>')}** · {format_time(when)} · "
            f"line {line} of `misses.jsonl`"
        )
        detail_left, detail_right = st.columns(2)
        detail_left.markdown("**Human note (taxonomy_detail)**")
        detail_left.text(record.get("taxonomy_detail") or "—")
        detail_left.markdown("**Agent's root cause**")
        detail_left.text(record.get("root_cause") or "—")
        detail_right.markdown("**Record as stored**")
        shown = {k: v for k, v in record.items() if include_personal or k not in ("user_id", "org_id", "user_email")}
        detail_right.code(json.dumps(shown, indent=2, ensure_ascii=False), language="json")
        st.markdown("**As a benchmark scenario (`alert.json`)**")
        st.code(alert_bytes(record, raw).decode("utf-8"), language="json")
else:
    st.caption("Select a row to see the miss in detail and as an `alert.json` scenario.")
