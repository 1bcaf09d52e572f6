"""How long fixes last: a Kaplan–Meier curve of the time from a pair's fix to its first recurrence
(DEFINITIONS §4 "Durability").

Each fixed pair contributes ``days`` = (``regressed_at`` or, when it has not come back, ``now``) − ``fixed_at``;
a pair not back is *censored* (it still holds: we only know it lasted at least that long). At each distinct event
time t_j with n_j pairs at risk (``days >= t_j``; a pair censored at t_j is still at risk at t_j) and d_j
recurrences, S(t_j) = Π (1 − d_i / n_i) over i ≤ j. The curve starts at ``{"days": 0, "surviving": 1.0,
"at_risk": n}`` and steps at each event time.

``median_days`` is the first event time with S ≤ 0.5 (null if the curve never gets there). ``median_ci`` is the
Brookmeyer–Crowley interval: the same first-time-at-or-below-0.5 read off the lower and upper pointwise bands of S,
the bands from the log-log transform with Greenwood's variance: with v_j = Σ d_i / (n_i (n_i − d_i)) and
s_j = √v_j / |ln S_j|, lower = S^exp(z s), upper = S^exp(−z s) (both 0 once S is 0). A bound the band never
reaches is null.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import polars as pl

from analytics.fixes import KEY
from analytics.timeparse import format_utc

DAY_SECONDS = 86_400.0


def fix_durations(fixes: pl.DataFrame, *, now: datetime, since: datetime | None = None) -> pl.DataFrame:
    """One row per pair fixed in [since, now]: how long the fix lasted and whether it came back.

    In: :func:`analytics.fixes.fix_table` rows (key, ``fixed_at``, ``regressed_at``). Out: ``alert_name``,
    ``taxonomy``, ``fixed_at``, ``recurred_at`` (null when censored), ``days`` (2 places), ``censored`` — sorted by
    days, then key.
    """
    fixed = pl.col("fixed_at")
    keep = fixed.is_not_null() & (fixed <= now) & (pl.lit(True) if since is None else fixed >= since)
    back = pl.col("regressed_at").is_not_null() & (pl.col("regressed_at") <= now)
    end = pl.when(back).then(pl.col("regressed_at")).otherwise(pl.lit(now))
    return (
        fixes.filter(keep)
        .select(
            pl.col("group_alert").alias("alert_name"),
            pl.col("group_taxonomy").alias("taxonomy"),
            "fixed_at",
            pl.when(back).then(pl.col("regressed_at")).alias("recurred_at"),
            ((end - fixed).dt.total_seconds(fractional=True) / DAY_SECONDS).round(2).alias("days"),
            (~back).alias("censored"),
        )
        .sort("days", "alert_name", "taxonomy")
    )


def km_steps(durations: pl.DataFrame) -> pl.DataFrame:
    """The Kaplan–Meier steps (event times only). In: ``days``, ``censored``.

    Out: ``days``, ``at_risk`` (n_j), ``events`` (d_j), ``surviving`` (S, unrounded), ``greenwood`` (v_j) — sorted.
    """
    total = durations.height
    per_time = (
        durations.lazy()
        .group_by("days")
        .agg(pl.len().alias("_count"), (~pl.col("censored")).sum().alias("events"))
        .sort("days")
        .with_columns((pl.lit(total) - pl.col("_count").cum_sum().shift(1, fill_value=0)).alias("at_risk"))
        .filter(pl.col("events") > 0)
    )
    n, d = pl.col("at_risk").cast(pl.Float64), pl.col("events").cast(pl.Float64)
    term = pl.when(n > d).then(d / (n * (n - d))).otherwise(pl.lit(math.inf))
    return (
        per_time.with_columns((1.0 - d / n).cum_prod().alias("surviving"), term.cum_sum().alias("greenwood"))
        .select(
            pl.col("days"), pl.col("at_risk").cast(pl.Int64), pl.col("events").cast(pl.Int64), "surviving", "greenwood"
        )
        .collect()
    )


def km_reference(days: list[float], censored: list[bool]) -> list[tuple[float, int, int, float]]:
    """Plain-Python Kaplan–Meier, one event time at a time: (t, n_at_risk, d, S). The property tests' twin."""
    out: list[tuple[float, int, int, float]] = []
    surviving = 1.0
    for t in sorted({d for d, c in zip(days, censored, strict=True) if not c}):
        at_risk = sum(1 for d in days if d >= t)
        events = sum(1 for d, c in zip(days, censored, strict=True) if d == t and not c)
        surviving *= 1 - events / at_risk
        out.append((t, at_risk, events, surviving))
    return out


def _band(surviving: float, greenwood: float, z: float) -> tuple[float, float]:
    """Pointwise log-log interval of S with Greenwood's variance (0 once S is 0, 1 while S is 1)."""
    if surviving <= 0.0 or math.isinf(greenwood):
        return 0.0, 0.0
    if surviving >= 1.0:
        return 1.0, 1.0
    s = math.sqrt(greenwood) / abs(math.log(surviving))
    return surviving ** math.exp(z * s), surviving ** math.exp(-z * s)


def _first_at_or_below(times: list[float], values: list[float], level: float = 0.5) -> float | None:
    return next((t for t, v in zip(times, values, strict=True) if v <= level + 1e-12), None)


def survival(durations: pl.DataFrame, *, z: float) -> dict[str, Any]:
    """``{"curve", "median_days", "median_ci", "pairs", "events", "censored"}`` of one group of durations."""
    steps = km_steps(durations)
    times = steps["days"].to_list()
    values = steps["surviving"].to_list()
    bands = [_band(s, g, z) for s, g in zip(values, steps["greenwood"].to_list(), strict=True)]
    curve = [{"days": 0.0, "surviving": 1.0, "at_risk": durations.height}] + [
        {"days": t, "surviving": round(s, 4), "at_risk": n}
        for t, s, n in zip(times, values, steps["at_risk"].to_list(), strict=True)
    ]
    events = int((~durations["censored"]).sum()) if durations.height else 0
    return {
        "curve": curve if durations.height else [],
        "median_days": _first_at_or_below(times, values),
        "median_ci": [
            _first_at_or_below(times, [b[0] for b in bands]),
            _first_at_or_below(times, [b[1] for b in bands]),
        ],
        "pairs": durations.height,
        "events": events,
        "censored": durations.height - events,
    }


def durability(fixes: pl.DataFrame, *, now: datetime, since: datetime | None, z: float) -> dict[str, Any]:
    """What ``misses durability --json`` prints and the page draws: the overall curve, its median and interval,
    the pairs, and the same per taxonomy (``by_taxonomy``: ``{taxonomy: {"curve", "median_days", "median_ci",
    "pairs", "events", "censored"}}``). ``basis`` says how ``fixed_at`` was found (runs or coverage)."""
    rows = fix_durations(fixes, now=now, since=since)
    overall = survival(rows, z=z)
    by_taxonomy = {
        str(taxonomy): survival(rows.filter(pl.col("taxonomy") == taxonomy), z=z)
        for taxonomy in sorted(rows["taxonomy"].unique().to_list())
    }
    pairs = [
        {
            "alert_name": r["alert_name"],
            "taxonomy": r["taxonomy"],
            "fixed_at": format_utc(r["fixed_at"]),
            "recurred_at": None if r["recurred_at"] is None else format_utc(r["recurred_at"]),
            "days": r["days"],
            "censored": r["censored"],
        }
        for r in rows.iter_rows(named=True)
    ]
    return {
        "basis": str(fixes["basis"][0]) if fixes.height else None,
        "curve": overall["curve"],
        "median_days": overall["median_days"],
        "median_ci": overall["median_ci"],
        "events": overall["events"],
        "censored": overall["censored"],
        "pairs": pairs,
        "by_taxonomy": by_taxonomy,
    }


def curve_frame(result: dict[str, Any]) -> pl.DataFrame:
    """The overall and per-taxonomy curves long (``group``, ``days``, ``surviving``, ``at_risk``) for a chart; each
    curve is carried on flat to its longest follow-up (the last censored pair), so a curve that ends in pairs still
    holding shows how long they have held."""
    longest: dict[str, float] = {}
    for pair in result["pairs"]:
        for group in ("all fixed pairs", pair["taxonomy"]):
            longest[group] = max(longest.get(group, 0.0), float(pair["days"]))
    parts = [("all fixed pairs", result["curve"])] + [(t, v["curve"]) for t, v in result["by_taxonomy"].items()]
    rows: list[dict[str, Any]] = []
    for group, curve in parts:
        rows.extend({"group": group, **point} for point in curve)
        if curve and longest.get(group, 0.0) > curve[-1]["days"]:
            rows.append({**curve[-1], "group": group, "days": longest[group], "at_risk": None})
    return pl.DataFrame(
        rows, schema={"group": pl.Utf8, "days": pl.Float64, "surviving": pl.Float64, "at_risk": pl.Int64}
    )


__all__ = ["KEY", "durability", "fix_durations", "km_reference", "km_steps", "survival"]
