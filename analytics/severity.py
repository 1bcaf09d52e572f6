"""Error-ledger severity from current state, not trailing averages (RULES.md §9).

Per provider: ``c24`` = rows in (now − 24h, now], ``c7`` = rows in (now − 7d, now], ``daily`` = the seven
24-hour windows ending at now (oldest first). Rows of an excluded category or tenant never count; rows
whose timestamp did not parse are left out (the reader reports them). One classification expression
serves both "now" and every day of the backtest, so the rule exists once.

Input columns (the typed ledger): ``timestamp``, ``provider``, ``error_type``, ``error_message``,
``tenant_id``, ``category``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from analytics.policy import SeverityPolicy
from analytics.timeparse import UTC_DATETIME, format_utc

SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
ACTIONABLE = ("critical", "warning")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class SeverityOptions:
    """The thresholds of RULES §9 (from ``severity`` in the policy) plus extra excluded tenants."""

    critical_24h: int
    warning_24h: int
    spike_factor: float
    spike_min_24h: int
    historical_7d: int
    recurring_error_type_7d: int
    samples_top: int
    sample_chars: int
    excluded_categories: tuple[str, ...]
    excluded_tenants: tuple[str, ...]
    trend_rising: float
    trend_falling: float
    legacy_critical_avg_daily: float
    legacy_warning_avg_daily: float

    @classmethod
    def from_policy(
        cls, policy: SeverityPolicy | None = None, extra_excluded_tenants: Iterable[str] = ()
    ) -> SeverityOptions:
        """From the ``severity`` section (without one, the policy defaults of POLICY.md), plus extra tenants."""
        policy = SeverityPolicy() if policy is None else policy
        return cls(
            critical_24h=policy.critical_24h,
            warning_24h=policy.warning_24h,
            spike_factor=policy.spike_factor,
            spike_min_24h=policy.spike_min_24h,
            historical_7d=policy.historical_7d,
            recurring_error_type_7d=policy.recurring_error_type_7d,
            samples_top=policy.samples_top,
            sample_chars=policy.sample_chars,
            excluded_categories=tuple(policy.excluded_categories),
            excluded_tenants=tuple(dict.fromkeys([*policy.excluded_tenants, *extra_excluded_tenants])),
            trend_rising=policy.trend_rising,
            trend_falling=policy.trend_falling,
            legacy_critical_avg_daily=policy.legacy.critical_avg_daily,
            legacy_warning_avg_daily=policy.legacy.warning_avg_daily,
        )


def countable_rows(ledger: pl.LazyFrame, options: SeverityOptions) -> pl.LazyFrame:
    """Rows that count: a parsed timestamp, not an excluded category, not an excluded tenant."""
    keep = pl.col("timestamp").is_not_null() & pl.col("provider").is_not_null()
    if options.excluded_categories:
        keep &= ~pl.col("category").fill_null("error").is_in(list(options.excluded_categories))
    if options.excluded_tenants:
        keep &= ~pl.col("tenant_id").fill_null("").is_in(list(options.excluded_tenants))
    return ledger.filter(keep)


def spike_expr(options: SeverityOptions) -> pl.Expr:
    """c24 ≥ spike_min and c24 > spike_factor × (c7 / 7)."""
    return (pl.col("c24") >= options.spike_min_24h) & (pl.col("c24") > options.spike_factor * pl.col("c7") / 7)


def classify_expr(options: SeverityOptions) -> tuple[pl.Expr, pl.Expr]:
    """(severity, status) from ``c24``, ``c7`` and ``top_type_7d`` (the most frequent error type's 7-day count)."""
    critical = (pl.col("c24") >= options.critical_24h) | spike_expr(options)
    warning = pl.col("c24") >= options.warning_24h
    historical = pl.col("c7") >= options.historical_7d
    recurring = pl.col("top_type_7d").fill_null(0) >= options.recurring_error_type_7d
    severity = (
        pl.when(critical).then(pl.lit("critical")).when(warning).then(pl.lit("warning")).otherwise(pl.lit("info"))
    )
    status = (
        pl.when(critical | warning)
        .then(pl.lit("active"))
        .when(historical)
        .then(pl.lit("historical"))
        .when(recurring)
        .then(pl.lit("recurring"))
        .otherwise(pl.lit("nominal"))
    )
    return severity, status


def legacy_expr(options: SeverityOptions) -> pl.Expr:
    """The legacy 7-day-average rule: c7 / 7 above the critical or warning average."""
    average = pl.col("c7") / 7
    return (
        pl.when(average > options.legacy_critical_avg_daily)
        .then(pl.lit("critical"))
        .when(average > options.legacy_warning_avg_daily)
        .then(pl.lit("warning"))
        .otherwise(pl.lit("info"))
    )


def trend_expr(options: SeverityOptions) -> pl.Expr:
    """From ``daily`` (7 counts, oldest first): new / rising / falling / steady.

    ``new``: the six windows before the last are all zero and the last is not (all seven zero is steady).
    """
    prior = pl.col("daily").list.slice(0, 6)
    prior_mean = prior.list.sum() / 6
    return (
        pl.when((prior.list.sum() == 0) & (pl.col("c24") > 0))
        .then(pl.lit("new"))
        .when((prior.list.sum() > 0) & (pl.col("c24") > options.trend_rising * prior_mean))
        .then(pl.lit("rising"))
        .when((prior.list.sum() > 0) & (pl.col("c24") < options.trend_falling * prior_mean))
        .then(pl.lit("falling"))
        .otherwise(pl.lit("steady"))
    )


@dataclass(frozen=True)
class LedgerCounts:
    """What the current-state rules need from a ledger: small aggregates, computed by Polars
    (:func:`ledger_counts`) or by the database that holds the ledger (``triage_lens.sources.ledger_sql``).

    - ``providers``: ``provider`` — every provider with a countable row (any time);
    - ``buckets``: ``provider``, ``bucket`` (whole days before now, 0-6), ``n`` — countable rows in (now − 7d, now];
    - ``types``: ``provider``, ``error_type``, ``count`` (24h), ``count_7d``, ``message`` — per error type in the
      week, its most frequent non-null message (ties: the smallest text, by code point), null when it has none.
    """

    providers: pl.DataFrame
    buckets: pl.DataFrame
    types: pl.DataFrame


PROVIDERS_SCHEMA = {"provider": pl.Utf8}
BUCKETS_SCHEMA = {"provider": pl.Utf8, "bucket": pl.Int64, "n": pl.Int64}
TYPES_SCHEMA = {"provider": pl.Utf8, "error_type": pl.Utf8, "count": pl.Int64, "count_7d": pl.Int64, "message": pl.Utf8}
DAYS_SCHEMA = {"provider": pl.Utf8, "day": pl.Int64, "n": pl.Int64}
TYPE_DAYS_SCHEMA = {"provider": pl.Utf8, "error_type": pl.Utf8, "day": pl.Int64, "n": pl.Int64}


def most_frequent_message(rows: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    """Per ``keys``: the most frequent non-null ``error_message`` (ties: the smallest text). Out: keys, ``message``."""
    return (
        rows.filter(pl.col("error_message").is_not_null())
        .group_by(*keys, "error_message")
        .agg(pl.len().alias("_n"))
        .sort([*keys, "_n", "error_message"], descending=[*([False] * len(keys)), True, False])
        .group_by(*keys, maintain_order=True)
        .first()
        .select(*keys, pl.col("error_message").alias("message"))
    )


def ledger_counts(ledger: pl.LazyFrame, *, now: datetime, options: SeverityOptions) -> LedgerCounts:
    """:class:`LedgerCounts` of a typed ledger frame, in Polars.

    Age buckets: a row ``k`` whole days old (0 ≤ age < 7d) is in bucket ``k``; a row exactly 24h old is in
    bucket 1, so bucket 0 is (now − 24h, now].
    """
    rows = countable_rows(ledger, options)
    age_us = (pl.lit(now, dtype=UTC_DATETIME) - pl.col("timestamp")).dt.total_microseconds()
    in_week = rows.with_columns((age_us // 86_400_000_000).alias("bucket")).filter(
        (pl.col("bucket") >= 0) & (pl.col("bucket") < 7)
    )
    typed = in_week.filter(pl.col("error_type").is_not_null())
    types = (
        typed.group_by("provider", "error_type")
        .agg((pl.col("bucket") == 0).sum().alias("count"), pl.len().alias("count_7d"))
        .join(most_frequent_message(typed, ["provider", "error_type"]), on=["provider", "error_type"], how="left")
    )
    frames = pl.collect_all(
        [
            rows.select("provider").unique(),
            in_week.group_by("provider", "bucket").agg(pl.len().alias("n")),
            types,
        ]
    )
    providers, buckets, type_counts = (f.cast(schema) for f, schema in zip(frames, _COUNT_SCHEMAS, strict=True))  # type: ignore[arg-type]
    return LedgerCounts(providers, buckets, type_counts)


_COUNT_SCHEMAS = (PROVIDERS_SCHEMA, BUCKETS_SCHEMA, TYPES_SCHEMA)


def provider_counts_from(counts: LedgerCounts) -> pl.LazyFrame:
    """Per provider ``c24``, ``c7``, ``daily`` (list of 7, oldest first) and ``top_type_7d`` (the most frequent error
    type's 7-day count); every provider of ``counts.providers`` appears (zeros when quiet this week)."""
    daily = (
        counts.buckets.lazy()
        .group_by("provider")
        .agg(
            pl.col("n").sum().alias("c7"),
            pl.col("n").filter(pl.col("bucket") == 0).sum().alias("c24"),
            *[pl.col("n").filter(pl.col("bucket") == 6 - i).sum().alias(f"d{i}") for i in range(7)],
        )
        .with_columns(pl.concat_list([f"d{i}" for i in range(7)]).alias("daily"))
        .drop([f"d{i}" for i in range(7)])
    )
    top_type = counts.types.lazy().group_by("provider").agg(pl.col("count_7d").max().alias("top_type_7d"))
    zeros = pl.lit([0] * 7, dtype=pl.List(pl.Int64))
    return (
        counts.providers.lazy()
        .join(daily, on="provider", how="left")
        .join(top_type, on="provider", how="left")
        .with_columns(
            pl.col("c24").fill_null(0).cast(pl.Int64),
            pl.col("c7").fill_null(0).cast(pl.Int64),
            pl.col("daily").fill_null(zeros).cast(pl.List(pl.Int64)),
            pl.col("top_type_7d").fill_null(0).cast(pl.Int64),
        )
    )


def provider_counts(ledger: pl.LazyFrame, *, now: datetime, options: SeverityOptions) -> pl.LazyFrame:
    """:func:`provider_counts_from` the :func:`ledger_counts` of a typed ledger frame."""
    return provider_counts_from(ledger_counts(ledger, now=now, options=options))


def samples_from(
    counts: LedgerCounts, *, options: SeverityOptions, providers: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Top error types by 24h count (then 7d count, then name) with their most frequent message (ties: the
    smallest text), cut to ``sample_chars``."""
    samples: dict[str, list[dict[str, Any]]] = {p: [] for p in providers}
    if not providers or options.samples_top <= 0:
        return samples
    cut = options.sample_chars
    per_type = (
        counts.types.lazy()
        .filter(pl.col("provider").is_in(list(providers)))
        .with_columns(
            pl.when(pl.col("message").str.len_chars() > cut)
            .then(pl.col("message").str.slice(0, cut) + "…")
            .otherwise(pl.col("message"))
            .alias("message")
        )
        .sort(["provider", "count", "count_7d", "error_type"], descending=[False, True, True, False])
        .group_by("provider", maintain_order=True)
        .head(options.samples_top)
        .collect()
    )
    for row in per_type.iter_rows(named=True):
        samples[row["provider"]].append(
            {"error_type": row["error_type"], "count": row["count"], "message": row["message"]}
        )
    return samples


def samples_by_provider(
    ledger: pl.LazyFrame, *, now: datetime, options: SeverityOptions, providers: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """:func:`samples_from` the :func:`ledger_counts` of a typed ledger frame."""
    if not providers or options.samples_top <= 0:
        return {p: [] for p in providers}
    return samples_from(ledger_counts(ledger, now=now, options=options), options=options, providers=providers)


UNKNOWN = "unknown"


def unknown_report(now: datetime, reason: str) -> dict[str, Any]:
    """The ``severity --json`` object when there is no readable ledger: state unknown, never "nominal"."""
    return {"now": format_utc(now), "overall_severity": UNKNOWN, "header": f"Unknown: {reason}", "providers": []}


def header_text(severities: Iterable[str]) -> tuple[str, str]:
    """(header, overall severity) from the providers' severities: actionable ones only."""
    values = list(severities)
    parts = [f"{values.count(level)} {level}" for level in ACTIONABLE if values.count(level)]
    if not parts:
        return "All systems nominal", "info"
    overall = next(level for level in ACTIONABLE if level in values)
    return ", ".join(parts), overall


def severity_frame_from(counts: LedgerCounts, *, options: SeverityOptions) -> pl.DataFrame:
    """Every provider with ``severity``, ``status``, ``c24``, ``c7``, ``daily``, ``spike``, ``trend``, sorted:
    critical, warning, info (non-nominal before nominal), then 24h count desc, then name."""
    severity, status = classify_expr(options)
    return (
        provider_counts_from(counts)
        .with_columns(severity.alias("severity"), status.alias("status"), spike_expr(options).alias("spike"))
        .with_columns(trend_expr(options).alias("trend"))
        .with_columns(
            pl.col("severity").replace_strict(SEVERITY_ORDER, return_dtype=pl.Int64).alias("_rank"),
            (pl.col("status") == "nominal").alias("_nominal"),
        )
        .sort(["_rank", "_nominal", "c24", "provider"], descending=[False, False, True, False])
        .drop("_rank", "_nominal")
        .collect()
    )


def severity_frame(ledger: pl.LazyFrame, *, now: datetime, options: SeverityOptions) -> pl.DataFrame:
    """:func:`severity_frame_from` the :func:`ledger_counts` of a typed ledger frame."""
    return severity_frame_from(ledger_counts(ledger, now=now, options=options), options=options)


def severity_report_from(
    counts: LedgerCounts, *, now: datetime, options: SeverityOptions, include_nominal: bool = False
) -> dict[str, Any]:
    """The ``severity --json`` object of CLI.md, from the ledger's aggregates (Polars or SQL)."""
    frame = severity_frame_from(counts, options=options)
    listed = frame if include_nominal else frame.filter(pl.col("status") != "nominal")
    samples = samples_from(counts, options=options, providers=listed["provider"].to_list())
    header, overall = header_text(frame["severity"].to_list())
    providers = [
        {
            "provider": row["provider"],
            "severity": row["severity"],
            "status": row["status"],
            "last_24h_total": row["c24"],
            "week_7d_total": row["c7"],
            "daily": row["daily"],
            "spike": row["spike"],
            "trend": row["trend"],
            "samples": samples.get(row["provider"], []),
        }
        for row in listed.iter_rows(named=True)
    ]
    return {"now": format_utc(now), "overall_severity": overall, "header": header, "providers": providers}


def severity_report(
    ledger: pl.LazyFrame, *, now: datetime, options: SeverityOptions, include_nominal: bool = False
) -> dict[str, Any]:
    """The ``severity --json`` object of CLI.md, for a typed ledger frame."""
    counts = ledger_counts(ledger, now=now, options=options)
    return severity_report_from(counts, now=now, options=options, include_nominal=include_nominal)


@dataclass(frozen=True)
class BacktestCounts:
    """What the backtest needs: countable rows in (origin, today], ``origin`` = the first replayed day − 7 days,
    counted per 24h window ``day`` = k (the window (origin + k days, origin + k + 1 days]).

    - ``days``: ``provider``, ``day``, ``n``; ``type_days``: ``provider``, ``error_type``, ``day``, ``n``.
    """

    days: pl.DataFrame
    type_days: pl.DataFrame


def backtest_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """(origin, today): the backtest counts rows in (origin, today]; origin = today − (days + 7) days."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today - (days + 7) * DAY, today


def backtest_counts(ledger: pl.LazyFrame, *, now: datetime, days: int, options: SeverityOptions) -> BacktestCounts:
    """:class:`BacktestCounts` of a typed ledger frame, in Polars."""
    origin, today = backtest_window(now, days)
    rows = countable_rows(ledger, options).filter((pl.col("timestamp") > origin) & (pl.col("timestamp") <= today))
    since_us = (pl.col("timestamp") - pl.lit(origin, dtype=UTC_DATETIME)).dt.total_microseconds()
    with_day = rows.with_columns(((since_us - 1) // 86_400_000_000).alias("day"))
    frames = pl.collect_all(
        [
            with_day.group_by("provider", "day").agg(pl.len().alias("n")),
            with_day.filter(pl.col("error_type").is_not_null())
            .group_by("provider", "error_type", "day")
            .agg(pl.len().alias("n")),
        ]
    )
    return BacktestCounts(frames[0].cast(DAYS_SCHEMA), frames[1].cast(TYPE_DAYS_SCHEMA))  # type: ignore[arg-type]


def backtest_frame_from(counts: BacktestCounts, *, now: datetime, days: int, options: SeverityOptions) -> pl.DataFrame:
    """Each of the ``days`` complete UTC days before now's day, evaluated at its end (24:00) with the current and
    the legacy rule. Out: ``date``, ``legacy_critical``, ``legacy_warning``, ``current_critical``,
    ``current_warning`` (provider counts), oldest first."""
    total = days + 7
    per_day = counts.days.lazy()
    per_type_day = counts.type_days.lazy()
    providers = per_day.select("provider").unique()
    day_index = pl.LazyFrame({"day": pl.int_range(0, total, dtype=pl.Int64, eager=True)})
    grid = providers.join(day_index, how="cross")
    type_grid = per_type_day.select("provider", "error_type").unique().join(day_index, how="cross")
    type_7d = (
        type_grid.join(per_type_day, on=["provider", "error_type", "day"], how="left")
        .with_columns(pl.col("n").fill_null(0))
        .sort("provider", "error_type", "day")
        .with_columns(pl.col("n").rolling_sum(7, min_samples=1).over("provider", "error_type").alias("n7"))
        .group_by("provider", "day")
        .agg(pl.col("n7").max().alias("top_type_7d"))
    )
    severity, _ = classify_expr(options)
    evaluated = (
        grid.join(per_day, on=["provider", "day"], how="left")
        .with_columns(pl.col("n").fill_null(0))
        .sort("provider", "day")
        .with_columns(
            pl.col("n").alias("c24"),
            pl.col("n").rolling_sum(7, min_samples=1).over("provider").alias("c7"),
        )
        .join(type_7d, on=["provider", "day"], how="left")
        .filter(pl.col("day") >= 7)
        .with_columns(severity.alias("current"), legacy_expr(options).alias("legacy"))
    )
    origin, today = backtest_window(now, days)
    dates = pl.datetime_range(origin + 7 * DAY, today - DAY, "1d", time_zone="UTC", eager=True)
    days_frame = pl.LazyFrame({"day": pl.int_range(7, total, dtype=pl.Int64, eager=True), "date": dates.dt.date()})
    counted = evaluated.group_by("day").agg(
        *[
            (pl.col(rule) == level).sum().cast(pl.Int64).alias(f"{rule}_{level}")
            for rule in ("legacy", "current")
            for level in ACTIONABLE
        ]
    )
    return (
        days_frame.join(counted, on="day", how="left")
        .with_columns(pl.exclude("day", "date").fill_null(0))
        .sort("day")
        .select("date", "legacy_critical", "legacy_warning", "current_critical", "current_warning")
        .collect()
    )


def backtest_frame(ledger: pl.LazyFrame, *, now: datetime, days: int, options: SeverityOptions) -> pl.DataFrame:
    """:func:`backtest_frame_from` the :func:`backtest_counts` of a typed ledger frame."""
    counts = backtest_counts(ledger, now=now, days=days, options=options)
    return backtest_frame_from(counts, now=now, days=days, options=options)


def backtest_report_from(
    counts: BacktestCounts, *, now: datetime, days: int, options: SeverityOptions
) -> dict[str, Any]:
    """The ``severity backtest --json`` object of CLI.md, from the ledger's aggregates (Polars or SQL)."""
    frame = backtest_frame_from(counts, now=now, days=days, options=options)
    day_rows = [
        {
            "date": row["date"].isoformat() if isinstance(row["date"], date) else str(row["date"]),
            "legacy": {"critical": row["legacy_critical"], "warning": row["legacy_warning"]},
            "current": {"critical": row["current_critical"], "warning": row["current_warning"]},
        }
        for row in frame.iter_rows(named=True)
    ]
    legacy, current = backtest_totals(frame)
    return {"days": day_rows, "legacy_pages": legacy, "current_pages": current}


def backtest_report(ledger: pl.LazyFrame, *, now: datetime, days: int, options: SeverityOptions) -> dict[str, Any]:
    """The ``severity backtest --json`` object of CLI.md, for a typed ledger frame."""
    counts = backtest_counts(ledger, now=now, days=days, options=options)
    return backtest_report_from(counts, now=now, days=days, options=options)


def backtest_totals(frame: pl.DataFrame) -> tuple[int, int]:
    """Pages over the whole backtest under each rule: (legacy, current), critical + warning providers summed.
    In: :func:`backtest_frame` rows."""
    totals = frame.select(
        (pl.col("legacy_critical") + pl.col("legacy_warning")).sum().alias("legacy"),
        (pl.col("current_critical") + pl.col("current_warning")).sum().alias("current"),
    ).row(0)
    return int(totals[0] or 0), int(totals[1] or 0)
