"""``triage-lens import SOURCE FILE... --out TARGET``: other tools' incident exports into the incident store."""

from __future__ import annotations

from pathlib import Path

import click

from triage_lens.cli.common import GlobalOptions, emit_json, fail, global_options

SKIPPED_SHOWN = 20
# Spelled out so that `triage-lens import --help` loads click only (tests check it equals SOURCE_CHOICES).
CHOICES = (
    "auto",
    "statuspage",
    "pagerduty",
    "incidentio",
    "opsgenie",
    "grafana-oncall",
    "gcp-status",
    "aws-health",
    "openrca",  # benchmark runs, not incidents: triage_lens/cli/openrca_import.py
)


def _policy(options: GlobalOptions, target: str) -> object:
    """--policy, else the target folder's policy.yml, else the shipped defaults."""
    from analytics.policy import PolicyError
    from triage_lens.sources.config import load_policy
    from triage_lens.sources.store import is_postgres_uri

    path = Path(options.policy).expanduser() if options.policy else None
    if path is None and not is_postgres_uri(target):
        candidate = Path(target).expanduser() / "policy.yml"
        path = candidate if candidate.is_file() else None
    try:
        return load_policy(path)
    except PolicyError as exc:
        fail(str(exc))


@click.command("import")
@click.argument("source", type=click.Choice(CHOICES, case_sensitive=False), metavar="SOURCE")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--out", "target", required=True, metavar="TARGET", help="A data folder or a postgresql:// store.")
@click.option("--service-field", metavar="NAME", help="incident.io: the custom field holding the service.")
@click.option(
    "--started-at",
    "started_at",
    metavar="TIME",
    help="openrca: the runs' start (default: each file's modification time).",
)
@click.option("--dry-run", is_flag=True, help="Map and count, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON summary.")
@global_options
@click.pass_obj
def import_command(
    options: GlobalOptions,
    source: str,
    files: tuple[str, ...],
    target: str,
    service_field: str | None,
    started_at: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import incidents exported from another tool into TARGET (atomic; re-importing updates in place).

    SOURCE: auto (detect from the file's shape), statuspage, pagerduty (JSON or CSV), incidentio, opsgenie,
    grafana-oncall, gcp-status or aws-health. The record id is <source>:<native id>. openrca: OpenRCA agent result
    CSVs become benchmark runs in TARGET/runs/ (one run per agent-<system>.csv).
    """
    from analytics.policy import Policy
    from triage_lens.importers import ImportFailure, Rules, run_import

    policy = _policy(options, target)
    assert isinstance(policy, Policy)
    inputs: list[tuple[str, bytes]] = []
    for name in files:
        try:
            inputs.append((name, Path(name).expanduser().read_bytes()))
        except OSError as exc:
            fail(f"{name}: cannot read ({exc.strerror or exc}); nothing imported", 1)
    from triage_lens.cli.openrca_import import import_openrca, is_openrca

    if source.lower() == "openrca" or (source.lower() == "auto" and is_openrca(inputs)):
        import_openrca(inputs, target, started_at, dry_run=dry_run, as_json=as_json)
        return
    try:
        summary = run_import(inputs, source.lower(), target, Rules(policy.import_, service_field), dry_run=dry_run)
    except ImportFailure as exc:
        fail(str(exc), 1)
    for result in summary.plan.files:
        if result.detected:
            click.echo(f"auto: {result.name} detected as {result.source}", err=True)
    if as_json:
        emit_json(summary.to_json())
        return
    payload = summary.to_json()
    verb = "would write" if dry_run else "wrote"
    click.echo(
        f"{payload['source']}: {payload['read']:,} read; {verb} {payload['written']:,} new, "
        f"{payload['updated']:,} updated, {payload['unchanged']:,} unchanged; {len(payload['skipped']):,} skipped "
        f"→ {target}"
    )
    if payload["no_severity"]:
        click.echo(f"{payload['no_severity']:,} records have no severity the mapping knows (stored without one).")
    for item in payload["skipped"][:SKIPPED_SHOWN]:
        click.echo(f"  skipped {item['id']}: {item['reason']}")
    if len(payload["skipped"]) > SKIPPED_SHOWN:
        click.echo(f"  … and {len(payload['skipped']) - SKIPPED_SHOWN:,} more (--json lists them all)")
