"""Recurrence: what keeps coming back, by signature, kind and service, in each window.

Input: typed incidents with derived ``kind`` and ``signature`` (``started_at``, ``service``).
Levels are zones: signatures ``high`` at ≥ high, ``warn`` at warn..high−1; kinds likewise with their own
thresholds; services carry no level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from analytics.policy import RecurrencePolicy

SIGNATURE_PREFIX = 8


@dataclass(frozen=True)
class RecurrenceOptions:
    """The ``recurrence`` section: top N, the warn/high zones and the advice templates (defaults: the policy's)."""

    top_n: int
    signature_warn: int
    signature_high: int
    kind_warn: int
    kind_high: int
    recommendations: tuple[tuple[str, str], ...]

    @classmethod
    def from_policy(cls, policy: RecurrencePolicy | None = None) -> RecurrenceOptions:
        """From the ``recurrence`` section; without one, from the policy defaults (POLICY.md)."""
        policy = RecurrencePolicy() if policy is None else policy
        t = policy.thresholds
        return cls(
            policy.top_n,
            t.signature.warn,
            t.signature.high,
            t.kind.warn,
            t.kind.high,
            tuple(policy.recommendations.model_dump().items()),
        )

    def recommendation(self, key: str, **values: str) -> str:
        return dict(self.recommendations).get(key, "").format(**values)


def level_expr(count: pl.Expr, warn: int, high: int) -> pl.Expr:
    """``high`` at ≥ high, ``warn`` at ≥ warn, else null."""
    return pl.when(count >= high).then(pl.lit("high")).when(count >= warn).then(pl.lit("warn")).otherwise(pl.lit(None))


def in_window(incidents: pl.LazyFrame, *, now: datetime, days: int) -> pl.LazyFrame:
    """Incidents with ``started_at`` in (now − days, now]."""
    ts = pl.col("started_at")
    return incidents.filter(ts.is_not_null() & (ts > now - timedelta(days=days)) & (ts <= now))


def top_counts(frame: pl.LazyFrame, column: str, top_n: int | None) -> pl.DataFrame:
    """Counts by ``column`` (nulls and "" left out), count desc then key asc, first ``top_n`` (None: all).
    Out: ``key``, ``count``."""
    counts = (
        frame.filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
        .group_by(pl.col(column).alias("key"))
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort(["count", "key"], descending=[True, False])
    )
    return (counts if top_n is None else counts.head(max(top_n, 0))).collect()


def recurrence(incidents: pl.LazyFrame, *, now: datetime, days: int, options: RecurrenceOptions) -> dict[str, Any]:
    """The ``incidents recurrence --json`` object for one window."""
    window = in_window(incidents, now=now, days=days)
    signatures = top_counts(window, "signature", options.top_n).with_columns(
        level_expr(pl.col("count"), options.signature_warn, options.signature_high).alias("level"),
        pl.col("key").str.slice(0, SIGNATURE_PREFIX).alias("prefix"),
    )
    kinds = top_counts(window, "kind", options.top_n).with_columns(
        level_expr(pl.col("count"), options.kind_warn, options.kind_high).alias("level")
    )
    services = top_counts(window, "service", options.top_n).with_columns(pl.lit(None, pl.Utf8).alias("level"))

    def entries(frame: pl.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
        return frame.select(keys).to_dicts()

    labels = signature_labels(incidents, now=now, days=days)
    sig_entries = []
    for e in entries(signatures, ["key", "count", "level", "prefix"]):
        title, service, kind = labels.get(e["key"], (None, None, None))
        sig_entries.append({**e, "title": title or UNTITLED, "service": service, "kind": kind})
    kind_entries = entries(kinds, ["key", "count", "level"])

    def zone(level: str) -> list[dict[str, Any]]:
        listed = []
        for e in sig_entries:
            if e["level"] == level:
                advice = options.recommendation(f"signature_{level}", sig=e["prefix"])
                listed.append({"type": "signature", **e, "recommendation": advice})
        for e in kind_entries:
            if e["level"] == level:
                advice = options.recommendation(f"kind_{level}", kind=e["key"])
                listed.append({"type": "kind", **e, "recommendation": advice})
        return listed

    return {
        "window_days": days,
        "top_signatures": sig_entries,
        "top_kinds": kind_entries,
        "top_services": entries(services, ["key", "count", "level"]),
        "high_recurrence": zone("high"),
        "warn_recurrence": zone("warn"),
    }


def level_reason(count: int, level: str | None, *, days: int, warn: int, high: int) -> str:
    """Why an entry has its level, in words: ``"high: 12 in 7 days ≥ 10"``, ``"warn: 4 in 7 days ≥ 3"``, or
    ``"below warn (3)"`` when it has none."""
    if level == "high":
        return f"high: {count} in {days} days ≥ {high}"
    if level == "warn":
        return f"warn: {count} in {days} days ≥ {warn}"
    return f"below warn ({warn})"


UNTITLED = "(untitled)"


def signature_labels(
    incidents: pl.LazyFrame, *, now: datetime, days: int
) -> dict[str, tuple[str | None, str | None, str | None]]:
    """How people know each signature, from one incident: its newest incident in the window that has a title
    (ties at the same start: the smallest title), else its newest incident. Out: {signature: (title, service,
    kind)}; title None when no incident of it has one. A stored signature may span services or kinds: then the
    service reads "api +1" (one more) and the kind likewise. A derived signature hashes service|kind|title, so
    one title may be two signatures, told apart by service and kind. In: ``signature``, ``title``, ``service``,
    ``kind``, ``started_at``."""
    titled = pl.col("title").is_not_null() & (pl.col("title").str.strip_chars() != "")

    def more(column: str) -> pl.Expr:
        others = pl.col(column).filter(pl.col(column).is_not_null() & (pl.col(column) != "")).n_unique() - 1
        return (
            pl.when(others > 0)
            .then(pl.format("{} +{}", pl.col(column).first(), others))
            .otherwise(pl.col(column).first())
        )

    rows = (
        in_window(incidents, now=now, days=days)
        .filter(pl.col("signature").is_not_null() & (pl.col("signature") != ""))
        .with_columns((~titled).alias("_untitled"), pl.when(titled).then(pl.col("title")).alias("_title"))
        .sort(["signature", "_untitled", "started_at", "_title"], descending=[False, False, True, False])
        .group_by("signature", maintain_order=True)
        .agg(pl.col("_title").first().alias("title"), more("service").alias("service"), more("kind").alias("kind"))
        .collect()
    )
    return {
        sig: (title, service or None, kind or None)
        for sig, title, service, kind in rows.select("signature", "title", "service", "kind").iter_rows()
    }


def signature_titles(incidents: pl.LazyFrame, *, now: datetime, days: int) -> dict[str, str]:
    """The title people know each signature by (:func:`signature_labels`). Out: {signature: title}; a signature
    whose incidents carry no title is left out."""
    labels = signature_labels(incidents, now=now, days=days)
    return {sig: title for sig, (title, _, _) in labels.items() if title is not None}


def signature_names(signatures: pl.DataFrame) -> list[str]:
    """The name people read for each signature row: its title, plus "(service · kind)" when another row of the
    list has the same title (two signatures of one wording in different places).
    In: ``title``, ``service``, ``kind``. Out: one name per row, in row order."""
    titles = signatures["title"].to_list()
    repeated = {t for t in titles if titles.count(t) > 1}
    names = []
    for title, service, kind in signatures.select("title", "service", "kind").iter_rows():
        where = " · ".join(part for part in (service, kind) if part)
        names.append(f"{title} ({where})" if title in repeated and where else title)
    return names


def recurrence_tables(
    incidents: pl.LazyFrame, *, now: datetime, days: int, options: RecurrenceOptions
) -> dict[str, pl.DataFrame]:
    """The three recurrence lists of one window as tables people read: signatures by title, kinds, services,
    each with its level and why.

    Out: ``signatures`` (``title``, ``service``, ``kind``, ``prefix``, ``count``, ``level``, ``why``), ``kinds``
    (``kind``, ``count``,
    ``level``, ``why``), ``services`` (``service``, ``count``); plus ``advice``: each distinct recommendation once
    (``level``, ``recommendation``, ``applies_to`` — the titles and kinds it is for), high before warn.
    """
    result = recurrence(incidents, now=now, days=days, options=options)
    signatures = pl.DataFrame(
        [
            {
                "title": e["title"],
                "service": e["service"],
                "kind": e["kind"],
                "prefix": e["prefix"],
                "count": e["count"],
                "level": e["level"],
                "why": level_reason(
                    e["count"], e["level"], days=days, warn=options.signature_warn, high=options.signature_high
                ),
            }
            for e in result["top_signatures"]
        ],
        schema={
            "title": pl.Utf8,
            "service": pl.Utf8,
            "kind": pl.Utf8,
            "prefix": pl.Utf8,
            "count": pl.Int64,
            "level": pl.Utf8,
            "why": pl.Utf8,
        },
    )
    kinds = pl.DataFrame(
        [
            {
                "kind": e["key"],
                "count": e["count"],
                "level": e["level"],
                "why": level_reason(e["count"], e["level"], days=days, warn=options.kind_warn, high=options.kind_high),
            }
            for e in result["top_kinds"]
        ],
        schema={"kind": pl.Utf8, "count": pl.Int64, "level": pl.Utf8, "why": pl.Utf8},
    )
    services = pl.DataFrame(
        [{"service": e["key"], "count": e["count"]} for e in result["top_services"]],
        schema={"service": pl.Utf8, "count": pl.Int64},
    )
    titles = dict(zip([e["key"] for e in result["top_signatures"]], signature_names(signatures), strict=True))
    advice: dict[tuple[str, str], list[str]] = {}
    for entry in result["high_recurrence"] + result["warn_recurrence"]:
        if not entry["recommendation"]:
            continue
        name = (
            f"{titles.get(entry['key'], UNTITLED)} ×{entry['count']}"
            if entry["type"] == "signature"
            else f"kind {entry['key']} ×{entry['count']}"
        )
        advice.setdefault((entry["level"], entry["recommendation"]), []).append(name)
    advice_frame = pl.DataFrame(
        [{"level": level, "recommendation": text, "applies_to": names} for (level, text), names in advice.items()],
        schema={"level": pl.Utf8, "recommendation": pl.Utf8, "applies_to": pl.List(pl.Utf8)},
    )
    return {"signatures": signatures, "kinds": kinds, "services": services, "advice": advice_frame}


def no_signature_recurs(signatures: pl.DataFrame) -> bool:
    """True when the window has signatures but none comes back (every count is 1): titles that are all
    different, as in status-page prose, where only the service and the kind can recur.
    In: :func:`recurrence_tables` ``signatures`` (``count``)."""
    return signatures.height > 0 and signatures.filter(pl.col("count") > 1).height == 0
