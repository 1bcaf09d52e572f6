"""#24 item 7 in a real browser: a page that rebinds its own name to 127.0.0.1 (Chromium's --host-resolver-rules
maps evil.example there) gets no dashboard. ``triage-lens dashboard`` refuses its WebSocket (Streamlit's public
``server.allowedHosts``); a server without that option still shows only the entry script's short refusal.
127.0.0.1, localhost and a name given with --allowed-host keep working."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import SAMPLE_DIR
from tests.e2e.conftest import expect_page, launch_chromium, wait_for_app
from tests.e2e.server import LOCAL_HEADLESS, free_port, serving, streamlit_run
from triage_lens.hosts import HOST_REFUSAL

RULES = "--host-resolver-rules=MAP evil.example 127.0.0.1, MAP other.example 127.0.0.1"
DATA_TEXT = ("Overview", "Misses", "Incidents", "Benchmark")  # page names in the menu, headings


@pytest.fixture(scope="module")
def rebinding_browser(playwright_driver: object) -> Iterator[object]:
    instance = launch_chromium(playwright_driver, RULES)
    yield instance
    instance.close()  # type: ignore[attr-defined]


def _env(tmp_path: Path) -> dict[str, str]:
    return {"TRIAGE_LENS_DATA": str(SAMPLE_DIR), "XDG_CACHE_HOME": str(tmp_path / "cache")}


def _open(browser: object, url: str) -> object:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.goto(url)
    return tab


def _wait_for_log(log: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} never appeared in the server log:\n{log.read_text()}")
        time.sleep(0.2)


def test_the_dashboard_command_refuses_a_rebound_host_and_serves_the_allowed_ones(
    rebinding_browser: object, tmp_path: Path
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "triage_lens", "dashboard", "--port", str(port), "--allowed-host", "other.example"]
    log = tmp_path / "server.log"
    with serving(command, port, log=log, env=_env(tmp_path)):
        for host in ("127.0.0.1", "localhost", "other.example"):
            tab = _open(rebinding_browser, f"http://{host}:{port}/")
            expect_page(tab, "Overview")
            tab.context.close()  # type: ignore[attr-defined]
        tab = _open(rebinding_browser, f"http://evil.example:{port}/")
        _wait_for_log(log, "Rejecting WebSocket connection with disallowed Origin or Host header")
        body = tab.inner_text("body")  # type: ignore[attr-defined]
        assert not any(word in body for word in DATA_TEXT), body
        expect(tab.locator("[data-testid='stSidebar']")).to_have_count(0)  # type: ignore[attr-defined]
        tab.context.close()  # type: ignore[attr-defined]


def test_without_the_websocket_check_the_entry_script_shows_only_a_refusal(
    rebinding_browser: object, tmp_path: Path
) -> None:
    port = free_port()
    # "*": Streamlit accepts every Host, so only the entry script's own check stands between the page and the data
    command = streamlit_run(port, *LOCAL_HEADLESS, "--server.allowedHosts", "*")
    with serving(command, port, log=tmp_path / "server.log", env=_env(tmp_path)):
        tab = _open(rebinding_browser, f"http://evil.example:{port}/")
        wait_for_app(tab)
        expect(tab.get_by_text("does not answer to this host name").first).to_be_visible()  # type: ignore[attr-defined]
        assert HOST_REFUSAL.startswith("This dashboard")
        body = tab.inner_text("body")  # type: ignore[attr-defined]  # the run is over: what it shows, it shows
        assert not any(word in body for word in DATA_TEXT), body
        expect(tab.locator("[data-testid='stSidebar']")).to_have_count(0)  # type: ignore[attr-defined]
        expect(tab.get_by_role("button")).to_have_count(0)  # type: ignore[attr-defined]  # no download, no widget
        tab.screenshot(path=str(tmp_path / "refusal.png"))  # type: ignore[attr-defined]
        tab.context.close()  # type: ignore[attr-defined]
        tab = _open(rebinding_browser, f"http://localhost:{port}/")
        expect_page(tab, "Overview")
        tab.context.close()  # type: ignore[attr-defined]
