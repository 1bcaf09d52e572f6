"""#24 item 7 (unit): the Host allow-list — parsing Host headers, the defaults, --allowed-host and allowed_hosts:
in the config reaching Streamlit's server.allowedHosts and the entry script's environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_DIR
from triage_lens.cli.main import cli
from triage_lens.hosts import (
    ENV_ALLOWED_HOSTS,
    HostError,
    allowed_from_environment,
    allowed_hosts,
    host_name,
    is_allowed,
    normalise_host,
)

DEFAULTS = ("127.0.0.1", "localhost", "::1")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8501", "127.0.0.1"),
        ("LocalHost.:8501", "localhost"),
        ("[::1]:8501", "::1"),
        ("[::1]", "::1"),
        ("evil.example:8501", "evil.example"),
        ("localhost@evil.example", None),
        ("localhost:99999", None),
        ("localhost/x", None),
        ("", None),
        (None, None),
    ],
)
def test_host_name_of_a_header(header: str | None, name: str | None) -> None:
    assert host_name(header) == name


def test_defaults_with_any_port_and_nothing_else() -> None:
    assert allowed_hosts() == DEFAULTS
    for header in ("127.0.0.1:8501", "localhost", "localhost:1", "[::1]:8501"):
        assert is_allowed(header, DEFAULTS), header
    for header in ("evil.example:8501", "127.0.0.1.evil.example", "localhost.evil.example", "0.0.0.0:8501", None):
        assert not is_allowed(header, DEFAULTS), header


def test_names_are_normalised_and_bad_ones_refused() -> None:
    assert normalise_host(" Dash.Example. ") == "dash.example" and normalise_host("[::1]") == "::1"
    for bad in ("*.example", "a b", "host:8501", "", "a/b", "*"):
        with pytest.raises(HostError):
            normalise_host(bad)
    assert allowed_hosts(["dash.example", "LOCALHOST"]) == (*DEFAULTS, "dash.example")


def test_the_environment_list_never_opens_the_gate_with_a_bad_entry() -> None:
    assert allowed_from_environment({}) == DEFAULTS
    assert allowed_from_environment({ENV_ALLOWED_HOSTS: "dash.example,*, ,a b"}) == (*DEFAULTS, "dash.example")


def _dashboard(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, list[tuple[list[str], dict[str, str]]]]:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr("triage_lens.cli.dashboard.os.execve", lambda path, command, env: calls.append((command, env)))
    return CliRunner().invoke(cli, list(args)), calls


def _streamlit_hosts(command: list[str]) -> list[str]:
    return [command[i + 1] for i, part in enumerate(command) if part == "--server.allowedHosts"]


def test_dashboard_passes_the_list_to_streamlit_and_the_script(monkeypatch: pytest.MonkeyPatch) -> None:
    result, calls = _dashboard(monkeypatch, "--data", str(SAMPLE_DIR), "dashboard")
    assert result.exit_code == 0
    ((command, env),) = calls
    assert _streamlit_hosts(command) == list(DEFAULTS) and env[ENV_ALLOWED_HOSTS] == ",".join(DEFAULTS)
    result, calls = _dashboard(
        monkeypatch,
        "--data",
        str(SAMPLE_DIR),
        "dashboard",
        "--allowed-host",
        "a.example",
        "--allowed-host",
        "B.example",
    )
    ((command, env),) = calls
    assert _streamlit_hosts(command) == [*DEFAULTS, "a.example", "b.example"]
    assert env[ENV_ALLOWED_HOSTS].split(",") == [*DEFAULTS, "a.example", "b.example"]


def test_a_specific_listen_address_is_served_a_wildcard_one_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    _, calls = _dashboard(monkeypatch, "--data", str(SAMPLE_DIR), "dashboard", "--address", "10.1.2.3")
    assert _streamlit_hosts(calls[0][0]) == [*DEFAULTS, "10.1.2.3"]
    _, calls = _dashboard(monkeypatch, "--data", str(SAMPLE_DIR), "dashboard", "--address", "0.0.0.0")
    assert _streamlit_hosts(calls[0][0]) == list(DEFAULTS)


def test_allowed_hosts_in_the_config_and_bad_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "triage-lens.yaml"
    config.write_text(f"data_dir: {SAMPLE_DIR}\nallowed_hosts: [dash.example]\n", encoding="utf-8")
    result, calls = _dashboard(monkeypatch, "--data", str(config), "dashboard")
    assert result.exit_code == 0, result.output
    assert _streamlit_hosts(calls[0][0]) == [*DEFAULTS, "dash.example"]
    result, calls = _dashboard(monkeypatch, "--data", str(SAMPLE_DIR), "dashboard", "--allowed-host", "*.example")
    assert result.exit_code == 2 and calls == []
    assert result.output.startswith("error: --allowed-host: '*.example' is not a host name")
    config.write_text("allowed_hosts: ['a b']\n", encoding="utf-8")
    result, calls = _dashboard(monkeypatch, "--data", str(config), "dashboard")
    assert result.exit_code == 2 and calls == [] and "allowed_hosts in the config" in result.output
