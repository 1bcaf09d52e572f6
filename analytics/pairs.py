"""The (alert, taxonomy) pairs of a range with their lifecycle, fix and regression: what ``misses pairs`` prints and
the Misses page's pair table shows (one function for both).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from analytics.fixes import KEY, fixed_back_text, iso

PAIRS_JSON_KEYS: tuple[str, ...] = (
    "alert_name",
    "taxonomy",
    "count",
    "first_seen",
    "last_seen",
    "lifecycle",
    "fixed_at",
    "fixed_in",
    "regressed_at",
    "regressed_in",
)


def pairs_in_window(
    misses: pl.LazyFrame, lifecycle: pl.DataFrame, fixes: pl.DataFrame, *, since: datetime | None, now: datetime
) -> pl.DataFrame:
    """Pairs with a miss in [since, now]: the count and first/last miss in that window, the lifecycle state (over all
    their misses) and the fix columns.

    In: misses (``timestamp``, key), :func:`analytics.learning.pair_lifecycle` rows, :func:`analytics.fixes.fix_table`
    rows. Out: key, ``count``, ``first_seen``, ``last_seen``, ``lifecycle``, ``basis``, ``fixed_at``, ``fixed_in``,
    ``regressed_at``, ``regressed_in``, ``fix_held``, ``status``, ``fixed_back`` — most misses first, then key.
    """
    ts = pl.col("timestamp")
    keep = ts.is_not_null() & (ts <= now) & (pl.lit(True) if since is None else ts >= since)
    counted = (
        misses.filter(keep)
        .group_by(KEY)
        .agg(pl.len().cast(pl.Int64).alias("count"), ts.min().alias("first_seen"), ts.max().alias("last_seen"))
        .collect()
    )
    joined = (
        counted.join(lifecycle.select(*KEY, pl.col("state").alias("lifecycle")), on=KEY, how="left")
        .join(
            fixes.select(*KEY, "basis", "fixed_at", "fixed_in", "regressed_at", "regressed_in", "fix_held", "status"),
            on=KEY,
            how="left",
        )
        .sort(["count", *KEY], descending=[True, False, False])
    )
    texts = [fixed_back_text(r) for r in joined.iter_rows(named=True)]
    return joined.with_columns(pl.Series("fixed_back", texts, dtype=pl.Utf8))


def pairs_json(pairs: pl.DataFrame) -> list[dict[str, Any]]:
    """:func:`pairs_in_window` rows as the documented JSON (:data:`PAIRS_JSON_KEYS`, times as ISO text)."""
    return [
        {
            "alert_name": r["group_alert"],
            "taxonomy": r["group_taxonomy"],
            "count": r["count"],
            "first_seen": iso(r["first_seen"]),
            "last_seen": iso(r["last_seen"]),
            "lifecycle": r["lifecycle"],
            "fixed_at": iso(r["fixed_at"]),
            "fixed_in": r["fixed_in"],
            "regressed_at": iso(r["regressed_at"]),
            "regressed_in": r["regressed_in"],
        }
        for r in pairs.iter_rows(named=True)
    ]
