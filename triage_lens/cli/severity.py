"""``triage-lens severity``: current-state error severity per provider, and the backtest against the legacy rule."""

from __future__ import annotations

from typing import Any

import click

from analytics.severity import SeverityOptions, backtest_report_from, severity_report_from, unknown_report
from triage_lens.cli.common import GlobalOptions, emit_json, fail, global_options, load_data, render_table
from triage_lens.sources.ledger import ledger_problem, severity_backtest_counts, severity_counts
from triage_lens.sources.readers import UnreadableInputError
from triage_lens.sources.redaction import redact


def _text_report(report: dict[str, Any]) -> None:
    click.echo(f"{report['header']}  (overall {report['overall_severity']}, now {report['now']})")
    if report["overall_severity"] == "unknown":
        return
    if not report["providers"]:
        click.echo("No provider needs attention.")
        return
    rows = []
    for p in report["providers"]:
        top = p["samples"][0] if p["samples"] else None
        sample = f"{top['error_type']} ×{top['count']}: {top['message']}" if top else ""
        rows.append(
            [
                p["provider"],
                p["severity"],
                p["status"],
                str(p["last_24h_total"]),
                str(p["week_7d_total"]),
                p["trend"] + (" spike" if p["spike"] else ""),
                sample[:70],
            ]
        )
    click.echo("")
    click.echo(render_table(["provider", "severity", "status", "24h", "7d", "trend", "top sample"], rows, right={3, 4}))


@click.group(invoke_without_command=True)
@click.option(
    "--exclude-tenant", "exclude_tenants", multiple=True, metavar="T", help="Leave this tenant out (repeatable)."
)
@click.option("--json", "as_json", is_flag=True, help='{"now", "overall_severity", "header", "providers": [...]}')
@global_options
@click.pass_context
def severity(ctx: click.Context, exclude_tenants: tuple[str, ...], as_json: bool) -> None:
    """Which providers are failing now (last 24 hours vs 7 days), not which were loud this week."""
    ctx.ensure_object(GlobalOptions)
    ctx.meta["exclude_tenants"] = exclude_tenants
    if ctx.invoked_subcommand is not None:
        return
    options: GlobalOptions = ctx.obj
    sources, policy, data = load_data(options, ["error_ledger"])
    ledger = data.inputs["error_ledger"]
    problem = ledger_problem(ledger)
    if problem is not None:
        # No ledger is no knowledge, never "All systems nominal".
        click.echo(redact(f"warning: {problem}"), err=True)
        report = unknown_report(sources.now, problem)
    else:
        severity_options = SeverityOptions.from_policy(policy.severity, exclude_tenants)
        try:
            counts = severity_counts(ledger, now=sources.now, options=severity_options)
        except UnreadableInputError as exc:
            fail(redact(str(exc)), 1)
        report = severity_report_from(counts, now=sources.now, options=severity_options)
    if as_json:
        emit_json(report)
    else:
        _text_report(report)


@severity.command("backtest")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1, max=3660))
@click.option("--json", "as_json", is_flag=True, help='{"days": [...], "legacy_pages", "current_pages"}')
@global_options
@click.pass_context
def backtest(ctx: click.Context, days: int, as_json: bool) -> None:
    """Replay each complete UTC day with the legacy 7-day-average rule and the current rule."""
    options: GlobalOptions = ctx.obj
    sources, policy, data = load_data(options, ["error_ledger"])
    exclude = ctx.meta.get("exclude_tenants", ())
    ledger = data.inputs["error_ledger"]
    problem = ledger_problem(ledger)
    if problem is not None:
        click.echo(redact(f"warning: {problem}; the backtest has no rows to replay"), err=True)
    severity_options = SeverityOptions.from_policy(policy.severity, exclude)
    try:
        counts = severity_backtest_counts(ledger, now=sources.now, days=days, options=severity_options)
    except UnreadableInputError as exc:
        fail(redact(str(exc)), 1)
    report = backtest_report_from(counts, now=sources.now, days=days, options=severity_options)
    if as_json:
        emit_json(report)
        return
    rows = [
        [
            d["date"],
            str(d["legacy"]["critical"]),
            str(d["legacy"]["warning"]),
            str(d["current"]["critical"]),
            str(d["current"]["warning"]),
        ]
        for d in report["days"]
    ]
    click.echo(
        render_table(["date", "legacy crit", "legacy warn", "current crit", "current warn"], rows, right={1, 2, 3, 4})
    )
    click.echo(f"\nPages over {days} days: legacy {report['legacy_pages']}, current {report['current_pages']}")
