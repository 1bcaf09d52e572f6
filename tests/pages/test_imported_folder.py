"""AppTest on a data folder made by `triage-lens import` of Google's real incidents.json (or the hand-made GCP
export when ../shared is absent): the incident pages render as they do on the sample, and the Incidents page
shows time to resolve as P50 / P90 per service and per week."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.import_view import import_target, preview_frame
from dashboard.registry import PAGES_BY_SCRIPT
from tests.importers.test_import_store import FIXTURES, GCP_REAL
from tests.pages.test_pages import APP
from triage_lens.importers import Rules, plan_import, run_import

# "Now" just after the data: Google's 2022 archive when ../shared is present, else the 2023 fixture.
NOW = "2022-07-04T00:00:00Z" if GCP_REAL.exists() else "2023-11-30T00:00:00Z"


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    export = GCP_REAL if GCP_REAL.exists() else FIXTURES / "gcp_status_incidents.json"
    summary = run_import([(export.name, export.read_bytes())], "auto", str(tmp_path), Rules())
    assert summary.result.written == summary.plan.read
    return tmp_path


def open_page(script: str, data: Path, monkeypatch: pytest.MonkeyPatch, range_key: str = "90d") -> AppTest:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(data))
    monkeypatch.setenv("TRIAGE_LENS_NOW", NOW)
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["range"] = range_key
    app.run()
    app.switch_page(str(PAGES_BY_SCRIPT[script].path))
    app.run()
    return app


@pytest.mark.parametrize("script", ["incidents.py", "recurrence.py", "digest_gate.py"])
def test_incident_pages_render_on_an_imported_folder(
    script: str, imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(script, imported, monkeypatch)
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == PAGES_BY_SCRIPT[script].title
    assert not [e.value for e in app.error]


def test_incidents_page_shows_time_to_resolve_per_service_and_week(
    imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page("incidents.py", imported, monkeypatch)
    assert "Time to resolve and to acknowledge" in [s.value for s in app.subheader]
    # GCP carries end times but no acknowledge time: only "time to resolve" is offered
    measure = app.get("button_group")[0]
    assert list(measure.options) == ["Time to resolve"]
    services, weeks = app.dataframe[1].value, app.dataframe[2].value
    assert list(services.columns) == ["service", "n", "p50", "p90", "p50_change", "p90_change"]
    assert len(services) > 0 and (services["p90"] >= services["p50"]).all()
    assert list(weeks.columns) == ["week", "n", "p50", "p90", "p50_change", "p90_change"]
    assert len(weeks) > 0


def test_acknowledge_time_is_offered_when_records_carry_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = FIXTURES / "grafana_oncall_alert_groups.json"
    run_import([(export.name, export.read_bytes())], "auto", str(tmp_path), Rules())
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(tmp_path))
    monkeypatch.setenv("TRIAGE_LENS_NOW", "2024-07-05T00:00:00Z")
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["range"] = "all"
    app.run()
    app.switch_page(str(PAGES_BY_SCRIPT["incidents.py"].path))
    app.run()
    assert not app.exception
    measure = app.get("button_group")[0]
    assert list(measure.options) == ["Time to resolve", "Time to acknowledge"]
    measure.set_value("ack_minutes").run()
    assert app.query_params["measure"] == "ack_minutes"  # the view is a URL
    weeks = app.dataframe[2].value
    # acknowledged 2020-05-19 after 2 min 58.57 s, 2024-07-01 after 7.5 min: one per week
    assert sorted(round(v * 60, 2) for v in weeks["p50"]) == [2.98, 7.5]


def test_data_page_import_block_is_read_only_without_write_mode(
    imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page("data_policy.py", imported, monkeypatch)
    assert not app.exception
    assert "Import incidents or benchmark results" in [s.value for s in app.subheader]
    assert app.selectbox(key="import_source").value == "auto"


def test_import_target_and_preview_rows(imported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.context import Filters, build_context

    monkeypatch.setenv("TRIAGE_LENS_NOW", NOW)
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(imported))
    context = build_context(Filters())
    assert import_target(context) == str(imported)
    monkeypatch.delenv("TRIAGE_LENS_DATA")
    monkeypatch.setenv("HOME", str(imported.parent / "home"))  # no ~/.opensre: the bundled sample
    sample = build_context(Filters())
    assert import_target(sample) is None  # the bundled sample is never written to
    export = FIXTURES / "statuspage_incidents.json"
    plan = plan_import([(export.name, export.read_bytes())], "auto", Rules())
    assert preview_frame(plan).row(0) == (
        "statuspage:p31zjtct2jer",
        "API",
        "P1",
        "resolved",
        "2024-03-04T14:15:00+00:00",
        "2024-03-04T16:45:30+00:00",
        "Elevated API error rates",
    )
