"""Nothing leaves the server (issue 12 item 4, issue 11 item 9): a data folder whose every text field holds beacon
strings (a Markdown image, an HTML image, a bare URL, a Markdown link, all pointing at 127.0.0.2) is rendered on
every page; the browser must make no request outside 127.0.0.1:<port> (fonts and the page icon included) and
show no clickable link or image to the beacon host. The bundled sample is checked the same way."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import expect

from dashboard.registry import PAGES
from tests.conftest import SAMPLE_DIR
from tests.e2e.conftest import _require_browser, expect_no_exception, expect_page, wait_for_app
from tests.e2e.server import free_port, serving, streamlit_run

pytestmark = pytest.mark.browser

BEACON_HOST = "127.0.0.2"
BEACON = (
    f"![b](http://{BEACON_HOST}:9/x.png) <img src=http://{BEACON_HOST}:9/y> http://{BEACON_HOST}:9/z "
    f"[link](http://{BEACON_HOST}:9/w) www.{BEACON_HOST}.nip.io `tick` "
)
KEEP = {"timestamp", "ts", "started_at", "ended_at", "validity_score", "score"}
ENUMS = {"severity", "status", "rating", "taxonomy", "type", "band"}
LINES_KEPT = 300


def _hostile(value: object, index: int, key: str) -> object:
    if isinstance(value, str) and key not in KEEP and (key not in ENUMS or index % 7 == 0):
        return BEACON + value
    if isinstance(value, list):
        return [_hostile(v, index, key) for v in value]
    if isinstance(value, dict):
        return {k: _hostile(v, index, k) for k, v in value.items()}
    return value


def build_hostile_folder(target: Path) -> Path:
    """The sample's last lines with the beacon prepended to every text field (enums on every 7th record)."""
    target.mkdir(parents=True, exist_ok=True)
    for source in SAMPLE_DIR.glob("*.jsonl"):
        lines = source.read_text().splitlines()[-LINES_KEPT:]
        records = [_hostile(json.loads(line), i, "") for i, line in enumerate(lines)]
        (target / source.name).write_text("".join(json.dumps(r) + "\n" for r in records))
    ledger = pl.read_csv(SAMPLE_DIR / "error_ledger.csv", infer_schema=False).tail(2000)
    ledger = ledger.with_columns(
        [(pl.lit(BEACON) + pl.col(c)).alias(c) for c in ledger.columns if c not in ("timestamp", "category")]
    )
    ledger.write_csv(target / "error_ledger.csv")
    (target / "sample.json").write_text((SAMPLE_DIR / "sample.json").read_text())
    return target


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    folder = build_hostile_folder(tmp_path_factory.mktemp("hostile") / "data")
    log = tmp_path_factory.mktemp("hostile-log") / "server.log"
    env = {"TRIAGE_LENS_DATA": str(folder), "TRIAGE_LENS_DEBUG": "1", "XDG_CACHE_HOME": str(log.parent)}
    port = free_port()
    # no address/headless/usage-stats options: .streamlit/config.toml (cwd=REPO) sets them, and is checked here
    with serving(streamlit_run(port), port, log=log, env=env) as url:
        yield url


def _visit_every_page(page: object, base: str, extra: list[str]) -> tuple[list[str], list[str]]:
    """Open every page (and ``extra`` URLs); return (requests outside base, beacon links or images found)."""
    outside: list[str] = []
    found: list[str] = []

    def record(request: object) -> None:
        address = request.url  # type: ignore[attr-defined]
        if not address.startswith((base + "/", "data:", "blob:")) and address != base:
            outside.append(address)

    page.on("request", record)  # type: ignore[attr-defined]
    titles = [*(spec.title for spec in PAGES), *(None for _ in extra)]
    for url, title in zip([*(f"{base}/{spec.url_path}" for spec in PAGES), *extra], titles, strict=True):
        page.goto(url)  # type: ignore[attr-defined]
        if title is not None:
            expect_page(page, title)
        else:
            wait_for_app(page)
            expect(page.locator("h1").first).to_be_visible()  # type: ignore[attr-defined]
            expect_no_exception(page)
        for selector, attribute in (("a[href]", "href"), ("img[src]", "src"), ("[src]", "src"), ("[href]", "href")):
            for element in page.locator(selector).all():  # type: ignore[attr-defined]
                value = element.get_attribute(attribute) or ""
                target = urllib.parse.urlsplit(urllib.parse.urljoin(url, value))
                if target.scheme in ("http", "https") and target.netloc != urllib.parse.urlsplit(base).netloc:
                    found.append(f"{url}: <{selector}> {value}")
        page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]  # what the page fetches, fetched
    return outside, found


def test_beacon_strings_in_every_field_fetch_and_link_nothing(hostile_server: str, page: object) -> None:
    first_incident = json.loads((SAMPLE_DIR / "incidents.jsonl").read_text().splitlines()[-1])["id"]
    incident_url = f"{hostile_server}/incidents?" + urllib.parse.urlencode({"incident": BEACON + first_incident})
    outside, found = _visit_every_page(page, hostile_server, [incident_url])
    assert outside == [], outside
    assert found == [], found
    # Not vacuous: the beacon text is on the page, shown as text.
    page.goto(incident_url)  # type: ignore[attr-defined]
    wait_for_app(page)
    expect(page.locator("[data-testid='stMain']")).to_contain_text("Related to")  # type: ignore[attr-defined]
    body = page.locator("[data-testid='stMain']").inner_text()  # type: ignore[attr-defined]
    assert "Related to" in body and f"{BEACON_HOST}:9/x.png" in body
    assert "![b](http" in body.replace("\u2060", "")


def test_the_sample_fetches_nothing_from_outside(streamlit_server: str, page: object) -> None:
    outside, found = _visit_every_page(page, streamlit_server, [])
    assert outside == [], outside
    assert found == []
