"""Closed-loop misses with OpenSRE parity (RULES.md §1): ``--since``, filters, list, stats and top-N.

Input frames are the typed misses of :mod:`triage_lens.sources.loading` with the grouping key applied
(``_line``, ``_raw``, ``timestamp``, ``taxonomy``, ``group_alert``, ``group_taxonomy``, ...).
OpenSRE maps a timestamp that does not parse to the epoch, so ordering and windows here use
``effective_ts`` = the parsed timestamp, or 1970-01-01T00:00Z when it did not parse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from analytics.clock import EARLIEST, before
from analytics.schemas import TAXONOMIES
from analytics.timeparse import is_iso_out_of_range, parse_timestamp

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SINCE_RE = re.compile(r"^\s*(\d+)\s*([dhw])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "w": "weeks"}
DEFAULT_LIST_LIMIT = 50
DEFAULT_TOP = 10
DEFAULT_EXPORT_SINCE = "7d"
MAX_ROWS = 2**32 - 1  # --limit / --top beyond this mean "all" (Polars takes at most a 64-bit count)


class UsageError(ValueError):
    """A bad option value; the message names the option."""


def parse_since(spec: str, now: datetime) -> datetime | None:
    """``--since``: ``<int><d|h|w>`` (case-insensitive, optional space) before ``now``, or an ISO timestamp.

    An empty value means no time filter (None), as in OpenSRE. Raises :class:`UsageError` naming
    ``--since`` for any other text.
    """
    if spec == "":
        return None
    match = _SINCE_RE.match(spec)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        try:
            delta = timedelta(**{_UNITS[unit]: amount})
        except OverflowError:
            return EARLIEST  # longer than any calendar: since the beginning
        return before(now, delta)
    try:
        parsed = parse_timestamp(spec) if spec.strip() else None
    except (OverflowError, ValueError):
        raise UsageError(f"--since: {spec!r} is outside the dates this tool can represent") from None
    if parsed is None and is_iso_out_of_range(spec):
        raise UsageError(f"--since: {spec!r} is outside the dates this tool can represent")
    if parsed is None:
        raise UsageError(f"--since: expected a duration like 7d, 24h, 2w or an ISO-8601 timestamp, got {spec!r}")
    return parsed


def parse_taxonomy(value: str | None) -> str | None:
    """``--taxonomy``: a case-insensitive choice among the five taxonomies (None = no filter)."""
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in TAXONOMIES:
        raise UsageError(f"--taxonomy: expected one of {', '.join(TAXONOMIES)}, got {value!r}")
    return lowered


def effective_timestamp() -> pl.Expr:
    """The parsed timestamp, or the epoch when it did not parse (OpenSRE's behaviour)."""
    return pl.col("timestamp").fill_null(pl.lit(EPOCH, dtype=pl.Datetime("us", "UTC")))


def filter_misses(
    misses: pl.LazyFrame,
    *,
    since: datetime | None = None,
    taxonomy: str | None = None,
    alert: str | None = None,
    pipeline: str | None = None,
) -> pl.LazyFrame:
    """Rows with ``effective_ts >= since`` (inclusive, no upper bound) and the exact-match filters.

    ``taxonomy`` matches the stored value only (a null taxonomy never matches); ``alert`` matches the
    grouping key's alert (so ``<unknown>`` selects misses without an alert name); ``pipeline`` is exact.
    """
    frame = misses
    if since is not None:
        frame = frame.filter(effective_timestamp() >= since)
    if taxonomy is not None:
        frame = frame.filter(pl.col("taxonomy") == taxonomy)
    if alert is not None:
        frame = frame.filter(pl.col("group_alert") == alert)
    if pipeline is not None:
        frame = frame.filter(pl.col("pipeline_name") == pipeline)
    return frame


def newest_first(misses: pl.LazyFrame) -> pl.LazyFrame:
    """Newest first by parsed timestamp; ties (and the epoch-mapped unparseable ones) in file order."""
    return misses.sort([effective_timestamp(), pl.col("_line")], descending=[True, False])


def list_misses(misses: pl.LazyFrame, *, limit: int = DEFAULT_LIST_LIMIT) -> pl.LazyFrame:
    """``misses list``: the newest ``limit`` rows (``limit <= 0`` → none)."""
    return newest_first(misses).head(min(max(limit, 0), MAX_ROWS))


@dataclass(frozen=True)
class MissStats:
    """``misses stats`` with exactly the keys of CLI.md."""

    total: int
    by_taxonomy: dict[str, int]
    recurring: list[tuple[str, str, int]]
    unique_alerts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_taxonomy": self.by_taxonomy,
            "recurring": [list(r) for r in self.recurring],
            "unique_alerts": self.unique_alerts,
        }


def grouping_key_counts(misses: pl.LazyFrame) -> pl.LazyFrame:
    """One row per grouping key in first-appearance order.

    Out: ``group_alert``, ``group_taxonomy``, ``count``, ``first_line``, ``newest_ts`` (effective),
    ``representative_line`` (the newest miss; ties → first appearance).
    """
    ordered = misses.with_columns(effective_timestamp().alias("_effective"))
    return (
        ordered.group_by("group_alert", "group_taxonomy")
        .agg(
            pl.len().alias("count"),
            pl.col("_line").min().alias("first_line"),
            pl.col("_effective").max().alias("newest_ts"),
            pl.col("_line")
            .sort_by([pl.col("_effective"), pl.col("_line")], descending=[True, False])
            .first()
            .alias("representative_line"),
        )
        .sort("first_line")
    )


def miss_stats(misses: pl.LazyFrame) -> MissStats:
    """Counts by grouping-key taxonomy (first-appearance order), recurring keys and distinct alerts."""
    # Counts and first appearance only: no representative is needed here, so no sort inside the groups.
    keys = (
        misses.group_by("group_alert", "group_taxonomy")
        .agg(pl.len().alias("count"), pl.col("_line").min().alias("first_line"))
        .sort("first_line")
        .collect()
    )
    total = int(keys["count"].sum()) if keys.height else 0
    # A taxonomy's place is that of its first miss (a Counter over the rows in file order).
    per_taxonomy = (
        keys.group_by("group_taxonomy").agg(pl.col("count").sum(), pl.col("first_line").min()).sort("first_line")
    )
    by_taxonomy = {t: int(n) for t, n in per_taxonomy.select("group_taxonomy", "count").iter_rows()}
    recurring_rows = keys.filter(pl.col("count") > 1).sort(["count", "first_line"], descending=[True, False])
    recurring = [(a, t, c) for a, t, c in recurring_rows.select("group_alert", "group_taxonomy", "count").iter_rows()]
    unique_alerts = keys["group_alert"].n_unique() if keys.height else 0
    return MissStats(total, by_taxonomy, recurring, unique_alerts)


def top_groups(misses: pl.LazyFrame, *, top: int = DEFAULT_TOP) -> pl.DataFrame:
    """Export order: grouping keys by (count desc, newest desc), ties in first appearance; the first ``top``.

    Out: ``index`` (from 1), ``group_alert``, ``group_taxonomy``, ``count``, ``newest_ts``,
    ``representative_line`` and the representative's ``_raw`` record.
    """
    if top <= 0:
        return (
            grouping_key_counts(misses.head(0))
            .collect()
            .with_columns(pl.lit(None, pl.Int64).alias("index"), pl.lit(None, pl.Utf8).alias("_raw"))
        )
    keys = (
        grouping_key_counts(misses)
        .sort(["count", "newest_ts", "first_line"], descending=[True, True, False])
        .head(min(top, MAX_ROWS))
        .with_row_index("index", offset=1)
        .with_columns(pl.col("index").cast(pl.Int64))
        .collect()
    )
    # Only the representatives' stored lines: a filter on ``_line`` reaches the scan, so ``_raw`` is read for
    # ``top`` rows, not for every miss (a JSONL cache reads it back from the file).
    lines = keys["representative_line"].to_list()
    raws = misses.filter(pl.col("_line").is_in(lines)).select(pl.col("_line").alias("representative_line"), "_raw")
    return keys.join(raws.collect(), on="representative_line", how="left").sort("index")


def stored_records(misses: pl.LazyFrame) -> list[dict[str, Any]]:
    """The stored records (``_raw`` parsed) in frame order: null stays null, absent stays absent."""
    return [json.loads(raw) for raw in misses.select("_raw").collect().to_series().to_list()]


def find_miss(misses: pl.LazyFrame, miss_id: str) -> dict[str, Any] | None:
    """The first stored record whose ``miss_id`` equals ``miss_id`` (all misses, no time filter)."""
    rows = stored_records(misses.filter(pl.col("miss_id") == miss_id).sort("_line").head(1))
    return rows[0] if rows else None


def scope_count(misses: pl.LazyFrame) -> int:
    """How many rows a (filtered) miss frame holds."""
    return int(misses.select(pl.len()).collect().item())
