"""A page that raises shows a friendly error box: no traceback, exception text or absolute path (issue 12 item 9)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGE_ERROR, PAGES
from tests.conftest import REPO, SAMPLE_DIR

SECRET = "/home/someone/private/incidents.jsonl"


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError(f"cannot parse {SECRET}: bad byte")


def test_a_failing_page_shows_a_friendly_box_without_details(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIAGE_LENS_DEBUG")
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    monkeypatch.setattr("analytics.digest.build_digest", _boom)
    app = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    app.run()
    app.switch_page(str(next(p for p in PAGES if p.script == "digest_gate.py").path))
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == [PAGE_ERROR]
    assert app.title[0].value == "Digest & gate"  # what ran before the failure stays
    shown = [str(getattr(e, "value", "")) for e in app.main] + [str(getattr(e, "value", "")) for e in app.sidebar]
    assert not [s for s in shown if SECRET in s or "Traceback" in s or "RuntimeError" in s]


def test_debug_mode_lets_the_exception_through_and_the_config_still_redacts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    monkeypatch.setattr("analytics.digest.build_digest", _boom)
    app = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    app.run()
    app.switch_page(str(next(p for p in PAGES if p.script == "digest_gate.py").path))
    app.run()
    # .streamlit/config.toml (client.showErrorDetails = "none", read from the working directory) redacts it.
    assert len(app.exception) == 1
    assert SECRET not in app.exception[0].value and "redacted" in app.exception[0].value
    assert not app.exception[0].stack_trace


def test_with_oidc_configured_no_page_runs_before_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    app.secrets["auth"] = {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "triage-lens",
        "client_secret": "s",
        "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
    }
    app.run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Triage Lens"]
    assert [b.label for b in app.button] == ["Log in"]
    assert not app.sidebar.selectbox  # no sidebar filters, no page
