"""``triage-lens check``: validate every input and the policy; print the quarantine report."""

from __future__ import annotations

import sys
from typing import Any

import click

from analytics.policy import Policy, PolicyError
from analytics.timeparse import format_utc
from triage_lens.cli.common import GlobalOptions, emit_json, global_options, render_table, resolve, show_personal_option
from triage_lens.sources.config import load_policy
from triage_lens.sources.loading import LoadedData, load_all, summarise_sources
from triage_lens.sources.redaction import redact, report_records


def check_payload(data: LoadedData, policy_status: str, show: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ``check --json`` object of CLI.md (passwords redacted; personal data masked unless in ``show``)."""
    sources = [
        {
            "input": name,
            "path": redact(loaded.location) if loaded.location else None,
            "rows": loaded.rows,
            "quarantined": loaded.quarantined,
            "flagged": loaded.flagged,
        }
        for name, loaded in data.inputs.items()
    ]
    items = [
        {k: record[k] for k in ("file", "line", "reason", "excerpt")} for record in report_records(data.items, show)
    ]
    return {"sources": sources, "items": items, "policy": redact(policy_status)}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON report.")
@show_personal_option("excerpts")
@global_options
@click.pass_obj
def check(options: GlobalOptions, as_json: bool, show: tuple[str, ...]) -> None:
    """Validate every input and the policy; print the quarantine report.

    Exit 1 only when an input cannot be read at all or the policy is invalid. Excerpts never show
    user_email / user_id unless asked for with --show, nor connection passwords.
    """
    sources = resolve(options)
    try:
        policy = load_policy(sources.policy_path)
        policy_status = "ok"
    except PolicyError as exc:
        policy, policy_status = Policy(), str(exc)
    data = load_all(sources, policy)
    unreadable = [loaded.error for loaded in data.inputs.values() if loaded.error]
    exit_code = 1 if unreadable or policy_status != "ok" else 0
    if as_json:
        payload = check_payload(data, policy_status, show)
        emit_json(payload)
        sys.exit(exit_code)
    click.echo(f"Data:   {sources.describe()}")
    click.echo(f"Now:    {format_utc(sources.now)} ({sources.now_source})")
    click.echo(f"Policy: {sources.policy_path} — {redact(policy_status)}")
    click.echo(f"Mode:   {'write' if sources.write else 'read-only'}")
    click.echo("")
    rows = []
    for summary in summarise_sources(data):
        span = (
            f"{summary.first:%Y-%m-%d %H:%M} … {summary.last:%Y-%m-%d %H:%M}" if summary.first and summary.last else "—"
        )
        rows.append(
            [
                summary.input,
                summary.status,
                f"{summary.rows:,}",
                str(summary.quarantined),
                str(summary.flagged),
                span,
                redact(str(summary.path)) if summary.path else "—",
            ]
        )
    click.echo(
        render_table(
            ["input", "status", "rows", "quarantined", "flagged", "time span (UTC)", "path"],
            rows,
            right={2, 3, 4},
        )
    )
    for message in unreadable:
        click.echo(f"\nerror: {redact(message)}")
    items = report_records(data.items, show)
    if items:
        click.echo(f"\nQuarantine report: {len(items)} item(s)")
        for item in items:
            click.echo(f"  {item['file']}:{item['line']}: {item['action']}: {item['reason']}")
            click.echo(f"      {item['excerpt']!r}")
    else:
        click.echo("\nQuarantine report: nothing quarantined or flagged.")
    sys.exit(exit_code)
