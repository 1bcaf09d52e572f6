"""One way to start a dashboard server for the browser tests: a command on a free port, polled on
`/_stcore/health` until it answers, stopped when the test is done."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO

# What .streamlit/config.toml sets, on the command line for a server started elsewhere or checked without it.
LOCAL_HEADLESS = ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def streamlit_run(port: int, *options: str, module: str = "dashboard.serve") -> list[str]:
    """`python -m dashboard.serve run dashboard/app.py --server.port <port>`, then ``options``: Streamlit's own
    `streamlit run` with the start-up warm-up beside it, as `triage-lens dashboard` (and `make run`) starts it;
    ``module="streamlit"`` for a plain `streamlit run`."""
    return [
        sys.executable,
        "-m",
        module,
        "run",
        str(REPO / "dashboard" / "app.py"),
        "--server.port",
        str(port),
        *options,
    ]


@contextmanager
def serving(command: list[str], port: int, *, log: Path, env: Mapping[str, str], cwd: Path = REPO) -> Iterator[str]:
    """Run ``command`` (a server on ``port``) with ``env`` added to this process's environment, its output in
    ``log``; yield its base URL once `/_stcore/health` answers (fail the test after 60 s), stop it afterwards.

    The health endpoint does not run the app: the first page a test opens is the app's first request."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"streamlit did not come up; log:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
