"""The browser: the Overview answers first, Back/Forward restore views, deep links as a fresh server's first request."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.registry import PAGES
from tests.conftest import SAMPLE_DIR
from tests.e2e.conftest import expect_page, wait_for_app
from tests.e2e.server import LOCAL_HEADLESS, free_port, serving, streamlit_run

pytestmark = pytest.mark.browser


@contextmanager
def fresh_server(command: list[str], port: int, tmp_path: Path) -> Iterator[str]:
    """A server nobody has requested anything from yet, run from ``tmp_path``; yields its base URL."""
    env = {"TRIAGE_LENS_DATA": str(SAMPLE_DIR), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with serving(command, port, log=tmp_path / f"server-{port}.log", env=env, cwd=tmp_path) as url:
        yield url


def test_a_deep_link_is_the_first_request_of_a_plain_streamlit_run(page: object, tmp_path: Path) -> None:
    port = free_port()
    # run from another folder: no pages/ next to the entry script, nothing found by Streamlit's folder discovery
    with fresh_server(streamlit_run(port, *LOCAL_HEADLESS, module="streamlit"), port, tmp_path) as url:
        tab = page
        tab.goto(f"{url}/misses?range=14d")  # type: ignore[attr-defined]
        expect_page(tab, "Misses")
        expect(tab).to_have_url(re.compile(r"/misses\?range=14d$"))  # type: ignore[call-overload]
        nav = tab.locator("[data-testid='stSidebar'] [data-testid='stPageLink']")  # type: ignore[attr-defined]
        expect(nav).to_have_count(len(PAGES))
        assert [t.split("\n")[-1].strip() for t in nav.all_inner_texts()] == [spec.title for spec in PAGES]
        # the menu's links carry the filters to the next page
        expect(nav.get_by_role("link", name="Incidents")).to_have_attribute("href", "incidents?range=14d")
        sidebar = tab.locator("[data-testid='stSidebar']")  # type: ignore[attr-defined]
        expect(sidebar.get_by_role("combobox", name="Time range")).to_have_value("14d")
        expect(tab.get_by_text("misses since 14d").first).to_be_visible()  # type: ignore[attr-defined]
        expect(tab.locator("[role='dialog']")).to_have_count(0)  # type: ignore[attr-defined]


def test_unknown_page_names_land_on_the_overview_with_the_filters(page: object, tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "triage_lens.cli.main",
        "--data",
        str(SAMPLE_DIR),
        "dashboard",
        "--port",
        str(port),
    ]
    with fresh_server(command, port, tmp_path) as url:
        tab = page
        tab.goto("data:text/html,<title>before</title>")  # type: ignore[attr-defined]
        for path in ("/nonexistent?range=14d&service=gateway", "/overview"):
            tab.goto(f"{url}{path}")  # type: ignore[attr-defined]
            expect_page(tab, "Overview")
            expect(tab.get_by_role("heading", name="Needs attention")).to_be_visible()  # type: ignore[attr-defined]
            expect(tab).to_have_url(f"{url}{path}")  # type: ignore[call-overload]  # no redirect, so Back is not trapped
            expect(tab.locator("[role='dialog']")).to_have_count(0)  # type: ignore[attr-defined]  # no "page not found"
            menu = tab.locator("[data-testid='stSidebar'] [data-testid='stPageLink']")  # type: ignore[attr-defined]
            expect(menu).to_have_count(len(PAGES))  # the app's menu, without the landing page
            if "range=14d" in path:
                sidebar = tab.locator("[data-testid='stSidebar']")  # type: ignore[attr-defined]
                expect(sidebar.get_by_role("combobox", name="Time range")).to_have_value("14d")
                expect(sidebar.locator("[data-testid='stMultiSelect']").first).to_contain_text("gateway")
                expect(tab.get_by_text("Range: last 14d · Services: gateway").first).to_be_visible()  # type: ignore[attr-defined]
        tab.go_back()  # type: ignore[attr-defined]
        wait_for_app(tab)
        expect(tab).to_have_url(f"{url}/nonexistent?range=14d&service=gateway")  # type: ignore[call-overload]
        tab.go_back()  # type: ignore[attr-defined]
        tab.wait_for_url("data:**")  # type: ignore[attr-defined]  # Back leaves the app


def test_back_and_forward_restore_each_view(streamlit_server: str, page: object) -> None:
    tab = page
    tab.goto(f"{streamlit_server}/misses?range=14d")  # type: ignore[attr-defined]
    expect_page(tab, "Misses")
    time_range = tab.locator("[data-testid='stSidebar']").get_by_role("combobox", name="Time range")  # type: ignore[attr-defined]

    def expect_view(since: str) -> None:
        """The URL, the picker and the page's caption all say ``since`` (each retried until it holds)."""
        wait_for_app(tab)
        expect(tab).to_have_url(re.compile(rf"\?range={since}$"))  # type: ignore[call-overload]
        expect(time_range).to_have_value(since)
        expect(tab.get_by_text(f"misses since {since} ").first).to_be_visible()  # type: ignore[attr-defined]

    expect_view("14d")
    time_range.click()
    tab.get_by_role("option", name="7d", exact=True).click()  # type: ignore[attr-defined]
    expect_view("7d")
    tab.go_back()  # type: ignore[attr-defined]
    expect_view("14d")
    tab.go_forward()  # type: ignore[attr-defined]
    expect_view("7d")

    # a page control used as tabs: the recurrence window
    tab.goto(f"{streamlit_server}/recurrence")  # type: ignore[attr-defined]
    expect_page(tab, "Recurrence")
    chosen = tab.locator("[data-testid='stButtonGroup'] [aria-checked='true']")  # type: ignore[attr-defined]

    def expect_window(label: str, url_end: str) -> None:
        wait_for_app(tab)
        expect(chosen).to_have_text(label)
        expect(tab).to_have_url(re.compile(re.escape(url_end) + "$"))  # type: ignore[call-overload]

    expect_window("Last 7 days", "/recurrence")
    tab.get_by_role("radio", name="Last 30 days").click()  # type: ignore[attr-defined]
    expect_window("Last 30 days", "/recurrence?window=30")
    tab.go_back()  # type: ignore[attr-defined]
    expect_window("Last 7 days", "/recurrence")
    tab.go_forward()  # type: ignore[attr-defined]
    expect_window("Last 30 days", "/recurrence?window=30")


def test_overview_answers_first_at_1440x900(streamlit_server: str, browser: object, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    tab = context.new_page()
    try:
        tab.goto(f"{streamlit_server}/?range=7d")
        expect_page(tab, "Overview")
        heading = tab.get_by_role("heading", name="Needs attention")
        expect(heading).to_be_visible()
        box = heading.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 450, box
        tab.screenshot(path=str(tmp_path / "overview-1440x900.png"))
        misses_7d = tab.get_by_test_id("stMetric").filter(has_text="Misses, last 7d").get_by_test_id("stMetricValue")
        expect(misses_7d).to_have_text(re.compile(r"^[\d,]+$"))
        seven = misses_7d.inner_text()
        # the open P0 (second item, after the overdue follow-up that issue 23 puts first) links to the Incidents page
        # with that incident and the filters
        tab.locator("[data-testid='stMain']").get_by_role("link", name="Incident").nth(1).click()
        expect_page(tab, "Incidents")
        for part in ("range=7d", "status=unresolved", "incident=inc_20261113_2239_64d561"):
            expect(tab).to_have_url(re.compile(re.escape(part)))
        expect(tab.get_by_text("Related to inc_20261113_2239_64d561").first).to_be_visible()
        # the numbers follow the range
        tab.goto(f"{streamlit_server}/?range=30d")
        expect_page(tab, "Overview")
        thirty = tab.get_by_test_id("stMetric").filter(has_text="Misses, last 30d").get_by_test_id("stMetricValue")
        expect(thirty).to_have_text(re.compile(r"^[\d,]+$"))
        assert int(thirty.inner_text().replace(",", "")) > int(seven.replace(",", ""))
    finally:
        context.close()
