"""AppTest: the gateway thumbs on the Confidence page and the Overview equal ``confidence report --json``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from analytics.windows import DEFAULT_RANGE
from dashboard.registry import PAGES_DIR
from tests.conftest import REPO, SAMPLE_DIR
from triage_lens.cli.main import cli

APP = str(REPO / "dashboard" / "app.py")


def sample_gateway(since: list[str]) -> dict[str, object]:
    out = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "confidence", "report", *since, "--json"]).stdout
    gateway: dict[str, object] = json.loads(out)["gateway"]
    return gateway


def test_confidence_page_shows_the_weekly_helpful_rate_of_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = sample_gateway(["--since", "30d"])
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["range"] = "30d"
    app.run()
    app.switch_page(str(PAGES_DIR / "confidence.py")).run()
    assert not app.exception
    assert any(h.value.startswith("Gateway feedback") for h in app.subheader)
    assert any(f"Helpful {round(expected['rate'] * 100)}% of {expected['n']} rated" in m.value for m in app.markdown)  # type: ignore[operator]
    table = next(d.value for d in app.dataframe if "platform" in d.value.columns)
    assert int(table["n"].sum()) == expected["n"]
    assert set(table["platform"]) == {"slack", "discord"}


def test_overview_has_the_gateway_block(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = sample_gateway(["--since", DEFAULT_RANGE])
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception
    block = next(m.value for m in app.markdown if m.value.startswith("**Gateway thumbs:**"))
    assert f"of {expected['n']} rated" in block
