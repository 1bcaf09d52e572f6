"""No URL parameter chooses files or modes: the data source is fixed when the server starts (issue 12 item 1).

The audit's reproduction: a folder holding a ``triage-lens.yaml`` with ``write: true`` and an ``events:`` path,
opened with ``?data=<folder>``, turned a read-only server into write mode. Here the same folder is offered through
every parameter name a page could read; nothing of it may reach the loaded sources.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.context import CONTEXT_KEY, AppContext
from dashboard.registry import PAGES
from tests.conftest import REPO, SAMPLE_DIR, write_lines

APP = str(REPO / "dashboard" / "app.py")
HOSTILE_PARAMS = ("data", "write", "policy", "now", "scenarios", "config", "events")


def _evil_folder(tmp_path: Path) -> Path:
    evil = tmp_path / "evil"
    evil.mkdir()
    target = tmp_path / "victim.txt"
    target.write_text("do not append here\n")
    write_lines(evil / "misses.jsonl", '{"miss_id": "evil-1", "alert_name": "evil alert"}')
    (evil / "scenarios").mkdir()
    write_lines(
        evil / "triage-lens.yaml",
        "write: true",
        f"events: {target}",
        f"misses: {evil / 'misses.jsonl'}",
        f"scenarios_dir: {evil / 'scenarios'}",
    )
    return evil


def _run(url_params: dict[str, str], monkeypatch: pytest.MonkeyPatch, script: str | None = None) -> AppTest:
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in url_params.items():
        app.query_params[key] = value
    app.run()
    if script is not None:
        app.switch_page(str(next(p for p in PAGES if p.script == script).path))
        app.run()
    return app


def test_data_and_write_in_the_url_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = _evil_folder(tmp_path)
    plain = _run({}, monkeypatch)
    hostile = _run(
        {"data": str(evil), "write": "1", "policy": str(evil / "triage-lens.yaml"), "scenarios": str(evil)},
        monkeypatch,
    )
    assert not hostile.exception
    before: AppContext = plain.session_state[CONTEXT_KEY]
    after: AppContext = hostile.session_state[CONTEXT_KEY]
    assert after.sources.paths == before.sources.paths
    assert after.sources.paths["misses"] == SAMPLE_DIR / "misses.jsonl"
    assert after.sources.write is False
    assert after.sources.is_sample
    assert after.sources.scenarios_dir == before.sources.scenarios_dir
    # No widget in the sidebar takes a path either.
    assert [t.label for t in hostile.sidebar.text_input] == []
    assert all(str(evil) not in c.value for c in hostile.sidebar.caption)
    assert (tmp_path / "victim.txt").read_text() == "do not append here\n"


@pytest.mark.parametrize("script", ["scenarios.py", "incidents.py", "data_policy.py"])
def test_pages_ignore_path_parameters(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = _evil_folder(tmp_path)
    app = _run({name: str(evil) for name in HOSTILE_PARAMS}, monkeypatch, script)
    assert not app.exception
    assert [t.label for t in app.text_input if "folder" in t.label.lower() or "source" in t.label.lower()] == []
    shown = " ".join(str(e.value) for e in [*app.markdown, *app.caption, *app.info, *app.warning, *app.error])
    assert str(evil) not in shown
    # Notes need write mode: the Incidents page stays read-only.
    if script == "incidents.py":
        assert not any(t.label == "Note for this incident" for t in app.text_input)


def _read_param_names(source: str) -> set[str]:
    """Names passed as string literals to the functions that read URL parameters."""
    names: set[str] = set()
    # reader -> the position of its parameter-name argument (dashboard/urlstate.py and st.query_params)
    readers = {
        "url_param": 0,
        "url_values": 0,
        "url_selection": 0,
        "get": 0,
        "get_all": 0,
        "url_toggle": 2,
        "url_number": 2,
        "url_text": 2,
        "url_selectbox": 3,
        "url_multiselect": 3,
        "url_segmented": 3,
        "url_select_slider": 3,
        "url_choice": 3,  # pages/benchmark_runs.py (its pickers reset with the run they depend on)
    }
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in readers:
            continue
        if name in ("get", "get_all") and not (
            isinstance(func, ast.Attribute) and "query_params" in ast.unparse(func.value)
        ):
            continue
        position = readers[name]
        candidates = node.args[position : position + 1]
        args = [a for a in candidates if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if args:
            names.add(str(args[0].value))
    return names


def test_every_url_parameter_read_by_the_app_is_view_state() -> None:
    files = [*REPO.joinpath("dashboard").glob("*.py"), *REPO.joinpath("pages").glob("*.py")]
    read = set().union(*(_read_param_names(f.read_text()) for f in files))
    assert read, "the scan found no URL parameter at all: the reader names changed"
    assert {"range", "service"} <= read
    assert not read & set(HOSTILE_PARAMS), read & set(HOSTILE_PARAMS)
    forbidden = {"path", "file", "files", "dir", "folder", "source", "mode", "uri", "dsn", "data", "write", "policy"}
    assert not [n for n in read if forbidden & set(re.split(r"[_\-.]", n.lower()))]


def test_the_source_resolver_takes_no_browser_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    from dashboard import context

    assert list(inspect.signature(context._resolve).parameters) == []
    assert list(inspect.signature(context.build_context).parameters) == ["filters"]
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(_evil_folder(tmp_path)))
    sources, error = context._resolve()
    assert error is None and sources.write is False  # a folder (not its config) is read-only
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(tmp_path / "evil" / "triage-lens.yaml"))
    sources, error = context._resolve()
    assert sources.write is True  # write mode chosen by whoever started the server: allowed
