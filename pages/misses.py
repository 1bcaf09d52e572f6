"""Misses: filters in the URL (taxonomy, alert, pipeline, agent version), the weekly taxonomy trend with release
markers, recurring pairs with lifecycle, fix ("fixed in X, back in Y") and owner, the chosen pair's detail, the miss
table with a detail panel, and CSV/JSON downloads of exactly the filtered rows."""

from __future__ import annotations

import json

import streamlit as st

from analytics.fixes import FIX_HELD_HELP, fix_held_summary, with_fixes
from analytics.misses import filter_misses
from analytics.periods import pair_fix_rate
from analytics.schemas import TAXONOMIES, TAXONOMY_LABELS
from analytics.versions import with_version
from dashboard.context import current_context, memo, page_title
from dashboard.fixes_view import fixes_for, pair_detail_lines, releases_for
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.misses_view import (
    chosen_misses,
    download_buttons,
    line_time,
    miss_choices,
    miss_filters,
    miss_raw,
    miss_table,
    pair_owners,
    pair_table,
    range_since,
    show_miss_detail,
    shown_lines,
    shown_rows,
    table_for_display,
)
from dashboard.owners_view import board_for
from dashboard.tables import show_table
from dashboard.urlstate import url_selection, url_toggle
from dashboard.versions_view import taxonomy_chart_with_releases

TABLE_ROWS_SHOWN = 2_000
context = current_context()
page_title("Misses", context, services_note="misses carry no service")
require_inputs(context, "misses", purpose="no misses to trend, group or export yet")
releases, releases_problem = releases_for(context)
if releases_problem:
    st.warning(escape_markdown(releases_problem))
all_misses = context.data.frame("misses")
since, since_label = range_since(context)
windowed = with_version(filter_misses(all_misses, since=since), releases, time_column="timestamp")

# --- filters (kept in the URL) ----------------------------------------------------------------------
# Every figure below is memoised per (data, now, range, filters): a rerun (a row picked, a toggle) recomputes none.
filters = miss_filters(windowed, miss_choices(context, windowed))
alert, taxonomy = filters.alert, filters.taxonomy
chosen = filters.apply(windowed)
shown = chosen_misses(context, filters, chosen)
stats = shown.stats
st.caption(
    f"**{stats.total:,}** misses {since_label} (inclusive cutoff, as `opensre misses --since`), "
    f"{stats.unique_alerts:,} distinct alerts, {len(stats.recurring):,} recurring pairs · "
    f"{context.data.inputs['misses'].rows:,} misses in the file. Misses whose timestamp does not parse count as 1970 "
    "(OpenSRE's behaviour)."
)
if stats.total == 0:
    st.info("No misses match these filters.")

# --- weekly taxonomy trend --------------------------------------------------------------------------
st.subheader("Weekly taxonomy mix")
chart, markers = taxonomy_chart_with_releases(shown.weekly, releases, now=context.now)
st.altair_chart(chart, width="stretch")
st.caption(
    "Misses per ISO week (Monday 00:00 UTC) by taxonomy; the current week is counted up to now. "
    + " · ".join(f"**{t}**: {TAXONOMY_LABELS[t].split(' — ')[-1]}" for t in TAXONOMIES[:4])
    + (f" · {markers}" if markers else "")
)

# --- recurring pairs ---------------------------------------------------------------------------------
st.subheader("Recurring pairs")
fixes = fixes_for(context)
owners = board_for(context)
pairs = with_fixes(shown.pairs, fixes)
show_table(
    pair_table(pairs, pair_owners(owners)),
    labels={"in_range": f"Misses ({since_label})", "all_time": "All time", "fixed_back": "Fixed / back"},
    help={
        "state": "Relative to now, first match wins: quiet (none in 14 days), regressed (back after a 14-day gap "
        "or after its scenario was exported), new (first seen in the last 7 days), escalating (≥ 3 in 7 days "
        "and ≥ 2× the mean week of days 8–35), else ongoing.",
        "fix_held": FIX_HELD_HELP,
    },
)
st.caption(
    f"{pairs.height:,} (alert, taxonomy) pairs · grouping key as OpenSRE: missing alert → `<unknown>`. "
    + fix_held_summary(fixes).line()
)
fix = memo(
    context,
    "pair-fix-rate",
    context.filters.range_key,
    build=lambda: pair_fix_rate(all_misses, context.filters.window(context.now)),
)
if fix is not None and fix.rate is not None:
    st.caption(
        f"Pair fix rate, last {context.filters.range_key}: **{fix.rate:.0%}** — {fix.pairs_fixed} of {fix.pairs_prev} "
        f"pairs missed in the {context.filters.range_key} before did not recur (all taxonomies and alerts)."
    )
if alert != "all" and taxonomy != "all":
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(alert)} · {escape_markdown(taxonomy)}**")
        for text in pair_detail_lines(context, alert, taxonomy, owners):
            st.markdown(escape_markdown(text))

# --- miss table with a detail panel -------------------------------------------------------------------
st.subheader("Misses")
include_personal = url_toggle(st, "Include personal data (user_id, org_id)", "personal")
# Only the shown rows are materialised per session; the downloads build theirs from the shared data on click.
rows_plan = miss_table(chosen, include_personal=include_personal)
table = shown_rows(context, filters, chosen, include_personal=include_personal, limit=TABLE_ROWS_SHOWN)
n_rows = stats.total
if n_rows > TABLE_ROWS_SHOWN:
    st.caption(f"Showing the newest {TABLE_ROWS_SHOWN:,} of {n_rows:,} rows; the downloads hold all of them.")
selection = show_table(
    table_for_display(table),
    hide=("timestamp_as_stored", "line"),
    on_select="rerun",
    selection_mode="single-row",
    key="miss_table",
)
download_buttons(rows_plan, n_rows, now=context.now, name=filters.file_name_parts(context.filters.range_key))

rows = selection.selection.rows if selection is not None and hasattr(selection, "selection") else []
lines = shown_lines(table)
selected_line = url_selection("line", str(lines[rows[0]]) if rows else None)
if selected_line and selected_line.isdigit() and int(selected_line) in set(lines):
    line = int(selected_line)
    raw = miss_raw(all_misses, line)
    show_miss_detail(json.loads(raw), raw, when=line_time(table, line), line=line, include_personal=include_personal)
else:
    st.caption("Select a row to see the miss in detail and as an `alert.json` scenario.")
