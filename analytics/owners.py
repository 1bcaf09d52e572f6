"""Owners, due dates and whether a done follow-up stopped the recurrence (DEFINITIONS §4 "Owners").

Everything comes from the incident timeline (``events.jsonl`` / ``incident_events``), which is only ever appended:

- ``followup`` events open a follow-up (its ``event_id`` is the follow-up id; ``meta``: ``owner``, ``team``,
  ``due_date``, ``bucket_key``, ``title``).
- ``assignment`` events (``meta``: ``owner``, ``team``, ``due_date`` and ``followup_id`` or ``pair`` =
  ``"<alert_name>::<taxonomy>"``) set the owner, team and due date; the newest one per target wins (ties: the later
  line), and a key it leaves out keeps the earlier value.
- ``status_change`` events with ``meta.status`` ``open`` / ``done`` and a ``followup_id`` or ``pair`` set the
  status; the newest wins. Status changes without a target are incident timeline entries and are ignored here.

A follow-up is **overdue** when it is open and its due date is before today (``now``'s UTC date). A done follow-up
**held** when its bucket has no new incident (started in (done, done + ``held_days``]) once ``held_days`` have passed
since it was done; ``recurred`` when one came; ``too early`` before that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from analytics.timeparse import UTC_DATETIME, format_utc

ASSIGNMENT = "assignment"
STATUS_CHANGE = "status_change"
FOLLOWUP = "followup"
STATUSES = ("open", "done")
PAIR_SEPARATOR = "::"
HELD_DAYS = 14
BOARD_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.Utf8(),  # "followup" or "pair"
    "target": pl.Utf8(),  # follow-up id or "alert::taxonomy"
    "title": pl.Utf8(),
    "incident_id": pl.Utf8(),
    "bucket_key": pl.Utf8(),
    "opened_at": UTC_DATETIME,
    "owner": pl.Utf8(),
    "team": pl.Utf8(),
    "due_date": pl.Date(),
    "status": pl.Utf8(),
    "done_at": UTC_DATETIME,
    "overdue": pl.Boolean(),
    "days_overdue": pl.Int64(),
}


class AssignmentError(ValueError):
    """An ``assign`` request that cannot be written (bad pair text, bad date, unknown follow-up)."""


def parse_pair(text: str) -> tuple[str, str]:
    """``"ALERT::TAXONOMY"`` -> (alert, taxonomy); both parts must be non-empty."""
    alert, sep, taxonomy = text.rpartition(PAIR_SEPARATOR)
    if not sep or not alert.strip() or not taxonomy.strip():
        raise AssignmentError(f"--pair {text!r}: expected ALERT::TAXONOMY, e.g. CheckoutHighErrorRate::retrieval_gap")
    return alert, taxonomy


def parse_due(text: str | None) -> str | None:
    """A due date as ``YYYY-MM-DD`` (ISO date), None when not given."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise AssignmentError(f"--due {text!r}: expected a date as YYYY-MM-DD") from None


def _event_id(*parts: str) -> str:
    return "evt_" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def assignment_event(
    *,
    now: datetime,
    owner: str,
    team: str | None = None,
    due_date: str | None = None,
    followup_id: str | None = None,
    pair: str | None = None,
    incident_id: str | None = None,
) -> dict[str, Any]:
    """An ``assignment`` event (id derived from its content, so writing it twice is a no-op)."""
    if (followup_id is None) == (pair is None):
        raise AssignmentError("assign exactly one of a follow-up or a pair")
    target = followup_id or str(pair)
    meta: dict[str, Any] = {"owner": owner, "team": team, "due_date": parse_due(due_date), "source": "triage-lens"}
    meta["followup_id" if followup_id else "pair"] = target
    when = format_utc(now)
    due = f", due {meta['due_date']}" if meta["due_date"] else ""
    return {
        "event_id": _event_id("assignment", target, owner, team or "", meta["due_date"] or "", when),
        "incident_id": "" if pair is not None else (incident_id or ""),
        "ts": when,
        "type": ASSIGNMENT,
        "message": f"Assigned to {owner}" + (f" ({team})" if team else "") + due,
        "meta": meta,
    }


def status_event(
    *, now: datetime, status: str, followup_id: str | None = None, pair: str | None = None, incident_id: str = ""
) -> dict[str, Any]:
    """A ``status_change`` event for a follow-up or a pair (``status`` open or done)."""
    if status not in STATUSES:
        raise AssignmentError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    if (followup_id is None) == (pair is None):
        raise AssignmentError("change the status of exactly one of a follow-up or a pair")
    target = followup_id or str(pair)
    when = format_utc(now)
    meta = {"status": status, "source": "triage-lens", ("followup_id" if followup_id else "pair"): target}
    return {
        "event_id": _event_id("status", target, status, when),
        "incident_id": "" if pair is not None else incident_id,
        "ts": when,
        "type": STATUS_CHANGE,
        "message": f"Marked {status}",
        "meta": meta,
    }


def _meta(field: str) -> pl.Expr:
    return pl.col("meta").cast(pl.Utf8).str.json_path_match(f"$.{field}")


def _targeted(events: pl.LazyFrame, kind: str) -> pl.LazyFrame:
    """Events of ``kind`` with a follow-up or pair target: + ``target``, ``target_kind``, ``_order``."""
    followup, pair = _meta("followup_id"), _meta("pair")
    return (
        events.with_row_index("_order")
        .filter((pl.col("type") == kind) & (followup.is_not_null() | pair.is_not_null()))
        .with_columns(
            pl.coalesce(followup, pair).alias("target"),
            pl.when(followup.is_not_null()).then(pl.lit("followup")).otherwise(pl.lit("pair")).alias("target_kind"),
        )
        .sort("ts", "_order", nulls_last=False)
    )


def latest_assignments(events: pl.LazyFrame) -> pl.DataFrame:
    """Per target: the owner, team and due date after every assignment in order (a key left out keeps its value).

    In: events (``ts``, ``type``, ``meta``). Out: ``target_kind``, ``target``, ``owner``, ``team``, ``due_date``
    (Date), ``assigned_at``.
    """
    rows = _targeted(events, ASSIGNMENT).with_columns(
        _meta("owner").alias("owner"), _meta("team").alias("team"), _meta("due_date").alias("due_text")
    )
    return (
        rows.group_by("target_kind", "target")
        .agg(
            pl.col("owner").drop_nulls().last(),
            pl.col("team").drop_nulls().last(),
            pl.col("due_text").drop_nulls().last().str.to_date("%Y-%m-%d", strict=False).alias("due_date"),
            pl.col("ts").last().alias("assigned_at"),
        )
        .sort("target")
        .collect()
    )


def latest_status(events: pl.LazyFrame) -> pl.DataFrame:
    """Per target: its newest ``status_change`` (``status``, ``status_at``; ``done_at`` when that one is done)."""
    rows = _targeted(events, STATUS_CHANGE).with_columns(_meta("status").alias("status"))
    return (
        rows.filter(pl.col("status").is_in(list(STATUSES)))
        .group_by("target_kind", "target")
        .agg(pl.col("status").last(), pl.col("ts").last().alias("status_at"))
        .with_columns(pl.when(pl.col("status") == "done").then(pl.col("status_at")).alias("done_at"))
        .collect()
    )


def board(events: pl.LazyFrame, *, now: datetime) -> pl.DataFrame:
    """Every follow-up and every assigned pair with its owner, team, due date, status and whether it is overdue.

    In: events (``event_id``, ``incident_id``, ``ts``, ``type``, ``message``, ``meta``). Out: :data:`BOARD_SCHEMA`,
    overdue first (most days overdue first), then due date, then target.
    """
    opened = (
        events.filter(pl.col("type") == FOLLOWUP)
        .select(
            pl.lit("followup").alias("target_kind"),
            pl.col("event_id").alias("target"),
            pl.coalesce(_meta("title"), pl.col("message")).alias("title"),
            pl.col("incident_id"),
            _meta("bucket_key").alias("bucket_key"),
            pl.col("ts").alias("opened_at"),
            _meta("owner").alias("meta_owner"),
            _meta("team").alias("meta_team"),
            _meta("due_date").str.to_date("%Y-%m-%d", strict=False).alias("meta_due"),
        )
        .unique("target", keep="first", maintain_order=True)
        .collect()
    )
    assigned = latest_assignments(events)
    pairs = assigned.filter(pl.col("target_kind") == "pair").select(
        "target_kind",
        "target",
        pl.col("target").alias("title"),
        pl.lit(None, pl.Utf8).alias("incident_id"),
        pl.lit(None, pl.Utf8).alias("bucket_key"),
        pl.col("assigned_at").alias("opened_at"),
        pl.lit(None, pl.Utf8).alias("meta_owner"),
        pl.lit(None, pl.Utf8).alias("meta_team"),
        pl.lit(None, pl.Date).alias("meta_due"),
    )
    items = pl.concat([opened, pairs.cast(opened.schema)])
    today = now.date()
    status = latest_status(events)
    joined = (
        items.join(assigned.drop("assigned_at"), on=["target_kind", "target"], how="left")
        .join(status.drop("status_at"), on=["target_kind", "target"], how="left")
        .with_columns(
            pl.coalesce("owner", "meta_owner").alias("owner"),
            pl.coalesce("team", "meta_team").alias("team"),
            pl.coalesce("due_date", "meta_due").alias("due_date"),
            pl.col("status").fill_null("open"),
        )
    )
    overdue = (pl.col("status") == "open") & pl.col("due_date").is_not_null() & (pl.col("due_date") < today)
    return (
        joined.with_columns(
            overdue.alias("overdue"),
            pl.when(overdue).then((pl.lit(today) - pl.col("due_date")).dt.total_days()).alias("days_overdue"),
        )
        .rename({"target_kind": "kind"})
        .sort(["overdue", "days_overdue", "due_date", "target"], descending=[True, True, False, False], nulls_last=True)
        .select(list(BOARD_SCHEMA))
        .cast(BOARD_SCHEMA)  # type: ignore[arg-type]
    )


def mine(frame: pl.DataFrame, *, me: str | None, team: str | None) -> pl.DataFrame:
    """The rows owned by ``me`` or by ``team`` (both None: every row). In: ``owner``, ``team``."""
    if not me and not team:
        return frame
    keep = pl.lit(False)
    if me:
        keep = keep | (pl.col("owner").str.to_lowercase() == me.lower()).fill_null(False)
    if team:
        keep = keep | (pl.col("team").str.to_lowercase() == team.lower()).fill_null(False)
    return frame.filter(keep)


def followup_outcomes(
    followups: pl.DataFrame, incidents_with_bucket: pl.LazyFrame, *, now: datetime, held_days: int = HELD_DAYS
) -> pl.DataFrame:
    """Each follow-up with ``outcome``: ``open``, ``held``, ``recurred`` or ``too early`` (the module's rule).

    In: :func:`board` rows of kind followup (``target``, ``bucket_key``, ``status``, ``done_at``), incidents with
    ``bucket_key`` and ``started_at``. Out: the rows plus ``next_incident_at`` and ``outcome``.
    """
    later = (
        followups.lazy()
        .select("target", "bucket_key", "done_at")
        .filter(pl.col("done_at").is_not_null())
        .join(incidents_with_bucket.select("bucket_key", "started_at"), on="bucket_key", how="inner")
        .filter(
            (pl.col("started_at") > pl.col("done_at"))
            & (pl.col("started_at") <= pl.col("done_at") + pl.duration(days=held_days))
            & (pl.col("started_at") <= now)
        )
        .group_by("target")
        .agg(pl.col("started_at").min().alias("next_incident_at"))
        .collect()
    )
    outcome = (
        pl.when(pl.col("status") != "done")
        .then(pl.lit("open"))
        .when(pl.col("next_incident_at").is_not_null())
        .then(pl.lit("recurred"))
        .when(pl.col("done_at") + timedelta(days=held_days) <= now)
        .then(pl.lit("held"))
        .otherwise(pl.lit("too early"))
    )
    return followups.join(later, on="target", how="left", maintain_order="left").with_columns(outcome.alias("outcome"))


@dataclass(frozen=True)
class FollowupFunnel:
    """opened → done → held (held: no new incident in the bucket for ``held_days`` after done)."""

    opened: int
    done: int
    held: int
    recurred: int
    too_early: int
    overdue: int
    held_days: int

    def stages(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "stage": ["opened", "done", f"held ({self.held_days} days, no new incident)"],
                "pairs": [self.opened, self.done, self.held],
            },
            schema={"stage": pl.Utf8, "pairs": pl.Int64},
        )

    def to_json(self) -> dict[str, int]:
        return {
            "opened": self.opened,
            "done": self.done,
            "held": self.held,
            "recurred": self.recurred,
            "too_early": self.too_early,
            "overdue": self.overdue,
            "held_days": self.held_days,
        }


def followup_funnel(outcomes: pl.DataFrame, *, held_days: int = HELD_DAYS) -> FollowupFunnel:
    """Counts over :func:`followup_outcomes` rows."""
    count = outcomes["outcome"].value_counts() if outcomes.height else None
    by = {} if count is None else dict(count.iter_rows())
    return FollowupFunnel(
        opened=outcomes.height,
        done=int((outcomes["status"] == "done").sum()) if outcomes.height else 0,
        held=int(by.get("held", 0)),
        recurred=int(by.get("recurred", 0)),
        too_early=int(by.get("too early", 0)),
        overdue=int(outcomes["overdue"].sum()) if outcomes.height else 0,
        held_days=held_days,
    )
