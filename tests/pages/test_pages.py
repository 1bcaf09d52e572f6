"""AppTest: every registered page renders without exception on the sample and on an empty folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES, PAGES_DIR, PageSpec
from tests.conftest import REPO, SAMPLE_DIR, write_lines

APP = str(REPO / "dashboard" / "app.py")


def open_page(spec: PageSpec, data: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(data))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page(str(spec.path))
    app.run()
    return app


def test_every_page_script_is_registered_and_titled_as_product_md() -> None:
    assert sorted(p.name for p in PAGES_DIR.glob("*.py")) == sorted(spec.script for spec in PAGES)
    assert [spec.title for spec in PAGES] == [
        "Overview",
        "Misses",
        "Scenarios",
        "Benchmark runs",
        "Confidence",
        "Incidents",
        "Recurrence",
        "Digest & gate",
        "Error severity",
        "Data & policy",
    ]


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
@pytest.mark.parametrize("source", ["sample", "empty"])
def test_page_renders_without_exception(
    spec: PageSpec, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = SAMPLE_DIR if source == "sample" else tmp_path
    app = open_page(spec, data, monkeypatch)
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == spec.title
    # A download never reruns the page: with the rerun, a file built on click can be revoked before the browser
    # asks for it (dashboard.exports.download_button).
    downloads = app.get("download_button")
    assert [d.proto.label for d in downloads if not d.proto.ignore_rerun] == []


@pytest.mark.parametrize(
    ("script", "sentence"),
    [
        ("error_severity.py", "No error ledger: `error_ledger.jsonl`, `.csv`, `.parquet`, or a SQLite/D1 file"),
        ("incidents.py", "No incident store: `incidents.jsonl` (+ `events.jsonl`) in the data folder"),
    ],
)
def test_an_empty_folder_says_which_input_is_missing_in_a_sentence(
    script: str, sentence: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It read "No an error ledger: ..." on the real status-page import, which has no ledger.
    spec = next(p for p in PAGES if p.script == script)
    app = open_page(spec, tmp_path, monkeypatch)
    assert any(i.value.startswith(sentence) for i in app.info), [i.value for i in app.info]


def test_every_download_button_goes_through_the_one_helper() -> None:
    """``st.download_button`` is called in one place (dashboard/exports.py), so no page forgets on_click="ignore"."""
    callers = [
        path.relative_to(REPO).as_posix()
        for folder in ("pages", "dashboard")
        for path in sorted((REPO / folder).rglob("*.py"))
        if ".download_button(" in path.read_text(encoding="utf-8")
    ]
    assert callers == ["dashboard/exports.py"]


def _page_text(app: AppTest) -> list[str]:
    return (
        [m.label + "=" + m.value for m in app.metric] + [m.value for m in app.markdown] + [c.value for c in app.caption]
    )


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_a_page_shows_the_same_from_a_lazy_parquet_scan_as_from_memory(
    spec: PageSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large inputs stay lazy scans of their Parquet cache (dashboard.context.keeps_in_memory); with the size
    limit at 0 every file-backed input but the incidents is lazy, and every page must render the same."""
    import streamlit as st

    import dashboard.context as context_module

    st.cache_resource.clear()
    in_memory = open_page(spec, SAMPLE_DIR, monkeypatch)
    monkeypatch.setattr(context_module, "MATERIALISE_MAX_BYTES", 0)
    st.cache_resource.clear()
    lazy = open_page(spec, SAMPLE_DIR, monkeypatch)
    st.cache_resource.clear()
    assert not lazy.exception, [e.value for e in lazy.exception]
    assert _page_text(lazy) == _page_text(in_memory)


def test_which_inputs_stay_in_memory() -> None:
    from dashboard.context import MATERIALISE_MAX_BYTES, keeps_in_memory

    assert keeps_in_memory("misses", MATERIALISE_MAX_BYTES)
    assert not keeps_in_memory("misses", MATERIALISE_MAX_BYTES + 1)
    assert not keeps_in_memory("error_ledger", 2 * MATERIALISE_MAX_BYTES)
    assert keeps_in_memory("incidents", 10 * MATERIALISE_MAX_BYTES)  # derived columns: hashed once, not per query
    assert keeps_in_memory("feedback", -1)  # no file (PostgreSQL store or missing)


@pytest.mark.parametrize("source", ["sample", "empty"])
def test_sample_banner_only_on_sample_data(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # AppTest keeps the sidebar of the entry page only, so the banner is checked there (the browser test
    # sees it on every page).
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR if source == "sample" else tmp_path))
    app = AppTest.from_file(APP, default_timeout=60).run()
    banners = [w.value for w in app.sidebar.warning if "Sample data" in w.value]
    assert len(banners) == (1 if source == "sample" else 0)


def test_default_page_is_overview_and_the_first_run_writes_nothing_to_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Defaults stay out of the URL: writing them would push a history entry on the first load, and the
    # browser's Back button would land on the bare URL and be pushed forward again (a Back trap).
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert app.title[0].value == "Overview"
    assert app.sidebar.selectbox[0].value == "30d"
    assert "range" not in app.query_params
    assert "service" not in app.query_params


def test_filters_are_read_back_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["range"] = "90d"
    app.query_params["service"] = ["payments", "not-a-service"]
    app.run()
    assert app.sidebar.selectbox[0].value == "90d"
    assert app.sidebar.multiselect[0].value == ["payments"]


def test_data_page_on_the_sample_lists_sources_and_the_effective_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = open_page(next(p for p in PAGES if p.script == "data_policy.py"), SAMPLE_DIR, monkeypatch)
    sources = app.dataframe[0].value
    assert list(sources["input"]) == [
        "misses",
        "feedback",
        "investigations",
        "incidents",
        "events",
        "error_ledger",
        "slack_feedback",
        "discord_feedback",
    ]
    # incidents and events grew with issue 23 (6 drill/maintenance incidents, 25 owner/follow-up events): rows read
    assert list(sources["rows"]) == [1000, 2500, 2500, 206, 326, 10000, 122, 51]
    assert any("Nothing quarantined" in s.value for s in app.success)
    assert "critical_24h: 10" in app.code[0].value


def test_data_page_shows_the_quarantine_report_of_a_corrupt_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lines(
        tmp_path / "misses.jsonl",
        '{"miss_id": "a", "alert_name": "<script>alert(1)</script>"}',
        "=cmd|' /C calc'!A0",
        '{"miss_id": "b", "validity_score": "high"}',
    )
    app = open_page(next(p for p in PAGES if p.script == "data_policy.py"), tmp_path, monkeypatch)
    assert not app.exception
    report = app.dataframe[1].value
    assert list(report["line"]) == [2, 3]
    assert list(report["action"]) == ["quarantined", "flagged"]
    assert list(report["reason"]) == [
        "not valid JSON (Expecting value at column 1)",
        "field 'validity_score' is string, expected a number",
    ]


def test_what_if_policy_with_an_unknown_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page(next(p for p in PAGES if p.script == "data_policy.py"), SAMPLE_DIR, monkeypatch)
    app.text_area[0].set_value("severity:\n  critical_24h: 5\n  bogus: 1\n")
    app.button[0].click().run()
    assert any("unknown key" in e.value and "severity.bogus" in e.value for e in app.error)
    app.text_area[0].set_value("severity:\n  critical_24h: 5\n")
    app.button[0].click().run()
    assert not app.exception
    assert "critical_24h: 5" in app.code[0].value
    assert any("what-if policy is active" in i.value for i in app.sidebar.info)


# --- the learning pages on the sample, on hostile data ---------------------------------------------------

HOSTILE_LINES = [
    '{"miss_id": "h1", "timestamp": "2026-11-15T10:00:00Z", "alert_name": "<script>alert(1)</script>", "taxonomy": "retrieval_gap", "taxonomy_detail": "**bold** [x](javascript:alert(1))"}',
    '{"miss_id": "h2", "timestamp": "2026-11-15T11:00:00Z", "alert_name": "../../etc/passwd", "taxonomy": "tool_failure", "root_cause": "=cmd|\' /C calc\'!A0"}',
    '{"miss_id": "h3", "timestamp": "2026-11-15T12:00:00Z", "alert_name": "' + "x" * 10_000 + '", "taxonomy": null}',
    '{"miss_id": "h4", "timestamp": null, "alert_name": null, "taxonomy": "routing_failure", "validity_score": "high"}',
    "not json at all",
]


def page_spec(script: str) -> PageSpec:
    return next(p for p in PAGES if p.script == script)


def test_misses_page_reads_its_filters_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["taxonomy"] = "tool_failure"
    app.query_params["range"] = "7d"
    app.run()
    app.switch_page(str(PAGES_DIR / "misses.py")).run()
    assert not app.exception
    assert app.selectbox[0].value == "tool_failure"
    table = app.dataframe[1].value
    assert set(table["taxonomy"]) == {"tool_failure"}
    assert "user_id" not in table.columns  # personal data stays out unless asked for


def test_scenarios_page_lists_cases_and_coverage_on_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page(page_spec("scenarios.py"), SAMPLE_DIR, monkeypatch)
    assert not app.exception
    cases = app.dataframe[0].value
    assert len(cases) == 10 and list(cases["#"]) == list(range(1, 11))
    assert cases["folder"][0].startswith("0001_")
    assert [m.label for m in app.metric] == ["Covered pairs (all time)", "Fix held", "Median time to coverage"]


@pytest.mark.parametrize("script", ["overview.py", "misses.py", "scenarios.py"])
def test_learning_pages_survive_hostile_misses(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lines(tmp_path / "misses.jsonl", *HOSTILE_LINES)
    (tmp_path / "sample.json").write_text('{"now": "2026-11-16T09:00:00+00:00"}')
    app = open_page(page_spec(script), tmp_path, monkeypatch)
    assert not app.exception, [e.value for e in app.exception]
    rendered = " ".join(m.value for m in app.markdown)
    assert "<script>" not in rendered


def test_error_severity_page_headline_matches_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from triage_lens.cli.main import cli

    report = json.loads(CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "severity", "--json"]).stdout)
    app = open_page(page_spec("error_severity.py"), SAMPLE_DIR, monkeypatch)
    assert not app.exception
    assert any(report["header"] in m.value for m in app.markdown)
    providers = app.dataframe[0].value
    assert list(providers["provider"]) == [p["provider"] for p in report["providers"]]
    assert list(providers["last_24h"]) == [p["last_24h_total"] for p in report["providers"]]


def test_error_severity_page_on_a_quiet_ledger_says_all_nominal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "error_ledger.csv").write_text(
        "timestamp,provider,error_type,error_message,category\n"
        '2026-11-10T10:00:00Z,meta_ads,UPSTREAM,=HYPERLINK("http://x"),error\n'
        "not-a-time,meta_ads,UPSTREAM,boom,error\n"
    )
    (tmp_path / "sample.json").write_text('{"now": "2026-11-16T09:00:00+00:00"}')
    app = open_page(page_spec("error_severity.py"), tmp_path, monkeypatch)
    assert not app.exception
    assert any("All systems nominal" in m.value for m in app.markdown)
    assert any("every provider is nominal" in s.value for s in app.success)


def test_confidence_page_shows_the_overconfident_band_of_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["range"] = "all"
    app.run()
    app.switch_page(str(PAGES_DIR / "confidence.py")).run()
    assert not app.exception
    verdict = app.error[0].value
    assert verdict.startswith("Over all time, 2,414 rated results: **not calibrated**")
    assert "**high** is overconfident" in verdict
    calibration = app.dataframe[0].value
    assert list(calibration["band"]) == ["high", "medium", "low", "unscored"]
    assert bool(calibration["overconfident"][0]) is True


@pytest.mark.parametrize(("range_key", "since"), [("7d", ["--since", "7d"]), ("30d", ["--since", "30d"]), ("all", [])])
def test_confidence_page_and_cli_agree_for_the_same_window(
    range_key: str, since: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from triage_lens.cli.main import cli

    report = json.loads(
        CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "confidence", "report", *since, "--json"]).stdout
    )
    text = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "confidence", "report", *since]).stdout
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["range"] = range_key
    app.run()
    app.switch_page(str(PAGES_DIR / "confidence.py")).run()
    assert not app.exception
    verdicts = [e.value for e in app.error] + [s.value for s in app.success]
    assert [v.replace("**", "") for v in verdicts] == [text.splitlines()[0]]
    calibration = app.dataframe[0].value
    rated_bands = [c for c in report["calibration"] if c["n"] > 0]  # bands nobody rated are named in a caption
    assert list(calibration["band"]) == [c["band"] for c in rated_bands]
    assert list(calibration["n"]) == [c["n"] for c in rated_bands]
    assert list(calibration["accurate"]) == [c["accurate"] for c in rated_bands]
    assert list(calibration["overconfident"]) == [c["overconfident"] for c in rated_bands]


def test_confidence_page_with_feedback_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lines(
        tmp_path / "feedback.jsonl",
        '{"run_id": "r1", "validity_score": 0.9, "rating": "inaccurate", "timestamp": "2026-11-15T10:00:00Z"}',
        '{"run_id": "r2", "validity_score": "high", "rating": "accurate", "timestamp": "2026-11-15T11:00:00Z"}',
    )
    (tmp_path / "sample.json").write_text('{"now": "2026-11-16T09:00:00+00:00"}')
    app = open_page(page_spec("confidence.py"), tmp_path, monkeypatch)
    assert not app.exception
    assert any("the gate is not evaluated" in c.value for c in app.caption)


def test_incidents_page_drills_into_one_incident_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from triage_lens.cli.main import cli

    target = "inc_20261114_2127_22c096"
    expected = json.loads(
        CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "incidents", "correlate", target, "--json"]).stdout
    )
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["incident"] = target
    app.run()
    app.switch_page(str(PAGES_DIR / "incidents.py")).run()
    assert not app.exception
    assert any(f"Related to `{target}`" in m.value for m in app.markdown)
    assert app.subheader[0].value.startswith("Gateway 5xx")  # the drill-down leads with the incident's title
    related = next(d.value for d in app.dataframe if "score" in d.value.columns)  # after the resolution tables
    assert list(related["id"]) == [r["incident_id"] for r in expected["related"]]
    assert list(related["score"]) == [r["score"] for r in expected["related"]]
    assert any("Read-only" in c.value for c in app.caption)


def test_recurrence_and_digest_pages_on_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page(page_spec("recurrence.py"), SAMPLE_DIR, monkeypatch)
    assert not app.exception
    assert any("Preview only" in c.value for c in app.caption)
    digest = open_page(page_spec("digest_gate.py"), SAMPLE_DIR, monkeypatch)
    assert not digest.exception
    assert any("# Weekly Incident Digest — 2026-W46" in m.value for m in digest.markdown)
    assert any("PASS" in m.value or "BLOCKED" in m.value for m in digest.markdown)


@pytest.mark.parametrize("script", ["incidents.py", "recurrence.py", "digest_gate.py"])
def test_incident_pages_survive_hostile_incidents(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lines(
        tmp_path / "incidents.jsonl",
        '{"id": "x1", "service": "<b>svc</b>", "started_at": "2026-11-15T10:00:00Z", "title": "**boom** [x](javascript:alert(1))", "status": "open", "severity": "P0"}',
        '{"id": "x2", "service": "svc|pipe", "started_at": "not a time", "title": null}',
        '{"id": "x3", "started_at": "2026-11-15T10:00:00Z"}',
        "garbage",
    )
    (tmp_path / "sample.json").write_text('{"now": "2026-11-16T09:00:00+00:00"}')
    app = open_page(page_spec(script), tmp_path, monkeypatch)
    assert not app.exception, [e.value for e in app.exception]
    # The service name may appear verbatim inside a code span; rendered, it never becomes HTML or a link.
    from markdown_it import MarkdownIt

    rendered = [MarkdownIt("commonmark").render(m.value) for m in app.markdown]
    assert all("<b>" not in r and "<a " not in r for r in rendered), rendered


# --- charts get aggregated rows only; reruns do not reload data -----------------------------------------------


def chart_rows(app: AppTest) -> list[int]:
    import pyarrow as pa

    counts = []
    for chart in app.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            counts.append(pa.ipc.open_stream(dataset.data.data).read_all().num_rows if dataset.data.data else 0)
    return counts


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_charts_receive_aggregated_rows_only(spec: PageSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["range"] = "all"
    app.query_params["incident"] = "inc_20261114_2127_22c096"
    app.run()
    app.switch_page(str(spec.path)).run()
    assert not app.exception
    rows = chart_rows(app)
    # the sample has 1,000 misses, 2,500 ratings, 200 incidents and 10,000 ledger rows: no chart ships raw rows
    assert all(n <= 200 for n in rows), (spec.title, rows)
    if spec.script == "misses.py":
        assert rows[0] == 5 * 11  # one row per (ISO week, taxonomy): 11 weeks of sample data × 5 taxonomies


def test_a_rerun_or_another_session_does_not_reload_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs are loaded once, each when a page first needs it, into one copy shared by every session."""
    import streamlit as st

    import dashboard.context as context_module

    loaded: list[str] = []
    original = context_module.load_all

    def counting_load_all(*args: object, **kwargs: object) -> object:
        loaded.extend(kwargs.get("names") or ["<all>"])  # type: ignore[arg-type]
        return original(*args, **kwargs)

    st.cache_resource.clear()
    monkeypatch.setattr(context_module, "load_all", counting_load_all)
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    first = AppTest.from_file(APP, default_timeout=60)
    first.run()
    first.switch_page(str(PAGES_DIR / "misses.py")).run()
    first.run()
    assert "<all>" not in loaded and len(loaded) == len(set(loaded))
    # the Overview's "Needs attention" reads every input it ranks (investigations for the overconfident band)
    after_first = sorted(loaded)
    second = AppTest.from_file(APP, default_timeout=60)  # another browser session
    second.run()
    second.switch_page(str(PAGES_DIR / "misses.py")).run()
    assert sorted(loaded) == after_first
    assert not first.exception and not second.exception


# --- one input per folder: every page renders, and a page without its input says which file it needs ------------

ONE_INPUT = {
    "misses": ["misses.jsonl"],
    "incidents": ["incidents.jsonl", "events.jsonl"],
    "ledger": ["error_ledger.csv"],
}
# The input each page cannot work without (the Overview and Data & policy render whatever there is).
NEEDS = {
    "misses.py": {"misses"},
    "scenarios.py": {"misses"},
    "confidence.py": set(),  # investigations or feedback: none of the three folders has either
    "incidents.py": {"incidents"},
    "recurrence.py": {"incidents"},
    "digest_gate.py": {"incidents"},
    "error_severity.py": {"ledger"},
}


@pytest.mark.parametrize("only", list(ONE_INPUT))
@pytest.mark.parametrize("script", list(NEEDS))
def test_pages_on_a_folder_with_one_input_render_or_name_the_missing_file(
    script: str, only: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    for name in ONE_INPUT[only]:
        shutil.copy(SAMPLE_DIR / name, tmp_path / name)
    shutil.copy(SAMPLE_DIR / "sample.json", tmp_path / "sample.json")
    app = open_page(page_spec(script), tmp_path, monkeypatch)
    assert not app.exception, [e.value for e in app.exception]
    guard = [i.value for i in app.info if "in this data source" in i.value]
    if only in NEEDS[script]:
        assert guard == []
    else:
        assert len(guard) == 1 and guard[0].startswith("No ")
        assert "Data & policy" in guard[0]


def test_error_severity_names_only_the_exclusions_that_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    # the shipped policy excludes the category config_cleanup and no tenant (POLICY.md, severity section)
    app = open_page(next(p for p in PAGES if p.script == "error_severity.py"), SAMPLE_DIR, monkeypatch)
    caption = next(c.value for c in app.caption if c.value.startswith("As of "))
    assert caption.endswith("Never counted: categories config_cleanup.")
    assert "tenants" not in caption
