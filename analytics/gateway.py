"""Helpful rate of OpenSRE's gateway feedback (DEFINITIONS §2): good / (good + bad), with a Wilson interval.

In: one frame per platform of typed gateway feedback (``ts`` UTC datetime, ``verdict`` ``good``/``bad``; rows
with any other verdict or no time were quarantined by the reader). The rate is given overall, per platform
and per ISO week (``YYYY-Www`` of ``ts`` in UTC, the week's Monday as its start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from analytics.stats import wilson_exprs, wilson_interval
from analytics.windows import Window


def combined(frames: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Every platform's clicks in one frame. In: {platform: frame with ``ts``, ``verdict``}.
    Out: ``platform``, ``ts``, ``verdict`` (only ``good``/``bad`` rows with a time)."""
    parts = [
        frame.select(pl.lit(platform).alias("platform"), "ts", "verdict") for platform, frame in sorted(frames.items())
    ]
    if not parts:
        return pl.LazyFrame(schema={"platform": pl.Utf8, "ts": pl.Datetime("us", "UTC"), "verdict": pl.Utf8})
    return pl.concat(parts, how="vertical").filter(
        pl.col("verdict").is_in(["good", "bad"]) & pl.col("ts").is_not_null()
    )


def _figures(good: int, bad: int, z: float) -> dict[str, Any]:
    n = good + bad
    low, high = wilson_interval(good, n, z)
    return {
        "good": good,
        "bad": bad,
        "n": n,
        "rate": round(good / n, 4) if n else None,
        "ci": [low, high] if n else None,
    }


def weekly(feedback: pl.LazyFrame, *, z: float, by_platform: bool = False) -> pl.DataFrame:
    """The helpful rate per ISO week (and platform when ``by_platform``), oldest week first.

    In: :func:`combined`. Out: ``week`` (``YYYY-Www``), [``platform``,] ``good``, ``bad``, ``n``, ``rate``,
    ``ci_low``, ``ci_high`` (Wilson at ``z``; rate and interval null when n = 0, which never happens here).
    """
    keys = ["week", "platform"] if by_platform else ["week"]
    counted = (
        feedback.with_columns(pl.col("ts").dt.strftime("%G-W%V").alias("week"))
        .group_by(keys)
        .agg(
            (pl.col("verdict") == "good").sum().cast(pl.Int64).alias("good"),
            (pl.col("verdict") == "bad").sum().cast(pl.Int64).alias("bad"),
        )
        .with_columns((pl.col("good") + pl.col("bad")).alias("n"))
    )
    low, high = wilson_exprs(pl.col("good"), pl.col("n"), z)
    return (
        counted.with_columns(
            pl.when(pl.col("n") > 0).then((pl.col("good") / pl.col("n")).round(4)).alias("rate"),
            low.alias("ci_low"),
            high.alias("ci_high"),
        )
        .select(*keys, "good", "bad", "n", "rate", "ci_low", "ci_high")
        .sort(keys)
        .collect()
    )


def gateway_report(feedback: pl.LazyFrame, *, z: float, window: Window | None = None) -> dict[str, Any]:
    """The ``gateway`` object of ``confidence report --json``.

    Out: ``good``, ``bad``, ``n``, ``rate`` (good / (good + bad), null when nothing is rated), ``ci`` ([lo, hi]
    Wilson at ``z``, null when nothing is rated), ``by_platform`` ({platform: the same figures}) and
    ``by_week`` ([{``week``, ``good``, ``bad``, ``n``, ``rate``, ``ci``}], oldest first). ``window`` keeps the
    clicks with ``ts`` in (start, end].
    """
    if window is not None:
        feedback = feedback.filter(window.contains("ts"))
    counts = (
        feedback.group_by("platform")
        .agg(
            (pl.col("verdict") == "good").sum().cast(pl.Int64).alias("good"),
            (pl.col("verdict") == "bad").sum().cast(pl.Int64).alias("bad"),
        )
        .sort("platform")
        .collect()
    )
    by_platform = {row["platform"]: _figures(row["good"], row["bad"], z) for row in counts.iter_rows(named=True)}
    good = sum(int(v["good"]) for v in by_platform.values())
    bad = sum(int(v["bad"]) for v in by_platform.values())
    by_week = [
        {
            "week": row["week"],
            **_figures(row["good"], row["bad"], z),
        }
        for row in weekly(feedback, z=z).iter_rows(named=True)
    ]
    return {**_figures(good, bad, z), "by_platform": by_platform, "by_week": by_week}


def helpful_sentence(report: Mapping[str, Any]) -> str:
    """One line for people: ``Helpful 71% of 14 rated investigation messages (interval 45–88%): slack 75% (n=8),
    discord 67% (n=6).``"""
    if not report["n"]:
        return "No gateway feedback (Slack/Discord thumbs up or down) in this range."
    low, high = report["ci"]
    platforms = ", ".join(
        f"{name} {_pct(v['rate'])} (n={v['n']})" for name, v in report["by_platform"].items() if v["n"]
    )
    return (
        f"Helpful {_pct(report['rate'])} of {report['n']} rated investigation messages "
        f"(interval {_pct(low)}–{_pct(high)}): {platforms}."
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
