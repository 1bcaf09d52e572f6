"""`triage-lens import` end to end: JSON summary, idempotent and atomic writes (JSONL and PostgreSQL), refusals,
and the real Google Cloud / AWS status archives."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import SHARED
from triage_lens.cli.main import cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "importers"
# ../shared beside the repo, or beside the folder of worktrees the repo sits in
REALDATA = next(
    (p / "realdata" / "gcp_status_incidents_2022" for p in (SHARED, SHARED.parent.parent / "shared") if p.exists()),
    SHARED / "realdata" / "gcp_status_incidents_2022",
)
GCP_REAL = REALDATA / "incidents.json"
AWS_REAL = REALDATA / "aws_status_archive_2021_2022.json"
needs_realdata = pytest.mark.skipif(not GCP_REAL.exists(), reason="../shared/realdata not present")

SOURCES = {
    "statuspage_incidents.json": "statuspage",
    "pagerduty_incidents.json": "pagerduty",
    "pagerduty_incidents.csv": "pagerduty",
    "incidentio_incidents.json": "incidentio",
    "opsgenie_alerts.json": "opsgenie",
    "grafana_oncall_alert_groups.json": "grafana-oncall",
    "gcp_status_incidents.json": "gcp-status",
    "aws_health_data.json": "aws-health",
}


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def import_json(source: str, files: list[Path], target: str) -> dict[str, Any]:
    result = run("import", source, *map(str, files), "--out", target, "--json")
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def stored(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "incidents.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_source_imports_twice_without_duplicates(name: str, tmp_path: Path) -> None:
    first = import_json("auto", [FIXTURES / name], str(tmp_path))
    assert first["source"] == SOURCES[name]
    assert first["written"] == first["read"] - len(first["skipped"])
    assert first["updated"] == 0
    before = (tmp_path / "incidents.jsonl").read_bytes()
    second = import_json(SOURCES[name], [FIXTURES / name], str(tmp_path))
    assert (second["written"], second["updated"], second["unchanged"]) == (0, 0, first["written"])
    assert (tmp_path / "incidents.jsonl").read_bytes() == before
    ids = [r["id"] for r in stored(tmp_path)]
    assert len(ids) == len(set(ids)) == first["written"]


def test_json_summary_shape_and_the_auto_choice_on_stderr(tmp_path: Path) -> None:
    result = run("import", "auto", str(FIXTURES / "statuspage_incidents.json"), "--out", str(tmp_path), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "source": "statuspage",
        "read": 6,
        "written": 4,
        "updated": 0,
        "unchanged": 0,
        "skipped": [
            {"id": "statuspage:m4m4m4m4m4m4", "reason": "maintenance window, not an incident"},
            {"id": f"{FIXTURES / 'statuspage_incidents.json'}#6", "reason": "no id"},
        ],
        "no_severity": 0,
    }
    assert f"auto: {FIXTURES / 'statuspage_incidents.json'} detected as statuspage" in result.stderr


def test_an_updated_export_updates_in_place_and_leaves_other_records_alone(tmp_path: Path) -> None:
    own = [
        '{"id": "inc_1", "service": "api", "started_at": "2024-01-01T00:00:00Z"}',
        "not json at all",
        '{"id": "inc_2", "service": "db", "started_at": "2024-01-02T00:00:00Z"}',
    ]
    (tmp_path / "incidents.jsonl").write_text("\n".join(own) + "\n")
    import_json("auto", [FIXTURES / "gcp_status_incidents.json"], str(tmp_path))
    export = json.loads((FIXTURES / "gcp_status_incidents.json").read_text())
    export[1]["end"] = "2023-11-21T02:00:00+01:00"  # the open incident has ended since
    export[1]["severity"] = "medium"
    updated = tmp_path / "updated.json"
    updated.write_text(json.dumps(export))
    summary = import_json("gcp-status", [updated], str(tmp_path))
    assert (summary["written"], summary["updated"], summary["unchanged"]) == (0, 1, 1)
    lines = (tmp_path / "incidents.jsonl").read_text().splitlines()
    assert lines[:3] == own  # untouched, byte for byte, in their order
    records = [json.loads(line) for line in lines[3:]]
    assert [r["id"] for r in records] == ["gcp-status:abcDEF123ghiJKL456mn", "gcp-status:openOPEN000000000000"]
    assert (records[1]["status"], records[1]["ended_at"], records[1]["severity"]) == (
        "resolved",
        "2023-11-21T01:00:00+00:00",
        "P2",
    )


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_truncated_file_changes_nothing_and_says_why(name: str, tmp_path: Path) -> None:
    import_json("auto", [FIXTURES / "gcp_status_incidents.json"], str(tmp_path))
    before = (tmp_path / "incidents.jsonl").read_bytes()
    payload = (FIXTURES / name).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(
        payload[: payload.index(b"Disk full") + 4] if name.endswith(".csv") else payload[: len(payload) // 2]
    )
    good = FIXTURES / "statuspage_incidents.json"
    result = run("import", "auto", str(good), str(cut), "--out", str(tmp_path), "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {cut}")
    assert "truncated" in result.stderr or "ends early" in result.stderr
    assert (tmp_path / "incidents.jsonl").read_bytes() == before  # not even the good file was written
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["incidents.jsonl", "incidents.jsonl.lock", name])


def test_not_the_declared_source_or_not_json_exits_1_naming_the_file(tmp_path: Path) -> None:
    result = run("import", "opsgenie", str(FIXTURES / "statuspage_incidents.json"), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "statuspage_incidents.json: not a opsgenie export (it looks like statuspage)" in result.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("{this is not json}")
    result = run("import", "auto", str(junk), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {junk}: not valid JSON at line 1, column 2")
    assert not (tmp_path / "incidents.jsonl").exists()
    missing = run("import", "auto", str(tmp_path / "nope.json"), "--out", str(tmp_path))
    assert missing.exit_code == 1
    assert "nope.json: cannot read" in missing.stderr


def test_a_symlinked_incidents_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.jsonl"
    real.write_text("")
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "incidents.jsonl").symlink_to(real)
    result = run("import", "auto", str(FIXTURES / "gcp_status_incidents.json"), "--out", str(folder))
    assert result.exit_code == 1
    assert "is a symlink; refusing to write through it" in result.stderr
    assert real.read_text() == ""


def test_the_write_is_atomic_when_the_replace_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "incidents.jsonl").write_text('{"id": "inc_1", "service": "api", "started_at": "2024-01-01"}\n')
    before = (tmp_path / "incidents.jsonl").read_bytes()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)  # the shared atomic writer renames with os.replace
    result = run("import", "auto", str(FIXTURES / "gcp_status_incidents.json"), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "cannot write (No space left on device); nothing changed" in result.stderr
    assert (tmp_path / "incidents.jsonl").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incidents.jsonl", "incidents.jsonl.lock"]


def test_dry_run_counts_without_writing(tmp_path: Path) -> None:
    result = run("import", "auto", str(FIXTURES / "opsgenie_alerts.json"), "--out", str(tmp_path), "--dry-run")
    assert result.exit_code == 0
    assert "opsgenie: 3 read; would write 3 new, 0 updated, 0 unchanged; 0 skipped" in result.stdout
    assert not (tmp_path / "incidents.jsonl").exists()


def test_the_imported_folder_reads_back_with_derived_kind_and_signature(tmp_path: Path) -> None:
    import_json("auto", [FIXTURES / "statuspage_incidents.json"], str(tmp_path))
    result = run("--data", str(tmp_path), "check", "--json")
    assert result.exit_code == 0
    inputs = {i["input"]: i for i in json.loads(result.stdout)["sources"]}
    assert (inputs["incidents"]["rows"], inputs["incidents"]["quarantined"]) == (4, 0)


@needs_realdata
def test_all_157_real_gcp_incidents_import_resolved_with_p1_to_p3(tmp_path: Path) -> None:
    summary = import_json("auto", [GCP_REAL], str(tmp_path))
    assert (summary["source"], summary["read"], summary["written"], summary["skipped"]) == ("gcp-status", 157, 157, [])
    records = stored(tmp_path)
    assert len(records) == 157
    assert {r["status"] for r in records} == {"resolved"}
    counts = {s: sum(1 for r in records if r["severity"] == s) for s in ("P1", "P2", "P3")}
    assert counts == {"P1": 20, "P2": 118, "P3": 19}  # high / medium / low in Google's file
    assert all(r["ended_at"] >= r["started_at"] and r["started_at"].endswith("+00:00") for r in records)
    first = records[0]
    assert (first["id"], first["service"], first["started_at"], first["ended_at"]) == (
        "gcp-status:TaA75H7XA1DQyM2ReK2f",
        "Google BigQuery",
        "2022-07-01T13:37:44+00:00",
        "2022-07-01T19:25:45+00:00",
    )
    again = import_json("gcp-status", [GCP_REAL], str(tmp_path))
    assert (again["written"], again["updated"], again["unchanged"]) == (0, 0, 157)


@needs_realdata
def test_the_real_aws_archive_imports(tmp_path: Path) -> None:
    summary = import_json("auto", [AWS_REAL], str(tmp_path))
    assert (summary["source"], summary["read"], summary["written"], summary["skipped"]) == ("aws-health", 86, 86, [])
    records = stored(tmp_path)
    counts = {s: sum(1 for r in records if r["severity"] == s) for s in ("P1", "P2", "P3")}
    assert counts == {"P1": 3, "P2": 11, "P3": 72}
    assert {r["status"] for r in records} == {"resolved"}
    first = records[0]
    assert (first["id"], first["service"], first["title"], first["started_at"]) == (
        "aws-health:internetconnectivity-us-east-2:1624564393",
        "internetconnectivity-us-east-2",
        "Internet Connectivity",
        "2021-06-24T19:53:13+00:00",
    )


def test_postgres_upsert_is_idempotent_and_updates_in_place(postgres_dsn: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(postgres_dsn) as connection:
        connection.execute(
            "CREATE TABLE incidents (row_id BIGSERIAL PRIMARY KEY, id TEXT NOT NULL, service TEXT NOT NULL, env TEXT, "
            "kind TEXT, severity TEXT, status TEXT, title TEXT, summary TEXT, started_at TEXT NOT NULL, "
            "ended_at TEXT, signature TEXT, labels JSONB)"
        )
        connection.execute(
            "INSERT INTO incidents (id, service, started_at) VALUES ('inc_own', 'api', '2024-01-01T00:00:00Z')"
        )
    first = import_json("auto", [FIXTURES / "gcp_status_incidents.json"], postgres_dsn)
    assert (first["written"], first["updated"], first["unchanged"]) == (2, 0, 0)
    again = import_json("auto", [FIXTURES / "gcp_status_incidents.json"], postgres_dsn)
    assert (again["written"], again["updated"], again["unchanged"]) == (0, 0, 2)
    export = json.loads((FIXTURES / "gcp_status_incidents.json").read_text())
    export[1]["end"] = "2023-11-21T02:00:00+01:00"
    updated = tmp_path / "updated.json"
    updated.write_text(json.dumps(export))
    third = import_json("gcp-status", [updated], postgres_dsn)
    assert (third["written"], third["updated"], third["unchanged"]) == (0, 1, 1)
    with psycopg.connect(postgres_dsn) as connection:
        rows = connection.execute(
            "SELECT id, status, ended_at, labels->>'source' FROM incidents ORDER BY row_id"
        ).fetchall()
    assert rows == [
        ("inc_own", None, None, None),
        ("gcp-status:abcDEF123ghiJKL456mn", "resolved", "2023-11-20T20:45:00+00:00", "gcp-status"),
        ("gcp-status:openOPEN000000000000", "resolved", "2023-11-21T01:00:00+00:00", "gcp-status"),
    ]


def test_postgres_refuses_a_table_with_duplicate_ids_and_changes_nothing(postgres_dsn: str) -> None:
    import psycopg

    with psycopg.connect(postgres_dsn) as connection:
        connection.execute(
            "CREATE TABLE incidents (row_id BIGSERIAL PRIMARY KEY, id TEXT NOT NULL, service TEXT NOT NULL, env TEXT, "
            "kind TEXT, severity TEXT, status TEXT, title TEXT, summary TEXT, started_at TEXT NOT NULL, "
            "ended_at TEXT, signature TEXT, labels JSONB)"
        )
        connection.execute(
            "INSERT INTO incidents (id, service, started_at) VALUES ('dup', 'api', '2024-01-01'), ('dup', 'api', '2024-01-02')"
        )
    result = run("import", "auto", str(FIXTURES / "gcp_status_incidents.json"), "--out", postgres_dsn)
    assert result.exit_code == 1
    assert "duplicate ids" in result.stderr
    with psycopg.connect(postgres_dsn) as connection:
        assert connection.execute("SELECT count(*) FROM incidents").fetchone() == (2,)


def test_lock_file_is_not_followed_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("keep")
    (tmp_path / "incidents.jsonl.lock").symlink_to(target)
    result = run("import", "auto", str(FIXTURES / "gcp_status_incidents.json"), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "cannot open the lock file" in result.stderr
    assert target.read_text() == "keep"
    assert not os.path.exists(tmp_path / "incidents.jsonl")


def test_import_help_loads_click_only_and_lists_every_source() -> None:
    import subprocess
    import sys

    from triage_lens.cli.importer import CHOICES
    from triage_lens.importers import RUNS_SOURCES, SOURCE_CHOICES

    assert (*SOURCE_CHOICES, *RUNS_SOURCES) == CHOICES
    code = (
        "import sys; from triage_lens.cli.main import cli\n"
        "try:\n    cli(['import', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('polars' in sys.modules, 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"


def test_service_field_option_on_the_command_line(tmp_path: Path) -> None:
    result = run(
        "import",
        "incidentio",
        str(FIXTURES / "incidentio_incidents.json"),
        "--out",
        str(tmp_path),
        "--service-field",
        "Team",
        "--json",
    )
    assert result.exit_code == 0
    assert [(r["id"], r["service"]) for r in stored(tmp_path)] == [
        ("incidentio:01FDAG4SAP5TYPT98WGR2N7W91", "Core Banking")
    ]


def test_the_target_folders_policy_overrides_the_mapping(tmp_path: Path) -> None:
    (tmp_path / "policy.yml").write_text(
        "import:\n  severity_names: {critical: P0, high: P1, warning: P2}\n"
        "  statuses:\n    grafana-oncall: {silenced: resolved}\n"
    )
    summary = import_json("auto", [FIXTURES / "grafana_oncall_alert_groups.json"], str(tmp_path))
    assert summary["no_severity"] == 1  # only the group without any severity label
    mapped = {r["id"]: (r.get("severity"), r["status"]) for r in stored(tmp_path)}
    assert mapped == {
        "grafana-oncall:I68T24C13IFW1": ("P0", "resolved"),  # "resolved" is no longer in the map: it has an end
        "grafana-oncall:IACK00000000A": ("P2", "open"),  # warning -> P2; "acknowledged" unmapped, no end
        "grafana-oncall:ISIL00000000B": (None, "resolved"),
        "grafana-oncall:INEW00000000C": ("P1", "open"),
    }
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "policy.yml").write_text("import:\n  severity_names: {warning: P9}\n")
    result = run("import", "auto", str(FIXTURES / "grafana_oncall_alert_groups.json"), "--out", str(bad))
    assert result.exit_code == 2
    assert "import.severity_names.warning" in result.stderr
