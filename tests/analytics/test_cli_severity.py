"""`triage-lens severity` and `severity backtest` end to end on a CSV ledger (the issue's done-when)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from triage_lens.cli.main import cli

NOW = datetime(2026, 6, 14, 12, tzinfo=UTC)


def write_ledger(folder: Path) -> None:
    lines = ["timestamp,provider,error_type,error_message,tenant_id,action,category"]
    for i in range(500):  # 3–6 days ago, nothing in the last 24 hours
        at = NOW - timedelta(days=3) - timedelta(minutes=i * 8)
        lines.append(f"{at:%Y-%m-%dT%H:%M:%SZ},meta_ads,UPSTREAM_ERROR,502 from upstream,t{i % 3},sync,error")
    for i in range(12):  # epoch seconds are accepted too; this tenant is excluded on the command line
        at = NOW - timedelta(hours=1 + i)
        lines.append(f"{int(at.timestamp())},stripe,TIMEOUT,timed out,test-tenant,charge,error")
    (folder / "error_ledger.csv").write_text("\n".join(lines) + "\n")


def run(folder: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--data", str(folder), "--now", NOW.isoformat(), *args])


def test_severity_json_reports_all_nominal_when_the_fire_went_out(tmp_path: Path) -> None:
    write_ledger(tmp_path)
    result = run(tmp_path, "severity", "--exclude-tenant", "test-tenant", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["overall_severity"] == "info"
    assert report["header"] == "All systems nominal"
    assert [(p["provider"], p["status"], p["last_24h_total"], p["week_7d_total"]) for p in report["providers"]] == [
        ("meta_ads", "historical", 0, 500)
    ]
    with_stripe = json.loads(run(tmp_path, "severity", "--json").stdout)
    assert with_stripe["header"] == "1 critical"
    assert with_stripe["providers"][0]["provider"] == "stripe"


def test_backtest_shows_legacy_pages_on_days_the_current_rule_stays_quiet(tmp_path: Path) -> None:
    write_ledger(tmp_path)
    result = run(tmp_path, "severity", "--exclude-tenant", "test-tenant", "backtest", "--days", "7", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    legacy = [d["legacy"]["critical"] for d in report["days"]]
    current = [d["current"]["critical"] + d["current"]["warning"] for d in report["days"]]
    assert [d["date"] for d in report["days"]] == [f"2026-06-{d:02d}" for d in range(7, 14)]
    # 500 errors every 8 minutes from 8 June 17:20 to 11 June 12:00 (50, 180, 180 and 90 per day): the current
    # rule pages on those four days only; the 7-day average is 32.9 on 9 June (warning) and above 50 from
    # 10 June to the end (critical), long after the errors stopped.
    assert legacy == [0, 0, 0, 1, 1, 1, 1]
    assert [d["legacy"]["warning"] for d in report["days"]] == [0, 0, 1, 0, 0, 0, 0]
    assert current == [0, 1, 1, 1, 1, 0, 0]
    assert report["legacy_pages"] == 5 and report["current_pages"] == 4
    text = run(tmp_path, "severity", "backtest", "--days", "3").output
    assert "Pages over 3 days: legacy" in text
