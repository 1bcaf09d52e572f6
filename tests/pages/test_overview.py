"""The Overview: "Needs attention" first, numbers that follow the sidebar filters and equal the pages they link
to, and a page that renders on folders holding a single input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES_DIR
from tests.conftest import REPO, SAMPLE_DIR, write_lines
from triage_lens.cli.main import cli

APP = str(REPO / "dashboard" / "app.py")
NOW = '{"now": "2026-11-16T09:00:00+00:00"}'


def run_page(
    monkeypatch: pytest.MonkeyPatch, data: Path, script: str = "overview.py", **params: str | list[str]
) -> AppTest:
    """A fresh session on ``data`` with ``params`` in the URL, switched to ``script``."""
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(data))
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if script != "overview.py":
        app.switch_page(str(PAGES_DIR / script)).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def captions(app: AppTest) -> str:
    return "\n".join(c.value for c in app.caption)


FILTERS = [
    pytest.param({"range": "7d"}, id="7d-all-services"),
    pytest.param({"range": "30d", "service": ["ingest-worker", "auth"]}, id="30d-two-services"),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_overview_numbers_equal_the_pages_they_link_to(
    filters: dict[str, str | list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    range_key = str(filters["range"])
    overview_page = run_page(monkeypatch, SAMPLE_DIR, **filters)
    overview = metrics(overview_page)

    rated = re.search(r"n=([\d,]+) rated", captions(overview_page))
    confidence = re.search(
        r"([\d,]+) rated by a human", captions(run_page(monkeypatch, SAMPLE_DIR, "confidence.py", **filters))
    )
    assert rated is not None and confidence is not None
    assert rated.group(1) == confidence.group(1)  # the accuracy tile's ratings are the Confidence page's

    incidents = run_page(monkeypatch, SAMPLE_DIR, "incidents.py", status="unresolved", **filters)
    shown = re.search(r"([\d,]+) incidents", captions(incidents))
    assert shown is not None
    assert overview[f"Open incidents, started last {range_key}"] == shown.group(1)

    misses = run_page(monkeypatch, SAMPLE_DIR, "misses.py", **filters)
    total = re.search(r"\*\*([\d,]+)\*\* misses since", captions(misses))
    assert total is not None
    assert overview[f"Misses, last {range_key}"] == total.group(1)
    fix = re.search(rf"Pair fix rate, last {range_key}: \*\*(\d+%)\*\*", captions(misses))
    assert fix is not None
    assert overview[f"Pair fix rate, last {range_key}"] == fix.group(1)

    # and the misses count is what `triage-lens misses stats --since <range>` prints
    stats = json.loads(
        CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "misses", "stats", "--since", range_key, "--json"]).stdout
    )
    assert overview[f"Misses, last {range_key}"] == f"{stats['total']:,}"


def test_overview_open_incidents_by_hand_on_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    # data/sample/incidents.jsonl, now 2026-11-16T09:00Z: open or mitigating incidents started in the range —
    # 7d: inc_20261113_2239_64d561 (P0), inc_20261116_0649_d593f2 (P2, mitigating), inc_20261116_0717_971bac (P1);
    # 30d adds inc_20261022_0814_c4c11c, inc_20261023_0632_7f17e6 and inc_20261024_0738_ebb929;
    # 30d with ingest-worker and auth: 0717, 0649, 0632 (ingest-worker) and 0738 (auth).
    assert metrics(run_page(monkeypatch, SAMPLE_DIR, range="7d"))["Open incidents, started last 7d"] == "3"
    assert metrics(run_page(monkeypatch, SAMPLE_DIR, range="30d"))["Open incidents, started last 30d"] == "6"
    chosen = run_page(monkeypatch, SAMPLE_DIR, range="30d", service=["ingest-worker", "auth"])
    assert metrics(chosen)["Open incidents, started last 30d"] == "4"


def test_needs_attention_comes_first_and_links_to_the_filtered_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_page(monkeypatch, SAMPLE_DIR, range="7d")
    assert app.subheader[0].value == "Needs attention"
    lines = [m.value for m in app.markdown if " — " in m.value][:5]
    # overdue items come first (the sample's follow-up on ingest-worker|queue was due Oct 15, open: 32 days late),
    # then the open P0 incident
    assert lines[0].startswith(":material/alarm: :red[**Overdue follow-up: Stop ingest-worker")
    assert lines[0].endswith("due 2026-10-15 — 32 days overdue")
    p0 = next(i for i, line in enumerate(lines) if "Open P0" in line)
    assert lines[p0].startswith(
        ":material/emergency: :red[**Open P0: Inventory sync crash loop after restart 19 "
        "(inventory · inc_20261113_2239_64d561)**]"
    )
    assert "1 of 3 open incidents" in lines[p0]
    links = app.get("page_link")
    assert links[0].proto.page == "incidents"
    incident = links[p0].proto
    assert incident.page == "incidents"
    assert incident.query_string == "range=7d&status=unresolved&incident=inc_20261113_2239_64d561"


def test_nothing_to_report_says_so_for_the_chosen_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lines(
        tmp_path / "incidents.jsonl",
        '{"id": "a1", "service": "api", "started_at": "2026-11-15T10:00:00Z", "status": "resolved", "severity": "P0"}',
    )
    (tmp_path / "sample.json").write_text(NOW)
    app = run_page(monkeypatch, tmp_path, range="14d")
    assert app.subheader[0].value == "Needs attention"
    assert any("Nothing needs attention in the last 14d (all services, everyone)" in m.value for m in app.markdown)
    every = run_page(monkeypatch, tmp_path, range="all")
    assert any("Nothing needs attention across all time (all services, everyone)" in m.value for m in every.markdown)


INCIDENT_LINES = [
    '{"id": "p0", "service": "api", "started_at": "2026-11-15T10:00:00Z", "status": "open", "severity": "P0", "title": "Down"}',
    '{"id": "p2", "service": "db", "started_at": "2026-11-14T10:00:00Z", "status": "mitigating", "severity": "P2"}',
    '{"id": "old", "service": "api", "started_at": "2026-09-01T10:00:00Z", "status": "open", "severity": "P1"}',
]


@pytest.mark.parametrize("only", ["misses", "incidents", "error_ledger"])
def test_overview_renders_on_a_folder_with_one_input(
    only: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sample.json").write_text(NOW)
    if only == "misses":
        write_lines(
            tmp_path / "misses.jsonl",
            '{"miss_id": "m1", "timestamp": "2026-11-15T10:00:00Z", "alert_name": "Disk", "taxonomy": "tool_failure"}',
            '{"miss_id": "m2", "timestamp": "2026-11-05T10:00:00Z", "alert_name": "Disk", "taxonomy": "tool_failure"}',
        )
    elif only == "incidents":
        write_lines(tmp_path / "incidents.jsonl", *INCIDENT_LINES)
    else:
        (tmp_path / "error_ledger.csv").write_text(
            "timestamp,provider,error_type,error_message,category\n"
            + "".join(f"2026-11-16T0{h}:00:00Z,meta_ads,UPSTREAM,boom,error\n" for h in range(1, 8))
            + "".join(f"2026-11-16T0{h}:30:00Z,meta_ads,UPSTREAM,boom,error\n" for h in range(1, 6))
        )
    app = run_page(monkeypatch, tmp_path, range="7d")
    assert app.title[0].value == "Overview"
    assert app.subheader[0].value == "Needs attention"
    shown = metrics(app)
    if only == "misses":
        assert shown["Misses, last 7d"] == "1"
        assert shown["Pair fix rate, last 7d"] == "0%"  # the one pair of the week before came back
        assert "Open incidents, started last 7d" not in shown
    elif only == "incidents":
        # open/mitigating and started in (now − 7d, now]: p0 and p2; "old" started before the range
        assert shown["Open incidents, started last 7d"] == "2"
        assert any("Open P0: Down (api · p0)" in m.value for m in app.markdown)
        assert any("No OpenSRE learning files" in i.value for i in app.info)
    else:
        # 12 errors in 24 h ≥ 10: critical
        assert any("meta_ads is critical" in m.value for m in app.markdown)
        assert any("1 critical" in m.value for m in app.markdown)


def single_input_folder(folder: Path, only: str) -> Path:
    (folder / "sample.json").write_text(NOW)
    if only == "misses":
        write_lines(
            folder / "misses.jsonl",
            '{"miss_id": "m1", "timestamp": "2026-11-15T10:00:00Z", "alert_name": "Disk", "taxonomy": "tool_failure"}',
        )
    elif only == "incidents":
        write_lines(folder / "incidents.jsonl", *INCIDENT_LINES)
    else:
        (folder / "error_ledger.csv").write_text(
            "timestamp,provider,error_type,error_message,category\n2026-11-16T08:00:00Z,meta_ads,UPSTREAM,boom,error\n"
        )
    return folder


@pytest.mark.parametrize("only", ["misses", "incidents", "error_ledger"])
@pytest.mark.parametrize("script", sorted(p.name for p in PAGES_DIR.glob("*.py")))
def test_every_page_renders_on_a_folder_with_one_input(
    script: str, only: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_page(monkeypatch, single_input_folder(tmp_path, only), script, range="7d")
    assert app.title[0].value
    # every page says which sidebar filters apply to it
    assert any(c.value.startswith(":material/filter_alt: ") for c in app.caption)


@pytest.mark.parametrize("params", FILTERS)
def test_incidents_page_verdict_equals_the_overview_open_count(
    params: dict[str, str | list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    overview = metrics(run_page(monkeypatch, SAMPLE_DIR, **params))
    open_count = next(v for k, v in overview.items() if k.startswith("Open incidents, started"))
    page = run_page(monkeypatch, SAMPLE_DIR, "incidents.py", **params)
    verdict = page.markdown[0].value
    assert f"; {open_count} still open**" in verdict or (open_count == "0" and "none is still open" in verdict)
    assert verdict.startswith("**") and "incidents started in the last " in verdict


def test_all_time_reads_as_a_sentence_on_the_overview_and_incidents(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found on the real GCP+AWS+GitHub import: "1,044 incidents started in the all time" and "0 in the all before."
    overview = run_page(monkeypatch, SAMPLE_DIR, range="all")
    assert "No range before all time to compare with." in captions(overview)
    assert " in the all " not in captions(overview)
    assert not [m.value for m in overview.markdown if " in the all " in m.value]
    verdict = run_page(monkeypatch, SAMPLE_DIR, "incidents.py", range="all").markdown[0].value
    assert re.match(r"\*\*[\d,]+ incidents started across all time; ", verdict), verdict


def api_oom_folder(folder: Path, count: int) -> Path:
    """``count`` resolved api|oom incidents titled "api OOMKilled", one a day from 2026-11-10, now 2026-11-16."""
    (folder / "sample.json").write_text(NOW)
    lines = [
        f'{{"id": "i{n}", "service": "api", "kind": "oom", "started_at": "2026-11-1{n}T10:00:00Z", '
        f'"status": "resolved", "severity": "P2", "title": "api OOMKilled"}}'
        for n in range(count)
    ]
    write_lines(folder / "incidents.jsonl", *lines)
    return folder


def test_recurrence_page_says_what_recurs_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # RULES §5 defaults: a signature is high at 6 in the window, a kind warns at 5 and is high at 10.
    app = run_page(monkeypatch, api_oom_folder(tmp_path, 6), "recurrence.py")
    verdict = next(m.value for m in app.markdown if m.value.startswith("**"))
    # one signature (6 ≥ 6: high), its kind oom at 6 (≥ 5: warn, < 10)
    assert verdict == "**1 recurring in the high zone in the last 7 days:** api OOMKilled · 1 more at warn."


def test_recurrence_page_says_why_there_is_no_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two api|oom incidents: under the defaults' 3 in 7 days and 6 in 30 days. The page showed an empty table and
    # "Download 0 buckets (CSV)".
    app = run_page(monkeypatch, api_oom_folder(tmp_path, 2), "recurrence.py")
    assert "No bucket: no service|kind reaches 3 incidents in 7 days or 6 in 30 days." in [i.value for i in app.info]
    assert not [b for b in app.get("download_button") if "buckets" in b.proto.label]
