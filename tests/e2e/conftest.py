"""Browser fixtures: a real `streamlit run` on a free port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import SAMPLE_DIR
from tests.e2e.server import LOCAL_HEADLESS, free_port, serving, streamlit_run

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
    port = free_port()
    env = {
        "TRIAGE_LENS_DATA": str(SAMPLE_DIR),
        "TRIAGE_LENS_DEBUG": "1",  # a page that raises shows Streamlit's (redacted) exception box, which tests catch
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("browser-cache")),
    }
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with serving(streamlit_run(port, *LOCAL_HEADLESS), port, log=log, env=env) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    """The one Playwright of the session: its sync API cannot be started twice in one process."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch_chromium(playwright: object, *extra_args: str) -> object:
    """Debian's Chromium, headless, with :data:`CHROMIUM_ARGS` (and ``extra_args``)."""
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture(scope="session")
def browser(playwright_driver: object) -> Iterator[object]:
    instance = launch_chromium(playwright_driver)
    yield instance
    instance.close()  # type: ignore[attr-defined]


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()


APP = "[data-testid='stApp']"
WAIT_MS = 60_000  # a ceiling for a loaded machine, never a delay: every wait below returns as soon as it holds
expect.set_options(timeout=30_000)  # every retrying expectation in the browser tests, the same ceiling


def wait_for_app(tab: object, timeout: int = WAIT_MS) -> None:
    """Wait as Streamlit's own end-to-end suite does (e2e_playwright/conftest.py, ``wait_for_app_run``): the
    websocket is connected and the script run has finished; then no element is still a loading skeleton.

    These are states, not delays. Right after a click the previous run's ``notRunning`` may still show, so
    what a test checks next is asserted with a retrying ``expect(...)``, never a one-shot ``count()``."""
    expect(tab.locator(f"{APP}[data-test-connection-state='CONNECTED']")).to_be_attached(timeout=timeout)  # type: ignore[attr-defined]
    expect(tab.locator(f"{APP}[data-test-script-state='notRunning']")).to_be_attached(timeout=timeout)  # type: ignore[attr-defined]
    expect(tab.locator("[data-testid='stSkeleton']")).to_have_count(0, timeout=timeout)  # type: ignore[attr-defined]


def expect_page(tab: object, title: str, timeout: int = WAIT_MS) -> None:
    """The page ``title`` has rendered (its heading, after the run finished) and shows no exception box.
    The heading first: an exception check alone passes on a page that has not rendered yet."""
    wait_for_app(tab, timeout)
    expect(tab.locator("h1").first).to_have_text(title, timeout=timeout)  # type: ignore[attr-defined]
    expect_no_exception(tab)


def expect_no_exception(tab: object) -> None:
    expect(tab.locator("[data-testid='stException']")).to_have_count(0)  # type: ignore[attr-defined]
