"""Weekly incident digest and auto follow-ups (RULES.md §7), and the recurrence release gate (§8).

The digest for ISO week W is computed as of the end of W (Monday 00:00 UTC after it), so a later run for
the same W gives identical bytes. Every user-supplied text in the Markdown is escaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from analytics.buckets import (
    BucketOptions,
    bucket_frame,
    bucket_json,
    bucket_key_expr,
    severity_mix_expr,
    severity_mix_json,
    shown_buckets,
)
from analytics.clock import ClockRangeError, check_now
from analytics.learning import week_label, week_start
from analytics.markdown import code_span, escape_markdown, escape_slack, slack_code
from analytics.policy import Policy
from analytics.recurrence import (
    SIGNATURE_PREFIX,
    RecurrenceOptions,
    in_window,
    level_expr,
    recurrence,
    signature_titles,
    top_counts,
)
from analytics.runs import weekly_pass_rate, weekly_pass_rate_line
from analytics.schemas import SEVERITIES
from analytics.statuses import INCIDENT_STATUSES, is_open
from analytics.timeparse import format_utc

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
SEVERITY_RANK = {level: rank for rank, level in enumerate(SEVERITIES)}  # P0 worst


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
    try:
        return check_now(day.replace(tzinfo=UTC), "--week")
    except ClockRangeError as exc:
        raise WeekError(str(exc)) from None


def week_expr(week_monday: datetime) -> pl.Expr:
    """``started_at`` in ISO week ``[week_monday, week_monday + 7 days)``."""
    started = pl.col("started_at")
    return (started >= week_monday) & (started < week_monday + timedelta(weeks=1))


def default_week(now: datetime) -> datetime:
    """The last complete ISO week before now (its Monday)."""
    return week_start(now) - timedelta(weeks=1)


MIN_PICKER_WEEKS = 12  # the picker offers at least the last 12 complete weeks, data or not
MAX_PICKER_WEEKS = 1040  # and at most 20 years back


def digest_weeks(incidents: pl.LazyFrame, *, now: datetime) -> list[str]:
    """The weeks a digest can be asked for, newest first: from the last complete week before ``now`` back to the
    week of the oldest incident (at least :data:`MIN_PICKER_WEEKS`, at most :data:`MAX_PICKER_WEEKS`), so an
    export that ends years ago still offers every week it covers. In: ``started_at``. Out: ``YYYY-Www`` labels."""
    last = default_week(now)
    oldest = incidents.select(pl.col("started_at").min()).collect().item()
    span = MIN_PICKER_WEEKS
    if oldest is not None and oldest < last:
        span = max(span, (last - week_start(oldest)).days // 7 + 1)
    return [week_label(last - timedelta(weeks=k)) for k in range(min(span, MAX_PICKER_WEEKS))]


def week_has_incidents(incidents: pl.LazyFrame, week_monday: datetime) -> bool:
    """Whether any incident started in the ISO week of ``week_monday``."""
    return bool(incidents.filter(week_expr(week_monday)).select(pl.len()).collect().item())


@dataclass(frozen=True)
class Digest:
    week: str
    summary: dict[str, Any]
    markdown: str


def build_digest(
    incidents: pl.LazyFrame, *, week_monday: datetime, policy: Policy, runs: pl.DataFrame | None = None
) -> Digest:
    """The digest of the week starting ``week_monday``, as of its end. With benchmark ``runs``
    (:func:`analytics.runs.run_summary`), the summary gains ``benchmark`` and the Markdown one line."""
    label = week_label(week_monday)
    as_of = week_monday + timedelta(weeks=1)
    rec_options = RecurrenceOptions.from_policy(policy.recurrence)
    bucket_options = BucketOptions.from_policy(policy)
    started = incidents.filter(pl.col("started_at").is_not_null() & (pl.col("started_at") <= as_of))
    open_statuses = list(policy.incidents.open_statuses)
    open_count = started.filter(is_open(open_statuses)).select(pl.len()).collect().item()
    # The 7 days of recent_7d_count and severity_mix are the listed week itself: [Monday 00:00, next Monday).
    recent = incidents.filter(pl.col("started_at").is_not_null() & week_expr(week_monday))
    recent_counts = recent.select(pl.len().alias("n"), severity_mix_expr().alias("mix")).collect().row(0, named=True)
    severity_mix = severity_mix_json(recent_counts["mix"])
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
        recent.filter(pl.col("status").is_in(listed_statuses))
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
        "recent_7d_count": int(recent_counts["n"]),
        "severity_mix": severity_mix,
        "recurrence": recurrences,
        "buckets": bucket_rows,
        "recommendations": recommendations,
        "incidents": week_incidents,
    }
    if runs is not None and runs.height:
        summary["benchmark"] = weekly_pass_rate(runs, week_monday=week_monday)
    return Digest(label, summary, render_markdown(summary, max_chars=policy.digest.markdown_max_chars))


CUT_NOTE_END = ": the JSON summary has everything."


def is_cut(text: str) -> bool:
    """Whether a rendered digest was cut to ``markdown_max_chars`` (it then ends with the cut note)."""
    return text.rstrip("\n").endswith(CUT_NOTE_END + "_")


@dataclass(frozen=True)
class _Flavor:
    """How one output format writes the digest's pieces: prose, ids/keys, emphasis, headings, bullets."""

    prose: Callable[[object], str]
    code: Callable[[object], str]
    bold: Callable[[str], str]
    heading: Callable[[int, str], str]
    bullet: str
    note: Callable[[str], str]


MARKDOWN = _Flavor(
    prose=escape_markdown,
    code=code_span,
    bold=lambda t: f"**{t}**",
    heading=lambda level, t: f"{'#' * level} {t}",
    bullet="- ",
    note=lambda t: f"_{t}_",
)
SLACK = _Flavor(
    prose=escape_slack,
    code=slack_code,
    bold=lambda t: f"*{t}*",
    heading=lambda level, t: f"*{t}*",
    bullet="• ",
    note=lambda t: f"_{t}_",
)


def _minute(text: object) -> str:
    """A stored or ISO timestamp to the minute with its zone (``2026-11-14 21:27 UTC``); other text unchanged."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    if moment.tzinfo is None:
        return str(text)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _render(summary: dict[str, Any], flavor: _Flavor, *, max_chars: int) -> str:
    p, c, b, h, li = flavor.prose, flavor.code, flavor.bold, flavor.heading, flavor.bullet
    mix = summary["severity_mix"]
    lines = [
        h(1, f"Weekly Incident Digest — {summary['week']}"),
        "",
        f"As of {_minute(summary['as_of'])}: {b(str(summary['recent_7d_count']))} incidents in the last 7 days, "
        f"{b(str(summary['open_incidents_count']))} open.",
        "",
        *([p(weekly_pass_rate_line(summary["benchmark"])), ""] if "benchmark" in summary else []),
        h(2, "Severity mix (last 7 days)"),
        "",
        " · ".join(f"{level} {b(str(n))}" for level, n in mix.items()),
        "",
    ]
    for rec in summary["recurrence"]:
        zone = rec["high_recurrence"] + rec["warn_recurrence"]
        lines += [h(2, f"Recurrence, last {rec['window_days']} days"), ""]
        if not zone:
            lines.append("Nothing recurring above the warn thresholds.")
        for entry in zone:
            if entry["type"] != "signature":
                name = f"kind {c(entry['key'])}"
            elif entry.get("title"):  # named by its newest incident's title; the prefix to look it up
                name = f"{p(entry['title'])} (signature {c(entry['prefix'])})"
            else:
                name = f"signature {c(entry['prefix'])}"
            advice = f" {p(entry['recommendation'])}" if entry["recommendation"] else ""
            lines.append(f"{li}{b(entry['level'])} — {name}: {entry['count']} incidents.{advice}")
        lines.append("")
    lines += [h(2, "Root-cause buckets"), ""]
    for bucket in summary["buckets"]:
        counts = bucket["counts"]
        seen = f" · last seen {p(_minute(bucket['last_seen']))}" if bucket["last_seen"] else ""
        level = f" {b('high')}" if bucket["high"] else ""
        lines.append(
            f"{li}{c(bucket['bucket_key'])}{level} — 7d {counts['7d']} · 30d {counts['30d']} · open {counts['open']}"
            f"{seen}"
        )
    if not summary["buckets"]:
        lines.append("No bucket above the thresholds.")
    lines += ["", h(2, "Recommendations"), ""]
    lines += [f"{li}{p(r)}" for r in summary["recommendations"]] or [f"{li}None this week."]
    lines += ["", h(2, "Incidents this week"), ""]
    lines += [
        f"{li}{b(p(i['severity'] or '?'))} {p(i['title'] or i['id'])} — {c(i['service'] or '?')}, "
        f"{p(i['status'] or '?')}, {p(_minute(i['started_at']))} ({c(i['id'])})"
        for i in summary["incidents"]
    ] or [f"{li}None."]
    text = "\n".join(lines) + "\n"
    if len(text) <= max_chars:
        return text
    note = "\n" + flavor.note(f"Cut to {max_chars:,} characters{CUT_NOTE_END}") + "\n"
    cut = text[: max(0, max_chars - len(note))]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
    return cut + note


def artifact_files(digest: Digest) -> list[tuple[str, bytes]]:
    """The digest artifacts as (file name, bytes): ``<week>.md`` and ``<week>.json`` (written under
    ``<out>/weekly/`` by ``triage_lens.sources.scenario_files.write_digest_artifacts``)."""
    summary = json.dumps(digest.summary, indent=2, ensure_ascii=False) + "\n"
    return [(f"{digest.week}.md", digest.markdown.encode("utf-8")), (f"{digest.week}.json", summary.encode("utf-8"))]


def render_markdown(summary: dict[str, Any], *, max_chars: int) -> str:
    """The digest as Markdown (the page and the ``.md`` file): ids, keys and service names in code spans (a
    longer fence when they hold backticks, never a backslash inside), prose Markdown-escaped with auto-links
    broken; cut at a line boundary to ``max_chars`` with a visible note saying so."""
    return _render(summary, MARKDOWN, max_chars=max_chars)


def render_slack(summary: dict[str, Any], *, max_chars: int) -> str:
    """The digest as Slack mrkdwn (paste into a message): ``*bold*`` headings, ``•`` bullets, ids in inline code,
    prose with only ``&``, ``<``, ``>`` escaped and auto-links broken; cut like the Markdown."""
    return _render(summary, SLACK, max_chars=max_chars)


def slack_bytes(digest: Digest, *, max_chars: int) -> bytes:
    """The Slack download: the digest as mrkdwn, UTF-8."""
    return render_slack(digest.summary, max_chars=max_chars).encode("utf-8")


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
        title = f"[intel] Recurrence high: {key}"
        event = {
            "event_id": "evt_" + hashlib.sha256(dedupe.encode()).hexdigest()[:16],
            "incident_id": incident_id,
            "ts": format_utc(now),
            "type": "followup",
            "message": f"{title} (7d={bucket['counts']['7d']}, 30d={bucket['counts']['30d']}, kinds={kinds})",
            "meta": {
                "title": title,
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
            counts = top_counts(window, column, None).with_columns(
                level_expr(pl.col("count"), warn, high).alias("level")
            )
            if counts.filter(pl.col("level") == "high").height:
                result["has_high_recurrence"] = True
            if counts.filter(pl.col("level") == "warn").height:
                result["has_warn_recurrence"] = True
            for key in counts.filter(pl.col("level") == "high")["key"].to_list():
                label = key[:SIGNATURE_PREFIX] if column == "signature" else key
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
        titles = signature_titles(own, now=now, days=max(watch.windows_days))
        by_prefix = {key[:SIGNATURE_PREFIX]: title for key, title in titles.items()}
        named = [f"{by_prefix[p]!r} ({p})" if p in by_prefix else p for p in result["high_signatures"]]
        result["messages"].append(
            f"high recurrence for {service}: signatures {', '.join(named) or '—'}; "
            f"kinds {', '.join(result['high_kinds']) or '—'}"
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
