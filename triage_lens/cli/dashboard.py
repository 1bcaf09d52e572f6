"""``triage-lens dashboard``: run the Streamlit app on the same data, policy and now."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from triage_lens.cli.common import GlobalOptions, global_options, policy_for, resolve
from triage_lens.resources import app_script


@click.command()
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
