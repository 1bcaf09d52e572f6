"""What the Overview, Misses and Scenarios pages share: the time window from the sidebar, coverage,
the pair lifecycle and the miss table (personal data left out unless asked for)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from analytics.learning import lifecycle_events, lifecycle_options, pair_lifecycle, week_start
from analytics.misses import effective_timestamp
from dashboard.charts import LIFECYCLE_BADGES
from dashboard.context import AppContext, data_memo, folder_stamp, memo
from triage_lens.sources.releases import releases_path
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
        folder_stamp(context, folder),
        build=lambda: _collected(coverage_from_folder(context.data.frame("misses"), folder)),
    )
    return coverage, problems, folder


def _collected(result: tuple[pl.LazyFrame, list[str]]) -> tuple[pl.LazyFrame, list[str]]:
    return result[0].collect().lazy(), result[1]


def lifecycle(context: AppContext, coverage: pl.LazyFrame | None) -> pl.DataFrame:
    """Every grouping key with its lifecycle state (relative to now, over all its misses) and a badge; computed
    once per (data, now, scenarios folder) and shared by every session (pages must not mutate it)."""
    return memo(
        context,
        "pair-lifecycle",
        coverage is not None,
        folder_stamp(context, context.sources.scenarios_dir),
        build=lambda: _lifecycle(context, coverage),
    )


def _lifecycle(context: AppContext, coverage: pl.LazyFrame | None) -> pl.DataFrame:
    # The sort by pair does not depend on now: done once per (data, scenarios folder); each new now aggregates it.
    events = data_memo(
        context,
        "pair-lifecycle-events",
        coverage is not None,
        folder_stamp(context, context.sources.scenarios_dir),
        build=lambda: lifecycle_events(context.data.frame("misses"), coverage).collect(),
    )
    frame = pair_lifecycle(
        context.data.frame("misses"),
        now=context.now,
        events=events.lazy(),
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


def alert_choices(misses: pl.LazyFrame) -> list[str]:
    """The alerts of the chosen misses, most misses first (then name)."""
    counts = misses.group_by("group_alert").len().sort(["len", "group_alert"], descending=[True, False]).collect()
    return [str(v) for v in counts["group_alert"].to_list()]


def pipeline_choices(misses: pl.LazyFrame) -> list[str]:
    """The distinct pipeline names of the chosen misses, sorted."""
    return sorted(str(v) for v in misses.select(pl.col("pipeline_name").drop_nulls().unique()).collect().to_series())


def pair_table(pairs: pl.DataFrame, owners: pl.DataFrame | None = None) -> pl.DataFrame:
    """The recurring pairs as shown: counts, state, first/last seen, last 7 days, the fix verdict, "fixed in X, back
    in Y" and the owner. In: :func:`pairs_in_range` rows with :func:`analytics.fixes.with_fixes` columns; owners
    (:func:`analytics.owners.board` rows of kind pair) or None."""
    frame = pairs
    if owners is not None and owners.height:
        who = owners.select(
            pl.col("target").str.split_exact("::", 1).struct.rename_fields(["group_alert", "group_taxonomy"]),
            pl.concat_str(
                [pl.col("owner"), pl.lit(" · due "), pl.col("due_date").cast(pl.Utf8)], ignore_nulls=True
            ).alias("owner"),
        ).unnest("target")
        frame = frame.join(who, on=["group_alert", "group_taxonomy"], how="left", maintain_order="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.Utf8).alias("owner"))
    return frame.select(
        "group_alert",
        "group_taxonomy",
        "in_range",
        pl.col("count").alias("all_time"),
        pl.col("badge").alias("state"),
        "first_seen",
        "last_seen",
        pl.col("recent").alias("last_7d"),
        pl.col("status").alias("fix_held"),
        pl.col("fixed_back").replace("", "—"),
        "owner",
    )


def miss_raw(misses: pl.LazyFrame, line: int) -> str:
    """The stored line of one miss (its ``_raw`` text)."""
    return str(misses.filter(pl.col("_line") == line).select("_raw").collect().item())


def shown_lines(table: pl.DataFrame) -> list[int]:
    """The file lines of the rows on screen."""
    return [int(v) for v in table["line"].to_list()]


def line_time(table: pl.DataFrame, line: int) -> datetime | None:
    """The UTC time of the shown row at ``line``."""
    value = table.filter(pl.col("line") == line)["timestamp_utc"][0]
    return value if isinstance(value, datetime) else None


def pair_owners(board: pl.DataFrame) -> pl.DataFrame:
    """The board's pair rows (owners of (alert, taxonomy) pairs)."""
    return board.filter(pl.col("kind") == "pair")


def judged_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """The shown pairs that the fix table knows (for the fix-held line under the table)."""
    return pairs.filter(pl.col("status").is_not_null())


def show_miss_detail(
    record: dict[str, Any], raw: str, *, when: datetime | None, line: int, include_personal: bool
) -> None:
    """One miss: the human note, the agent's root cause, the record as stored and as an ``alert.json`` scenario."""
    import json

    import streamlit as st

    from analytics.scenarios import alert_bytes
    from dashboard.formatting import escape_markdown
    from dashboard.tables import format_time

    with st.container(border=True):
        st.markdown(
            f"**{escape_markdown(record.get('alert_name') or '<unknown>')}** · {format_time(when)} · "
            f"line {line} of `misses.jsonl`"
        )
        detail_left, detail_right = st.columns(2)
        detail_left.markdown("**Human note (taxonomy_detail)**")
        detail_left.text(record.get("taxonomy_detail") or "—")
        detail_left.markdown("**Agent's root cause**")
        detail_left.text(record.get("root_cause") or "—")
        detail_right.markdown("**Record as stored**")
        shown = {k: v for k, v in record.items() if include_personal or k not in ("user_id", "org_id", "user_email")}
        detail_right.code(json.dumps(shown, indent=2, ensure_ascii=False), language="json")
        st.markdown("**As a benchmark scenario (`alert.json`)**")
        st.code(alert_bytes(record, raw).decode("utf-8"), language="json")


@dataclass(frozen=True)
class MissFilters:
    """The Misses page's filters (each "all" or one value), kept in the URL."""

    taxonomy: str
    alert: str
    pipeline: str
    version: str

    def apply(self, misses: pl.LazyFrame) -> pl.LazyFrame:
        """The misses these filters keep. In: misses with ``version`` (:func:`analytics.versions.with_version`)."""
        from analytics.misses import filter_misses
        from analytics.versions import filter_version

        def value(v: str) -> str | None:
            return None if v == "all" else v

        kept = filter_misses(
            misses, taxonomy=value(self.taxonomy), alert=value(self.alert), pipeline=value(self.pipeline)
        )
        return filter_version(kept, value(self.version))

    def file_name_parts(self, range_key: str) -> dict[str, str | None]:
        """The filters for a download's file name (``all`` left out)."""
        parts = {"since": range_key, "taxonomy": self.taxonomy, "alert": self.alert, "pipeline": self.pipeline}
        return {k: (None if v == "all" else v) for k, v in parts.items()}


def releases_stamp(context: AppContext) -> tuple[str, int]:
    """A cache key for the data folder's ``releases.yml``: its path and modification time ("", -1 when none)."""
    path = releases_path(context.sources.root, dict(context.sources.paths))
    return (str(path), path.stat().st_mtime_ns) if path is not None else ("", -1)


def miss_choices(context: AppContext, windowed: pl.LazyFrame) -> tuple[list[str], list[str], list[str]]:
    """The alerts, pipelines and agent versions of the misses in the range (the pickers' choices), once per (data,
    range start, releases). In: the misses of the range with ``version``."""
    from analytics.versions import version_choices

    return data_memo(  # the misses of the range depend on now only through the range's start
        context,
        "miss-choices",
        range_since(context)[0],
        *releases_stamp(context),
        build=lambda: (alert_choices(windowed), pipeline_choices(windowed), version_choices(windowed)),
    )


@dataclass(frozen=True)
class ChosenMisses:
    """What the Misses page shows of the chosen misses, computed once per (data, now, range, filters)."""

    stats: Any  # analytics.misses.MissStats
    weekly: pl.DataFrame  # analytics.learning.weekly_taxonomy_counts over the weeks the range touches
    pairs: pl.DataFrame  # pairs_in_range


def chosen_misses(context: AppContext, filters: MissFilters, chosen: pl.LazyFrame) -> ChosenMisses:
    """Counts, the weekly taxonomy mix and the pairs of ``chosen`` (the misses ``filters`` keep in the range),
    shared by every rerun and session that asks the same (pages must not mutate them)."""
    from analytics.learning import weekly_taxonomy_counts
    from analytics.misses import miss_stats

    def build() -> ChosenMisses:
        weekly = weekly_taxonomy_counts(chosen, now=context.now, weeks=weeks_for_range(context, chosen))
        return ChosenMisses(miss_stats(chosen), weekly, pairs_in_range(context, chosen))

    return memo(
        context,
        "chosen-misses",
        context.filters.range_key,
        filters,
        *releases_stamp(context),
        folder_stamp(context, context.sources.scenarios_dir),
        build=build,
    )


def newest_rows(misses: pl.LazyFrame, limit: int, *, include_personal: bool = False) -> pl.DataFrame:
    """The first ``limit`` rows of :func:`miss_table` (newest first): the order is found on the two sort columns
    alone, then only those rows are read whole (at 1M misses a third of sorting every shown column)."""
    first = (
        misses.select(effective_timestamp().alias("_effective"), "_line")
        .sort(["_effective", "_line"], descending=[True, False])
        .head(limit)
        .collect()
    )
    return miss_table(
        misses.filter(pl.col("_line").is_in(first["_line"].implode())), include_personal=include_personal
    ).collect()


def shown_rows(
    context: AppContext, filters: MissFilters, chosen: pl.LazyFrame, *, include_personal: bool, limit: int
) -> pl.DataFrame:
    """:func:`newest_rows` of the chosen misses (what the table shows), once per (data, range start, filters,
    personal data shown or not): the rows do not depend on now beyond the range's start, so with range "all" a new
    minute reuses them."""
    return data_memo(
        context,
        "miss-rows",
        range_since(context)[0],
        filters,
        include_personal,
        limit,
        *releases_stamp(context),
        build=lambda: newest_rows(chosen, limit, include_personal=include_personal),
    )


def miss_filters(windowed: pl.LazyFrame, choices: tuple[list[str], list[str], list[str]] | None = None) -> MissFilters:
    """Taxonomy, alert, pipeline and agent-version pickers in one row (URL keys taxonomy, alert, pipeline,
    version). In: the misses of the range with ``version``; ``choices``: :func:`miss_choices` of them, or None (then
    read from ``windowed``)."""
    import streamlit as st

    from analytics.schemas import TAXONOMIES
    from analytics.versions import version_choices
    from dashboard.urlstate import url_selectbox

    alert_list, pipeline_list, version_list = (
        choices
        if choices is not None
        else (alert_choices(windowed), pipeline_choices(windowed), version_choices(windowed))
    )

    col_tax, col_alert, col_pipe, col_version = st.columns(4)
    taxonomy = url_selectbox(
        col_tax,
        "Taxonomy",
        ["all", *TAXONOMIES],
        "taxonomy",
        "all",
        all_label="all taxonomies",
        help="Exact match on the stored taxonomy, as `opensre misses --taxonomy` (a missing taxonomy never matches).",
    )
    alerts = ["all", *alert_list]
    alert = url_selectbox(col_alert, "Alert", alerts, "alert", "all", all_label="all alerts")
    pipelines = ["all", *pipeline_list]
    pipeline = url_selectbox(col_pipe, "Pipeline", pipelines, "pipeline", "all", all_label="all pipelines")
    version = url_selectbox(
        col_version,
        "Agent version",
        ["all", *version_list],
        "version",
        "all",
        all_label="all versions",
        help="The miss's own agent_version / opensre_version / opensre_sha, else the release shipped before it "
        "(releases.yml).",
    )
    return MissFilters(taxonomy, alert, pipeline, version)


def download_buttons(rows_plan: pl.LazyFrame, n_rows: int, *, now: datetime, name: dict[str, str | None]) -> None:
    """CSV and JSON downloads of exactly the filtered rows (built on click)."""
    import streamlit as st

    from dashboard.exports import csv_bytes, download_button, download_name, json_bytes

    left, right = st.columns(2)
    download_button(
        f"Download {n_rows:,} rows (CSV)",
        where=left,
        data=lambda: csv_bytes(rows_plan.collect()),
        file_name=download_name("misses", now, "csv", **name),
        mime="text/csv",
    )
    download_button(
        f"Download {n_rows:,} rows (JSON)",
        where=right,
        data=lambda: json_bytes(rows_plan.collect()),
        file_name=download_name("misses", now, "json", **name),
        mime="application/json",
    )


def table_for_display(table: pl.DataFrame) -> pl.DataFrame:
    """The miss rows with the UTC time first."""
    return table.select("timestamp_utc", *[c for c in table.columns if c != "timestamp_utc"])
