"""Release markers on the weekly trends and the pass-rate chart, and the version/model slice pickers (kept in the
URL). Presentation only: versions come from :mod:`analytics.versions`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import altair as alt
import polars as pl

from analytics.learning import week_label, week_start
from analytics.versions import release_markers

MARK_COLOR = "#B279A2"


def week_marks(releases: pl.DataFrame | None, *, labels: list[str], now: datetime) -> pl.DataFrame:
    """One row per release shipped in a week the chart shows: ``x`` (the week's axis label, " so far" on the
    current week) and ``version``. ``labels`` are the chart's axis values."""
    if releases is None or releases.height == 0:
        return pl.DataFrame(schema={"x": pl.Utf8, "version": pl.Utf8})
    current = week_label(week_start(now))
    rows = []
    for version, shipped in releases.select("version", "shipped_at").iter_rows():
        if shipped is None or shipped > now:
            continue
        label = week_label(week_start(shipped))
        shown = f"{label} so far" if label == current else label
        if shown in labels:
            rows.append({"x": shown, "version": str(version)})
    frame = pl.DataFrame(rows, schema={"x": pl.Utf8, "version": pl.Utf8})
    return frame.group_by("x", maintain_order=True).agg(pl.col("version").str.join(", "))


def _layered(chart: Any, *layers: Any) -> Any:
    """``chart`` with ``layers`` on top; the chart's autosize moves to the layer (Vega-Lite allows it only there)."""
    inner = chart.copy()
    autosize = inner.autosize
    inner.autosize = alt.Undefined
    layered = alt.layer(inner, *layers)
    return layered if autosize is alt.Undefined else layered.properties(autosize=autosize)


def with_week_markers(chart: Any, marks: pl.DataFrame, *, field: str, sort: list[str]) -> Any:
    """``chart`` with a dashed rule and the version name at each release week (unchanged when there are none)."""
    if marks.height == 0:
        return chart
    base = alt.Chart(marks.rename({"x": field})).encode(x=alt.X(f"{field}:O", sort=sort))
    rules = base.mark_rule(color=MARK_COLOR, strokeDash=[4, 3], strokeWidth=1.5).encode(
        tooltip=[alt.Tooltip("version:N", title="released")]
    )
    text = base.mark_text(color=MARK_COLOR, align="left", dx=3, dy=-4, baseline="top", fontSize=10).encode(
        text="version:N", y=alt.value(0)
    )
    return _layered(chart, rules, text)


def with_time_markers(chart: Any, releases: pl.DataFrame | None, *, start: datetime | None, end: datetime) -> Any:
    """A temporal chart (x field ``started``, naive UTC) with a rule per release shipped in [start, end]."""
    marks = release_markers(releases, start=start, end=end)
    if marks.height == 0:
        return chart
    data = marks.select(pl.col("shipped_at").dt.replace_time_zone(None).alias("started"), "version")
    base = alt.Chart(data).encode(x=alt.X("started:T"))
    rules = base.mark_rule(color=MARK_COLOR, strokeDash=[4, 3]).encode(tooltip=[alt.Tooltip("version:N")])
    text = base.mark_text(color=MARK_COLOR, align="left", dx=3, baseline="top", fontSize=10).encode(
        text="version:N", y=alt.value(0)
    )
    return _layered(chart, rules, text)


def marker_caption(marks: pl.DataFrame) -> str:
    """ "Dashed lines: releases v1.2, v1.3 (releases.yml)." or ""."""
    if marks.height == 0:
        return ""
    return f"Dashed lines: releases {', '.join(marks['version'].to_list())} (releases.yml)."


def taxonomy_chart_with_releases(
    counts: pl.DataFrame, releases: pl.DataFrame | None, *, now: datetime
) -> tuple[Any, str]:
    """The weekly taxonomy chart with release markers, and the caption naming them."""
    from dashboard.charts import weekly_taxonomy_chart

    chart = weekly_taxonomy_chart(counts)
    axis = [str(v) for v in chart.data["week"].unique(maintain_order=True).to_list()]
    marks = week_marks(releases, labels=axis, now=now)
    return with_week_markers(chart, marks, field="week", sort=axis), marker_caption(marks)


def accuracy_chart_with_releases(
    weekly: pl.DataFrame, releases: pl.DataFrame | None, *, now: datetime
) -> tuple[Any, str]:
    """The weekly accuracy chart with release markers (weekly: :func:`analytics.learning.weekly_accuracy`)."""
    from dashboard.charts import accuracy_chart, week_labels

    chart = accuracy_chart(weekly)
    shown = week_labels(
        weekly.filter(pl.col("accuracy").is_not_null()).with_columns(pl.col("current").alias("partial"))
    )
    axis = [str(v) for v in shown["week"].to_list()]
    marks = week_marks(releases, labels=axis, now=now)
    return with_week_markers(chart, marks, field="label", sort=axis), marker_caption(marks)


def pass_rate_with_releases(chart: Any, runs: pl.DataFrame, releases: pl.DataFrame | None) -> Any:
    """The pass-rate chart (x ``started``) with the releases shipped between the first and the newest run."""
    if runs.height == 0:
        return chart
    started = runs["started_at"].drop_nulls()
    if started.len() == 0:
        return chart
    return with_time_markers(chart, releases, start=started.min(), end=started.max())  # type: ignore[arg-type]
