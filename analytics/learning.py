"""Week-over-week learning metrics (RULES.md §2): taxonomy trend, accuracy with Wilson intervals,
pair fix rate, pair lifecycle, coverage, time to coverage and fix held.

Weeks are ISO weeks starting Monday 00:00 UTC, labelled ``YYYY-Www``; the week containing ``now`` is
included, counted up to ``now`` and marked ``partial``. Rows after ``now`` or without a parsed
timestamp fall in no week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from analytics.fixes import fix_table
from analytics.policy import ConfidencePolicy, MissesPolicy
from analytics.schemas import TAXONOMIES
from analytics.stats import wilson_exprs
from analytics.timeparse import UTC_DATETIME, format_utc

KEY = ["group_alert", "group_taxonomy"]
LIFECYCLE_STATES: tuple[str, ...] = ("new", "ongoing", "escalating", "regressed", "quiet")
BASELINE_DAYS = 35  # escalating compares the last 7 days with the mean week of days 8–35 before now


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week containing ``moment``."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def week_label(start: datetime) -> str:
    """``YYYY-Www`` of the ISO week starting at ``start``."""
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The ``weeks`` ISO week starts ending with the week containing ``now``, oldest first."""
    current = week_start(now)
    return [current - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]


def _with_week(frame: pl.LazyFrame, column: str, now: datetime, first: datetime) -> pl.LazyFrame:
    """Rows in [first, now] with a ``week`` column (the Monday their ISO week starts on)."""
    ts = pl.col(column)
    return frame.filter(ts.is_not_null() & (ts >= first) & (ts <= now)).with_columns(ts.dt.truncate("1w").alias("week"))


def weekly_taxonomy_counts(misses: pl.LazyFrame, *, now: datetime, weeks: int) -> pl.DataFrame:
    """Misses per week per grouping-key taxonomy, every (week, taxonomy) present, zeros included.

    In: ``timestamp``, ``group_taxonomy``. Out: ``week`` (Datetime UTC), ``label``, ``partial``,
    ``taxonomy``, ``count`` — sorted by week, then taxonomy in display order.
    """
    starts = week_starts(now, weeks)
    counts = (
        _with_week(misses, "timestamp", now, starts[0])
        .group_by("week", pl.col("group_taxonomy").alias("taxonomy"))
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .collect()
    )
    extra = sorted(set(counts["taxonomy"].to_list()) - set(TAXONOMIES))
    taxonomies = [*TAXONOMIES, *extra]
    grid = pl.DataFrame(
        {
            "week": [s for s in starts for _ in taxonomies],
            "label": [week_label(s) for s in starts for _ in taxonomies],
            "partial": [s == starts[-1] for s in starts for _ in taxonomies],
            "taxonomy": taxonomies * len(starts),
            "order": list(range(len(taxonomies))) * len(starts),
        },
        schema_overrides={"week": UTC_DATETIME},
    )
    return (
        grid.join(counts, on=["week", "taxonomy"], how="left")
        .with_columns(pl.col("count").fill_null(0))
        .sort("week", "order")
        .drop("order")
    )


def weekly_accuracy(feedback: pl.LazyFrame, *, now: datetime, weeks: int, z: float) -> pl.DataFrame:
    """Accuracy per week from human ratings (``is_noise`` true left out), with 95% Wilson intervals.

    In: ``timestamp``, ``rating``, ``is_noise``. Out: ``week``, ``label`` (``YYYY-Www``), ``current`` (the
    partial week containing ``now``), ``rated``, ``accurate``, ``partial`` (ratings "partial"), ``accuracy``,
    ``accuracy_lenient``, ``ci_low``, ``ci_high`` (interval of ``accuracy``), one row per week.
    """
    starts = week_starts(now, weeks)
    rated = _with_week(feedback, "timestamp", now, starts[0]).filter(
        ~pl.col("is_noise").fill_null(False) & pl.col("rating").is_in(["accurate", "partial", "inaccurate"])
    )
    per_week = rated.group_by("week").agg(
        pl.len().cast(pl.Int64).alias("rated"),
        (pl.col("rating") == "accurate").sum().cast(pl.Int64).alias("accurate"),
        (pl.col("rating") == "partial").sum().cast(pl.Int64).alias("partial"),
    )
    low, high = wilson_exprs(pl.col("accurate"), pl.col("rated"), z)
    grid = pl.LazyFrame(
        {"week": starts, "label": [week_label(s) for s in starts], "current": [s == starts[-1] for s in starts]},
        schema={"week": UTC_DATETIME, "label": pl.Utf8, "current": pl.Boolean},
    )
    return (
        grid.join(per_week, on="week", how="left")
        .with_columns(pl.col("rated", "accurate", "partial").fill_null(0))
        .with_columns(
            pl.when(pl.col("rated") > 0).then((pl.col("accurate") / pl.col("rated")).round(4)).alias("accuracy"),
            pl.when(pl.col("rated") > 0)
            .then(((pl.col("accurate") + pl.col("partial")) / pl.col("rated")).round(4))
            .alias("accuracy_lenient"),
            low.alias("ci_low"),
            high.alias("ci_high"),
        )
        .sort("week")
        .collect()
    )


def weekly_pair_fix_rate(misses: pl.LazyFrame, *, now: datetime, weeks: int) -> pl.DataFrame:
    """Pair fix rate for week W: among keys with a miss in W−1, the share with none in W (null if W−1 had none).

    In: ``timestamp``, ``group_alert``, ``group_taxonomy``. Out: ``week``, ``pairs_prev``, ``pairs_fixed``,
    ``pair_fix_rate`` (4 places), one row per week.
    """
    starts = week_starts(now, weeks)
    first = starts[0] - timedelta(weeks=1)
    seen = _with_week(misses, "timestamp", now, first).select(*KEY, "week").unique()
    previous = seen.with_columns((pl.col("week") + pl.duration(weeks=1)).alias("week"))  # keys seen in W−1, keyed W
    seen_in_week = seen.with_columns(pl.lit(True).alias("again"))
    per_week = (
        previous.join(seen_in_week, on=[*KEY, "week"], how="left")
        .group_by("week")
        .agg(
            pl.len().cast(pl.Int64).alias("pairs_prev"),
            pl.col("again").is_null().sum().cast(pl.Int64).alias("pairs_fixed"),
        )
    )
    grid = pl.LazyFrame({"week": starts}, schema={"week": UTC_DATETIME})
    return (
        grid.join(per_week, on="week", how="left")
        .with_columns(pl.col("pairs_prev", "pairs_fixed").fill_null(0))
        .with_columns(
            pl.when(pl.col("pairs_prev") > 0)
            .then((pl.col("pairs_fixed") / pl.col("pairs_prev")).round(4))
            .alias("pair_fix_rate")
        )
        .sort("week")
        .collect()
    )


def scenario_keys(misses: pl.LazyFrame, scenarios: pl.DataFrame) -> pl.LazyFrame:
    """The grouping key each scenario covers.

    A scenario covers the key of the miss named by its ``miss_id``; when that id is not in the store,
    its own ``alert_name``/``taxonomy`` (with the grouping-key fallbacks).
    In: misses (``_line``, ``miss_id``, key), scenarios (``miss_id``, ``alert_name``, ``taxonomy``, any others).
    Out: the scenario rows with ``group_alert`` and ``group_taxonomy`` added.
    """
    by_id = (
        misses.filter(pl.col("miss_id").is_not_null())
        .group_by("miss_id")
        .agg(pl.col("group_alert").sort_by("_line").first(), pl.col("group_taxonomy").sort_by("_line").first())
    )
    own_alert = pl.when(pl.col("alert_name").is_null() | (pl.col("alert_name") == "")).then(pl.lit("<unknown>"))
    own_taxonomy = pl.when(pl.col("taxonomy").is_null() | (pl.col("taxonomy") == "")).then(pl.lit("unknown"))
    return (
        scenarios.lazy()
        .join(by_id, on="miss_id", how="left")
        .with_columns(
            pl.coalesce(pl.col("group_alert"), own_alert.otherwise(pl.col("alert_name"))).alias("group_alert"),
            pl.coalesce(pl.col("group_taxonomy"), own_taxonomy.otherwise(pl.col("taxonomy"))).alias("group_taxonomy"),
        )
    )


def coverage_by_key(misses: pl.LazyFrame, scenarios: pl.DataFrame) -> pl.LazyFrame:
    """Earliest coverage time per grouping key (the key of each scenario: :func:`scenario_keys`).

    In: misses (``miss_id``, key), scenarios (``miss_id``, ``alert_name``, ``taxonomy``, ``covered_at``).
    Out: ``group_alert``, ``group_taxonomy``, ``covered_at``.
    """
    return scenario_keys(misses, scenarios).group_by(KEY).agg(pl.col("covered_at").min())


def lifecycle_events(misses: pl.LazyFrame, coverage: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The part of :func:`pair_lifecycle` that does not depend on now: every miss with its key's coverage time and
    the timestamp of the key's previous miss (the key's misses ordered by timestamp, then file line; a missing
    timestamp last). The rows are in no particular order (the window is ordered, not the frame: a third of the
    time of sorting the whole frame at 1M misses).

    In: misses (``_line``, ``timestamp``, key); coverage (key, ``covered_at``) or None.
    Out: ``_line``, ``timestamp``, ``group_alert``, ``group_taxonomy``, ``covered_at``, ``previous``.
    """
    cov = (
        coverage
        if coverage is not None
        else pl.LazyFrame(schema={"group_alert": pl.Utf8, "group_taxonomy": pl.Utf8, "covered_at": UTC_DATETIME})
    )
    return (
        misses.select("_line", "timestamp", *KEY)
        .join(cov, on=KEY, how="left")
        .with_columns(
            pl.col("timestamp").shift(1).over(KEY, order_by=["timestamp", "_line"], nulls_last=True).alias("previous")
        )
    )


def pair_lifecycle(
    misses: pl.LazyFrame,
    *,
    now: datetime,
    coverage: pl.LazyFrame | None = None,
    events: pl.LazyFrame | None = None,
    quiet_after_days: int = MissesPolicy().quiet_after_days,
    regression_gap_days: int = MissesPolicy().regression_gap_days,
    new_within_days: int = MissesPolicy().new_within_days,
    escalating_min: int = MissesPolicy().escalating_min,
    escalating_factor: float = MissesPolicy().escalating_factor,
) -> pl.DataFrame:
    """One row per grouping key with its lifecycle state (first match wins: quiet, regressed, new,
    escalating, ongoing), coverage and time to coverage (whether the fix held: :func:`analytics.fixes.fix_table`).

    In: misses (``_line``, ``timestamp``, key); coverage (key, ``covered_at``) or None; or ``events``, the
    :func:`lifecycle_events` of those misses and coverage computed beforehand (then ``misses`` and ``coverage`` are
    not read: a caller that asks at many nows sorts the misses once).
    Out: ``group_alert``, ``group_taxonomy``, ``count`` (all misses of the key), ``first_seen``, ``last_seen``,
    ``recent`` (misses in the last ``new_within_days``), ``state``, ``covered``, ``covered_at``,
    ``time_to_coverage`` (Duration) — sorted by count desc, then first appearance.
    """
    ts = pl.col("timestamp")
    timed = ts.is_not_null() & (ts <= now)
    recent_start = now - timedelta(days=new_within_days)
    baseline_start = now - timedelta(days=BASELINE_DAYS)
    baseline_weeks = (BASELINE_DAYS - new_within_days) / 7
    if events is None:
        events = lifecycle_events(misses, coverage)
    in_recent = timed & (ts > recent_start)
    gap_regression = (
        in_recent
        & pl.col("previous").is_not_null()
        & ((ts - pl.col("previous")) >= pl.duration(days=regression_gap_days))
    )
    after_coverage = in_recent & pl.col("covered_at").is_not_null() & (ts > pl.col("covered_at"))
    per_key = events.group_by(KEY).agg(
        pl.len().cast(pl.Int64).alias("count"),
        pl.col("_line").min().alias("first_line"),
        ts.filter(timed).min().alias("first_seen"),
        ts.filter(timed).max().alias("last_seen"),
        in_recent.sum().cast(pl.Int64).alias("recent"),
        (timed & (ts > now - timedelta(days=quiet_after_days))).sum().alias("in_quiet_window"),
        (timed & (ts > baseline_start) & (ts <= recent_start)).sum().alias("baseline"),
        (gap_regression | after_coverage).any().alias("regression"),
        pl.col("covered_at").first(),
    )
    state = (
        pl.when(pl.col("in_quiet_window") == 0)
        .then(pl.lit("quiet"))
        .when(pl.col("regression"))
        .then(pl.lit("regressed"))
        .when(pl.col("first_seen") > recent_start)
        .then(pl.lit("new"))
        .when(
            (pl.col("recent") >= escalating_min)
            & (pl.col("recent") >= escalating_factor * pl.col("baseline") / baseline_weeks)
        )
        .then(pl.lit("escalating"))
        .otherwise(pl.lit("ongoing"))
    )
    return (
        per_key.with_columns(
            state.alias("state"),
            pl.col("covered_at").is_not_null().alias("covered"),
            (pl.col("covered_at") - pl.col("first_seen")).alias("time_to_coverage"),
        )
        .sort(["count", "first_line"], descending=[True, False])
        .select(
            *KEY,
            "count",
            "first_seen",
            "last_seen",
            "recent",
            "state",
            "covered",
            "covered_at",
            "time_to_coverage",
        )
        .collect()
    )


def lifecycle_options(policy: MissesPolicy) -> dict[str, Any]:
    """The policy's ``misses`` thresholds as keyword arguments of :func:`pair_lifecycle`."""
    return {
        "quiet_after_days": policy.quiet_after_days,
        "regression_gap_days": policy.regression_gap_days,
        "new_within_days": policy.new_within_days,
        "escalating_min": policy.escalating_min,
        "escalating_factor": policy.escalating_factor,
    }


def median_days_to_coverage(lifecycle: pl.DataFrame) -> float | None:
    """Median time to coverage of the covered keys of :func:`pair_lifecycle`, in days (1 place); None if none."""
    covered = lifecycle.filter(pl.col("covered") & pl.col("time_to_coverage").is_not_null())
    if covered.height == 0:
        return None
    median = covered.select((pl.col("time_to_coverage").dt.total_seconds() / 86400).median()).item()
    return None if median is None else round(float(median), 1)


@dataclass(frozen=True)
class Trend:
    """``misses trend``: per-week rows and per-pair rows, as CLI.md documents them."""

    weeks: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    fix_basis: str | None = None  # "runs" or "coverage": how each pair's fix_held was judged

    def to_json(self) -> dict[str, Any]:
        return {"weeks": self.weeks, "pairs": self.pairs, "fix_basis": self.fix_basis}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def learning_trend(
    misses: pl.LazyFrame,
    feedback: pl.LazyFrame,
    *,
    now: datetime,
    weeks: int = 8,
    z: float = ConfidencePolicy().wilson_z,
    coverage: pl.LazyFrame | None = None,
    lifecycle_options: dict[str, Any] | None = None,
    fixes: pl.DataFrame | None = None,
) -> Trend:
    """Everything ``misses trend`` prints: weekly totals, taxonomy mix, accuracy, fix rate; then the pairs, with
    ``fix_held`` from :func:`analytics.fixes.fix_table` (``fixes``; computed on coverage alone when not given)."""
    taxonomy = weekly_taxonomy_counts(misses, now=now, weeks=weeks)
    accuracy = weekly_accuracy(feedback, now=now, weeks=weeks, z=z)
    fix_rate = weekly_pair_fix_rate(misses, now=now, weeks=weeks)
    rows = []
    for start in week_starts(now, weeks):
        mix = taxonomy.filter(pl.col("week") == start)
        acc = accuracy.filter(pl.col("week") == start).row(0, named=True)
        fix = fix_rate.filter(pl.col("week") == start).row(0, named=True)
        rows.append(
            {
                "week": week_label(start),
                "partial": start == week_start(now),
                "total": int(mix["count"].sum()),
                "by_taxonomy": dict(zip(mix["taxonomy"].to_list(), mix["count"].to_list(), strict=True)),
                "rated": acc["rated"],
                "accuracy": acc["accuracy"],
                "accuracy_lenient": acc["accuracy_lenient"],
                "ci_low": acc["ci_low"],
                "ci_high": acc["ci_high"],
                "pairs_prev": fix["pairs_prev"],
                "pairs_fixed": fix["pairs_fixed"],
                "pair_fix_rate": fix["pair_fix_rate"],
            }
        )
    lifecycle = pair_lifecycle(misses, now=now, coverage=coverage, **(lifecycle_options or {}))
    fix_rows = fixes if fixes is not None else fix_table(misses, now=now, coverage=coverage)
    held = {(r["group_alert"], r["group_taxonomy"]): r["fix_held"] for r in fix_rows.iter_rows(named=True)}
    pairs = [
        {
            "alert_name": r["group_alert"],
            "taxonomy": r["group_taxonomy"],
            "count": r["count"],
            "first_seen": _iso(r["first_seen"]),
            "last_seen": _iso(r["last_seen"]),
            "state": r["state"],
            "covered": r["covered"],
            "covered_at": _iso(r["covered_at"]),
            "fix_held": held.get((r["group_alert"], r["group_taxonomy"])),
        }
        for r in lifecycle.iter_rows(named=True)
    ]
    return Trend(rows, pairs, str(fix_rows["basis"][0]) if fix_rows.height else None)
