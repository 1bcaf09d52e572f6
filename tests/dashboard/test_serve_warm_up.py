"""The server's start-up warm-up (``dashboard/serve.py``, issue 21 item 3): the landing page's inputs are cached
before the first browser arrives, a session arriving during that build waits for it instead of parsing the
file beside it, and a warm-up that cannot run changes nothing."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from dashboard import serve
from dashboard.registry import PAGES
from dashboard.serve import start_warm_up, warm_up
from tests.conftest import SAMPLE_DIR
from triage_lens.sources import cache
from triage_lens.sources.cache import load_input
from triage_lens.sources.resolve import startup_sources


def _environ(folder: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TRIAGE_LENS_DATA": str(folder), "XDG_CACHE_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path), **extra}


def _jsonl_cache_entries(tmp_path: Path, name: str) -> list[Path]:
    return sorted((tmp_path / "xdg" / "triage-lens").glob(f"{name}-*.meta.json"))


def test_the_landing_page_inputs_are_cached_and_a_later_load_reads_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, folder)
    env = _environ(folder, tmp_path)
    assert PAGES[0].needs == ("misses", "feedback", "incidents", "error_ledger")  # the Overview lands first
    assert warm_up(env, PAGES[0].needs) == ["misses", "feedback", "incidents", "error_ledger"]
    assert _jsonl_cache_entries(tmp_path, "misses") and _jsonl_cache_entries(tmp_path, "feedback")
    sources = startup_sources(env)
    loaded = load_input("misses", sources.paths["misses"], environ=env)
    assert loaded.from_cache
    assert loaded.rows == load_input("misses", sources.paths["misses"], use_cache=False).rows == 1000


def test_missing_inputs_are_skipped_and_a_broken_source_warms_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "misses.jsonl", folder / "misses.jsonl")
    assert warm_up(_environ(folder, tmp_path), PAGES[0].needs) == ["misses"]
    broken = _environ(folder, tmp_path, TRIAGE_LENS_POLICY=str(tmp_path / "no-such-policy.yml"))
    assert warm_up(broken, PAGES[0].needs) == []  # the session reports the broken source, as without a warm-up


def test_a_ledger_in_a_database_is_never_read_whole(tmp_path: Path) -> None:
    import sqlite3

    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "misses.jsonl", folder / "misses.jsonl")
    with sqlite3.connect(folder / "ledger.sqlite") as db:
        db.execute("CREATE TABLE error_ledger (timestamp TEXT, provider TEXT, error_type TEXT, message TEXT)")
    (folder / "triage-lens.yaml").write_text("misses: misses.jsonl\nerror_ledger: ledger.sqlite\n", encoding="utf-8")
    env = _environ(folder / "triage-lens.yaml", tmp_path)
    assert startup_sources(env).paths["error_ledger"] == folder / "ledger.sqlite"
    assert warm_up(env, PAGES[0].needs) == ["misses"]  # the page pushes severity down to SQLite itself
    assert not list((tmp_path / "xdg" / "triage-lens").glob("error_ledger-*"))


def test_turned_off_by_the_environment(tmp_path: Path) -> None:
    assert start_warm_up(_environ(tmp_path, tmp_path, TRIAGE_LENS_WARM_UP="0")) is None


def test_a_failing_warm_up_is_logged_and_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> list[str]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("dashboard.serve.warm_up", explode)
    thread = start_warm_up(_environ(tmp_path, tmp_path))
    assert thread is not None and thread.daemon
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert "warm-up failed" in caplog.text


def test_a_load_during_the_build_waits_for_it_and_reads_the_finished_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "misses.jsonl"
    shutil.copy(SAMPLE_DIR / "misses.jsonl", path)
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    builds: list[int] = []
    building, second_started = threading.Event(), threading.Event()
    real_cold_build = cache._cold_build

    def held_cold_build(*args: Any, **kwargs: Any) -> Any:
        builds.append(1)
        building.set()
        second_started.wait(timeout=30)  # the second load is under way while this build is still running
        threading.Event().wait(0.3)  # and has reached the load (without the lock it would build beside us)
        return real_cold_build(*args, **kwargs)

    monkeypatch.setattr(cache, "_cold_build", held_cold_build)
    results: dict[str, Any] = {}

    def load(key: str) -> None:
        results[key] = load_input("misses", path, environ=env)

    first = threading.Thread(target=load, args=("first",))
    first.start()
    assert building.wait(timeout=60)
    second = threading.Thread(target=load, args=("second",))
    second.start()
    second_started.set()
    first.join(timeout=120)
    second.join(timeout=120)
    assert builds == [1]  # the file was parsed once
    assert not results["first"].from_cache and results["second"].from_cache
    assert results["first"].frame.collect().equals(results["second"].frame.collect())
    assert results["second"].rows == 1000


def test_a_session_waits_for_the_start_up_imports_which_wait_for_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve, "_late_imports_planned", threading.Event())
    monkeypatch.setattr(serve, "_late_imports_done", threading.Event())
    server_up = threading.Event()
    importer = serve.start_late_imports(server_up=server_up.is_set)
    session_ran = threading.Event()

    def session() -> None:
        serve.wait_for_late_imports()
        session_ran.set()

    waiting = threading.Thread(target=session)
    waiting.start()
    # Streamlit has not answered yet: nothing is imported and the session cannot run (it cannot finish early)
    assert not session_ran.wait(0.3)
    assert importer.is_alive()
    server_up.set()
    importer.join(timeout=60)
    waiting.join(timeout=60)
    assert session_ran.is_set()
    assert all(name in sys.modules for name in serve.LATE_IMPORTS)


def test_without_a_warm_up_a_session_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve, "_late_imports_planned", threading.Event())
    done = threading.Event()
    monkeypatch.setattr(serve, "_late_imports_done", done)
    serve.wait_for_late_imports(timeout=600)  # returns at once: no warm-up planned these imports
    assert not done.is_set()
