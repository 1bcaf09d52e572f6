"""Folders the pages read whole (scenarios, benchmark runs) are cache keys by every file under them: a scenario
exported into an existing date folder, or a re-export that rewrites an ``alert.json``, shows on the next run
without a restart (the folder's own modification time moves only when its direct entries change)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import SAMPLE_DIR


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import streamlit as st

    st.cache_resource.clear()
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, folder)
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TRIAGE_LENS_NOW", "2026-11-16T10:00:00Z")
    return folder


def _covered_keys(folder: Path) -> set[tuple[str, str]]:
    from dashboard.context import Filters, build_context
    from dashboard.misses_view import coverage_for

    coverage, problems, used = coverage_for(build_context(Filters("all")))
    assert used == folder / "scenarios" and problems == []
    assert coverage is not None
    return {(row["group_alert"], row["group_taxonomy"]) for row in coverage.collect().iter_rows(named=True)}


def test_a_scenario_exported_into_an_existing_date_folder_is_covered_on_the_next_run(data_copy: Path) -> None:
    before = _covered_keys(data_copy)
    assert len(before) == 11  # the sample's 14 exported scenarios cover 11 distinct pairs
    misses = pl.read_ndjson(
        data_copy / "misses.jsonl", schema={"miss_id": pl.Utf8, "alert_name": pl.Utf8, "taxonomy": pl.Utf8}
    )
    new = next(r for r in misses.iter_rows(named=True) if (r["alert_name"], r["taxonomy"]) not in before)
    date_folder = data_copy / "scenarios" / "2026-10-20"
    top_mtime = (data_copy / "scenarios").stat().st_mtime_ns
    target = date_folder / "9999_new_scenario" / "alert.json"
    target.parent.mkdir()
    alert = {"_meta": {"miss_id": new["miss_id"], "taxonomy": new["taxonomy"]}, "alert_name": new["alert_name"]}
    target.write_text(json.dumps(alert), encoding="utf-8")
    assert (data_copy / "scenarios").stat().st_mtime_ns == top_mtime  # what the old key looked at did not move
    assert _covered_keys(data_copy) == before | {(new["alert_name"], new["taxonomy"])}


def test_a_rewritten_alert_json_changes_the_folder_stamp(data_copy: Path) -> None:
    from dashboard.context import AppContext, Filters, build_context, folder_stamp

    scenarios = data_copy / "scenarios"
    first: AppContext = build_context(Filters("all"))
    stamp = folder_stamp(first, scenarios)
    assert folder_stamp(first, scenarios) == stamp  # walked once per run: the same answer within it
    alert = sorted(scenarios.rglob("alert.json"))[0]
    text = alert.read_text(encoding="utf-8")
    alert.write_text(text.replace("Regression", "Regression again"), encoding="utf-8")
    os.utime(alert, ns=(alert.stat().st_atime_ns, alert.stat().st_mtime_ns + 1_000_000_000))
    assert folder_stamp(build_context(Filters("all")), scenarios) != stamp
    assert folder_stamp(build_context(Filters("all")), data_copy / "no-such-folder") != stamp
