"""AppTest: when the range holds nothing, the page says where the data is and one click views it as of the newest
record (asof= in the URL, a banner with the way back); asof never chooses files."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES_DIR
from tests.conftest import REPO, write_lines

APP = str(REPO / "dashboard" / "app.py")
OLD = [
    '{"id": "a", "service": "api", "title": "Elevated errors on api", "started_at": "2022-06-30T10:00:00Z",'
    ' "status": "resolved"}',
    '{"id": "b", "service": "db", "title": "Replica lag on db", "started_at": "2022-07-01T14:00:00Z",'
    ' "status": "resolved"}',
]


def old_folder(tmp_path: Path) -> Path:
    write_lines(tmp_path / "incidents.jsonl", *OLD)
    return tmp_path


def texts(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown] + [i.value for i in app.info] + [c.value for c in app.caption]


def notice_on(data: Path, script: str, monkeypatch: pytest.MonkeyPatch, **params: str) -> tuple[AppTest, str]:
    """A session on ``data`` (now pinned to 2026-12-01) with ``params`` in the URL, switched to ``script``; the
    app and its "data is elsewhere" notice."""
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(data))
    monkeypatch.setenv("TRIAGE_LENS_NOW", "2026-12-01T00:00:00Z")
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(str(PAGES_DIR / script)).run()
    assert not app.exception
    return app, next(t for t in texts(app) if "the data is elsewhere" in t)


def open_incidents(app: AppTest) -> AppTest:
    app.run()
    return app.switch_page(str(PAGES_DIR / "incidents.py")).run()


def test_an_empty_range_says_where_the_data_is_and_one_click_views_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(old_folder(tmp_path)))
    monkeypatch.setenv("TRIAGE_LENS_NOW", "2026-12-01T00:00:00Z")
    app = open_incidents(AppTest.from_file(APP, default_timeout=60))
    assert not app.exception
    notice = next(t for t in texts(app) if "the data is elsewhere" in t)
    assert "newest incident 2022-07-01 14:00 UTC (2 incidents since 2022-06-30)" in notice
    assert any("0 incidents started" in t for t in texts(app))
    button = next(b for b in app.button if b.label.startswith("View as of the newest record"))
    button.click().run()
    assert not app.exception
    assert app.query_params["asof"] in ("2022-07-01T14:00:00Z", ["2022-07-01T14:00:00Z"])
    assert any("Viewing as of 2022-07-01 14:00 UTC" in i.value for i in app.info)
    assert any("2 incidents started in the last 30d" in t for t in texts(app))
    assert not any("the data is elsewhere" in t for t in texts(app))
    back = next(b for b in app.button if b.label == "Back to the usual now (--now)")
    back.click().run()
    assert "asof" not in app.query_params
    assert any("the data is elsewhere" in t for t in texts(app))


def test_recurrence_says_where_old_data_is_even_with_range_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Recurrence counts 7 and 30 days ending now whatever the range: with range=all the sidebar's window held the
    # data, so the page said only "Nothing recurs" on incidents that ended months ago (the real GitHub import).
    app, notice = notice_on(old_folder(tmp_path), "recurrence.py", monkeypatch, range="all")
    assert notice.startswith(":material/travel_explore: Nothing in the last 30d (ending 2026-12-01 00:00 UTC)")
    assert "newest incident 2022-07-01 14:00 UTC" in notice
    button = next(b for b in app.button if b.label.startswith("View as of the newest record"))
    button.click().run()
    assert app.query_params["asof"] in ("2022-07-01T14:00:00Z", ["2022-07-01T14:00:00Z"])
    assert not any("the data is elsewhere" in t for t in texts(app))


def test_recurrence_asks_about_the_policys_widest_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "policy.yml").write_text("recurrence:\n  windows_days: [7, 90]\n")
    _, notice = notice_on(old_folder(tmp_path), "recurrence.py", monkeypatch)
    assert notice.startswith(":material/travel_explore: Nothing in the last 90d (ending 2026-12-01 00:00 UTC)")


def test_error_severity_says_where_an_old_ledger_is_even_with_range_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lines(
        tmp_path / "error_ledger.csv",
        "timestamp,provider,error_type,error_message,tenant_id,action,category",
        "2022-07-01T10:00:00Z,stripe,TIMEOUT,Request timed out,t-1,charge,error",
        "2022-07-01T11:00:00Z,stripe,TIMEOUT,Request timed out,t-1,charge,error",
    )
    _, notice = notice_on(tmp_path, "error_severity.py", monkeypatch, range="all")
    assert notice.startswith(":material/travel_explore: Nothing in the last 7d (ending 2026-12-01 00:00 UTC)")
    assert "2022-07-01 11:00 UTC" in notice


def test_asof_in_a_link_pins_the_clock_and_a_bad_one_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(old_folder(tmp_path)))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["asof"] = "2022-07-02T00:00:00Z"
    open_incidents(app)
    assert not app.exception
    banner = next(i.value for i in app.info if "Viewing as of 2022-07-02 00:00 UTC" in i.value)
    assert "newest record" not in banner  # the link pins a time after the newest incident (2022-07-01 14:00)
    assert any("2 incidents started" in t for t in texts(app))
    bad = AppTest.from_file(APP, default_timeout=60)
    bad.query_params["asof"] = "/etc/passwd"
    open_incidents(bad)
    assert not bad.exception
    assert any("Ignoring the link's `asof`" in w.value for w in bad.warning)


def test_no_notice_when_the_range_has_data() -> None:
    from datetime import UTC, datetime

    from analytics.asof import InputSpan, empty_range_sentence, range_is_empty_elsewhere
    from analytics.windows import window

    now = datetime(2026, 1, 10, tzinfo=UTC)
    old = datetime(2022, 7, 1, 14, tzinfo=UTC)
    assert not range_is_empty_elsewhere([InputSpan("incidents", old, now, 3, 1)])
    assert not range_is_empty_elsewhere([InputSpan("incidents", None, None, 0, 0)])  # no data at all: nothing to find
    sentence = empty_range_sentence(
        [InputSpan("incidents", old, old, 1, 0), InputSpan("misses", None, None, 0, 0)], window("7d", now)
    )
    assert sentence == (
        "Nothing in the last 7d (ending 2026-01-10 00:00 UTC), but the data is elsewhere: "
        "newest incident 2022-07-01 14:00 UTC (1 incident since 2022-07-01)."
    )


def test_the_digest_week_picker_reaches_the_weeks_of_old_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(old_folder(tmp_path)))
    monkeypatch.setenv("TRIAGE_LENS_NOW", "2026-12-01T00:00:00Z")
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page(str(PAGES_DIR / "digest_gate.py")).run()
    assert not app.exception
    week = next(s for s in app.selectbox if s.label == "Week")
    assert week.options[0] == "2026-W48" and week.options[-1] == "2022-W26"
    week.select("2022-W26").run()
    assert any("Weekly Incident Digest — 2022-W26" in m.value and "**2** incidents" in m.value for m in app.markdown)
