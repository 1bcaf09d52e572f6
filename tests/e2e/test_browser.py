"""A real browser against `streamlit run`: every page through the navigation, no exception, screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.registry import PAGES
from tests.e2e.conftest import expect_no_exception, expect_page, wait_for_app

pytestmark = pytest.mark.browser


def test_visit_every_page_through_the_navigation(streamlit_server: str, page: object, tmp_path: Path) -> None:
    tab = page
    tab.goto(f"{streamlit_server}/?range=14d")  # type: ignore[attr-defined]
    expect_page(tab, "Overview")
    for spec in PAGES:
        tab.locator("[data-testid='stSidebar'] [data-testid='stPageLink'] a", has_text=spec.title).first.click()  # type: ignore[attr-defined]
        expect_page(tab, spec.title)
        banner = tab.locator("[data-testid='stSidebar']", has_text="Sample data")  # type: ignore[attr-defined]
        expect(banner).to_have_count(1)
        expect(tab).to_have_url(re.compile(r"range=14d"))  # type: ignore[call-overload]  # the filters survive navigation
        tab.screenshot(path=str(tmp_path / f"{spec.url_path}.png"), full_page=True)  # type: ignore[attr-defined]
    assert len(list(tmp_path.glob("*.png"))) == len(PAGES)


def test_time_range_and_service_filters_live_in_the_url(streamlit_server: str, page: object) -> None:
    tab = page
    tab.goto(f"{streamlit_server}/data?range=90d&service=gateway")  # type: ignore[attr-defined]
    expect_page(tab, "Data & policy")
    sidebar = tab.locator("[data-testid='stSidebar']")  # type: ignore[attr-defined]
    time_range = sidebar.get_by_role("combobox", name="Time range")
    expect(time_range).to_have_value("90d")
    expect(sidebar.locator("[data-testid='stMultiSelect']").first).to_contain_text("gateway")
    time_range.click()
    tab.get_by_role("option", name="7d", exact=True).click()  # type: ignore[attr-defined]
    wait_for_app(tab)
    expect(tab).to_have_url(re.compile(r"range=7d"))  # type: ignore[call-overload]
    expect(tab).to_have_url(re.compile(r"service=gateway"))  # type: ignore[call-overload]
    expect(tab.locator("h1").first).to_have_text("Data & policy")  # type: ignore[attr-defined]


def test_scenarios_zip_download_has_the_export_tree(streamlit_server: str, page: object, tmp_path: Path) -> None:
    import io
    import zipfile

    from click.testing import CliRunner

    from tests.conftest import SAMPLE_DIR
    from triage_lens.cli.main import cli

    tab = page
    tab.goto(f"{streamlit_server}/scenarios?top=5&range=14d")  # type: ignore[attr-defined]
    expect_page(tab, "Scenarios")
    button = tab.get_by_role("button", name="Download 5 scenario(s) (ZIP)")  # type: ignore[attr-defined]
    with tab.expect_download() as download_info:  # type: ignore[attr-defined]
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("scenarios_since-14d_top-5_")
    data = Path(download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
    out = tmp_path / "cli"
    CliRunner().invoke(
        cli, ["--data", str(SAMPLE_DIR), "misses", "export", "--out", str(out), "--since", "14d", "--top", "5"]
    )
    expected = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == expected
    assert len([n for n in names if n.endswith("/alert.json")]) == 5
    tab.screenshot(path=str(tmp_path / "scenarios.png"), full_page=True)  # type: ignore[attr-defined]


def test_misses_page_filters_and_downloads(streamlit_server: str, page: object, tmp_path: Path) -> None:
    import io

    tab = page
    tab.goto(f"{streamlit_server}/misses?taxonomy=reasoning_gap")  # type: ignore[attr-defined]
    expect_page(tab, "Misses")
    expect(tab.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()  # type: ignore[attr-defined]
    button = tab.get_by_role("button", name="(CSV)")  # type: ignore[attr-defined]
    with tab.expect_download() as download_info:  # type: ignore[attr-defined]
        button.click()
    download = download_info.value
    assert "taxonomy-reasoning_gap" in download.suggested_filename
    import csv

    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows and "user_id" not in rows[0]
    assert {row["taxonomy"] for row in rows} == {"reasoning_gap"}


def test_error_severity_page_shows_the_header_and_both_charts(
    streamlit_server: str, page: object, tmp_path: Path
) -> None:
    tab = page
    tab.goto(f"{streamlit_server}/severity")  # type: ignore[attr-defined]
    wait_for_app(tab)
    expect(tab.get_by_text("2 critical, 1 warning").first).to_be_visible()  # type: ignore[attr-defined]
    expect(tab.locator("[data-testid='stVegaLiteChart']")).to_have_count(2)  # type: ignore[attr-defined]
    expect_no_exception(tab)
    with tab.expect_download() as download_info:  # type: ignore[attr-defined]
        tab.get_by_role("button", name="providers (JSON)").click()  # type: ignore[attr-defined]
    import json

    providers = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert [p["provider"] for p in providers][:2] == ["google_ads", "stripe"]
    tab.screenshot(path=str(tmp_path / "severity.png"), full_page=True)  # type: ignore[attr-defined]


def test_confidence_page_shows_calibration_in_a_browser(streamlit_server: str, page: object) -> None:
    tab = page
    tab.goto(f"{streamlit_server}/confidence?range=all")  # type: ignore[attr-defined]
    wait_for_app(tab)
    expect(tab.get_by_text("Overconfident:").first).to_be_visible()  # type: ignore[attr-defined]
    # band mix, calibration and the gateway helpful rate per week
    expect(tab.locator("[data-testid='stVegaLiteChart']")).to_have_count(3, timeout=30_000)  # type: ignore[attr-defined]
    expect_no_exception(tab)


def test_digest_download_and_incident_drill_down(streamlit_server: str, page: object) -> None:
    tab = page
    tab.goto(f"{streamlit_server}/digest?week=2026-W46")  # type: ignore[attr-defined]
    wait_for_app(tab)
    expect(tab.get_by_text("Weekly Incident Digest — 2026-W46").first).to_be_visible()  # type: ignore[attr-defined]
    expect_no_exception(tab)
    with tab.expect_download() as download_info:  # type: ignore[attr-defined]
        tab.get_by_role("button", name="Download digest (.md)").click()  # type: ignore[attr-defined]
    assert download_info.value.suggested_filename == "2026-W46.md"
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# Weekly Incident Digest — 2026-W46\n")
    tab.goto(f"{streamlit_server}/incidents?incident=inc_20261114_2127_22c096")  # type: ignore[attr-defined]
    wait_for_app(tab)
    expect(tab.get_by_text("Related to inc_20261114_2127_22c096").first).to_be_visible()  # type: ignore[attr-defined]
    expect(tab.locator("[data-testid='stVegaLiteChart']")).to_have_count(2)  # type: ignore[attr-defined]
    expect_no_exception(tab)
