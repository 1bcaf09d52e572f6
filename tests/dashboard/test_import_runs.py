"""The Data page's upload of an OpenRCA agent result CSV: recognised, previewed as its benchmark run, written to the
data folder's runs/ (never to the sample or a database), and the same file uploaded again changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from dashboard.context import AppContext
from dashboard.import_view import plan_runs_upload, run_summary, runs_target
from tests.importers.test_openrca import ROWS, csv_bytes
from triage_lens.importers.openrca import OpenRcaRun, looks_like, write_runs_into

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def context_of(**sources: Any) -> AppContext:
    defaults: dict[str, Any] = {
        "origin": "folder",
        "sample_inputs": (),
        "runs_dir": None,
        "incident_store_uri": None,
        "paths": {},
        "root": None,
    }
    return cast(AppContext, SimpleNamespace(sources=SimpleNamespace(**{**defaults, **sources})))


def test_an_upload_is_its_run_started_now_with_the_runs_pages_rounding(tmp_path: Path) -> None:
    payload = csv_bytes(ROWS)
    assert looks_like(payload)
    run = plan_runs_upload("agent-Bank.csv", payload, tmp_path / "runs", NOW)
    assert isinstance(run, OpenRcaRun)
    # three rows by hand: scores 1.0, 0.5, 0.0 -> one exact match, mean 0.5
    assert (run.run_id, run.cases, run.passed, run.mean_score, run.started_at) == ("openrca-Bank", 3, 1, 0.5, NOW)
    assert run_summary(run) == (
        "**openrca-Bank**: 3 cases, 1 exact match (33%), mean partial score 0.500; started 2026-12-03 15:00 UTC"
    )


def test_the_same_file_uploaded_again_keeps_its_start_and_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    first = plan_runs_upload("agent-Bank.csv", csv_bytes(ROWS), folder, NOW)
    assert isinstance(first, OpenRcaRun)
    assert write_runs_into(folder, [first]) == (1, 0)
    later = plan_runs_upload("agent-Bank.csv", csv_bytes(ROWS), folder, datetime(2026, 12, 9, tzinfo=UTC))
    assert isinstance(later, OpenRcaRun)
    assert later.started_at == NOW
    assert write_runs_into(folder, [later]) == (0, 1)
    lines = (folder / "openrca-Bank.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["started_at"] for line in lines} == {"2026-12-03T15:00:00+00:00"}


def test_a_bad_upload_is_one_line_naming_the_file_and_row(tmp_path: Path) -> None:
    bad = [[*ROWS[0][:5], "1.5", *ROWS[0][6:]]]  # a score past 1
    message = plan_runs_upload("agent-Bank.csv", csv_bytes(bad), tmp_path, NOW)
    assert isinstance(message, str)
    assert message.startswith("agent-Bank.csv:2: ") and "nothing imported" in message
    assert not list(tmp_path.iterdir())


def test_runs_go_to_the_sources_runs_folder_never_to_the_sample_or_a_database(tmp_path: Path) -> None:
    runs = tmp_path / "elsewhere"
    assert runs_target(context_of(runs_dir=runs, root=tmp_path)) == runs
    assert runs_target(context_of(root=tmp_path)) == tmp_path / "runs"
    incidents = tmp_path / "store" / "incidents.jsonl"
    assert runs_target(context_of(paths={"incidents": incidents}, root=tmp_path)) == tmp_path / "store" / "runs"
    assert runs_target(context_of(origin="sample", runs_dir=runs, root=tmp_path)) is None
    assert runs_target(context_of(sample_inputs=("runs",), root=tmp_path)) is None
    assert runs_target(context_of(incident_store_uri="postgresql://db/x", root=tmp_path)) is None
