"""AppTest runs with TRIAGE_LENS_DEBUG=1 so a page that raises fails its test (``app.exception``) instead of
showing the friendly error box; the test of that box turns it off."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def page_errors_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LENS_DEBUG", "1")
