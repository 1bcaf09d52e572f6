"""``triage-lens``: the command line over the same analytics the dashboard shows (CLI.md).

A thin click layer: it resolves the sources, loads the policy, calls ``analytics`` functions and prints
either the documented JSON (``--json``, nothing else on stdout) or an aligned table for people.
Exit codes: 0 success, 1 the command's documented "no", 2 usage or configuration error (one line).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from analytics.policy import Policy, PolicyError
from analytics.timeparse import format_utc
from triage_lens.cli.common import GlobalOptions, emit_json, fail, global_options, policy_for, render_table, resolve
from triage_lens.cli.confidence import confidence
from triage_lens.cli.incidents import incidents, store
from triage_lens.cli.misses import misses
from triage_lens.cli.severity import severity
from triage_lens.resources import app_script
from triage_lens.sources.config import load_policy
from triage_lens.sources.loading import LoadedData, load_all, summarise_sources


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data", metavar="PATH", help="Data folder or triage-lens.yaml config (default: see README).")
@click.option("--policy", "policy", metavar="FILE", help="Policy YAML (default: the data folder's policy.yml).")
@click.option("--now", "now", metavar="ISO", help="Pin the clock (default: sample.json's now, else the wall clock).")
@click.option("--write", is_flag=True, help="Enable write mode (notes, follow-ups); read-only by default.")
@click.pass_context
def cli(ctx: click.Context, data: str | None, policy: str | None, now: str | None, write: bool) -> None:
    """Triage Lens: learn from RCA misses and incidents."""
    ctx.obj = GlobalOptions(data, policy, now, write)


@cli.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write.")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=float,
    help="1.0 = 10k misses, 2k incidents, 100k ledger rows.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the written files as JSON.")
def sample(out: Path, seed: int, scale: float, as_json: bool) -> None:
    """Write a coherent synthetic data folder (all inputs + sample.json)."""
    from triage_lens.sample.generator import generate_sample

    if scale <= 0:
        fail("--scale must be greater than 0")
    try:
        summary = generate_sample(out, seed=seed, scale=scale)
    except OSError as exc:
        fail(f"--out: cannot write {out} ({exc.strerror or exc})")
    if as_json:
        emit_json({"out": str(summary.out), "seed": seed, "scale": scale, "rows": summary.rows})
        return
    rows = [[name, f"{count:,}"] for name, count in summary.rows.items()]
    click.echo(f"Wrote sample data (seed {seed}, scale {scale}) to {summary.out}")
    click.echo(render_table(["file", "rows"], rows, right={1}))


def check_payload(data: LoadedData, policy_status: str) -> dict[str, Any]:
    """The ``check --json`` object of CLI.md."""
    sources = [
        {
            "input": name,
            "path": loaded.location,
            "rows": loaded.rows,
            "quarantined": loaded.quarantined,
            "flagged": loaded.flagged,
        }
        for name, loaded in data.inputs.items()
    ]
    items = [
        {"file": i.file, "line": i.line, "reason": i.reason, "excerpt": i.excerpt}
        for loaded in data.inputs.values()
        for i in loaded.items
    ]
    return {"sources": sources, "items": items, "policy": policy_status}


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON report.")
@global_options
@click.pass_obj
def check(options: GlobalOptions, as_json: bool) -> None:
    """Validate every input and the policy; print the quarantine report.

    Exit 1 only when an input cannot be read at all or the policy is invalid.
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
        payload = check_payload(data, policy_status)
        emit_json(payload)
        sys.exit(exit_code)
    click.echo(f"Data:   {sources.describe()}")
    click.echo(f"Now:    {format_utc(sources.now)} ({sources.now_source})")
    click.echo(f"Policy: {sources.policy_path} — {policy_status}")
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
                str(summary.path) if summary.path else "—",
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
        click.echo(f"\nerror: {message}")
    items = data.items
    if items:
        click.echo(f"\nQuarantine report: {len(items)} item(s)")
        for item in items:
            click.echo(f"  {item.file}:{item.line}: {item.action}: {item.reason}")
            click.echo(f"      {item.excerpt!r}")
    else:
        click.echo("\nQuarantine report: nothing quarantined or flagged.")
    sys.exit(exit_code)


@cli.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option(
    "--address", default="127.0.0.1", show_default=True, help="Listen address; anything else exposes the app."
)
@global_options
@click.pass_obj
def dashboard(options: GlobalOptions, port: int, address: str) -> None:
    """Run the Streamlit dashboard on the same data, policy and now."""
    sources = resolve(options)
    policy_for(sources)  # fail early, with one line, on a bad policy
    env = dict(os.environ)
    if options.data:
        env["TRIAGE_LENS_DATA"] = options.data
    if options.policy:
        env["TRIAGE_LENS_POLICY"] = options.policy
    if options.now:
        env["TRIAGE_LENS_NOW"] = options.now
    if options.write:
        env["TRIAGE_LENS_WRITE"] = "1"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_script()),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    click.echo(f"Triage Lens on http://{address}:{port} — {sources.describe()}", err=True)
    sys.exit(subprocess.call(command, env=env))


cli.add_command(misses)
cli.add_command(confidence)
cli.add_command(incidents)
cli.add_command(store)
cli.add_command(severity)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="triage-lens")


if __name__ == "__main__":
    main()
