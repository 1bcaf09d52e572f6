"""The chosen range against the range before it: misses, pair fix rate and RCA accuracy (the Overview's tiles).

RULES.md §2 defines these per ISO week; here the same definitions are applied to the sidebar's window
(:mod:`analytics.windows`) and the window of the same length right before it, so the Overview follows the
range and equals the pages it links to. Misses use OpenSRE's inclusive ``--since`` (as the Misses page and
``misses stats --since``): current = ``ts >= start``; previous = ``start − length <= ts < start``.
Ratings use ``(start, end]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.misses import effective_timestamp, filter_misses
from analytics.stats import wilson_interval
from analytics.windows import Window

KEY = ["group_alert", "group_taxonomy"]


def misses_in(misses: pl.LazyFrame, window: Window) -> pl.LazyFrame:
    """Misses in the window as the Misses page counts them (``timestamp >= start``; all rows for all time)."""
    return filter_misses(misses, since=window.start)


def misses_before(misses: pl.LazyFrame, window: Window) -> pl.LazyFrame | None:
    """Misses in the window of the same length before ``window`` (None for all time)."""
    if window.start is None:
        return None
    length = window.end - window.start
    ts = effective_timestamp()
    return misses.filter((ts >= window.start - length) & (ts < window.start))


@dataclass(frozen=True)
class PairFixRate:
    """Of the (alert, taxonomy) pairs missed in the previous window, how many had no miss in the current one."""

    pairs_prev: int
    pairs_fixed: int

    @property
    def rate(self) -> float | None:
        return None if self.pairs_prev == 0 else round(self.pairs_fixed / self.pairs_prev, 4)


def pair_fix_rate(misses: pl.LazyFrame, window: Window) -> PairFixRate | None:
    """RULES.md §2's pair fix rate with W = ``window`` and W−1 = the window before it (None for all time).

    In: ``timestamp``, ``group_alert``, ``group_taxonomy``.
    """
    before = misses_before(misses, window)
    if before is None:
        return None
    previous = before.select(KEY).unique()
    again = misses_in(misses, window).select(KEY).unique().with_columns(pl.lit(True).alias("again"))
    counts = (
        previous.join(again, on=KEY, how="left")
        .select(pl.len().alias("prev"), pl.col("again").is_null().sum().alias("fixed"))
        .collect()
        .row(0)
    )
    return PairFixRate(int(counts[0]), int(counts[1]))


@dataclass(frozen=True)
class Accuracy:
    """Human ratings in a window (noise left out): accurate / rated with a Wilson interval."""

    rated: int
    accurate: int
    partial: int
    ci_low: float | None
    ci_high: float | None

    @property
    def accuracy(self) -> float | None:
        return None if self.rated == 0 else round(self.accurate / self.rated, 4)

    @property
    def accuracy_lenient(self) -> float | None:
        return None if self.rated == 0 else round((self.accurate + self.partial) / self.rated, 4)


def accuracy_in(feedback: pl.LazyFrame, window: Window, *, z: float) -> Accuracy:
    """RULES.md §2's accuracy over feedback rows timestamped in ``(start, end]``.

    In: ``timestamp``, ``rating``, ``is_noise``.
    """
    row = (
        feedback.filter(
            window.contains("timestamp")
            & ~pl.col("is_noise").fill_null(False)
            & pl.col("rating").is_in(["accurate", "partial", "inaccurate"])
        )
        .select(
            pl.len().alias("rated"),
            (pl.col("rating") == "accurate").sum().alias("accurate"),
            (pl.col("rating") == "partial").sum().alias("partial"),
        )
        .collect()
        .row(0)
    )
    rated, accurate, partial = int(row[0]), int(row[1]), int(row[2])
    low, high = wilson_interval(accurate, rated, z)
    return Accuracy(rated, accurate, partial, low, high)
