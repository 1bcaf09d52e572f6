"""Incidents: the incident table; pick one to see related incidents with a per-rule score breakdown, a timeline
of the related incidents around it and its cluster; append a note in write mode."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.correlation import cluster_of, correlate_json, related_incidents, rule_names
from analytics.statuses import INCIDENT_STATUSES, UNRESOLVED, status_filter
from analytics.timeparse import format_utc
from dashboard.charts import contributions_chart, timeline_chart
from dashboard.context import current_context, page_title
from dashboard.exports import csv_bytes, download_name, json_bytes
from dashboard.formatting import escape_markdown
from dashboard.incidents_view import all_clusters, correlation_options, filtered_incidents, resolution_section
from dashboard.urlstate import url_selectbox, url_selection
from triage_lens.sources.store import StoreError, append_events, events_target, note_event

context = current_context()
page_title("Incidents", context)
loaded = context.data.inputs["incidents"]
if not loaded.available:
    st.info(
        "No incident store in this data source: `incidents.jsonl` (+ `events.jsonl`) in the data folder, or "
        "`incidents: postgresql://…` in `triage-lens.yaml`."
        + (f"\n\n{escape_markdown(loaded.error)}" if loaded.error else "")
    )
    st.stop()

frame = filtered_incidents(context)
open_statuses = context.policy.incidents.open_statuses
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
    .select(
        "id",
        pl.col("started_at_text").alias("started_at"),
        "service",
        "kind",
        "severity",
        "status",
        "title",
        pl.col("signature").str.slice(0, 8).alias("signature"),
    )
    .collect()
)
st.caption(
    f"{table.height:,} incidents ({context.filters.range_key}"
    + (f", services: {escape_markdown(', '.join(context.filters.services))}" if context.filters.services else "")
    + "). Kind and signature are derived when the store leaves them empty. Select a row to correlate it."
)
selection = st.dataframe(
    table.head(5000),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="incident_table",
)
resolution_section(context)
rows = selection.selection.rows if selection is not None and hasattr(selection, "selection") else []
chosen = url_selection("incident", table.head(5000)["id"][rows[0]] if rows else None)
if not chosen:
    st.stop()

options = correlation_options(context)
related = related_incidents(context.data.frame("incidents"), chosen, options)
if related is None:
    st.warning(f"Incident {escape_markdown(chosen)} is not in this store.")
    st.stop()
target = (
    context.data.frame("incidents").filter(pl.col("id") == chosen).sort("_line").head(1).collect().row(0, named=True)
)
st.subheader(f"Related to {escape_markdown(target['id'])}")
st.markdown(
    " · ".join(
        [
            f"**{escape_markdown(target['title'] or '')}**",
            *(escape_markdown(target[c] or "?") for c in ("service", "kind", "severity", "status")),
            f"started {escape_markdown(target['started_at_text'] or '?')}",
        ]
    )
)
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
    st.dataframe(
        related.select(
            "id", "score", "delta_minutes", "service", "kind", "severity", "status", "started_at_text", "title"
        ),
        hide_index=True,
        width="stretch",
        column_config={"delta_minutes": st.column_config.NumberColumn("|Δstart| min", format="%.0f")},
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
        f"{escape_markdown(cluster['cluster_id'])}: {cluster['size']} incidents, "
        f"{escape_markdown(', '.join(cluster['services']))}; kinds {escape_markdown(', '.join(cluster['kinds']))}; "
        f"{cluster['first_started']:%Y-%m-%d} → {cluster['last_started']:%Y-%m-%d}."
    )
    st.dataframe(pl.DataFrame({"incident": cluster["incident_ids"]}), hide_index=True, height=200)

st.subheader("Notes")
if not context.sources.write:
    st.caption("Read-only: notes need write mode (`triage-lens dashboard --write`, or `write: true` in the config).")
else:
    st.warning("Write mode is on: a note is appended to the incident store.", icon=":material/edit:")
    text = st.text_input("Note for this incident")
    if st.button("Append note", disabled=not text.strip()):
        uri, path = events_target(context.sources)
        try:
            written = append_events(
                events=[note_event(chosen, text.strip(), format_utc(context.now))], uri=uri, events_path=path
            )
        except StoreError as exc:
            st.error(escape_markdown(exc))
        else:
            st.success("Note appended." if written else "This note is already recorded.")
