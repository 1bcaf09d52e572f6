"""Incidents: the incident table; pick one to see related incidents with a per-rule score breakdown, a timeline
of the related incidents around it and its cluster; append a note in write mode."""

from __future__ import annotations

import streamlit as st

from analytics.correlation import cluster_of, correlate_json, related_incidents, rule_names
from analytics.statuses import INCIDENT_STATUSES, UNRESOLVED, status_filter
from analytics.timeparse import format_utc
from dashboard.charts import contributions_chart, timeline_chart
from dashboard.context import current_context, page_title
from dashboard.exports import csv_bytes, download_button, download_name, json_bytes
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.incidents_view import (
    all_clusters,
    cluster_members,
    correlation_options,
    filtered_incidents,
    incident_header,
    incident_row,
    incident_table,
    incidents_verdict,
    related_payload,
    related_table,
    resolution_section,
    timeline_points,
)
from dashboard.owners_view import exclusion_caption, incident_last_time_line
from dashboard.tables import show_table
from dashboard.urlstate import url_selectbox, url_selection
from triage_lens.sources.events import write_events
from triage_lens.sources.store import StoreError, note_event

# A title column of medium width leaves the status in view on a phone (a long title would push it off).
TITLE = {"title": st.column_config.TextColumn("Title", width="medium")}
context = current_context()
page_title("Incidents", context)
require_inputs(context, "incidents", purpose="no incidents to list, correlate or cluster")
exclusion_caption(context)  # drills and maintenance are left out of every figure (issue 23)

frame = filtered_incidents(context)
open_statuses = context.policy.incidents.open_statuses
st.markdown(incidents_verdict(context, frame))  # the verdict first: in range, still open, the worst of those
status = url_selectbox(
    st,
    "Status",
    ["all", UNRESOLVED, *INCIDENT_STATUSES],
    "status",
    "all",
    format_func=lambda s: f"unresolved ({', '.join(open_statuses)})" if s == UNRESOLVED else s,
)
table = incident_table(frame, status_filter(status, open_statuses))
st.caption(
    f"{table.height:,} incidents ({context.filters.range_key}"
    + (f", services: {escape_markdown(', '.join(context.filters.services))}" if context.filters.services else "")
    + "). Kind is derived from the title when the store leaves it empty. Select a row to correlate it."
)
selection = show_table(
    table.head(5000), on_select="rerun", selection_mode="single-row", key="incident_table", extra_config=TITLE
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
target = incident_row(context, chosen)
st.subheader(escape_markdown(target["title"] or "Untitled incident"))  # the drill-down leads with the title
st.markdown(incident_header(target))
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
    right.altair_chart(timeline_chart(timeline_points(target, related)), width="stretch")
    right.caption("One lane per service; the red diamond is this incident, dots are related ones (size: score).")
    show_table(related_table(related), extra_config=TITLE)
    c1, c2 = st.columns(2)
    download_button(
        "Download related (CSV)",
        where=c1,
        data=csv_bytes(related.drop("started_at")),
        file_name=download_name("related", context.now, "csv", incident=chosen),
        mime="text/csv",
    )
    download_button(
        "Download related (JSON)",
        where=c2,
        data=json_bytes(related_payload(payload)),
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
    members = cluster_members(context, cluster["incident_ids"])
    show_table(members, height=min(400, 38 + 35 * members.height), extra_config=TITLE)

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
