"""The Error severity page's provider table (presentation only; the rules are :mod:`analytics.severity`'s)."""

from __future__ import annotations

from typing import Any

import polars as pl

SAMPLE_DTYPE = pl.List(pl.Struct({"error_type": pl.Utf8, "count": pl.Int64, "message": pl.Utf8}))


def listed_providers(frame: pl.DataFrame, show_nominal: bool) -> pl.DataFrame:
    """The providers the page lists: every one with ``show_nominal``, else those not nominal.
    In: :func:`analytics.severity.severity_frame`."""
    return frame if show_nominal else frame.filter(pl.col("status") != "nominal")


def provider_table(listed: pl.DataFrame, samples: dict[str, list[dict[str, Any]]]) -> pl.DataFrame:
    """One row per listed provider: ``provider``, ``severity``, ``status``, ``last_24h``, ``last_7d``, ``trend``,
    ``spike``, ``daily`` and ``samples`` (top error types of the last 24 hours with their latest message,
    :func:`analytics.severity.samples_from`)."""
    providers = listed["provider"].to_list()
    return listed.select(
        "provider",
        "severity",
        "status",
        pl.col("c24").alias("last_24h"),
        pl.col("c7").alias("last_7d"),
        "trend",
        "spike",
        "daily",
        pl.Series("samples", [samples.get(p, []) for p in providers], dtype=SAMPLE_DTYPE),
    )


def samples_as_text(table: pl.DataFrame) -> pl.DataFrame:
    """``samples`` as ``TYPE (count): message`` lines, for the table cell."""
    fields = (pl.element().struct.field(f) for f in ("error_type", "count", "message"))
    return table.with_columns(pl.col("samples").list.eval(pl.format("{} ({}): {}", *fields)))
