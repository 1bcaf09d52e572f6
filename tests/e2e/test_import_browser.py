"""Browser: on the Data page in write mode, upload an export, see the preview and the skipped records, write,
and find the records in incidents.jsonl; uploading it again changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import _free_port, _require_browser, wait_for_app

EXPORT = REPO / "tests" / "fixtures" / "importers" / "statuspage_incidents.json"


@pytest.fixture
def writable_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`streamlit run` in write mode on an empty data folder; yields (URL, folder)."""
    _require_browser()
    folder = tmp_path / "data"
    folder.mkdir()
    port = _free_port()
    env = dict(os.environ, TRIAGE_LENS_DATA=str(folder), TRIAGE_LENS_WRITE="1", XDG_CACHE_HOME=str(tmp_path / "c"))
    log = (tmp_path / "server.log").open("w")
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
        stdout=log,
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
                pytest.fail(f"streamlit did not come up; log:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.3)
        yield url, folder
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_upload_preview_and_write_from_the_data_page(writable_server: tuple[str, Path], page: object) -> None:
    url, folder = writable_server
    tab = page
    tab.goto(f"{url}/data")  # type: ignore[attr-defined]
    wait_for_app(tab)
    tab.get_by_text("Import incidents").wait_for()  # type: ignore[attr-defined]
    tab.set_input_files("input[type=file]", str(EXPORT))  # type: ignore[attr-defined]
    tab.get_by_text("6 records read, 4 mapped, 2 skipped").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert tab.get_by_text("Skipped, with the reason:").count() == 1  # type: ignore[attr-defined]  # (grid is a canvas)
    assert tab.get_by_text("Write mode: this writes to").count() == 1  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Write 4 incidents to the store").click()  # type: ignore[attr-defined]
    tab.get_by_text("Written: 4 new, 0 updated, 0 unchanged.").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    records = [json.loads(line) for line in (folder / "incidents.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [
        "statuspage:p31zjtct2jer",
        "statuspage:x8k2m1n0q7rs",
        "statuspage:z9z9z9z9z9z9",
        "statuspage:k7k7k7k7k7k7",
    ]
    tab.get_by_role("button", name="Write 4 incidents to the store").click()  # type: ignore[attr-defined]
    tab.get_by_text("Written: 0 new, 0 updated, 4 unchanged.").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert len((folder / "incidents.jsonl").read_text().splitlines()) == 4
