"""Weekly incident digest and auto follow-ups (RULES.md §7), and the recurrence release gate (§8).

The digest for ISO week W is computed as of the end of W (Monday 00:00 UTC after it), so a later run for
the same W gives identical bytes. Every user-supplied text in the Markdown is escaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analytics.buckets import BucketOptions, bucket_frame, bucket_json, bucket_key_expr, shown_buckets
from analytics.learning import week_label, week_start
from analytics.markdown import escape_markdown
from analytics.policy import Policy
from analytics.recurrence import RecurrenceOptions, in_window, level_expr, recurrence
from analytics.statuses import INCIDENT_STATUSES, is_open
from analytics.timeparse import format_utc

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
SEVERITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3, "INFO": 4}


class WeekError(ValueError):
    """A ``--week`` that is not ``YYYY-Www``."""


def parse_week(label: str) -> datetime:
    """Monday 00:00 UTC of ISO week ``YYYY-Www``."""
    match = _WEEK_RE.match(label.strip())
    if not match:
        raise WeekError(f"--week: expected YYYY-Www (e.g. 2026-W08), got {label!r}")
    try:
        day = datetime.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise WeekError(f"--week: {label!r} is not an ISO week ({exc})") from exc
    return day.replace(tzinfo=UTC)


def default_week(now: datetime) -> datetime:
    """The last complete ISO week before now (its Monday)."""
    return week_start(now) - timedelta(weeks=1)


@dataclass(frozen=True)
class Digest:
    week: str
    summary: dict[str, Any]
    markdown: str


def build_digest(incidents: pl.LazyFrame, *, week_monday: datetime, policy: Policy) -> Digest:
    """The digest of the week starting ``week_monday``, as of its end."""
    label = week_label(week_monday)
    as_of = week_monday + timedelta(weeks=1)
    rec_options = RecurrenceOptions.from_policy(policy.recurrence)
    bucket_options = BucketOptions.from_policy(policy)
    started = incidents.filter(pl.col("started_at").is_not_null() & (pl.col("started_at") <= as_of))
    open_statuses = list(policy.incidents.open_statuses)
    open_count = started.filter(is_open(open_statuses)).select(pl.len()).collect().item()
    recent = in_window(incidents, now=as_of, days=7)
    mix_rows = recent.group_by("severity").len().collect()
    severity_mix = dict.fromkeys(("P0", "P1", "P2", "P3", "INFO"), 0)
    for level, n in mix_rows.iter_rows():
        if level in severity_mix:
            severity_mix[level] = int(n)
    recurrences = [
        recurrence(incidents, now=as_of, days=d, options=rec_options) for d in policy.recurrence.windows_days
    ]
    buckets = shown_buckets(bucket_frame(incidents, now=as_of, options=bucket_options), bucket_options)
    bucket_rows = [bucket_json(r) | {"high": r["high"]} for r in buckets.iter_rows(named=True)]
    recommendations: list[str] = []
    for rec in recurrences:
        for entry in rec["high_recurrence"] + rec["warn_recurrence"]:
            if entry["recommendation"] and entry["recommendation"] not in recommendations:
                recommendations.append(entry["recommendation"])
    for bucket in bucket_rows:
        for advice in bucket["recommendations"]:
            if advice not in recommendations:
                recommendations.append(advice)
    listed_statuses = [
        s
        for s in INCIDENT_STATUSES
        if (policy.digest.include_open or s not in open_statuses)
        and (policy.digest.include_closed or s in open_statuses)
    ]
    week_incidents = (
        incidents.filter(
            pl.col("started_at").is_not_null()
            & (pl.col("started_at") >= week_monday)
            & (pl.col("started_at") < as_of)
            & pl.col("status").is_in(listed_statuses)
        )
        .sort(["started_at", "id"], descending=[True, False])
        .head(policy.digest.top_incidents)
        .select("id", "title", "service", "kind", "severity", "status", pl.col("started_at_text").alias("started_at"))
        .collect()
        .to_dicts()
    )
    summary = {
        "week": label,
        "as_of": format_utc(as_of),
        "open_incidents_count": int(open_count),
        "recent_7d_count": int(recent.select(pl.len()).collect().item()),
        "severity_mix": severity_mix,
        "recurrence": recurrences,
        "buckets": bucket_rows,
        "recommendations": recommendations,
        "incidents": week_incidents,
    }
    return Digest(label, summary, render_markdown(summary, max_chars=policy.digest.markdown_max_chars))


def render_markdown(summary: dict[str, Any], *, max_chars: int) -> str:
    """The digest as Markdown, every user-supplied text escaped, cut to ``max_chars`` with a visible note."""
    e = escape_markdown
    lines = [
        f"# Weekly Incident Digest — {summary['week']}",
        "",
        f"As of {summary['as_of']}: **{summary['recent_7d_count']}** incidents in the last 7 days, "
        f"**{summary['open_incidents_count']}** open.",
        "",
        "## Severity mix (last 7 days)",
        "",
        "| " + " | ".join(summary["severity_mix"]) + " |",
        "|" + "---|" * len(summary["severity_mix"]),
        "| " + " | ".join(str(v) for v in summary["severity_mix"].values()) + " |",
        "",
    ]
    for rec in summary["recurrence"]:
        zone = rec["high_recurrence"] + rec["warn_recurrence"]
        lines += [f"## Recurrence, last {rec['window_days']} days", ""]
        if not zone:
            lines.append("Nothing recurring above the warn thresholds.")
        for entry in zone:
            name = f"signature `{entry['prefix']}`" if entry["type"] == "signature" else f"kind {e(entry['key'])}"
            lines.append(f"- **{entry['level']}** — {name}: {entry['count']} incidents. {e(entry['recommendation'])}")
        lines.append("")
    lines += ["## Root-cause buckets", ""]
    if summary["buckets"]:
        lines += ["| bucket | 7d | 30d | open | high | last seen |", "|---|---|---|---|---|---|"]
        for b in summary["buckets"]:
            lines.append(
                f"| {e(b['bucket_key'])} | {b['counts']['7d']} | {b['counts']['30d']} | {b['counts']['open']} | "
                f"{'yes' if b['high'] else ''} | {b['last_seen'] or ''} |"
            )
    else:
        lines.append("No bucket above the thresholds.")
    lines += ["", "## Recommendations", ""]
    lines += [f"- {e(r)}" for r in summary["recommendations"]] or ["- None this week."]
    lines += ["", "## Incidents this week", ""]
    lines += [
        f"- **{e(i['severity'] or '?')}** {e(i['title'] or i['id'])} — {e(i['service'])}, {e(i['status'] or '?')}, "
        f"{e(i['started_at'])} (`{e(i['id'])}`)"
        for i in summary["incidents"]
    ] or ["- None."]
    text = "\n".join(lines) + "\n"
    if len(text) <= max_chars:
        return text
    note = f"\n\n_… digest truncated to {max_chars} characters; the JSON summary has everything._\n"
    cut = text[: max(0, max_chars - len(note))]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return cut + note


def write_artifacts(digest: Digest, out_dir: Path) -> list[Path]:
    """``<out>/weekly/<week>.md`` and ``.json``; returns their paths."""
    folder = out_dir / "weekly"
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / f"{digest.week}.md"
    js = folder / f"{digest.week}.json"
    md.write_text(digest.markdown, encoding="utf-8")
    js.write_text(json.dumps(digest.summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [md, js]


# --- follow-ups --------------------------------------------------------------------------------------------


def plan_followups(
    incidents: pl.LazyFrame, digest: Digest, *, policy: Policy, existing_keys: set[str], now: datetime, write: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One follow-up per (high) bucket on its most recent open incident, deduplicated per week.

    Returns (results per bucket: ``bucket_key``, ``incident_id``, ``created``, ``reason``, ``event``;
    the events to append — empty unless ``write``)."""
    settings = policy.autofollowups
    if not settings.enabled:
        return [], []
    bucket_options = BucketOptions.from_policy(policy)
    week_monday = datetime.fromisoformat(digest.summary["as_of"]) - timedelta(weeks=1)
    due = (week_monday + timedelta(weeks=1) + timedelta(days=settings.due_days)).date().isoformat()
    open_statuses = list(policy.incidents.open_statuses)
    open_incidents = (
        incidents.filter(is_open(open_statuses) & pl.col("started_at").is_not_null())
        .with_columns(bucket_key_expr(bucket_options).alias("bucket_key"))
        .sort(["started_at", "id"], descending=[True, False])
        .group_by("bucket_key", maintain_order=True)
        .first()
        .select("bucket_key", "id")
        .collect()
    )
    latest_open = dict(open_incidents.iter_rows())
    results, events = [], []
    for bucket in digest.summary["buckets"]:
        if settings.only_when_high and not bucket["high"]:
            continue
        key = bucket["bucket_key"]
        dedupe = f"{settings.dedupe_key_prefix}:{digest.week}:{key}"
        incident_id = latest_open.get(key)
        kinds = ",".join(bucket["kinds"])
        event = {
            "event_id": "evt_" + hashlib.sha256(dedupe.encode()).hexdigest()[:16],
            "incident_id": incident_id,
            "ts": format_utc(now),
            "type": "followup",
            "message": f"[intel] Recurrence high: {key} "
            f"(7d={bucket['counts']['7d']}, 30d={bucket['counts']['30d']}, kinds={kinds})",
            "meta": {
                "title": f"Recurrence high: {key}",
                "owner": settings.owner,
                "priority": settings.priority,
                "due_date": due,
                "dedupe_key": dedupe,
                "auto_created": True,
                "bucket_key": key,
                "count_7d": bucket["counts"]["7d"],
            },
        }
        if dedupe in existing_keys:
            reason: str | None = "already_exists"
        elif incident_id is None:
            reason = "no_open_incident"
        elif not write:
            reason = "read_only"
        else:
            reason = None
            events.append(event)
            existing_keys = existing_keys | {dedupe}
        results.append(
            {"bucket_key": key, "incident_id": incident_id, "created": reason is None, "reason": reason, "event": event}
        )
    return results, events


# --- release gate ------------------------------------------------------------------------------------------


class GateUsageError(ValueError):
    """An unknown profile or mode (exit 2)."""


def gate_result(
    service: str, profile: str, mode: str | None, *, skipped: bool = False, messages: list[str] | None = None
) -> dict[str, Any]:
    """The gate object of RULES §8 before evaluation: passing, nothing found (the shape every outcome shares)."""
    return {
        "service": service,
        "profile": profile,
        "mode": mode,
        "pass": True,
        "skipped": skipped,
        "has_high_recurrence": False,
        "has_warn_recurrence": False,
        "max_severity_seen": None,
        "total_incidents": 0,
        "high_signatures": [],
        "high_kinds": [],
        "messages": list(messages or []),
    }


def recurrence_watch(
    incidents: pl.LazyFrame,
    *,
    service: str,
    now: datetime,
    policy: Policy,
    profile: str | None = None,
    mode: str | None = None,
) -> dict[str, Any]:
    """The ``recurrence_watch`` gate object of RULES §8 for one service."""
    watch = policy.release_gate.recurrence_watch
    profile = profile or watch.default_profile
    if profile not in watch.profiles:
        raise GateUsageError(f"--profile: expected one of {', '.join(watch.profiles)}, got {profile!r}")
    if mode is not None and mode not in ("off", "warn", "strict"):
        raise GateUsageError(f"--mode: expected off, warn or strict, got {mode!r}")
    chosen = mode or watch.profiles[profile]
    result = gate_result(service, profile, chosen)
    if chosen == "off":
        result["skipped"] = True
        result["messages"].append("recurrence_watch is off for this profile: not evaluated")
        return result
    t = policy.recurrence.thresholds
    own = incidents.filter(pl.col("service") == service)
    high_signatures: list[str] = []
    high_kinds: list[str] = []
    for days in watch.windows_days:
        window = in_window(own, now=now, days=days)
        for column, warn, high, bucket in (
            ("signature", t.signature.warn, t.signature.high, high_signatures),
            ("kind", t.kind.warn, t.kind.high, high_kinds),
        ):
            counts = (
                window.filter(pl.col(column).fill_null("") != "")
                .group_by(pl.col(column).alias("key"))
                .agg(pl.len().alias("count"))
                .with_columns(level_expr(pl.col("count"), warn, high).alias("level"))
                .sort(["count", "key"], descending=[True, False])
                .collect()
            )
            if counts.filter(pl.col("level") == "high").height:
                result["has_high_recurrence"] = True
            if counts.filter(pl.col("level") == "warn").height:
                result["has_warn_recurrence"] = True
            for key in counts.filter(pl.col("level") == "high")["key"].to_list():
                label = key[:8] if column == "signature" else key
                if label not in bucket:
                    bucket.append(label)
    largest = in_window(own, now=now, days=max(watch.windows_days)).collect()
    result["total_incidents"] = largest.height
    severities = [s for s in largest["severity"].to_list() if s in SEVERITY_RANK]
    result["max_severity_seen"] = min(severities, key=SEVERITY_RANK.__getitem__) if severities else None
    result["high_signatures"] = high_signatures[: watch.max_listed]
    result["high_kinds"] = high_kinds[: watch.max_listed]
    severe = result["max_severity_seen"] in watch.fail_on_severity_in
    if result["has_high_recurrence"]:
        result["messages"].append(
            f"high recurrence for {service}: signatures {result['high_signatures'] or '—'}, "
            f"kinds {result['high_kinds'] or '—'}"
        )
    elif result["has_warn_recurrence"]:
        result["messages"].append(f"recurrence at warn level for {service}")
    if chosen == "strict" and result["has_high_recurrence"] and severe:
        result["pass"] = False
        result["messages"].append(
            f"blocked: high recurrence with max severity {result['max_severity_seen']} (strict mode)"
        )
    elif chosen == "warn" and result["has_high_recurrence"]:
        result["messages"].append("warn mode: not blocking")
    return result
