"""What the Overview, Misses and Scenarios pages share: the time window from the sidebar, coverage,
the pair lifecycle and the miss table (personal data left out unless asked for)."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import polars as pl

from analytics.learning import lifecycle_options, pair_lifecycle, week_start
from analytics.misses import effective_timestamp
from dashboard.charts import LIFECYCLE_BADGES
from dashboard.context import AppContext, memo
from triage_lens.sources.scenario_files import coverage_from_folder

MISS_COLUMNS = [
    "timestamp",
    "alert_name",
    "taxonomy",
    "rating",
    "severity",
    "pipeline_name",
    "root_cause",
    "root_cause_category",
    "validity_score",
    "investigation_loop_count",
    "taxonomy_detail",
    "miss_id",
    "run_id",
    "feedback_id",
]
PERSONAL_COLUMNS = ["user_id", "org_id"]


def range_since(context: AppContext) -> tuple[datetime | None, str]:
    """The sidebar range as an OpenSRE ``--since`` cutoff (inclusive; :mod:`analytics.windows`) and its label."""
    window = context.filters.window(context.now)
    return window.start, "all time" if window.start is None else f"since {window.spec}"


def weeks_for_range(context: AppContext, misses: pl.LazyFrame) -> int:
    """How many ISO weeks the trend shows: those the range touches (at least 2, at most 104)."""
    since, _ = range_since(context)
    if since is None:
        first = misses.select(pl.col("timestamp").min()).collect().item()
        since = first if first is not None else context.now
    weeks = math.floor((week_start(context.now) - week_start(since)).days / 7) + 1
    return max(2, min(104, weeks))


def coverage_for(context: AppContext) -> tuple[pl.LazyFrame | None, list[str], Path | None]:
    """Coverage from the scenarios folder fixed at start-up (the config's ``scenarios_dir``, else the data
    folder's ``scenarios/``); nothing typed in the browser chooses a folder."""
    folder = context.sources.scenarios_dir
    if folder is None:
        return None, [], None
    if not folder.is_dir():
        return None, [f"{folder}: not a folder"], folder
    coverage, problems = memo(
        context,
        "scenario-coverage",
        *_folder_stamp(folder),
        build=lambda: _collected(coverage_from_folder(context.data.frame("misses"), folder)),
    )
    return coverage, problems, folder


def _folder_stamp(folder: Path | None) -> tuple[str, int]:
    """A cache key for a scenarios folder: its path and modification time (a new export folder changes it)."""
    if folder is None or not folder.is_dir():
        return str(folder), -1
    return str(folder), folder.stat().st_mtime_ns


def _collected(result: tuple[pl.LazyFrame, list[str]]) -> tuple[pl.LazyFrame, list[str]]:
    return result[0].collect().lazy(), result[1]


def lifecycle(context: AppContext, coverage: pl.LazyFrame | None) -> pl.DataFrame:
    """Every grouping key with its lifecycle state (relative to now, over all its misses) and a badge; computed
    once per (data, now, scenarios folder) and shared by every session (pages must not mutate it)."""
    return memo(
        context,
        "pair-lifecycle",
        coverage is not None,
        *_folder_stamp(context.sources.scenarios_dir),
        build=lambda: _lifecycle(context, coverage),
    )


def _lifecycle(context: AppContext, coverage: pl.LazyFrame | None) -> pl.DataFrame:
    frame = pair_lifecycle(
        context.data.frame("misses"),
        now=context.now,
        coverage=coverage,
        **lifecycle_options(context.policy.misses),
    )
    return frame.with_columns(pl.col("state").replace_strict(LIFECYCLE_BADGES, default="").alias("badge"))


def pairs_in_range(context: AppContext, chosen: pl.LazyFrame) -> pl.DataFrame:
    """The pairs of the chosen misses with their lifecycle (over all their misses) and ``in_range``, the number of
    the chosen misses in each — sorted by in_range desc, then all-time count desc."""
    in_scope = chosen.group_by("group_alert", "group_taxonomy").agg(pl.len().alias("in_range")).collect()
    return (
        lifecycle(context, coverage_for(context)[0])
        .join(in_scope, on=["group_alert", "group_taxonomy"], how="inner")
        .sort(["in_range", "count"], descending=True)
    )


def miss_table(misses: pl.LazyFrame, *, include_personal: bool = False) -> pl.LazyFrame:
    """The miss rows as shown and exported: newest first, stored text, no personal data unless asked."""
    columns = MISS_COLUMNS + (PERSONAL_COLUMNS if include_personal else [])
    return misses.sort([effective_timestamp(), pl.col("_line")], descending=[True, False]).select(
        pl.col("timestamp_text").alias("timestamp_as_stored"),
        *[c for c in columns if c != "timestamp"],
        pl.col("timestamp").alias("timestamp_utc"),
        pl.col("_line").alias("line"),
    )
