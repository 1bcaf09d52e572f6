"""Root-cause buckets (RULES.md §6): incidents grouped by ``service|kind`` (or a signature prefix), with
7-day/30-day/open counts, what they look like, and what to do about them.

Input: typed incidents with derived ``kind`` and ``signature``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from analytics.policy import BucketsPolicy, Policy
from analytics.recurrence import SIGNATURE_PREFIX
from analytics.schemas import SEVERITIES
from analytics.scope import of_services
from analytics.statuses import is_open
from analytics.timeparse import format_utc

UNKNOWN_SEVERITY = "unknown"  # any other stored value (null, "", other text): keeps a mix summing to its rows
WARNING_SIGN = "⚠"  # the open-incident advice carries it, as in the seed document


def severity_mix_expr(keep: pl.Expr | None = None) -> pl.Expr:
    """Aggregation over ``severity`` (of the rows where ``keep`` holds): a struct of counts keyed P0..P3, INFO
    and ``unknown``, so it sums to the number of rows counted."""
    severity = pl.col("severity") if keep is None else pl.col("severity").filter(keep)
    known = [(severity == level).sum().cast(pl.Int64).alias(level) for level in SEVERITIES]
    other = severity.is_in(list(SEVERITIES)).fill_null(False).not_().sum().cast(pl.Int64)
    return pl.struct([*known, other.alias(UNKNOWN_SEVERITY)])


def severity_mix_json(mix: dict[str, int]) -> dict[str, int]:
    """The mix as printed: P0..P3 and INFO always, ``unknown`` only when some severity is outside them."""
    return {k: v for k, v in mix.items() if k != UNKNOWN_SEVERITY or v}


@dataclass(frozen=True)
class BucketOptions:
    """The ``buckets`` section, the open statuses and the recurrence high thresholds (defaults: the policy's)."""

    mode: str
    signature_prefix_len: int
    top_n: int
    min_7d: int
    min_30d: int
    include_statuses: tuple[str, ...]
    open_statuses: tuple[str, ...]
    recommendations_by_kind: tuple[tuple[str, tuple[str, ...]], ...]
    open_incident_advice: str
    kind_high: int
    signature_high: int

    @classmethod
    def from_policy(cls, policy: Policy | None = None) -> BucketOptions:
        """From a whole policy; without one, from the policy defaults (POLICY.md). A ``min_count`` that leaves
        out the 7- or 30-day window keeps that window's default."""
        policy = Policy() if policy is None else policy
        b: BucketsPolicy = policy.buckets
        default_min = BucketsPolicy().min_count
        return cls(
            mode=b.mode,
            signature_prefix_len=b.signature_prefix_len,
            top_n=b.top_n,
            min_7d=b.min_count.get(7, default_min[7]),
            min_30d=b.min_count.get(30, default_min[30]),
            include_statuses=tuple(b.include_statuses),
            open_statuses=tuple(policy.incidents.open_statuses),
            recommendations_by_kind=tuple((k, tuple(v)) for k, v in b.recommendations_by_kind.items()),
            open_incident_advice=b.open_incident_advice,
            kind_high=policy.recurrence.thresholds.kind.high,
            signature_high=policy.recurrence.thresholds.signature.high,
        )


def bucket_key_expr(options: BucketOptions) -> pl.Expr:
    if options.mode == "signature_prefix":
        return pl.col("signature").fill_null("").str.slice(0, options.signature_prefix_len)
    return pl.concat_str([pl.col("service").fill_null(""), pl.lit("|"), pl.col("kind").fill_null("")])


def bucket_frame(
    incidents: pl.LazyFrame, *, now: datetime, options: BucketOptions, service: str | None = None, window_days: int = 30
) -> pl.DataFrame:
    """All buckets with their counts (before the shown-when filter), one row each.

    Incidents considered: status in ``include_statuses``, ``started_at`` ≤ now, and (for the 7d/30d counts) within
    the window; ``open`` counts open statuses at any time. ``window_days`` bounds the 30-day count (and the 7-day one
    when smaller). Out: ``bucket_key``, ``count_7d``, ``count_30d``, ``open``, ``last_seen``, ``services``, ``kinds``,
    ``top_signatures`` (list of {signature: 8-char prefix, count} in the 30-day window), ``severity_mix`` (struct
    of :func:`severity_mix_expr` over the 7-day window, so it sums to ``count_7d``), ``sample_incidents``,
    ``max_signature_7d``, ``max_signature_30d``.
    """
    ts = pl.col("started_at")
    frame = incidents.filter(ts.is_not_null() & (ts <= now) & pl.col("status").is_in(list(options.include_statuses)))
    frame = of_services(frame, () if service is None else (service,))
    in_7 = ts > now - timedelta(days=min(7, window_days))
    in_30 = ts > now - timedelta(days=min(30, window_days))
    frame = frame.with_columns(bucket_key_expr(options).alias("bucket_key"), in_7.alias("in_7"), in_30.alias("in_30"))
    per_signature = (
        frame.filter(pl.col("in_30"))
        .group_by("bucket_key", pl.col("signature").fill_null("").str.slice(0, SIGNATURE_PREFIX).alias("prefix"))
        .agg(pl.len().cast(pl.Int64).alias("count"), pl.col("in_7").sum().alias("count_7d"))
    )
    signature_lists = (
        per_signature.sort(["count", "prefix"], descending=[True, False])
        .group_by("bucket_key")
        .agg(
            pl.struct(pl.col("prefix").alias("signature"), "count").alias("top_signatures"),
            pl.col("count_7d").max().alias("max_signature_7d"),
            pl.col("count").max().alias("max_signature_30d"),
        )
    )
    samples = (
        frame.filter(pl.col("in_30"))
        .sort(["started_at", "id"], descending=[True, False])
        .group_by("bucket_key", maintain_order=True)
        .head(5)
        .group_by("bucket_key", maintain_order=True)
        .agg(
            pl.struct("id", "title", "severity", "status", pl.col("started_at_text").alias("started_at")).alias(
                "sample_incidents"
            )
        )
    )
    buckets = frame.group_by("bucket_key").agg(
        pl.col("in_7").sum().cast(pl.Int64).alias("count_7d"),
        pl.col("in_30").sum().cast(pl.Int64).alias("count_30d"),
        is_open(options.open_statuses).sum().cast(pl.Int64).alias("open"),
        ts.max().alias("last_seen"),
        pl.col("service").drop_nulls().unique().sort().alias("services"),
        pl.col("kind").drop_nulls().unique().sort().alias("kinds"),
        severity_mix_expr(pl.col("in_7")).alias("severity_mix"),
    )
    return (
        buckets.join(signature_lists, on="bucket_key", how="left")
        .join(samples, on="bucket_key", how="left")
        .with_columns(pl.col("max_signature_7d", "max_signature_30d").fill_null(0))
        .collect()
    )


def recommendations_for(kinds: list[str], open_count: int, options: BucketOptions) -> list[str]:
    """The policy's advice for each kind (in order, no repeats), plus the open-incident advice when open > 0,
    led by its warning sign (``⚠ Do not deploy risky changes until mitigated``)."""
    by_kind = dict(options.recommendations_by_kind)
    advice: list[str] = []
    for kind in kinds:
        for text in by_kind.get(kind, ()):
            if text not in advice:
                advice.append(text)
    if open_count > 0:
        text = options.open_incident_advice
        advice.append(text if text.startswith(WARNING_SIGN) else f"{WARNING_SIGN} {text}")
    return advice


def is_high_expr(options: BucketOptions) -> pl.Expr:
    """RULES §7: high when either window reaches the kind high threshold or one of its signatures reaches the
    signature high threshold (``gateway|error_rate`` with 7d=5, 30d=12 is high)."""
    return (
        (pl.col("count_7d") >= options.kind_high)
        | (pl.col("count_30d") >= options.kind_high)
        | (pl.col("max_signature_7d") >= options.signature_high)
        | (pl.col("max_signature_30d") >= options.signature_high)
    )


def shown_buckets(frame: pl.DataFrame, options: BucketOptions) -> pl.DataFrame:
    """Buckets shown: count_7d ≥ min_7d or count_30d ≥ min_30d; sorted 7d desc, 30d desc, last seen desc;
    first ``top_n``; with ``high`` and ``recommendations``."""
    shown = (
        frame.filter((pl.col("count_7d") >= options.min_7d) | (pl.col("count_30d") >= options.min_30d))
        .sort(["count_7d", "count_30d", "last_seen", "bucket_key"], descending=[True, True, True, False])
        .head(max(options.top_n, 0))
        .with_columns(is_high_expr(options).alias("high"))
    )
    advice = [
        recommendations_for(k, o, options)
        for k, o in zip(shown["kinds"].to_list(), shown["open"].to_list(), strict=True)
    ]
    return shown.with_columns(pl.Series("recommendations", advice, dtype=pl.List(pl.Utf8)))


def bucket_json(row: dict[str, Any]) -> dict[str, Any]:
    """One bucket as CLI.md documents it."""
    return {
        "bucket_key": row["bucket_key"],
        "counts": {"7d": row["count_7d"], "30d": row["count_30d"], "open": row["open"]},
        "last_seen": format_utc(row["last_seen"]) if row["last_seen"] else None,
        "services": row["services"],
        "kinds": row["kinds"],
        "top_signatures": row["top_signatures"] or [],
        "severity_mix": severity_mix_json(row["severity_mix"]),
        "sample_incidents": row["sample_incidents"],
        "recommendations": row["recommendations"],
    }


def buckets_json(
    incidents: pl.LazyFrame, *, now: datetime, options: BucketOptions, service: str | None, window_days: int
) -> dict[str, Any]:
    """The ``incidents buckets --json`` object."""
    shown = shown_buckets(
        bucket_frame(incidents, now=now, options=options, service=service, window_days=window_days), options
    )
    return {
        "service_filter": service,
        "window_days": window_days,
        "bucket_count": shown.height,
        "buckets": [bucket_json(r) for r in shown.iter_rows(named=True)],
    }


def high_reason_expr(options: BucketOptions) -> pl.Expr:
    """Why a bucket is high (RULES §7), in words: the first reason that holds, e.g. ``"high: 14 in 7 days ≥ 10"``
    or ``"high: one signature 7 times in 30 days ≥ 6"``; ``"not high"`` otherwise.
    In: ``count_7d``, ``count_30d``, ``max_signature_7d``, ``max_signature_30d``."""

    def text(prefix: str, column: str, suffix: str) -> pl.Expr:
        return pl.format(f"high: {prefix}{{}}{suffix}", pl.col(column))

    return (
        pl.when(pl.col("count_7d") >= options.kind_high)
        .then(text("", "count_7d", f" in 7 days ≥ {options.kind_high}"))
        .when(pl.col("count_30d") >= options.kind_high)
        .then(text("", "count_30d", f" in 30 days ≥ {options.kind_high}"))
        .when(pl.col("max_signature_7d") >= options.signature_high)
        .then(text("one signature ", "max_signature_7d", f" times in 7 days ≥ {options.signature_high}"))
        .when(pl.col("max_signature_30d") >= options.signature_high)
        .then(text("one signature ", "max_signature_30d", f" times in 30 days ≥ {options.signature_high}"))
        .otherwise(pl.lit("not high"))
    )


def advice_by_recommendation(shown: pl.DataFrame) -> pl.DataFrame:
    """Each distinct recommendation of the shown buckets once, with the buckets it applies to.

    In: :func:`shown_buckets`' rows (``bucket_key``, ``recommendations``, ``high``). Out: ``recommendation``,
    ``buckets`` (list, in the buckets' order), ``high`` (it applies to at least one high bucket) — in order of
    first appearance.
    """
    schema: dict[str, Any] = {"recommendation": pl.Utf8, "buckets": pl.List(pl.Utf8), "high": pl.Boolean}
    if shown.height == 0:
        return pl.DataFrame(schema=schema)
    return (
        shown.select("bucket_key", "high", pl.col("recommendations").alias("recommendation"))
        .with_row_index("_bucket")
        .explode("recommendation")
        .filter(pl.col("recommendation").is_not_null())
        .with_row_index("_order")
        .group_by("recommendation")
        .agg(
            pl.col("bucket_key").alias("buckets"),
            pl.col("high").any().alias("high"),
            pl.col("_order").min().alias("_first"),
        )
        .sort("_first")
        .select("recommendation", "buckets", "high")
    )


def grouping_name(options: BucketOptions) -> str:
    """What a bucket groups by, for people: ``service|kind`` or ``signature prefix``."""
    return "service|kind" if options.mode == "service_kind" else "signature prefix"


def no_bucket_sentence(options: BucketOptions, window_days: int = 30) -> str:
    """Why the bucket list is empty: no group reaches either window's minimum (CLI and page say the same)."""
    return (
        f"No bucket: no {grouping_name(options)} reaches {options.min_7d} incidents in 7 days or "
        f"{options.min_30d} in {window_days} days"
    )
