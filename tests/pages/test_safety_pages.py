"""#12 items 2-3 on the Data & policy page: no password in the source list, personal data masked in excerpts."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.registry import PAGES
from tests.conftest import SAMPLE_DIR, write_lines
from tests.pages.test_pages import open_page

LINE = (
    '{"feedback_id": "f1", "timestamp": "2026-06-02T10:00:00Z", "user_id": "u-4711", '
    '"user_email": "alice@corp.example", "validity_score": "high", "rating": "accurate"}'
)
DATA_PAGE = next(p for p in PAGES if p.script == "data_policy.py")


def test_quarantine_excerpts_and_their_csv_mask_personal_data_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lines(tmp_path / "feedback.jsonl", LINE)
    app = open_page(DATA_PAGE, tmp_path, monkeypatch)
    assert not app.exception
    (excerpt,) = list(app.dataframe[1].value["excerpt"])  # the same frame feeds the CSV download
    assert "alice@corp.example" not in excerpt and "u-4711" not in excerpt
    assert '"user_email": "***"' in excerpt
    app.checkbox[0].check().run()
    (excerpt,) = list(app.dataframe[1].value["excerpt"])
    assert "alice@corp.example" in excerpt and "u-4711" in excerpt


def test_the_store_password_is_never_on_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "triage-lens.yaml"
    config.write_text("incidents: postgresql://bob:p@ssw0rd@127.0.0.1:1/db\n", encoding="utf-8")
    app = open_page(DATA_PAGE, config, monkeypatch)
    assert not app.exception
    texts = [e.value for e in [*app.caption, *app.warning, *app.error, *app.markdown]]
    texts += [str(v) for v in app.dataframe[0].value["file"]]
    assert any("postgresql://\\*\\*\\*@127.0.0.1:1/db" in t or "postgresql://***@127.0.0.1:1/db" in t for t in texts)
    assert not any("ssw0rd" in t for t in texts)


def test_a_billion_laughs_what_if_policy_is_refused_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.analytics.test_safety_yaml import LAUGHS

    app = open_page(DATA_PAGE, SAMPLE_DIR, monkeypatch)
    app.text_area[0].set_value(LAUGHS)
    app.button[0].click().run()
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert "refused: expands to more than 100,000 values" in error and "\n" not in error
    assert "critical_24h: 10" in app.code[0].value  # the policy in force is unchanged
