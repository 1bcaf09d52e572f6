"""``triage-lens dashboard``: run the Streamlit app on the same data, policy and now."""

from __future__ import annotations

import os
import sys

import click

from triage_lens.cli.common import GlobalOptions, global_options, policy_for, resolve
from triage_lens.resources import app_script

# The same safe options as the repository's .streamlit/config.toml (a test keeps them equal): an installed wheel
# runs from any folder, where that file is not read.
STREAMLIT_OPTIONS: dict[str, str] = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "client.showErrorDetails": "none",
    "client.showErrorLinks": "false",
    "client.toolbarMode": "minimal",
}


@click.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option(
    "--address", default="127.0.0.1", show_default=True, help="Listen address; anything else exposes the app."
)
@global_options(writes=True)
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
        *(part for name, value in STREAMLIT_OPTIONS.items() for part in (f"--{name}", value)),
    ]
    click.echo(f"Triage Lens on http://{address}:{port} — {sources.describe()}", err=True)
    sys.stderr.flush()
    # Become the server (no child process): a stop signal sent to this command reaches Streamlit itself,
    # so stopping `triage-lens dashboard` never leaves a server running behind it.
    os.execve(sys.executable, command, env)  # noqa: S606 (a fixed argv, no shell)
