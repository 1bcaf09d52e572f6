"""The Benchmark runs page in a real browser: charts drawn, the URL state applied, the grid CSV as filtered."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import expect_page

pytestmark = pytest.mark.browser


def test_benchmark_runs_page_filters_and_grid_download(streamlit_server: str, page: object, tmp_path: Path) -> None:
    tab = page
    tab.goto(f"{streamlit_server}/runs?taxonomy=retrieval_gap")  # type: ignore[attr-defined]
    expect_page(tab, "Benchmark runs")
    verdict = tab.get_by_text("The newest run (2026-11-16 02:00 UTC) passed 5 of 14 tests")  # type: ignore[attr-defined]
    expect(verdict).to_have_count(1)
    expect(tab.locator("[data-testid='stVegaLiteChart']")).to_have_count(2)  # type: ignore[attr-defined]
    button = tab.get_by_role("button", name="Download the grid")  # type: ignore[attr-defined]
    with tab.expect_download() as download_info:  # type: ignore[attr-defined]
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("benchmark_grid_range-30d_taxonomy-retrieval_gap_")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [r["scenario"] for r in rows] == [
        "0002_authtokenfailures_retrieval_gap",  # failed in the newest run: first
        "0002_gatewayupstream5xx_retrieval_gap",
        "0004_searchindexlag_retrieval_gap",
        "0005_gatewayupstream5xx_retrieval_gap",
    ]
    assert list(rows[0])[4:] == ["10-21 02:00", "10-28 02:00", "11-04 02:00", "11-09 02:00", "11-16 02:00"]
    assert [rows[0][c] for c in list(rows[0])[4:]] == ["failed", "passed", "passed", "passed", "failed"]
    tab.screenshot(path=str(tmp_path / "runs.png"), full_page=True)  # type: ignore[attr-defined]
