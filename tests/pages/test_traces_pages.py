"""Issue 23 on the pages, on the bundled sample and on empty data: durability, fixed in / back in, the chosen pair's
detail with last time, why confidence is low, overdue first, the follow-up funnel and the drills note."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.pages.test_benchmark_runs import metrics, open_page


def texts(app: object) -> list[str]:
    return [e.value for kind in ("markdown", "caption") for e in getattr(app, kind)]


def test_scenarios_shows_fixed_back_and_durability(monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page("scenarios.py", SAMPLE_DIR, monkeypatch, range="30d")
    assert "How long fixes last" in [s.value for s in app.subheader]
    # 6 pairs fixed in the sample's runs (all within 30d of Nov 16): 3 came back (0.24, 12.49, 12.49 days), 3 hold
    assert any(t.startswith("6 fixed pairs: 3 came back, 3 still holding") for t in texts(app))
    coverage = next(d.value for d in app.dataframe if "fixed_back" in d.value.columns)
    assert "fixed in v1.4.0 (Oct 28), back in v1.5.0 (Nov 09)" in coverage["fixed_back"].tolist()
    assert metrics(app)["Fix held"] == "50% (3 of 6)"


def test_misses_pair_detail_says_fixed_back_owner_and_last_time(monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page("misses.py", SAMPLE_DIR, monkeypatch, alert="AuthTokenFailures", taxonomy="retrieval_gap")
    lines = texts(app)
    assert any(t.startswith("Fix: failing again — fixed in v1.4.0 (Oct 28), back in v1.5.0 (Nov 09)") for t in lines)
    assert any(t.startswith("Owner: dara (identity), due 2026-11-10 (6 days overdue)") for t in lines)
    # the previous occurrence ended Oct 19; the scenario was exported Oct 20 and first passed on Oct 28
    assert (
        "Last time: 67 misses Sep 07 – Oct 19; scenario exported Oct 20; passed in the Oct 28 run (v1.4.0); back Nov 09."
        in lines
    )
    pairs = app.dataframe[0].value
    assert {"fix_held", "fixed_back", "owner"} <= set(pairs.columns)
    assert [s.label for s in app.selectbox][:4] == ["Taxonomy", "Alert", "Pipeline", "Agent version"]


def test_misses_version_slice_is_kept_in_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    everything = open_page("misses.py", SAMPLE_DIR, monkeypatch)
    one = open_page("misses.py", SAMPLE_DIR, monkeypatch, version="v1.6.0")
    total = lambda app: int(next(t for t in texts(app) if t.startswith("**")).split("**")[1].replace(",", ""))  # noqa: E731
    assert 0 < total(one) < total(everything)
    assert one.query_params["version"] == "v1.6.0"


def test_confidence_ranks_missing_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page("confidence.py", SAMPLE_DIR, monkeypatch, range="30d")
    assert "Why confidence is low" in [s.value for s in app.subheader]
    assert any("low-confidence results had no" in t for t in texts(app))


def test_overview_followup_funnel_and_overdue_first(monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page("overview.py", SAMPLE_DIR, monkeypatch, range="7d")
    shown = metrics(app)
    # 8 follow-ups in the sample: 6 done, 2 open and past due (Oct 15, Oct 29)
    assert (shown["Follow-ups opened"], shown["Done"]) == ("8", "6")
    assert shown["Overdue"] == "2"
    assert any("drill or maintenance incidents are left out" in t for t in texts(app))


@pytest.mark.parametrize("script", ["overview.py", "misses.py", "scenarios.py", "confidence.py"])
def test_traces_pages_on_empty_data(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sample.json").write_text('{"now": "2026-11-16T09:00:00+00:00"}')
    open_page(script, tmp_path, monkeypatch)


def test_bad_releases_file_is_a_warning_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sample.json").write_text('{"now": "2026-11-16T09:00:00+00:00"}')
    (tmp_path / "misses.jsonl").write_text(
        '{"miss_id": "a", "timestamp": "2026-11-02T10:00:00Z", "alert_name": "X", "taxonomy": "reasoning_gap"}\n'
    )
    (tmp_path / "releases.yml").write_text("- version: v1\n  shipped_at: someday\n")
    app = open_page("misses.py", tmp_path, monkeypatch)
    assert any("release 1 (v1): 'shipped_at' 'someday' is not an ISO-8601 timestamp" in w.value for w in app.warning)


def test_mine_from_the_config_filters_needs_attention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "triage-lens.yaml"
    config.write_text(f"data_dir: {SAMPLE_DIR}\nnow: '2026-11-16T09:00:00+00:00'\nme: chen\nteam: payments\n")
    everyone = open_page("overview.py", config, monkeypatch, range="7d")
    assert "Owner" in [s.label for s in everyone.selectbox]
    first = lambda app: next(m.value for m in app.markdown if " — " in m.value)  # noqa: E731
    assert "bo (payments), due 2026-10-15 — 32 days overdue" in first(everyone)  # the most overdue of all
    chen = open_page("overview.py", config, monkeypatch, range="7d", mine="me")
    assert "chen (data)" in first(chen) and "18 days overdue" in first(chen)
    team = open_page("overview.py", config, monkeypatch, range="7d", mine="team")
    assert "bo (payments)" in first(team)


def test_incident_pages_say_drills_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    for script in ("incidents.py", "recurrence.py"):
        app = open_page(script, SAMPLE_DIR, monkeypatch)
        assert any("6 drill or maintenance incidents are left out" in c.value for c in app.caption)
