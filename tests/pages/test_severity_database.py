"""The Error severity page on a SQLite/D1 ledger uses the SQL push-down and shows what the CLI prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.registry import PAGES
from tests.analytics.test_ledger_sql import NOW, ledger_rows, write_sqlite
from tests.pages.test_pages import open_page
from triage_lens.cli.main import cli


def test_severity_page_on_a_sqlite_ledger_matches_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_sqlite(tmp_path / "data", ledger_rows())
    monkeypatch.setenv("TRIAGE_LENS_NOW", NOW.isoformat())
    spec = next(p for p in PAGES if p.title == "Error severity")
    app = open_page(spec, folder, monkeypatch)
    assert not app.exception, [e.value for e in app.exception]
    report = json.loads(
        CliRunner().invoke(cli, ["--data", str(folder), "--now", NOW.isoformat(), "severity", "--json"]).stdout
    )
    assert report["header"] == "1 critical"
    assert any(report["header"] in m.value for m in app.markdown)
    table = app.dataframe[0].value
    assert table["provider"].tolist()[0] == "stripe" and table["last_24h"].tolist()[0] == 18
