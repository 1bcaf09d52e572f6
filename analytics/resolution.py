"""Time to resolve and time to acknowledge: P50 / P90 per service and per week, with the change against the
previous period. A mean alone hides the long tail, so only percentiles are reported.

Percentiles interpolate linearly between the two nearest ranks (``numpy.percentile``'s default):
for sorted values ``v`` and ``q`` in [0, 1], position ``q·(n−1)``, value ``v[⌊p⌋] + (p−⌊p⌋)·(v[⌊p⌋+1]−v[⌊p⌋])``.
:func:`percentile_reference` states the same rule in plain Python (the property tests compare the two).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

import polars as pl

from analytics.timeparse import parse_timestamp_expr

Metric = Literal["resolve_minutes", "ack_minutes"]
METRIC_LABELS: dict[str, str] = {"resolve_minutes": "time to resolve", "ack_minutes": "time to acknowledge"}
ACK_LABEL = "acknowledged_at"  # where importers keep the acknowledge time (labels.acknowledged_at, UTC ISO text)


def durations(incidents: pl.LazyFrame) -> pl.LazyFrame:
    """Minutes from start to end and from start to the first acknowledgement, per incident.

    In: ``id``, ``service``, ``started_at``, ``ended_at`` (Datetime UTC), ``labels`` (JSON text, may hold
    ``acknowledged_at``). Out: ``id``, ``service``, ``started_at``, ``week`` (Date, the Monday of the start's
    ISO week), ``resolve_minutes`` and ``ack_minutes`` (Float64; null when the end / acknowledgement is
    missing, unparseable or before the start).
    """
    frame = incidents.with_columns(
        pl.col("labels").str.json_path_match(f"$.{ACK_LABEL}").alias("_ack_text")
    ).with_columns(parse_timestamp_expr("_ack_text").alias("_ack"))

    def minutes(end: str) -> pl.Expr:
        delta = (pl.col(end) - pl.col("started_at")).dt.total_microseconds() / 60_000_000
        return pl.when(pl.col(end).is_not_null() & (pl.col(end) >= pl.col("started_at"))).then(delta)

    return frame.filter(pl.col("started_at").is_not_null()).select(
        "id",
        "service",
        "started_at",
        pl.col("started_at").dt.truncate("1w").dt.date().alias("week"),
        minutes("ended_at").cast(pl.Float64).alias("resolve_minutes"),
        minutes("_ack").cast(pl.Float64).alias("ack_minutes"),
    )


def _stats(frame: pl.LazyFrame, by: str, metric: Metric) -> pl.LazyFrame:
    value = pl.col(metric)
    return (
        frame.filter(value.is_not_null())
        .group_by(by)
        .agg(
            pl.len().alias("n"),
            value.quantile(0.5, interpolation="linear").alias("p50"),
            value.quantile(0.9, interpolation="linear").alias("p90"),
        )
    )


def _within(frame: pl.LazyFrame, start: datetime | None, end: datetime) -> pl.LazyFrame:
    ts = pl.col("started_at")
    condition = ts <= end if start is None else (ts > start) & (ts <= end)
    return frame.filter(condition)


def by_service(frame: pl.LazyFrame, metric: Metric, *, start: datetime | None, end: datetime) -> pl.LazyFrame:
    """P50 / P90 of ``metric`` per service for incidents started in (start, end], against the previous
    period of the same length (start − (end − start), start]. With ``start`` None (all time) the previous
    columns are null.

    In: the output of :func:`durations`. Out: ``service``, ``n``, ``p50``, ``p90``, ``prev_n``, ``prev_p50``,
    ``prev_p90``, ``p50_change``, ``p90_change`` (minutes; change = this period − previous), by service.
    """
    current = _stats(_within(frame, start, end), "service", metric)
    if start is None:
        previous = current.select(
            "service",
            pl.lit(None, pl.UInt32).alias("prev_n"),
            pl.lit(None, pl.Float64).alias("prev_p50"),
            pl.lit(None, pl.Float64).alias("prev_p90"),
        ).head(0)
    else:
        previous = _stats(_within(frame, start - (end - start), start), "service", metric).rename(
            {"n": "prev_n", "p50": "prev_p50", "p90": "prev_p90"}
        )
    return (
        current.join(previous, on="service", how="left")
        .with_columns(
            (pl.col("p50") - pl.col("prev_p50")).alias("p50_change"),
            (pl.col("p90") - pl.col("prev_p90")).alias("p90_change"),
        )
        .sort("service")
    )


def by_week(frame: pl.LazyFrame, metric: Metric, *, start: datetime | None, end: datetime) -> pl.LazyFrame:
    """P50 / P90 of ``metric`` per ISO week (Monday) of the incidents' start, for the weeks from the one
    holding ``start`` to the one holding ``end``; the change is against the calendar week before (null when
    that week had no value).

    In: the output of :func:`durations`. Out: ``week`` (Date), ``n``, ``p50``, ``p90``, ``prev_p50``,
    ``prev_p90``, ``p50_change``, ``p90_change`` (minutes), newest week first.
    """
    weekly = _stats(frame.filter(pl.col("started_at") <= end), "week", metric)
    previous = weekly.select(
        (pl.col("week") + timedelta(days=7)).alias("week"),
        pl.col("p50").alias("prev_p50"),
        pl.col("p90").alias("prev_p90"),
    )
    result = weekly.join(previous, on="week", how="left").with_columns(
        (pl.col("p50") - pl.col("prev_p50")).alias("p50_change"),
        (pl.col("p90") - pl.col("prev_p90")).alias("p90_change"),
    )
    if start is not None:
        first_week = (start - timedelta(days=start.weekday())).date()
        result = result.filter(pl.col("week") >= first_week)
    return result.sort("week", descending=True)


def percentile_reference(values: Sequence[float], q: float) -> float | None:
    """Plain-Python linear-interpolation percentile (``q`` in [0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])
