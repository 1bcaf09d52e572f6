"""The Data page's upload of an OpenRCA agent result CSV: recognised, previewed as its benchmark run, written to the
data folder's runs/ (never to the sample or a database), and the same file uploaded again changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dashboard.context import AppContext
from dashboard.import_view import import_target, plan_runs_upload, run_summary, runs_target
from tests.conftest import SAMPLE_DIR
from tests.importers.test_openrca import ROWS, csv_bytes
from triage_lens.importers.openrca import OpenRcaRun, looks_like, started_at_of, write_runs_into

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def one(result: list[OpenRcaRun] | str) -> OpenRcaRun | str:
    """The single run of a one-file upload, or the message."""
    if isinstance(result, str):
        return result
    assert len(result) == 1
    return result[0]


def context_of(**sources: Any) -> AppContext:
    defaults: dict[str, Any] = {
        "origin": "folder",
        "sample_inputs": (),
        "runs_dir": None,
        "runs_home": None,
        "incident_store_uri": None,
        "paths": {},
        "root": None,
    }
    return cast(AppContext, SimpleNamespace(sources=SimpleNamespace(**{**defaults, **sources})))


def test_an_upload_is_its_run_started_now_with_the_runs_pages_rounding(tmp_path: Path) -> None:
    payload = csv_bytes(ROWS)
    assert looks_like(payload)
    run = one(plan_runs_upload([("agent-Bank.csv", payload)], tmp_path / "runs", NOW))
    assert isinstance(run, OpenRcaRun)
    # three rows by hand: scores 1.0, 0.5, 0.0 -> one exact match, mean 0.5
    assert (run.run_id, run.cases, run.passed, run.mean_score, run.started_at) == ("openrca-Bank", 3, 1, 0.5, NOW)
    assert run_summary(run) == (
        "**openrca-Bank** (from agent-Bank.csv): 3 cases, 1 exact match (33%), mean partial score 0.500; "
        "started 2026-12-03 15:00 UTC"
    )


def test_the_same_file_uploaded_again_keeps_its_start_and_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    first = one(plan_runs_upload([("agent-Bank.csv", csv_bytes(ROWS))], folder, NOW))
    assert isinstance(first, OpenRcaRun)
    assert write_runs_into(folder, [first]) == (1, 0)
    later = one(plan_runs_upload([("agent-Bank.csv", csv_bytes(ROWS))], folder, datetime(2026, 12, 9, tzinfo=UTC)))
    assert isinstance(later, OpenRcaRun)
    assert later.started_at == NOW
    assert write_runs_into(folder, [later]) == (0, 1)
    lines = (folder / "openrca-Bank.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["started_at"] for line in lines} == {"2026-12-03T15:00:00+00:00"}


def test_a_bad_upload_is_one_line_naming_the_file_and_row(tmp_path: Path) -> None:
    bad = [[*ROWS[0][:5], "1.5", *ROWS[0][6:]]]  # a score past 1
    message = one(plan_runs_upload([("agent-Bank.csv", csv_bytes(bad))], tmp_path, NOW))
    assert isinstance(message, str)
    assert message.startswith("agent-Bank.csv:2: ") and "nothing imported" in message
    assert not list(tmp_path.iterdir())


def test_a_different_result_for_the_same_system_is_a_new_run_started_now(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    first = one(plan_runs_upload([("agent-Bank.csv", csv_bytes(ROWS))], folder, NOW))
    assert isinstance(first, OpenRcaRun)
    write_runs_into(folder, [first])
    later = datetime(2026, 12, 9, tzinfo=UTC)
    other = one(plan_runs_upload([("agent-Bank.csv", csv_bytes(ROWS[:2]))], folder, later))
    assert isinstance(other, OpenRcaRun)
    assert (other.cases, other.started_at) == (2, later)  # not backdated to the replaced run's start


def test_a_stored_start_in_another_offset_is_read_as_utc(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "openrca-Bank.jsonl").write_text(
        '{"run_id": "openrca-Bank", "started_at": "2026-12-03T20:00:00+05:00"}\n'
    )
    assert started_at_of(folder, "openrca-Bank") == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    (folder / "openrca-Bank.jsonl").write_text('{"run_id": "openrca-Bank", "started_at": "2026-12-03T20:00:00"}\n')
    assert started_at_of(folder, "openrca-Bank") is None  # naive: no start to keep


def test_a_long_or_hostile_file_name_is_a_short_safe_run_id(tmp_path: Path) -> None:
    run = one(plan_runs_upload([("agent-" + "x" * 300 + ".csv", csv_bytes(ROWS))], tmp_path / "runs", NOW))
    assert isinstance(run, OpenRcaRun)
    assert run.run_id == "openrca-" + "x" * 120
    assert write_runs_into(tmp_path / "runs", [run]) == (1, 0)  # a name the file system takes
    hostile = one(plan_runs_upload([("../../agent-..csv", csv_bytes(ROWS))], tmp_path / "runs", NOW))
    assert isinstance(hostile, OpenRcaRun) and hostile.run_id == "openrca-unnamed"


def test_runs_go_where_the_source_reads_them_never_to_the_sample(tmp_path: Path) -> None:
    home = tmp_path / "data" / "runs"
    assert runs_target(context_of(runs_home=home, root=tmp_path)) == home
    assert runs_target(context_of(runs_home=None, root=tmp_path)) is None  # a config naming no runs folder
    assert runs_target(context_of(origin="sample", runs_home=home, root=tmp_path)) is None
    assert runs_target(context_of(sample_inputs=("runs",), runs_home=home, root=tmp_path)) is None
    assert runs_target(context_of(origin="config", runs_home=SAMPLE_DIR / "runs")) is None  # a config into the sample
    linked = tmp_path / "linked"
    linked.symlink_to(SAMPLE_DIR)
    assert runs_target(context_of(origin="config", runs_home=linked / "runs")) is None  # through a symlink
    assert import_target(context_of(origin="config", paths={"incidents": linked / "incidents.jsonl"})) is None


def test_the_resolver_reads_runs_where_an_import_writes_them(tmp_path: Path) -> None:
    from triage_lens.sources.resolve import resolve_sources

    # a folder: <folder>/runs, before and after it exists
    folder = tmp_path / "folder"
    folder.mkdir()
    before = resolve_sources(str(folder), None, None, False)
    assert (before.runs_dir, before.runs_home) == (None, folder / "runs")
    (folder / "runs").mkdir()
    assert resolve_sources(str(folder), None, None, False).runs_dir == folder / "runs"
    # a config with incidents kept elsewhere and a data_dir: <data_dir>/runs, not beside the incidents
    config = tmp_path / "cfg" / "triage-lens.yaml"
    config.parent.mkdir()
    config.write_text("data_dir: data\nincidents: store/incidents.jsonl\n")
    sources = resolve_sources(str(config), None, None, False)
    assert (sources.runs_dir, sources.runs_home) == (None, config.parent / "data" / "runs")
    (config.parent / "data" / "runs").mkdir(parents=True)
    assert resolve_sources(str(config), None, None, False).runs_dir == config.parent / "data" / "runs"
    # a config naming neither: nowhere to write runs
    bare = tmp_path / "bare" / "triage-lens.yaml"
    bare.parent.mkdir()
    bare.write_text("incidents: incidents.jsonl\n")
    assert resolve_sources(str(bare), None, None, False).runs_home is None


def test_several_files_are_several_runs_and_two_of_one_system_are_refused(tmp_path: Path) -> None:
    runs = plan_runs_upload(
        [("agent-Bank.csv", csv_bytes(ROWS)), ("agent-Telecom.csv", csv_bytes(ROWS[:2]))], tmp_path / "runs", NOW
    )
    assert isinstance(runs, list)
    assert [(r.run_id, r.cases, r.started_at) for r in runs] == [("openrca-Bank", 3, NOW), ("openrca-Telecom", 2, NOW)]
    twice = plan_runs_upload([("agent-Bank.csv", csv_bytes(ROWS)), ("x/agent-Bank.csv", csv_bytes(ROWS))], None, NOW)
    assert twice == "two files give the run 'openrca-Bank': import one file per system; nothing imported"


def test_runs_and_incidents_in_one_upload_are_refused_by_name() -> None:
    from triage_lens.importers.mapping import ImportFailure
    from triage_lens.importers.openrca import all_openrca

    incidents = ("statuspage.json", b'[{"id": "x", "name": "Down", "created_at": "2026-01-01T00:00:00Z"}]')
    assert all_openrca([("agent-Bank.csv", csv_bytes(ROWS))]) is True
    assert all_openrca([incidents]) is False
    with pytest.raises(ImportFailure) as mixed:
        all_openrca([("agent-Bank.csv", csv_bytes(ROWS)), incidents])
    assert str(mixed.value) == (
        "agent-Bank.csv: OpenRCA results are runs, not incidents: import them on their own (nothing imported)"
    )
