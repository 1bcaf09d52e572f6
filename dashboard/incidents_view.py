"""Shared by the incident pages: the filtered incident table, correlation options, clusters (cached per data)."""

from __future__ import annotations

from typing import Any

import polars as pl

from analytics.correlation import CorrelationOptions, clusters
from analytics.scope import of_services
from analytics.statuses import is_open
from dashboard.context import AppContext
from dashboard.formatting import code_span, escape_markdown
from dashboard.tables import cut_names, duration_text_expr, format_time

# What a person scans first, on a phone too: the title, its status and severity; the id (for links) last.
INCIDENT_COLUMNS = ("title", "status", "severity", "service", "started_at", "kind", "id")


def chosen_services(context: AppContext, frame: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """``frame`` (default: every incident, any start time) narrowed to the sidebar's services
    (:func:`analytics.scope.of_services`: none chosen = all)."""
    return of_services(context.data.frame("incidents") if frame is None else frame, context.filters.services)


def filtered_incidents(context: AppContext) -> pl.LazyFrame:
    """Incidents in the sidebar's time range (started in (now − range, now]) and services."""
    return chosen_services(context).filter(context.filters.window(context.now).contains("started_at"))


def correlation_options(context: AppContext) -> CorrelationOptions:
    return CorrelationOptions.from_policy(context.policy.correlation)


def all_clusters(context: AppContext) -> pl.DataFrame:
    """Clusters over every incident (not only the filtered ones: a cluster does not stop at a filter)."""
    return clusters(context.data.frame("incidents"), correlation_options(context), min_size=2)


def _hours_table(table: pl.DataFrame, first: str) -> pl.DataFrame:
    """Minutes → hours for the percentile columns; the changes as signed text with one decimal ("—" when
    there is nothing to compare with), busiest first."""

    def change(column: str) -> pl.Expr:
        hours = (pl.col(column) / 60).round(1)
        signed = pl.when(hours > 0).then(pl.lit("+") + hours.cast(pl.Utf8)).otherwise(hours.cast(pl.Utf8))
        return signed.fill_null("—").alias(column)

    ordered = table.sort(["n", first], descending=[True, False]) if first == "service" else table
    return ordered.select(
        first,
        "n",
        (pl.col("p50") / 60).alias("p50"),
        (pl.col("p90") / 60).alias("p90"),
        change("p50_change"),
        change("p90_change"),
    )


def resolution_section(context: AppContext) -> None:
    """Time to resolve (and to acknowledge, where the records carry it) as P50 / P90 per service and per
    week, with the change against the previous period (analytics/resolution.py). Shows nothing but a
    caption when no incident has an end time."""
    import streamlit as st

    from analytics.resolution import METRIC_LABELS, Metric, by_service, by_week, durations
    from dashboard.urlstate import url_segmented

    times = durations(chosen_services(context)).collect()
    metrics: list[Metric] = ["resolve_minutes", "ack_minutes"]
    available = [m for m in metrics if times[m].is_not_null().any()]
    st.subheader("Time to resolve and to acknowledge")
    if not available:
        st.caption("No incident here has an end time (or an acknowledge time), so there is nothing to measure.")
        return
    labels: dict[str, str] = {m: METRIC_LABELS[m].capitalize() for m in available}
    chosen = url_segmented(st, "Measure", list(available), "measure", available[0], format_func=labels.__getitem__)
    metric: Metric = "ack_minutes" if chosen == "ack_minutes" else "resolve_minutes"
    since = context.filters.since(context.now)
    lazy = times.lazy()
    column_config = {
        "n": st.column_config.NumberColumn("incidents", help="Incidents with this time measured."),
        "p50": st.column_config.NumberColumn("P50 (h)", format="%.1f"),
        "p90": st.column_config.NumberColumn("P90 (h)", format="%.1f", help="9 in 10 took at most this long."),
        "p50_change": st.column_config.TextColumn("Δ P50 (h)"),
        "p90_change": st.column_config.TextColumn("Δ P90 (h)"),
    }
    per_service, per_week = st.tabs(["Per service", "Per week"])
    with per_service:
        services = by_service(lazy, metric, start=since, end=context.now).collect()
        if since is None:
            st.caption("All time: pick a shorter range in the sidebar to compare with the period before it.")
        else:
            st.caption(
                f"Incidents started in the last {context.filters.range_key}; Δ = this period − the "
                f"{context.filters.range_key} before it (empty when that period had none)."
            )
        st.dataframe(
            cut_names(_hours_table(services, "service")), hide_index=True, width="stretch", column_config=column_config
        )
    with per_week:
        weeks = by_week(lazy, metric, start=since, end=context.now).collect()
        st.caption("By the Monday of the incident's start (UTC); Δ = this week − the week before.")
        st.dataframe(
            _hours_table(weeks, "week"),
            hide_index=True,
            width="stretch",
            column_config={"week": st.column_config.DateColumn("week of"), **column_config},
        )


FOLLOWUP_STATUS = {
    None: "created",
    "read_only": "would create (read-only)",
    "already_exists": "already exists",
    "no_open_incident": "skipped: no open incident",
}


def followup_rows(results: list[dict[str, Any]]) -> pl.DataFrame:
    """The follow-up plan as a table people read: full incident ids, words instead of reason codes, no nulls.

    In: :func:`analytics.digest.plan_followups` results. Out: ``bucket``, ``status``, ``incident``, ``title``,
    ``owner``, ``priority``, ``due``."""
    return pl.DataFrame(
        [
            {
                "bucket": r["bucket_key"],
                "status": FOLLOWUP_STATUS.get(r["reason"], str(r["reason"])),
                "incident": r["incident_id"] or "—",
                "title": r["event"]["meta"]["title"],
                "owner": r["event"]["meta"]["owner"] or "—",
                "priority": r["event"]["meta"]["priority"] or "—",
                "due": r["event"]["meta"]["due_date"],
            }
            for r in results
        ],
        schema={
            "bucket": pl.Utf8,
            "status": pl.Utf8,
            "incident": pl.Utf8,
            "title": pl.Utf8,
            "owner": pl.Utf8,
            "priority": pl.Utf8,
            "due": pl.Utf8,
        },
    )


def incidents_verdict(context: AppContext, frame: pl.LazyFrame) -> str:
    """How many incidents started in the range, how many are still open and the worst of those (by title)."""
    open_rows = (
        frame.filter(is_open(context.policy.incidents.open_statuses))
        .sort(["severity", "started_at"], nulls_last=True)
        .select("id", "severity", "title")
        .collect()
    )
    in_range = frame.select(pl.len()).collect().item()
    period = escape_markdown(context.filters.window(context.now).within())
    if not open_rows.height:
        return f"**{in_range:,} incidents started {period}; none is still open.**"
    worst = open_rows.row(0, named=True)
    return (
        f"**{in_range:,} incidents started {period}; {open_rows.height:,} still open**, the worst "
        f"{escape_markdown(worst['severity'] or 'without severity')}: {escape_markdown(worst['title'] or 'untitled')} "
        f"({escape_markdown(worst['id'])})."
    )


def incident_table(frame: pl.LazyFrame, status: pl.Expr | None) -> pl.DataFrame:
    """The incident list, newest first, title first. In: typed incidents. Out: :data:`INCIDENT_COLUMNS`."""
    if status is not None:
        frame = frame.filter(status)
    return (
        frame.sort(["started_at", "id"], descending=[True, False], nulls_last=True).select(INCIDENT_COLUMNS).collect()
    )


def incident_row(context: AppContext, incident_id: str) -> dict[str, Any]:
    """The first stored record of one incident (the drill-down's header)."""
    frame = context.data.frame("incidents").filter(pl.col("id") == incident_id).sort("_line").head(1)
    return frame.collect().row(0, named=True)


def incident_header(target: dict[str, Any]) -> str:
    """One line under the drill-down's title: which incident, service, kind, severity, status, start."""
    return (
        f"Related to {code_span(target['id'])} · {escape_markdown(target['service'] or '?')} · "
        f"{escape_markdown(target['kind'] or '?')} · "
        f"{escape_markdown(target['severity'] or 'no severity')} · {escape_markdown(target['status'] or 'no status')}"
        f" · started {format_time(target['started_at'])}"
    )


def related_table(related: pl.DataFrame) -> pl.DataFrame:
    """Related incidents as people read them: title, score, how far apart (minutes, hours or days), status.
    In: :func:`analytics.correlation.related_incidents`."""
    return related.select(
        "title",
        "score",
        duration_text_expr(pl.col("delta_minutes")).alias("apart"),
        "status",
        "severity",
        "service",
        "kind",
        "started_at",
        "id",
    )


def timeline_points(target: dict[str, Any], related: pl.DataFrame) -> pl.DataFrame:
    """The timeline chart's points: the chosen incident (role ``target``) and its related ones."""
    return pl.concat(
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


def cluster_members(context: AppContext, incident_ids: list[str]) -> pl.DataFrame:
    """The incidents of one cluster, oldest first, title first."""
    return (
        context.data.frame("incidents")
        .filter(pl.col("id").is_in(incident_ids))
        .sort(["started_at", "id"], nulls_last=True)
        .select(INCIDENT_COLUMNS)
        .collect()
    )


def related_payload(payload: dict[str, Any]) -> pl.DataFrame:
    """``correlate --json``'s related list as a frame (the JSON download holds what the CLI prints)."""
    return pl.DataFrame(payload["related"])
