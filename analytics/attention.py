""" "Needs attention": what the Overview lists first — at most five items ranked by urgency.

A pure function of results the pages already compute; each item is one line: what, how bad (a number and
what it is compared with) and where to look (a page's URL path and the query parameters of its filter).

Urgency, most urgent first (RANKS): overdue follow-ups and pairs (past their due date, most days first), open P0
incidents, critical providers (24h state), open P1 incidents,
high-recurrence buckets, (alert, taxonomy) pairs that regressed or are escalating, an overconfident band.
Within a kind: incidents oldest first, providers by 24h count, buckets by 7-day then 30-day count, pairs by
misses in the last 7 days, bands in band order. Selection: the first item of every kind that has one
(most urgent kinds first), then the next items by urgency, until ``limit``; the result is sorted by urgency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

RANKS: tuple[str, ...] = ("overdue", "p0", "provider", "p1", "bucket", "pair", "band")
DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class AttentionItem:
    """One line of "Needs attention": ``what`` and ``how_bad`` are plain text (escape before Markdown)."""

    kind: str
    what: str
    how_bad: str
    page: str  # a page's url_path in the registry
    params: dict[str, str] = field(default_factory=dict)
    link_label: str = ""


def _age(now: datetime, start: datetime | None) -> str:
    if start is None:
        return "start unknown"
    hours = max((now - start).total_seconds(), 0) / 3600
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"


def _incident_items(open_incidents: pl.DataFrame, level: str, total_open: int, now: datetime) -> list[AttentionItem]:
    rows = open_incidents.filter(pl.col("severity") == level).sort(["started_at", "id"], nulls_last=True)
    if rows.height == 0:
        return []
    kind = level.lower()
    if rows.height == 1:
        r = rows.row(0, named=True)
        # The title leads (people read titles, not ids); the id stays, last, for a search in the incident tool.
        what = (
            f"Open {level}: {r['title']} ({r['service']} · {r['id']})"
            if r.get("title")
            else f"Open {level} incident {r['id']} ({r['service']})"
        )
        return [
            AttentionItem(
                kind,
                what,
                f"open for {_age(now, r['started_at'])} · 1 of {total_open} open incidents",
                "incidents",
                {"status": "unresolved", "incident": str(r["id"])},
                "Incident",
            )
        ]
    services = sorted({s for s in rows["service"].to_list() if s})
    oldest = rows.row(0, named=True)
    return [
        AttentionItem(
            kind,
            f"{rows.height} open {level} incidents ({', '.join(services[:3])}{' …' if len(services) > 3 else ''})",
            f"{rows.height} of {total_open} open incidents; the oldest, {oldest['title'] or oldest['id']}, open for "
            f"{_age(now, oldest['started_at'])}",
            "incidents",
            {"status": "unresolved", "incident": str(oldest["id"])},
            "Incidents",
        )
    ]


def _provider_items(providers: pl.DataFrame) -> list[AttentionItem]:
    items = []
    for r in (
        providers.filter(pl.col("severity") == "critical")
        .sort(["c24", "provider"], descending=[True, False])
        .iter_rows(named=True)
    ):
        per_day = r["c7"] / 7
        items.append(
            AttentionItem(
                "provider",
                f"{r['provider']} is critical" + (" (spike)" if r.get("spike") else ""),
                f"{r['c24']:,} errors in the last 24 h vs {per_day:,.1f} a day over the last 7 days",
                "severity",
                {},
                "Severity",
            )
        )
    return items


def _bucket_items(buckets: pl.DataFrame, kind_high: int, signature_high: int) -> list[AttentionItem]:
    high = buckets.filter(pl.col("high")).sort(["count_7d", "count_30d", "bucket_key"], descending=[True, True, False])
    items = []
    for r in high.iter_rows(named=True):
        if max(r["count_7d"], r["count_30d"]) >= kind_high:
            why = f"high from {kind_high} per window"
        else:
            repeats = max(r.get("max_signature_7d") or 0, r.get("max_signature_30d") or 0)
            why = f"one signature {repeats} times; high from {signature_high}"
        items.append(
            AttentionItem(
                "bucket",
                f"High recurrence: {r['bucket_key']}",
                f"{r['count_7d']} incidents in 7 days, {r['count_30d']} in 30 days ({why})",
                "recurrence",
                {},
                "Recurrence",
            )
        )
    return items


def _pair_items(pairs: pl.DataFrame) -> list[AttentionItem]:
    hot = pairs.filter(pl.col("state").is_in(["regressed", "escalating"])).sort(
        ["recent", "count", "group_alert", "group_taxonomy"], descending=[True, True, False, False]
    )
    items = []
    for r in hot.iter_rows(named=True):
        how = (
            "back after a quiet spell or its scenario" if r["state"] == "regressed" else "at least twice its usual week"
        )
        items.append(
            AttentionItem(
                "pair",
                f"{r['state'].capitalize()}: {r['group_alert']} · {r['group_taxonomy']}",
                f"{r['recent']} misses in the last 7 days vs {r['count']} all time; {how}",
                "misses",
                {"alert": str(r["group_alert"]), "taxonomy": str(r["group_taxonomy"])},
                "Misses",
            )
        )
    return items


def _band_items(calibration: pl.DataFrame) -> list[AttentionItem]:
    return [
        AttentionItem(
            "band",
            f"Overconfident band: {r['band']}",
            f"{r['accuracy']:.0%} accurate (95% CI up to {r['ci_high']:.0%}) vs its nominal ≥ {r['nominal_low']:.0%}, "
            f"n={r['n']:,} rated",
            "confidence",
            {},
            "Confidence",
        )
        for r in calibration.filter(pl.col("overconfident")).iter_rows(named=True)
    ]


def _overdue_items(board: pl.DataFrame) -> list[AttentionItem]:
    items = []
    for r in board.filter(pl.col("overdue")).iter_rows(named=True):
        owner = r["owner"] or "no owner"
        who = owner + (f" ({r['team']})" if r.get("team") else "")
        if r["kind"] == "pair":
            alert, _, taxonomy = str(r["target"]).rpartition("::")
            what, page, params, label = (
                f"Overdue: fix {alert} · {taxonomy}",
                "misses",
                {"alert": alert, "taxonomy": taxonomy},
                "Misses",
            )
        else:
            what, page, label = f"Overdue follow-up: {r['title'] or r['target']}", "incidents", "Incident"
            params = {"incident": str(r["incident_id"])} if r.get("incident_id") else {}
        days = r["days_overdue"]
        items.append(
            AttentionItem(
                "overdue",
                what,
                f"{who}, due {r['due_date']} — {days} day{'s' if days != 1 else ''} overdue",
                page,
                params,
                label,
            )
        )
    return items


def needs_attention(
    *,
    now: datetime,
    overdue: pl.DataFrame | None = None,
    open_incidents: pl.DataFrame | None = None,
    providers: pl.DataFrame | None = None,
    buckets: pl.DataFrame | None = None,
    kind_high: int = 10,
    signature_high: int = 6,
    pairs: pl.DataFrame | None = None,
    calibration: pl.DataFrame | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AttentionItem]:
    """At most ``limit`` items ranked by urgency; an input that is None (not loaded) contributes nothing.

    In: ``overdue`` (:func:`analytics.owners.board` rows; the overdue ones are listed, in board order);
    ``open_incidents`` (``id``, ``title``, ``service``, ``severity``, ``started_at``: the open incidents under
    the filters); ``providers`` (:func:`analytics.severity.severity_frame`); ``buckets``
    (:func:`analytics.buckets.shown_buckets`, judged with the kind and signature ``high`` thresholds); ``pairs``
    (:func:`analytics.learning.pair_lifecycle`); ``calibration`` (:func:`analytics.confidence.calibration`).
    Out: the items, most urgent first.
    """
    by_kind: dict[str, list[AttentionItem]] = {k: [] for k in RANKS}
    if overdue is not None:
        by_kind["overdue"] = _overdue_items(overdue)
    if open_incidents is not None:
        total_open = open_incidents.height
        by_kind["p0"] = _incident_items(open_incidents, "P0", total_open, now)
        by_kind["p1"] = _incident_items(open_incidents, "P1", total_open, now)
    if providers is not None:
        by_kind["provider"] = _provider_items(providers)
    if buckets is not None:
        by_kind["bucket"] = _bucket_items(buckets, kind_high, signature_high)
    if pairs is not None:
        by_kind["pair"] = _pair_items(pairs)
    if calibration is not None:
        by_kind["band"] = _band_items(calibration)
    chosen: list[tuple[int, int]] = []  # (rank, position within kind)
    for rank, kind in enumerate(RANKS):
        if by_kind[kind] and len(chosen) < limit:
            chosen.append((rank, 0))
    for rank, kind in enumerate(RANKS):
        for position in range(1, len(by_kind[kind])):
            if len(chosen) >= limit:
                break
            chosen.append((rank, position))
    return [by_kind[RANKS[rank]][position] for rank, position in sorted(chosen)]
