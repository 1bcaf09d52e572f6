"""Shared by the incident pages: the filtered incident table, correlation options, clusters (cached per data)."""

from __future__ import annotations

from typing import Any

import polars as pl

from analytics.correlation import CorrelationOptions, clusters
from analytics.scope import of_services
from dashboard.context import AppContext
from dashboard.tables import cut_names


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
