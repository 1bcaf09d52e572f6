"""Shared by the incident pages: the filtered incident table, correlation options, clusters (cached per data)."""

from __future__ import annotations

from typing import Any

import polars as pl

from analytics.correlation import CorrelationOptions, clusters
from dashboard.context import AppContext


def filtered_incidents(context: AppContext) -> pl.LazyFrame:
    """Incidents in the sidebar's time range (started in (now − range, now]) and services."""
    frame = context.data.frame("incidents")
    since = context.filters.since(context.now)
    ts = pl.col("started_at")
    if since is not None:
        frame = frame.filter(ts.is_not_null() & (ts > since) & (ts <= context.now))
    if context.filters.services:
        frame = frame.filter(pl.col("service").is_in(list(context.filters.services)))
    return frame


def correlation_options(context: AppContext) -> CorrelationOptions:
    return CorrelationOptions.from_policy(context.policy.correlation)


def all_clusters(context: AppContext) -> pl.DataFrame:
    """Clusters over every incident (not only the filtered ones: a cluster does not stop at a filter)."""
    return clusters(context.data.frame("incidents"), correlation_options(context), min_size=2)


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
