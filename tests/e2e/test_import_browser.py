"""Browser: on the Data page in write mode, upload an export, see the preview and the skipped records, write,
and find the records in incidents.jsonl; uploading it again changes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO
from tests.e2e.conftest import _require_browser, expect_page
from tests.e2e.server import LOCAL_HEADLESS, free_port, serving, streamlit_run

EXPORT = REPO / "tests" / "fixtures" / "importers" / "statuspage_incidents.json"


@pytest.fixture
def writable_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`streamlit run` in write mode on an empty data folder; yields (URL, folder)."""
    _require_browser()
    folder = tmp_path / "data"
    folder.mkdir()
    port = free_port()
    env = {"TRIAGE_LENS_DATA": str(folder), "TRIAGE_LENS_WRITE": "1", "XDG_CACHE_HOME": str(tmp_path / "c")}
    with serving(streamlit_run(port, *LOCAL_HEADLESS), port, log=tmp_path / "server.log", env=env) as url:
        yield url, folder


def test_upload_preview_and_write_from_the_data_page(writable_server: tuple[str, Path], page: object) -> None:
    url, folder = writable_server
    tab = page
    tab.goto(f"{url}/data")  # type: ignore[attr-defined]
    expect_page(tab, "Data & policy")
    expect(tab.get_by_text("Import incidents")).to_be_visible()  # type: ignore[attr-defined]
    tab.set_input_files("input[type=file]", str(EXPORT))  # type: ignore[attr-defined]
    expect(tab.get_by_text("6 records read, 4 mapped, 2 skipped")).to_be_visible()  # type: ignore[attr-defined]
    expect(tab.get_by_text("Skipped, with the reason:")).to_have_count(1)  # type: ignore[attr-defined]  # (grid is a canvas)
    expect(tab.get_by_text("Write mode: this writes to")).to_have_count(1)  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Write 4 incidents to the store").click()  # type: ignore[attr-defined]
    expect(tab.get_by_text("Written: 4 new, 0 updated, 0 unchanged.")).to_be_visible()  # type: ignore[attr-defined]
    records = [json.loads(line) for line in (folder / "incidents.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [
        "statuspage:p31zjtct2jer",
        "statuspage:x8k2m1n0q7rs",
        "statuspage:z9z9z9z9z9z9",
        "statuspage:k7k7k7k7k7k7",
    ]
    tab.get_by_role("button", name="Write 4 incidents to the store").click()  # type: ignore[attr-defined]
    expect(tab.get_by_text("Written: 0 new, 0 updated, 4 unchanged.")).to_be_visible()  # type: ignore[attr-defined]
    assert len((folder / "incidents.jsonl").read_text().splitlines()) == 4


def test_openrca_results_uploaded_on_the_data_page_become_benchmark_runs(
    writable_server: tuple[str, Path], page: object, tmp_path: Path
) -> None:
    from tests.importers.test_openrca import ROWS, csv_bytes

    url, folder = writable_server
    bank, telecom = tmp_path / "agent-Bank.csv", tmp_path / "agent-Telecom.csv"
    bank.write_bytes(csv_bytes(ROWS))
    telecom.write_bytes(csv_bytes(ROWS[:2]))
    tab = page
    tab.goto(f"{url}/data")  # type: ignore[attr-defined]
    expect_page(tab, "Data & policy")
    tab.set_input_files("input[type=file]", [str(bank), str(telecom)])  # type: ignore[attr-defined]  # two at once
    expect(tab.get_by_text("OpenRCA agent results are benchmark runs, not incidents.")).to_be_visible()  # type: ignore[attr-defined]
    expect(tab.get_by_text("3 cases, 1 exact match (33%), mean partial score 0.500")).to_be_visible()  # type: ignore[attr-defined]
    expect(tab.get_by_text("2 cases, 1 exact match (50%), mean partial score 0.750")).to_be_visible()  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Write the 2 runs").click()  # type: ignore[attr-defined]
    expect(tab.get_by_text("Written: 2 runs, 0 unchanged.")).to_be_visible()  # type: ignore[attr-defined]
    lines = (folder / "runs" / "openrca-Bank.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["passed", "failed", "failed"]
    assert (folder / "runs" / "openrca-Telecom.jsonl").is_file()
    tab.get_by_role("button", name="Write the 2 runs").click()  # type: ignore[attr-defined]
    expect(tab.get_by_text("Unchanged: every run is already there, byte for byte.")).to_be_visible()  # type: ignore[attr-defined]
    tab.goto(f"{url}/runs?range=all")  # type: ignore[attr-defined]  # the new runs/ folder, without a restart
    expect_page(tab, "Benchmark runs")
    verdict = re.compile(r"passed 1 of (3 cases \(33%\)|2 cases \(50%\))")  # Bank's or Telecom's, whichever is shown
    expect(tab.get_by_text(verdict)).to_be_visible()  # type: ignore[attr-defined]
