"""Shared by the incident pages: the filtered incident table, correlation options, clusters (cached per data)."""

from __future__ import annotations

import polars as pl

from analytics.correlation import CorrelationOptions, clusters
from dashboard.context import AppContext


def filtered_incidents(context: AppContext) -> pl.LazyFrame:
    """Incidents in the sidebar's time range (started in (now − range, now]) and services."""
    frame = context.data.frame("incidents")
    frame = frame.filter(context.filters.window(context.now).contains("started_at"))
    if context.filters.services:
        frame = frame.filter(pl.col("service").is_in(list(context.filters.services)))
    return frame


def correlation_options(context: AppContext) -> CorrelationOptions:
    return CorrelationOptions.from_policy(context.policy.correlation)


def all_clusters(context: AppContext) -> pl.DataFrame:
    """Clusters over every incident (not only the filtered ones: a cluster does not stop at a filter)."""
    return clusters(context.data.frame("incidents"), correlation_options(context), min_size=2)
