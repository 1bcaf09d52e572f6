"""The JSONL and PostgreSQL incident stores give identical CLI outputs; writes only append."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from analytics.schemas import EVENTS
from tests.analytics.incident_helpers import T0, incident, write_incidents
from triage_lens.cli.main import cli
from triage_lens.sources.store import existing_dedupe_keys, read_postgres

NOW = "2026-06-15T09:00:00Z"


def records() -> list[dict]:
    return (
        [
            incident(
                f"g{i}",
                -(i + 1) * 60,
                service="gateway",
                kind="error_rate",
                signature="sigA",
                severity="P1",
                status="open" if i == 0 else "resolved",
                labels={"team": "edge"},
            )
            for i in range(6)
        ]
        + [
            incident(
                f"p{i}", -(i + 1) * 200, service="payments", kind=None, title=f"DB pool exhausted {i}", severity="P2"
            )
            for i in range(4)
        ]
        + [{**incident("bad", 5), "started_at": "not a time"}]
    )


def run(data: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--data", str(data), "--now", NOW, *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_same_outputs_on_jsonl_and_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    folder = write_incidents(
        tmp_path / "jsonl",
        records(),
        events=[{"event_id": "e1", "incident_id": "g0", "ts": NOW, "type": "note", "message": "hi", "meta": {"k": 1}}],
    )
    init = CliRunner().invoke(cli, ["store", "init", "--dsn", postgres_dsn, "--from", str(folder)])
    assert init.exit_code == 0, init.output
    assert "copied 11 rows" in init.output
    again = CliRunner().invoke(cli, ["store", "init", "--dsn", postgres_dsn])  # idempotent
    assert again.exit_code == 0
    config = tmp_path / "triage-lens.yaml"
    config.write_text(f"incidents: {postgres_dsn}\n")
    commands = [
        ["incidents", "correlate", "g0", "--json"],
        ["incidents", "clusters", "--json"],
        ["incidents", "recurrence", "--json"],
        ["incidents", "buckets", "--json"],
        ["incidents", "digest", "--week", "2026-W24", "--json"],
        ["incidents", "gate", "--service", "gateway", "--profile", "staging", "--json"],
    ]
    for command in commands:
        assert run(folder, *command) == run(config, *command), command
    check = json.loads(CliRunner().invoke(cli, ["--data", str(config), "check", "--json"]).stdout)
    incidents = next(s for s in check["sources"] if s["input"] == "incidents")
    assert incidents["rows"] == 11 and incidents["flagged"] == 1
    # nothing between "://" and the last "@" is printed, a bare user name included (DEFINITIONS §5, issue 24)
    assert (incidents["path"] or "").startswith("postgresql://***@/")


def test_followups_and_notes_append_in_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    folder = write_incidents(tmp_path / "jsonl", records(), events=[])
    assert CliRunner().invoke(cli, ["store", "init", "--dsn", postgres_dsn, "--from", str(folder)]).exit_code == 0
    config = tmp_path / "triage-lens.yaml"
    config.write_text(f"incidents: {postgres_dsn}\nwrite: true\n")
    digest = ["incidents", "digest", "--week", "2026-W24", "--followups", "--json"]
    first = json.loads(run(config, *digest))["followups"]
    assert first == [{"bucket_key": "gateway|error_rate", "incident_id": "g0", "created": True, "reason": None}]
    assert json.loads(run(config, *digest))["followups"][0]["reason"] == "already_exists"
    run(config, "incidents", "correlate", "g0", "--note", "looked at it", "--json")
    events = read_postgres(postgres_dsn, EVENTS).frame
    assert events["type"].to_list() == ["followup", "note"]
    assert existing_dedupe_keys(events.lazy()) == {"intel_recur:2026-W24:gateway|error_rate"}


def test_unreachable_store_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "triage-lens.yaml"
    config.write_text("incidents: postgresql://nobody:secret@127.0.0.1:1/none\n")
    result = CliRunner().invoke(cli, ["--data", str(config), "check"])
    assert result.exit_code == 1
    assert "cannot connect to postgresql://***@127.0.0.1:1/none" in result.output
    assert "secret" not in result.output
    assert T0.year == 2026
