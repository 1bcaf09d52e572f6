"""Last time: for a pair or an incident, the previous occurrence and how it ended.

**A pair.** Its misses (up to now) split into occurrences wherever the gap between two misses is at least the
policy's ``regression_gap_days`` or a fix (``fixed_at``) lies between them. The previous occurrence is the one before
the newest; how it ended: the scenario exported for the pair after it (coverage), the first run that passed it
(``fixed_at``, ``fixed_in``) and when the pair came back (the newest occurrence's first miss).

**An incident.** The previous incident with the same signature (else the same service and kind) that started
before it; how it ended: its status and end time, and its follow-up (owner, due date, status) when it had one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl


@dataclass(frozen=True)
class PairLastTime:
    """The previous occurrence of a pair and how it ended (None fields: not known / did not happen)."""

    first: datetime
    last: datetime
    misses: int
    exported_at: datetime | None
    passed_at: datetime | None
    passed_in: str | None
    back_at: datetime

    def text(self) -> str:
        """``Last time: 12 misses Oct 01 – Oct 16; scenario exported Oct 20; passed in the Oct 28 run (v1.4.0);
        back Nov 09.``"""
        parts = [
            f"Last time: {self.misses} miss{'es' if self.misses != 1 else ''} {self.first:%b %d} – {self.last:%b %d}"
        ]
        parts.append(f"scenario exported {self.exported_at:%b %d}" if self.exported_at else "no scenario exported")
        if self.passed_at:
            parts.append(
                f"passed in the {self.passed_at:%b %d} run" + (f" ({self.passed_in})" if self.passed_in else "")
            )
        parts.append(f"back {self.back_at:%b %d}")
        return "; ".join(parts) + "."


def pair_last_time(
    times: list[datetime],
    *,
    gap_days: int,
    covered_at: datetime | None = None,
    fixed_at: datetime | None = None,
    fixed_in: str | None = None,
) -> PairLastTime | None:
    """The previous occurrence of one pair from its miss times (any order; None when it has one occurrence)."""
    ordered = sorted(times)
    if not ordered:
        return None
    episodes: list[list[datetime]] = [[ordered[0]]]
    for before, after in itertools.pairwise(ordered):
        fix_between = fixed_at is not None and before <= fixed_at < after
        if after - before >= timedelta(days=gap_days) or fix_between:
            episodes.append([after])
        else:
            episodes[-1].append(after)
    if len(episodes) < 2:
        return None
    previous, current = episodes[-2], episodes[-1]
    end, back = previous[-1], current[0]

    def between(moment: datetime | None) -> datetime | None:
        return moment if moment is not None and end <= moment <= back else None

    passed = between(fixed_at)
    return PairLastTime(
        previous[0], end, len(previous), between(covered_at), passed, fixed_in if passed else None, back
    )


def pair_times(misses: pl.LazyFrame, alert: str, taxonomy: str, *, now: datetime) -> list[datetime]:
    """The miss times of one pair up to ``now``. In: ``timestamp``, ``group_alert``, ``group_taxonomy``."""
    ts = pl.col("timestamp")
    return (
        misses.filter(
            (pl.col("group_alert") == alert) & (pl.col("group_taxonomy") == taxonomy) & ts.is_not_null() & (ts <= now)
        )
        .select(ts)
        .collect()
        .to_series()
        .to_list()
    )


def incident_last_time(
    incidents: pl.LazyFrame, incident_id: str, followups: pl.DataFrame | None = None
) -> dict[str, Any] | None:
    """The previous incident like ``incident_id`` (same signature, else same service and kind) and how it ended.

    In: incidents (``id``, ``started_at``, ``ended_at``, ``status``, ``title``, ``signature``, ``service``, ``kind``);
    follow-ups (:func:`analytics.owners.board` rows of kind followup) or None. Out: ``{"id", "title",
    "started_at", "ended_at", "status", "matched_by", "followup": {"title", "owner", "due_date", "status"} | None}``
    or None (no earlier one, or the id is unknown).
    """
    me = incidents.filter(pl.col("id") == incident_id).select("started_at", "signature", "service", "kind").collect()
    if me.height == 0 or me["started_at"][0] is None:
        return None
    started, signature, service, kind = me.row(0)
    earlier = incidents.filter((pl.col("started_at") < started) & (pl.col("id") != incident_id))
    for matched_by, condition in (
        ("signature", pl.col("signature") == signature),
        ("service and kind", (pl.col("service") == service) & (pl.col("kind") == kind)),
    ):
        found = earlier.filter(condition).sort("started_at", "id").tail(1).collect()
        if found.height:
            row = found.row(0, named=True)
            followup = None
            if followups is not None and followups.height:
                mine = followups.filter(pl.col("incident_id") == row["id"])
                if mine.height:
                    f = mine.row(0, named=True)
                    followup = {k: f[k] for k in ("title", "owner", "due_date", "status")}
            return {
                "id": row["id"],
                "title": row["title"],
                "started_at": row["started_at"],
                "ended_at": row["ended_at"],
                "status": row["status"],
                "matched_by": matched_by,
                "followup": followup,
            }
    return None


def incident_last_time_text(last: dict[str, Any] | None) -> str:
    """One sentence for the incident drill-down."""
    if last is None:
        return "Last time: no earlier incident with this signature or service and kind."
    ended = f"ended {last['ended_at']:%b %d %H:%M}" if last["ended_at"] else "no end time"
    head = (
        f"Last time ({last['matched_by']}): {last['id']} on {last['started_at']:%b %d}, "
        f"{last['status'] or 'status unknown'}, {ended}"
    )
    follow = last["followup"]
    if follow is None:
        return head + "; no follow-up."
    owner = follow["owner"] or "no owner"
    due = f", due {follow['due_date']}" if follow["due_date"] else ""
    return head + f"; follow-up “{follow['title'] or 'untitled'}” ({owner}{due}, {follow['status']})."
