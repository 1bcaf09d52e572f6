"""Every incident analytic on real public data: GitHub status incidents converted to our format.
Skipped when ../shared/realdata is not beside the repo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SHARED
from triage_lens.cli.main import cli

GITHUB = SHARED / "realdata" / "github_status_incidents" / "incidents.jsonl"
SEVERITY = {"critical": "P0", "major": "P1", "minor": "P2", "none": "P3"}

pytestmark = pytest.mark.skipif(not GITHUB.exists(), reason="../shared/realdata/github_status_incidents not present")


def convert(target: Path) -> int:
    """GitHub status history → incidents.jsonl (kind and signature left to our derivation)."""
    rows = []
    for line in GITHUB.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if raw.get("impact") == "maintenance":
            continue
        components = raw.get("components") or []
        title = raw.get("title") or ""
        service = components[0] if components else (title.removeprefix("Incident with ").strip() or "unknown")
        updates = raw.get("updates") or []
        rows.append(
            {
                "id": str(raw["id"]),
                "service": service,
                "severity": SEVERITY.get(raw.get("impact") or "none", "P3"),
                "status": "resolved" if raw.get("resolved_at") else "open",
                "title": title,
                "summary": updates[0]["message"] if updates else "",
                "started_at": raw.get("started_at") or raw.get("published_at"),
                "ended_at": raw.get("resolved_at"),
                "labels": {"url": raw.get("url")},
            }
        )
    target.mkdir(parents=True, exist_ok=True)
    (target / "incidents.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def test_every_incident_analytic_runs_on_github_status_history(tmp_path: Path) -> None:
    n = convert(tmp_path / "github")
    assert n > 700
    base = ["--data", str(tmp_path / "github"), "--now", "2026-08-21T00:00:00Z"]
    check = json.loads(CliRunner().invoke(cli, [*base, "check", "--json"]).stdout)
    incidents = next(s for s in check["sources"] if s["input"] == "incidents")
    assert incidents["rows"] + incidents["quarantined"] == n
    clusters = json.loads(CliRunner().invoke(cli, [*base, "incidents", "clusters", "--json"]).stdout)["clusters"]
    assert clusters and clusters[0]["size"] >= clusters[-1]["size"]
    first_id = json.loads((tmp_path / "github" / "incidents.jsonl").read_text().splitlines()[-1])["id"]
    related = json.loads(CliRunner().invoke(cli, [*base, "incidents", "correlate", first_id, "--json"]).stdout)
    assert related["incident_id"] == first_id
    for command in (["recurrence", "--window-days", "30"], ["buckets"], ["digest"], ["gate", "--service", "Actions"]):
        result = CliRunner().invoke(cli, [*base, "incidents", *command, "--json"])
        assert result.exit_code == 0, (command, result.output)
        json.loads(result.stdout)
    recurrence = json.loads(
        CliRunner().invoke(cli, [*base, "incidents", "recurrence", "--window-days", "365", "--json"]).stdout
    )
    assert recurrence["top_services"][0]["count"] > 10
