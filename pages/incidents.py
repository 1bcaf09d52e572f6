"""Incidents: the incident table; pick one to see related incidents with a per-rule score breakdown, a timeline
of the related incidents around it and its cluster; append a note in write mode."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.correlation import cluster_of, correlate_json, related_incidents, rule_names
from analytics.statuses import INCIDENT_STATUSES, UNRESOLVED, is_open, status_filter
from analytics.timeparse import format_utc
from dashboard.charts import contributions_chart, timeline_chart
from dashboard.context import current_context, page_title
from dashboard.exports import csv_bytes, download_name, json_bytes
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.incidents_view import all_clusters, correlation_options, filtered_incidents, resolution_section
from dashboard.owners_view import exclusion_caption, incident_last_time_line
from dashboard.tables import format_time, show_table
from dashboard.urlstate import url_selectbox, url_selection
from triage_lens.sources.events import write_events
from triage_lens.sources.store import StoreError, note_event

context = current_context()
page_title("Incidents", context)
require_inputs(context, "incidents", purpose="no incidents to list, correlate or cluster")
exclusion_caption(context)  # drills and maintenance are left out of every figure (issue 23)

frame = filtered_incidents(context)
open_statuses = context.policy.incidents.open_statuses
# The verdict first: how many incidents in the range, how many still open and the worst of those.
open_rows = (
    frame.filter(is_open(open_statuses))
    .sort(["severity", "started_at"], nulls_last=True)
    .select("id", "severity", "title")
    .collect()
)
in_range = frame.select(pl.len()).collect().item()
period = context.filters.window(context.now).label()
if open_rows.height:
    worst = open_rows.row(0, named=True)
    st.markdown(
        f"**{in_range:,} incidents started in the {escape_markdown(period)}; {open_rows.height:,} still open**, the "
        f"worst {escape_markdown(worst['severity'] or 'without severity')}: {escape_markdown(worst['id'])} "
        f"({escape_markdown(worst['title'] or 'untitled')})."
    )
else:
    st.markdown(f"**{in_range:,} incidents started in the {escape_markdown(period)}; none is still open.**")
status = url_selectbox(
    st,
    "Status",
    ["all", UNRESOLVED, *INCIDENT_STATUSES],
    "status",
    "all",
    format_func=lambda s: f"unresolved ({', '.join(open_statuses)})" if s == UNRESOLVED else s,
)
chosen_status = status_filter(status, open_statuses)
if chosen_status is not None:
    frame = frame.filter(chosen_status)
table = (
    frame.sort(["started_at", "id"], descending=[True, False], nulls_last=True)
    .select("id", "started_at", "service", "kind", "severity", "status", "title")
    .collect()
)
st.caption(
    f"{table.height:,} incidents ({context.filters.range_key}"
    + (f", services: {escape_markdown(', '.join(context.filters.services))}" if context.filters.services else "")
    + "). Kind is derived from the title when the store leaves it empty. Select a row to correlate it."
)
selection = show_table(
    table.head(5000),
    on_select="rerun",
    selection_mode="single-row",
    key="incident_table",
)
rows = selection.selection.rows if selection is not None and hasattr(selection, "selection") else []
chosen = url_selection("incident", table.head(5000)["id"][rows[0]] if rows else None)
if not chosen:
    resolution_section(context)
    st.stop()

options = correlation_options(context)
related = related_incidents(context.data.frame("incidents"), chosen, options)
if related is None:
    st.warning(f"Incident {escape_markdown(chosen)} is not in this store.")
    resolution_section(context)
    st.stop()
target = (
    context.data.frame("incidents").filter(pl.col("id") == chosen).sort("_line").head(1).collect().row(0, named=True)
)
st.subheader(f"Related to {escape_markdown(target['id'])}")
st.markdown(
    f"**{escape_markdown(target['title'] or '')}** · {escape_markdown(target['service'] or '?')} · "
    f"{escape_markdown(target['kind'] or '?')} · {escape_markdown(target['severity'] or 'no severity')} · "
    f"{escape_markdown(target['status'] or 'no status')} · started {format_time(target['started_at'])}"
)
st.caption(escape_markdown(incident_last_time_line(context, chosen)))
payload = correlate_json(chosen, related, options)
if related.height == 0:
    st.info("Nothing scores at least the minimum within the lookback window.")
else:
    left, right = st.columns([3, 2])
    left.altair_chart(contributions_chart(related, list(rule_names(options))), width="stretch")
    left.caption(
        f"Score = sum of the weights of the rules that hold; kept when ≥ {options.min_score}, "
        f"best {options.max_related}, candidates within ±{options.lookback_days} days."
    )
    points = pl.concat(
        [
            pl.DataFrame(
                {
                    "id": [target["id"]],
                    "service": [target["service"]],
                    "started_at": [target["started_at"]],
                    "score": [max(related["score"].max() or 0, 1)],
                    "role": ["target"],
                    "severity": [target["severity"]],
                }
            ),
            related.select("id", "service", "started_at", "score", pl.lit("related").alias("role"), "severity"),
        ],
        how="vertical_relaxed",
    )
    right.altair_chart(timeline_chart(points), width="stretch")
    right.caption("One lane per service; the red diamond is this incident, dots are related ones (size: score).")
    show_table(
        related.select("id", "score", "delta_minutes", "service", "kind", "severity", "status", "started_at", "title"),
        extra_config={"delta_minutes": st.column_config.NumberColumn("Minutes apart", format="%.0f")},
    )
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download related (CSV)",
        data=csv_bytes(related.drop("started_at")),
        file_name=download_name("related", context.now, "csv", incident=chosen),
        mime="text/csv",
    )
    c2.download_button(
        "Download related (JSON)",
        data=json_bytes(pl.DataFrame(payload["related"])),
        file_name=download_name("related", context.now, "json", incident=chosen),
        mime="application/json",
    )

cluster = cluster_of(all_clusters(context), chosen)
st.subheader("Cluster")
if cluster is None:
    st.caption("Not linked to any other incident strongly enough to form a cluster.")
else:
    st.caption(
        f"{cluster['size']} incidents linked to each other, {escape_markdown(', '.join(cluster['services']))}; "
        f"kinds {escape_markdown(', '.join(cluster['kinds']))}; "
        f"{cluster['first_started']:%Y-%m-%d} → {cluster['last_started']:%Y-%m-%d}."
    )
    members = (
        context.data.frame("incidents")
        .filter(pl.col("id").is_in(cluster["incident_ids"]))
        .sort(["started_at", "id"], nulls_last=True)
        .select("id", "started_at", "service", "kind", "severity", "status", "title")
        .collect()
    )
    show_table(members, height=min(400, 38 + 35 * members.height))

st.subheader("Notes")
if not context.sources.write:
    st.caption("Read-only: notes need write mode (`triage-lens dashboard --write`, or `write: true` in the config).")
else:
    st.warning("Write mode is on: a note is appended to the incident store.", icon=":material/edit:")
    text = st.text_input("Note for this incident")
    if st.button("Append note", disabled=not text.strip()):
        try:
            written = write_events(context.sources, [note_event(chosen, text.strip(), format_utc(context.now))])
        except StoreError as exc:
            st.error(escape_markdown(exc))
        else:
            st.success("Note appended." if written else "This note is already recorded.")

resolution_section(context)  # below the drill-down, so a chosen incident's detail comes first
