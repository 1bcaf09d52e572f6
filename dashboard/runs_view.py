"""What the Benchmark runs page (and the fix-held hooks of Overview and Misses) share: the cached benchmark
load, the pass-rate chart, the scenario x run grid as shown and exported, and the fix-held definition in use."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from analytics.runs import (
    FIX_HELD_MISSES,
    FIX_HELD_RUNS,
    NOT_EXPORTED,
    fix_held_with_runs,
    pair_benchmark,
    pass_rate_intervals,
)
from dashboard.context import AppContext
from dashboard.exports import csv_bytes
from dashboard.tables import cut_names
from triage_lens.sources.runs import MAX_FILES, Benchmark, load_benchmark

STATUS_LABELS: dict[str, str] = {"passed": "✓ passed", "failed": "✗ failed", "error": "⚠ error", "skipped": "– skipped"}
# Cell tints that read on light and dark themes alike (semi-transparent over the table background).
STATUS_TINTS: dict[str, str] = {
    "✓ passed": "rgba(84, 162, 75, 0.28)",
    "✗ failed": "rgba(228, 87, 86, 0.30)",
    "⚠ error": "rgba(245, 133, 24, 0.34)",
    "– skipped": "rgba(157, 157, 157, 0.22)",
}
CHANGE_LABELS: dict[str, str] = {
    "regressed": "↓ regressed",
    "improved": "↑ improved",
    "new": "✦ new",
    "gone": "○ gone",
    "unchanged": "= unchanged",
}
SHOW_CHOICES: dict[str, str] = {
    "all": "all scenarios",
    "failing": "not passing in the newest run",
    "changed": "changed between the compared runs",
    "unexported": "never exported",
}


def _fingerprint(*folders: Path | None) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every file under the folders: changes when a result or scenario file does."""
    parts: list[tuple[str, int, int]] = []
    for folder in folders:
        if folder is None or not folder.is_dir():
            parts.append((str(folder), -1, -1))
            continue
        for directory, subdirs, names in os.walk(folder, followlinks=False):
            subdirs.sort()
            for name in sorted(names):
                path = Path(directory) / name
                try:
                    info = path.stat()
                except OSError:
                    continue
                parts.append((str(path), info.st_size, info.st_mtime_ns))
                if len(parts) > 4 * MAX_FILES:
                    return tuple(parts)
    return tuple(parts)


@st.cache_resource(max_entries=4, show_spinner="Reading benchmark runs…")
def _load(
    runs_dir: str, scenarios_dir: str | None, fingerprint: tuple[Any, ...], data_key: str, _context: AppContext
) -> Benchmark:
    return load_benchmark(Path(runs_dir), Path(scenarios_dir) if scenarios_dir else None, _context.data.frame("misses"))


def benchmark_for(context: AppContext) -> Benchmark | None:
    """The runs folder of the data source read and matched to its scenarios (None when there is no runs folder).
    Cached per file fingerprint of both folders and the loaded data; shared read-only."""
    runs_dir, scenarios_dir = context.sources.runs_dir, context.sources.scenarios_dir
    if runs_dir is None:
        return None
    fingerprint = _fingerprint(runs_dir, scenarios_dir)
    return _load(str(runs_dir), str(scenarios_dir) if scenarios_dir else None, fingerprint, context.data_key, context)


def run_summary_for(context: AppContext) -> pl.DataFrame | None:
    """The runs of the data source (:func:`analytics.runs.run_summary`), None when there are none."""
    benchmark = benchmark_for(context)
    return benchmark.runs if benchmark is not None and benchmark.has_runs else None


def fix_held_for(context: AppContext, lifecycle: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The pair lifecycle with ``fix_held`` by the benchmark when runs exist, and the definition used."""
    benchmark = benchmark_for(context)
    if benchmark is None or not benchmark.has_runs:
        return lifecycle, FIX_HELD_MISSES
    pairs = pair_benchmark(benchmark.grid, benchmark.runs, context.data.frame("misses"))
    return fix_held_with_runs(lifecycle, pairs)


def fix_held_definition(context: AppContext) -> str:
    """Which fix-held definition the pages use for this data source (:data:`analytics.runs.FIX_HELD_RUNS` when
    there are runs, else :data:`analytics.runs.FIX_HELD_MISSES`)."""
    return FIX_HELD_RUNS if run_summary_for(context) is not None else FIX_HELD_MISSES


def fix_held_line(context: AppContext, lifecycle: pl.DataFrame) -> str:
    """One caption: how many pairs' fixes held, and by which definition."""
    frame, definition = fix_held_for(context, lifecycle)
    judged = frame.filter(pl.col("fix_held").is_not_null())
    held = int(judged["fix_held"].sum()) if judged.height else 0
    if judged.height == 0:
        return f"Fix held: no pair can be judged yet ({definition})."
    return f"Fix held: {held} of {judged.height} pairs ({definition})."


def run_labels(runs: pl.DataFrame) -> dict[str, str]:
    """run_id -> a short unique label for columns and axes: ``MM-DD HH:MM`` (with the id when two share it)."""
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    for run_id, started in runs.select("run_id", "started_at").iter_rows():
        label = f"{started:%m-%d %H:%M}"
        seen[label] = seen.get(label, 0) + 1
        labels[run_id] = label if seen[label] == 1 else f"{label} ({run_id})"
    return labels


def pass_rate_chart(runs: pl.DataFrame, *, z: float) -> alt.LayerChart:
    """Pass rate per run over time with its 95% Wilson interval. In: :func:`analytics.runs.run_summary` rows."""
    data = (
        pass_rate_intervals(runs, z=z)
        .filter(pl.col("pass_rate").is_not_null())
        .select(
            "run_id",
            pl.col("started_at").dt.replace_time_zone(None).alias("started"),
            "pass_rate",
            "ci_low",
            "ci_high",
            "passed",
            "n",
        )
    )
    base = alt.Chart(data).encode(x=alt.X("started:T", title="run started (UTC)", axis=alt.Axis(format="%b %d")))
    interval = base.mark_rule(strokeWidth=2, color="#4C78A8", opacity=0.45).encode(
        y=alt.Y("ci_low:Q", title="pass rate", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y2="ci_high:Q",
    )
    tooltip = [
        alt.Tooltip("run_id:N", title="run"),
        alt.Tooltip("started:T", title="started (UTC)", format="%Y-%m-%d %H:%M"),
        alt.Tooltip("pass_rate:Q", title="pass rate", format=".1%"),
        alt.Tooltip("passed:Q", title="passed"),
        alt.Tooltip("n:Q", title="tests (not skipped)"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
    ]
    line = base.mark_line(color="#4C78A8", point=alt.OverlayMarkDef(filled=True, size=70)).encode(
        y="pass_rate:Q", tooltip=tooltip
    )
    layered: alt.LayerChart = (interval + line).properties(height=260)
    return layered


def filter_grid(
    grid: pl.DataFrame,
    *,
    runs: pl.DataFrame,
    taxonomy: str,
    show: str,
    changed: set[str] | None = None,
) -> pl.DataFrame:
    """The long grid rows the page shows: runs in ``runs`` only, one taxonomy (or "all"; :data:`NOT_EXPORTED`
    for scenarios without a folder), and the ``show`` choice of :data:`SHOW_CHOICES`.

    In: :func:`analytics.runs.scenario_grid`. Out: the same columns, fewer rows.
    """
    frame = grid.filter(pl.col("run_id").is_in(runs["run_id"].to_list()))
    if taxonomy != "all":
        frame = frame.filter(pl.col("group_taxonomy").fill_null(NOT_EXPORTED) == taxonomy)
    if show == "failing" and runs.height:
        newest = runs["run_id"][0]
        passing = frame.filter((pl.col("run_id") == newest) & (pl.col("status") == "passed"))["scenario"]
        frame = frame.filter(~pl.col("scenario").is_in(passing.to_list()))
    elif show == "changed":
        frame = frame.filter(pl.col("scenario").is_in(sorted(changed or set())))
    elif show == "unexported":
        frame = frame.filter(~pl.col("exported"))
    return frame


def grid_wide(grid: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    """Scenario x run: one row per scenario (``scenario``, ``alert``, ``taxonomy``, ``exported``) and one column
    per run, oldest on the left, holding the status (null when the scenario was not in that run).

    In: (filtered) :func:`analytics.runs.scenario_grid` rows, the runs to show as columns. Rows: scenarios not
    passing in the newest shown run first, then by scenario.
    """
    labels = run_labels(runs)
    ordered = [labels[r] for r in reversed(runs["run_id"].to_list())]
    scenarios = (
        grid.group_by("scenario")
        .agg(
            pl.col("group_alert").first().alias("alert"),
            pl.col("group_taxonomy").first().fill_null(NOT_EXPORTED).alias("taxonomy"),
            pl.col("exported").first(),
        )
        .sort("scenario")
    )
    if grid.height == 0:
        return scenarios.with_columns(pl.lit(None, pl.Utf8).alias(label) for label in ordered)
    cells = grid.select(
        "scenario", pl.col("run_id").replace_strict(labels, return_dtype=pl.Utf8).alias("run"), "status"
    ).pivot(on="run", index="scenario", values="status")
    wide = scenarios.join(cells, on="scenario", how="left").with_columns(
        pl.lit(None, pl.Utf8).alias(label) for label in ordered if label not in cells.columns
    )
    newest = ordered[-1] if ordered else None
    passing_last = (pl.col(newest) == "passed").fill_null(False) if newest else pl.lit(False)
    return (
        wide.with_columns(passing_last.alias("_passing"))
        .sort("_passing", "scenario")
        .select("scenario", "alert", "taxonomy", "exported", *ordered)
    )


def grid_csv(wide: pl.DataFrame) -> bytes:
    """The grid exactly as filtered on the page, as CSV (statuses as words, empty where a run lacks it)."""
    return csv_bytes(wide)


NOT_RUN = "—"


def grid_display(wide: pl.DataFrame) -> Any:
    """The wide grid for ``st.dataframe``: scenario, taxonomy (which says "(not exported)" too) and the runs, statuses
    with symbols, "—" where the scenario was not in the run, cells tinted by status (a pandas Styler)."""
    run_columns = wide.columns[4:]
    shown = cut_names(wide).select(
        "scenario",
        "taxonomy",
        *(
            pl.col(c).replace_strict(STATUS_LABELS, default=None, return_dtype=pl.Utf8).fill_null(NOT_RUN)
            for c in run_columns
        ),
    )

    def tint(value: object) -> str:
        return f"background-color: {STATUS_TINTS[value]}" if isinstance(value, str) and value in STATUS_TINTS else ""

    return shown.to_pandas().style.map(tint, subset=list(run_columns))


FUNNEL_COLORS = ("#9D9D9D", "#4C78A8", "#72B7B2", "#54A24B")


def funnel_chart(stages: pl.DataFrame) -> alt.LayerChart:
    """Horizontal funnel with the count at the end of each bar. In: ``stage``, ``pairs`` in funnel order."""
    order = stages["stage"].to_list()
    base = alt.Chart(stages).encode(
        y=alt.Y("stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("pairs:Q", title="pairs"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("stage:N", sort=order, scale=alt.Scale(domain=order, range=list(FUNNEL_COLORS)), legend=None),
        tooltip=[alt.Tooltip("stage:N"), alt.Tooltip("pairs:Q")],
    )
    text = base.mark_text(align="left", dx=4).encode(text="pairs:Q")
    layered: alt.LayerChart = (bars + text).properties(height=alt.Step(34))
    return layered


def when(value: datetime | None) -> str:
    """A UTC instant for people: ``2026-11-16 02:00``, or "—"."""
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M}"
