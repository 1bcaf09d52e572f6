"""#12 item 7: concurrent writers never append the same follow-up twice (JSONL file lock, PostgreSQL
advisory lock), proven with several processes."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from analytics.schemas import EVENTS
from tests.analytics.incident_helpers import write_incidents
from tests.analytics.test_incident_intel import week_records
from triage_lens.cli.main import cli
from triage_lens.sources.store import append_events, read_postgres

WRITERS = 5
DIGEST = ["--now", "2026-06-15T09:00:00Z", "--write", "incidents", "digest", "--week", "2026-W24", "--followups"]
KEY = "intel_recur:2026-W24:gateway|error_rate"


def followup(n: int) -> dict[str, Any]:
    """The same follow-up as planned by every writer (same dedupe key), tagged by who wrote it."""
    return {
        "event_id": "evt_same",
        "incident_id": "g0",
        "ts": "2026-06-15T09:00:00+00:00",
        "type": "followup",
        "message": f"writer {n}",
        "meta": {"dedupe_key": KEY},
    }


def _append_after_barrier(barrier: Any, n: int, uri: str | None, path: str | None, out: Any) -> None:
    barrier.wait()  # every writer has already "planned" the event: the race the lock must settle
    written = append_events(events=[followup(n)], uri=uri, events_path=Path(path) if path else None)
    out.put(len(written))


def _race(uri: str | None, path: Path | None) -> list[int]:
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(WRITERS), context.Queue()
    processes = [
        context.Process(target=_append_after_barrier, args=(barrier, n, uri, str(path) if path else None, out))
        for n in range(WRITERS)
    ]
    # Streamlit's script runner (AppTest, earlier in the same test process) leaves a page script as __main__, and
    # "spawn" re-runs __main__ in every child: start them with a bare __main__ so they import only this module.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for process in processes:
            process.start()
    finally:
        sys.modules["__main__"] = main
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    return sorted(out.get(timeout=5) for _ in processes)


def _digest_runs(data: Path) -> list[dict[str, Any]]:
    """WRITERS real `triage-lens incidents digest --followups --write --json` processes started at once."""
    command = [sys.executable, "-m", "triage_lens", "--data", str(data), *DIGEST, "--json"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(WRITERS)]
    outputs = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=180)
        assert run.returncode == 0, stderr.decode()
        outputs.append(json.loads(stdout)["followups"][0])
    return outputs


def _followup_keys(lines: list[dict[str, Any]]) -> Counter[str]:
    return Counter(e["meta"]["dedupe_key"] for e in lines if e.get("type") == "followup")


def test_jsonl_writers_racing_after_planning_write_one_followup(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    assert _race(None, events) == [0, 0, 0, 0, 1]
    lines = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    assert _followup_keys(lines) == {KEY: 1}


def test_five_concurrent_digest_runs_on_jsonl_create_one_followup(tmp_path: Path) -> None:
    data = write_incidents(tmp_path / "data", week_records(), events=[])
    outputs = _digest_runs(data)
    assert sorted(o["created"] for o in outputs) == [False, False, False, False, True]
    assert {o["reason"] for o in outputs} == {None, "already_exists"}
    lines = [json.loads(line) for line in (data / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert _followup_keys(lines) == {KEY: 1}
    assert (data / "events.jsonl.lock").exists()


def test_postgresql_writers_racing_after_planning_write_one_followup(tmp_path: Path, postgres_dsn: str) -> None:
    assert CliRunner().invoke(cli, ["store", "init", "--dsn", postgres_dsn]).exit_code == 0
    assert _race(postgres_dsn, None) == [0, 0, 0, 0, 1]
    frame = read_postgres(postgres_dsn, EVENTS).frame
    assert frame["type"].to_list() == ["followup"]


def test_five_concurrent_digest_runs_on_postgresql_create_one_followup(tmp_path: Path, postgres_dsn: str) -> None:
    folder = write_incidents(tmp_path / "jsonl", week_records(), events=[])
    init = CliRunner().invoke(cli, ["store", "init", "--dsn", postgres_dsn, "--from", str(folder)])
    assert init.exit_code == 0, init.output
    config = tmp_path / "triage-lens.yaml"
    config.write_text(f"incidents: {postgres_dsn}\n", encoding="utf-8")
    outputs = _digest_runs(config)
    assert sorted(o["created"] for o in outputs) == [False, False, False, False, True]
    frame = read_postgres(postgres_dsn, EVENTS).frame
    assert frame["type"].to_list() == ["followup"]
    assert frame["meta"].str.json_path_match("$.dedupe_key").to_list() == [KEY]
