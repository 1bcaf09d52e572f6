"""Browser fixtures: a real `streamlit run` on a free port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but /usr/bin/chromium is missing: browser tests must run in CI (apt-get install chromium)")
    pytest.skip("browser tests need /usr/bin/chromium (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on the bundled sample, on a free port; yields its base URL."""
    _require_browser()
    port = _free_port()
    env = dict(os.environ)
    env.update(
        TRIAGE_LENS_DATA=str(SAMPLE_DIR),
        TRIAGE_LENS_DEBUG="1",  # a page that raises shows Streamlit's (redacted) exception box, which tests catch
        XDG_CACHE_HOME=str(tmp_path_factory.mktemp("browser-cache")),
    )
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO / "dashboard" / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
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


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()


def wait_for_app(tab: object) -> None:
    """Wait until the script has finished running (Streamlit's own e2e idiom)."""
    tab.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)  # type: ignore[attr-defined]
    tab.wait_for_timeout(300)  # type: ignore[attr-defined]
    tab.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)  # type: ignore[attr-defined]
