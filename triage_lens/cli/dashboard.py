"""``triage-lens dashboard``: run the Streamlit app on the same data, policy and now."""

from __future__ import annotations

import os
import sys

import click

from triage_lens.cli.common import GlobalOptions, fail, global_options, policy_for, resolve
from triage_lens.hosts import ENV_ALLOWED_HOSTS, WILDCARD_ADDRESSES, HostError, allowed_hosts, normalise_host
from triage_lens.resources import app_script

# The same safe options as the repository's .streamlit/config.toml (a test keeps them equal): an installed wheel
# runs from any folder, where that file is not read.
STREAMLIT_OPTIONS: dict[str, str] = {
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false",
    "client.showErrorDetails": "none",
    "client.showErrorLinks": "false",
    "client.toolbarMode": "minimal",
}


def served_hosts(address: str, configured: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    """The Host names served: the defaults, ``allowed_hosts`` of the config, each ``--allowed-host`` and a specific
    ``--address`` (not 0.0.0.0 / ::); exit 2 with one line for a name that is not a host name."""
    names = [*configured, *extra]
    try:
        if normalise_host(address) not in WILDCARD_ADDRESSES:
            names.append(address)
    except HostError:
        pass  # Streamlit refuses a bad listen address itself
    try:
        for name in configured:
            normalise_host(name)
    except HostError as exc:
        fail(f"allowed_hosts in the config: {exc}")
    try:
        return allowed_hosts(names)
    except HostError as exc:
        fail(f"--allowed-host: {exc}")


@click.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option(
    "--address", default="127.0.0.1", show_default=True, help="Listen address; anything else exposes the app."
)
@click.option(
    "--allowed-host",
    "extra_hosts",
    multiple=True,
    metavar="NAME",
    help="Also serve requests whose Host is NAME (repeatable; default only 127.0.0.1, localhost, [::1]).",
)
@click.option("--me", metavar="NAME", help='Who "mine" is in the owner filter (else me: in the config).')
@global_options(writes=True)
@click.pass_obj
def dashboard(options: GlobalOptions, port: int, address: str, extra_hosts: tuple[str, ...], me: str | None) -> None:
    """Run the Streamlit dashboard on the same data, policy and now."""
    sources = resolve(options)
    policy_for(sources)  # fail early, with one line, on a bad policy
    hosts = served_hosts(address, sources.allowed_hosts, extra_hosts)
    env = dict(os.environ)
    env[ENV_ALLOWED_HOSTS] = ",".join(hosts)
    if options.data:
        env["TRIAGE_LENS_DATA"] = options.data
    if options.policy:
        env["TRIAGE_LENS_POLICY"] = options.policy
    if options.now:
        env["TRIAGE_LENS_NOW"] = options.now
    if options.write:
        env["TRIAGE_LENS_WRITE"] = "1"
    if me:
        env["TRIAGE_LENS_ME"] = me
    command = [
        sys.executable,
        "-m",
        "dashboard.serve",  # Streamlit's `streamlit run` with the start-up warm-up beside it
        "run",
        str(app_script()),
        "--server.address",
        address,
        "--server.port",
        str(port),
        *(part for name, value in STREAMLIT_OPTIONS.items() for part in (f"--{name}", value)),
        # Streamlit's public allow-list: the WebSocket of any other Host is refused (DNS rebinding)
        *(part for host in hosts for part in ("--server.allowedHosts", host)),
    ]
    click.echo(f"Triage Lens on http://{address}:{port} — {sources.describe()}", err=True)
    sys.stderr.flush()
    # Become the server (no child process): a stop signal sent to this command reaches Streamlit itself,
    # so stopping `triage-lens dashboard` never leaves a server running behind it.
    os.execve(sys.executable, command, env)  # noqa: S606 (a fixed argv, no shell)
