"""``triage-lens incidents``: correlation, clusters, recurrence, buckets, the weekly digest with follow-ups,
and the release gate; ``triage-lens store init``: create the PostgreSQL tables."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
import polars as pl

from analytics.buckets import BucketOptions, buckets_json, no_bucket_sentence
from analytics.clock import MAX_WINDOW_DAYS
from analytics.correlation import CorrelationOptions, clusters, clusters_json, correlate_json, related_incidents
from analytics.digest import (
    GateUsageError,
    WeekError,
    build_digest,
    default_week,
    gate_result,
    parse_week,
    plan_followups,
    recurrence_watch,
)
from analytics.recurrence import RecurrenceOptions, recurrence
from analytics.timeparse import format_utc
from analytics.windows import Window
from triage_lens.cli.common import (
    GlobalOptions,
    clean_text,
    emit_json,
    fail,
    global_options,
    load_data,
    note_if_empty,
    prepare,
    render_table,
)
from triage_lens.sources.events import write_events
from triage_lens.sources.loading import LoadedData
from triage_lens.sources.redaction import redact
from triage_lens.sources.runs import run_summary_of
from triage_lens.sources.scenario_files import write_digest_artifacts
from triage_lens.sources.store import (
    StoreError,
    existing_dedupe_keys,
    init_postgres,
    insert_postgres,
    note_event,
)

INCIDENT_INPUTS = ["incidents", "events"]


def _require_incidents(data: LoadedData) -> pl.LazyFrame:
    loaded = data.inputs["incidents"]
    if loaded.error:
        fail(f"incidents: {loaded.error}", 2)
    if not loaded.available:
        fail("no incident store in this data source (incidents.jsonl or a postgresql:// URI in the config)", 2)
    return data.frame("incidents")


def _days_window(now: datetime, days: int) -> Window:
    """(now − days, now], named as the pages name ranges (``last 7d``)."""
    return Window(now - timedelta(days=days), now, f"{days}d")


@click.group()
def incidents() -> None:
    """Incident intelligence: correlation, recurrence, buckets, digest, follow-ups, release gate."""


@incidents.command("correlate")
@click.argument("incident_id")
@click.option("--note", "note", metavar="TEXT", help="Append a note event to the incident (write mode).")
@click.option("--json", "as_json", is_flag=True)
@global_options(writes=True)
@click.pass_obj
def correlate_command(options: GlobalOptions, incident_id: str, note: str | None, as_json: bool) -> None:
    """Related incidents of ID with a per-rule score breakdown."""
    sources, policy, data = load_data(options, INCIDENT_INPUTS)
    if note is not None and not sources.write:
        fail("--note writes to the incident store: enable write mode with --write (or write: true in the config)")
    frame = _require_incidents(data)
    corr = CorrelationOptions.from_policy(policy.correlation)
    related = related_incidents(frame, incident_id, corr)
    if related is None:
        click.echo(f"error: incident {incident_id!r} not found", err=True)
        sys.exit(1)
    payload = correlate_json(incident_id, related, corr)
    if note is not None:
        try:
            written = write_events(sources, [note_event(incident_id, note, format_utc(sources.now))])
        except StoreError as exc:
            fail(str(exc), 1)
        click.echo(
            f"note appended to {incident_id}" if written else f"note already recorded on {incident_id}", err=True
        )
    if as_json:
        emit_json(payload)
        return
    click.echo(f"{payload['related_count']} related to {incident_id}")
    rows = [
        [
            r["incident_id"],
            str(r["score"]),
            ", ".join(r["reasons"]),
            r["service"] or "",
            r["kind"] or "",
            r["severity"] or "",
            (r["started_at"] or "")[:16],
        ]
        for r in payload["related"]
    ]
    if rows:
        click.echo(render_table(["incident", "score", "reasons", "service", "kind", "sev", "started"], rows, right={1}))


@incidents.command("clusters")
@click.option("--min-size", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
@global_options
@click.pass_obj
def clusters_command(options: GlobalOptions, min_size: int, as_json: bool) -> None:
    """Groups of incidents linked by pairs scoring at least min_score, largest first."""
    _, policy, data = load_data(options, ["incidents"])
    frame = clusters(_require_incidents(data), CorrelationOptions.from_policy(policy.correlation), min_size=min_size)
    payload = clusters_json(frame)
    if as_json:
        emit_json(payload)
        return
    rows = [
        [
            c["cluster_id"],
            str(c["size"]),
            ", ".join(c["services"])[:40],
            ", ".join(c["kinds"])[:30],
            (c["first_started"] or "")[:16],
            (c["last_started"] or "")[:16],
        ]
        for c in payload["clusters"]
    ]
    click.echo(render_table(["cluster", "size", "services", "kinds", "first", "last"], rows, right={1}))


@incidents.command("recurrence")
@click.option("--window-days", default=7, show_default=True, type=click.IntRange(min=1, max=MAX_WINDOW_DAYS))
@click.option("--json", "as_json", is_flag=True)
@global_options
@click.pass_obj
def recurrence_command(options: GlobalOptions, window_days: int, as_json: bool) -> None:
    """What keeps coming back: top signatures, kinds and services with warn/high levels."""
    sources, policy, data = load_data(options, ["incidents"])
    payload = recurrence(
        _require_incidents(data),
        now=sources.now,
        days=window_days,
        options=RecurrenceOptions.from_policy(policy.recurrence),
    )
    note_if_empty(
        data, ["incidents"], Window(sources.now - timedelta(days=window_days), sources.now, f"{window_days}d")
    )
    if as_json:
        emit_json(payload)
        return
    order = [("signatures", "top_signatures"), ("kinds", "top_kinds"), ("services", "top_services")]
    signatures = payload["top_signatures"]
    if signatures and max(e["count"] for e in signatures) <= 1:  # titles all differ: lead with what does recur
        click.echo(
            f"No signature recurs in the last {window_days} days (every title differs); kinds and services do.\n"
        )
        order = order[1:] + order[:1]
    for title, key in order:
        if key == "top_signatures":  # named by the newest incident's title; the prefix to look it up
            headers = ["title", "service", "kind", "signature", "count", "level"]
            rows = [
                [
                    clean_text(e["title"])[:60],
                    clean_text(e["service"] or "—")[:30],
                    clean_text(e["kind"] or "—"),
                    e["prefix"],
                    str(e["count"]),
                    e["level"] or "",
                ]
                for e in payload[key]
            ]
        else:
            headers = ["key", "count", "level"]
            rows = [[clean_text(e["key"])[:40], str(e["count"]), e["level"] or ""] for e in payload[key]]
        click.echo(f"Top {title}, last {window_days} days:")
        click.echo(render_table(headers, rows, right={len(headers) - 2}) if rows else "  none")
        click.echo("")


@incidents.command("buckets")
@click.option("--service", default=None, help="Only this service.")
@click.option("--window-days", default=30, show_default=True, type=click.IntRange(min=1, max=MAX_WINDOW_DAYS))
@click.option("--json", "as_json", is_flag=True)
@global_options
@click.pass_obj
def buckets_command(options: GlobalOptions, service: str | None, window_days: int, as_json: bool) -> None:
    """Root-cause buckets with counts, signatures, severity mix and recommendations."""
    sources, policy, data = load_data(options, ["incidents"])
    payload = buckets_json(
        _require_incidents(data),
        now=sources.now,
        options=BucketOptions.from_policy(policy),
        service=service,
        window_days=window_days,
    )
    note_if_empty(
        data, ["incidents"], Window(sources.now - timedelta(days=window_days), sources.now, f"{window_days}d")
    )
    if as_json:
        emit_json(payload)
        return
    rows = [
        [
            b["bucket_key"][:40],
            str(b["counts"]["7d"]),
            str(b["counts"]["30d"]),
            str(b["counts"]["open"]),
            (b["recommendations"] or [""])[0][:50],
        ]
        for b in payload["buckets"]
    ]
    if not rows:  # say why, not an empty table
        sentence = no_bucket_sentence(BucketOptions.from_policy(policy), window_days)
        click.echo(sentence + (f" for service {clean_text(service)}." if service else "."))
        return
    click.echo(render_table(["bucket", "7d", "30d", "open", "first recommendation"], rows, right={1, 2, 3}))


@incidents.command("digest")
@click.option("--week", default=None, metavar="YYYY-Www", help="Default: the last complete week before now.")
@click.option(
    "--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Write weekly/<week>.md/.json here."
)
@click.option("--followups", is_flag=True, help="Create follow-ups on high buckets (write mode; else a preview).")
@click.option("--json", "as_json", is_flag=True)
@global_options(writes=True)
@click.pass_obj
def digest_command(options: GlobalOptions, week: str | None, out: Path | None, followups: bool, as_json: bool) -> None:
    """The weekly incident digest (Markdown + JSON) and auto follow-ups."""
    sources, policy, data = load_data(options, INCIDENT_INPUTS)
    try:
        monday = parse_week(week) if week else default_week(sources.now)
    except WeekError as exc:
        fail(str(exc))
    runs = run_summary_of(sources.runs_dir) if sources.runs_dir is not None else None
    digest = build_digest(_require_incidents(data), week_monday=monday, policy=policy, runs=runs)
    if not digest.summary["recent_7d_count"]:
        week_end = monday + timedelta(weeks=1)
        note_if_empty(data, ["incidents"], Window(monday, week_end), f"week {digest.week}")
    paths: list[str] = []
    if out is not None:
        try:
            paths = [str(p) for p in write_digest_artifacts(digest, out)]
        except OSError as exc:
            fail(f"--out: cannot write ({exc.strerror or exc})")
    results: list[dict[str, Any]] = []
    if followups:
        results, events = plan_followups(
            data.frame("incidents"),
            digest,
            policy=policy,
            existing_keys=existing_dedupe_keys(data.frame("events")),
            now=sources.now,
            write=sources.write,
        )
        try:
            written = {id(e) for e in write_events(sources, events)}
        except StoreError as exc:
            fail(str(exc), 1)
        for result in results:  # another run wrote it between our read and the locked re-check
            if result["created"] and id(result["event"]) not in written:
                result["created"], result["reason"] = False, "already_exists"
    payload = {
        "week": digest.week,
        "artifact_paths": paths,
        "markdown_preview": digest.markdown,
        "json_summary": digest.summary,
        "followups": [{k: r[k] for k in ("bucket_key", "incident_id", "created", "reason")} for r in results],
    }
    if as_json:
        emit_json(payload)
        return
    click.echo(digest.markdown)
    for p in paths:
        click.echo(f"wrote {p}", err=True)
    for r in results:
        click.echo(f"follow-up {r['bucket_key']}: {'created' if r['created'] else r['reason']}", err=True)


@incidents.command("gate")
@click.option("--service", required=True)
@click.option("--profile", default=None, help="dev, staging or prod (default from the policy: prod).")
@click.option("--mode", default=None, type=click.Choice(["off", "warn", "strict"]), help="Override the profile's mode.")
@click.option("--json", "as_json", is_flag=True)
@global_options
@click.pass_obj
def gate_command(options: GlobalOptions, service: str, profile: str | None, mode: str | None, as_json: bool) -> None:
    """Release gate recurrence_watch: exit 0 pass, 1 blocked."""
    sources, policy = prepare(options)
    watch = policy.release_gate.recurrence_watch
    if profile is not None and profile not in watch.profiles:
        fail(f"--profile: expected one of {', '.join(watch.profiles)}, got {profile!r}")
    try:
        _, _, data = load_data(options, ["incidents"])
        frame = data.frame("incidents")
        if data.inputs["incidents"].error:
            raise RuntimeError(data.inputs["incidents"].error)
        result = recurrence_watch(frame, service=service, now=sources.now, policy=policy, profile=profile, mode=mode)
    except GateUsageError as exc:
        fail(str(exc))
    except Exception as exc:
        chosen_profile = profile or watch.default_profile
        result = gate_result(
            service,
            chosen_profile,
            mode or watch.profiles.get(chosen_profile),
            skipped=True,
            messages=[f"not evaluated: {type(exc).__name__}: {redact(str(exc))}"],
        )
    if as_json:
        emit_json(result)
    else:
        verdict = "SKIPPED" if result["skipped"] else ("PASS" if result["pass"] else "BLOCKED")
        click.echo(f"recurrence_watch {service} ({result['profile']}, {result['mode']}): {verdict}")
        for message in result["messages"]:
            click.echo(f"  {message}")
    sys.exit(0 if result["pass"] else 1)


@click.group()
def store() -> None:
    """The PostgreSQL incident store."""


@store.command("init")
@click.option("--dsn", required=True, metavar="URI", help="postgresql://user@host/db")
@click.option(
    "--from",
    "from_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also copy incidents.jsonl and events.jsonl from this folder into the tables.",
)
def store_init(dsn: str, from_dir: Path | None) -> None:
    """Create the tables incidents and incident_events (idempotent)."""
    if not dsn.startswith(("postgresql://", "postgres://")):
        fail(f"--dsn: expected a postgresql:// URI, got {dsn!r}")
    try:
        init_postgres(dsn)
        click.echo("tables incidents and incident_events are ready")
        if from_dir is not None:
            for name, table in (("incidents.jsonl", "incidents"), ("events.jsonl", "incident_events")):
                path = from_dir / name
                if path.is_file():
                    records = [
                        json.loads(line) for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()
                    ]
                    click.echo(f"copied {insert_postgres(dsn, table, records)} rows from {path} into {table}")
    except StoreError as exc:
        fail(str(exc), 1)
    except (OSError, ValueError, RecursionError) as exc:
        fail(f"--from: {exc}", 2)
