"""What people have: JSON Lines like a JSON list, the GitHub status history as Statuspage incidents, bad lines
named by file:line, a shape no tool fits says which shapes are; the caps (number too large, nested too deep) are a
skipped record naming the file and the record, in the importer, the store writer and the Data page's upload path;
one status rule: a user's map applies to every vendor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analytics.policy import ImportPolicy
from dashboard.import_view import plan_upload
from triage_lens.cli.main import cli
from triage_lens.importers import ImportFailure, Rules, plan_import
from triage_lens.importers.reading import VENDORS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "importers"
GITHUB = FIXTURES / "github_status_history.jsonl"
START = "2024-01-01T00:00:00Z"


def plan(name: str, payload: bytes, source: str = "auto", rules: Rules | None = None) -> Any:
    return plan_import([(name, payload)], source, rules or Rules())


def lines(records: list[Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_the_github_status_history_imports_as_statuspage_incidents() -> None:
    result = plan(GITHUB.name, GITHUB.read_bytes())
    assert result.source == "statuspage" and result.files[0].detected
    assert [
        (r["id"], r["service"], r["severity"], r["status"], r["started_at"], r["ended_at"], r["title"])
        for r in result.records
    ] == [
        # components are plain names: the first is the service; minor -> P2; the last update with a status
        (
            "statuspage:9632825",
            "Codespaces",
            "P2",
            "resolved",
            "2022-03-26T01:43:00+00:00",
            "2022-03-26T03:35:00+00:00",
            "Incident with Codespaces",
        ),
        # no component: the status page's host; "Update" carries no status, so the last word is investigating;
        # 17:00 +02:00 is 15:00 UTC
        (
            "statuspage:9630129",
            "githubstatus.com",
            "P1",
            "open",
            "2022-03-28T15:00:00+00:00",
            None,
            "Disruption with some GitHub services",
        ),
        (
            "statuspage:9723156",
            "Pages",
            "P0",
            "resolved",
            "2022-04-02T08:00:00+00:00",
            "2022-04-02T08:45:00+00:00",
            "Incident with Pages",
        ),
    ]
    assert [(s.id, s.reason) for s in result.skipped] == [("statuspage:9622130", "maintenance window, not an incident")]
    first = result.records[0]
    assert first["summary"] == "This incident has been resolved."  # the newest update (updates are oldest first)
    assert first["labels"]["components"] == ["Codespaces", "Actions"]
    assert first["labels"]["url"] == "https://www.githubstatus.com/incidents/5jfkz8q1mlql"


def test_json_lines_import_like_a_json_list_of_the_same_records() -> None:
    records = json.loads((FIXTURES / "grafana_oncall_alert_groups.json").read_text())["results"]
    as_list = plan("a.json", json.dumps(records).encode())
    as_lines = plan("a.jsonl", lines(records))
    assert as_lines.records == as_list.records
    assert as_lines.source == as_list.source == "grafana-oncall"
    # and the other way round: the GitHub lines as one list
    history = [json.loads(line) for line in GITHUB.read_text().splitlines()]
    assert plan("h.json", json.dumps(history).encode()).records == plan(GITHUB.name, GITHUB.read_bytes()).records


def test_bad_lines_are_skipped_naming_file_and_line_the_rest_imported() -> None:
    good = GITHUB.read_text().splitlines()
    payload = "\n".join([good[0], "{not json", "", "[1, 2]", good[3][: len(good[3]) // 2]]).encode()
    result = plan("history.jsonl", payload)
    assert [r["id"] for r in result.records] == ["statuspage:9632825"]
    assert [(s.id, s.reason) for s in result.skipped] == [
        ("history.jsonl:2", "not valid JSON at column 2: Expecting property name enclosed in double quotes"),
        ("history.jsonl:4", "not an object (list)"),  # line 3 is blank, so not a record
        ("history.jsonl:5", "not valid JSON at column 260: the line ends early (truncated?)"),
    ]


def test_a_first_line_that_is_bad_does_not_hide_the_others() -> None:
    good = GITHUB.read_text().splitlines()
    result = plan("history.jsonl", "\n".join(["{oops", *good]).encode())
    assert len(result.records) == 3
    assert result.skipped[0].id == "history.jsonl:1"


def test_every_line_refused_is_refused_naming_the_first() -> None:
    payload = f'{{"a": {"9" * 30}}}\n{{"b": {"9" * 30}}}\n'.encode()
    with pytest.raises(
        ImportFailure, match=r"^x.jsonl:1: number too large .*no record could be read; nothing imported"
    ):
        plan("x.jsonl", payload)
    # lines none of which is JSON: the file is not JSON, said with the line
    with pytest.raises(ImportFailure, match=r"^y.jsonl: not valid JSON at line 1, column 2"):
        plan("y.jsonl", b"{a\n{b\n")


def test_a_shape_no_tool_fits_says_which_shapes_are_supported() -> None:
    with pytest.raises(ImportFailure) as caught:
        plan("x.json", b'{"foo": 1}')
    message = str(caught.value)
    assert message.startswith("x.json: not an export of any supported tool; nothing imported (supported: ")
    assert "JSON Lines (one record a line)" in message and "PagerDuty's CSV export" in message
    for name in VENDORS:
        assert f"{name}: " in message


# One tiny record of each vendor's shape, its native status word, and the status the default map gives it.
STATUS_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "statuspage": (
        {
            "id": "s1",
            "impact": "minor",
            "shortlink": "x",
            "started_at": START,
            "status": "monitoring",
            "components": [{"name": "API"}],
        },
        "mitigating",
    ),
    "pagerduty": (
        {"id": "P1", "type": "incident", "created_at": START, "service": {"summary": "API"}, "status": "triggered"},
        "open",
    ),
    "incidentio": (
        {
            "id": "i1",
            "incident_status": {"category": "live"},
            "created_at": START,
            "custom_field_entries": [{"custom_field": {"name": "Service"}, "values": [{"value_text": "API"}]}],
        },
        "open",
    ),
    "opsgenie": ({"id": "o1", "tinyId": "1", "createdAt": START, "entity": "API", "status": "open"}, "open"),
    "grafana-oncall": ({"id": "g1", "integration_id": "C1", "state": "firing", "created_at": START}, "open"),
    "gcp-status": (
        {
            "id": "c1",
            "begin": START,
            "end": None,
            "external_desc": "d",
            "service_name": "API",
            "most_recent_update": {"status": "AVAILABLE"},
        },
        "resolved",  # available -> resolved, though the record has no end
    ),
    "aws-health": (
        {"service": "ec2", "service_name": "EC2", "date": "1639000800", "summary": "[RESOLVED] slow", "status": "1"},
        "resolved",
    ),
}
WORDS = {"statuspage": "monitoring", "pagerduty": "triggered", "incidentio": "live", "opsgenie": "open",
         "grafana-oncall": "firing", "gcp-status": "available", "aws-health": "resolved"}  # fmt: skip


def test_every_vendor_has_a_status_case() -> None:
    assert set(STATUS_CASES) == set(WORDS) == set(VENDORS)


@pytest.mark.parametrize("vendor", sorted(STATUS_CASES))
def test_a_users_status_map_applies_to_every_vendor(vendor: str) -> None:
    record, default = STATUS_CASES[vendor]
    payload = json.dumps([record]).encode()
    assert [r["status"] for r in plan("x.json", payload, vendor).records] == [default]
    users = Rules(ImportPolicy.model_validate({"statuses": {vendor: {WORDS[vendor]: "closed"}}}))
    assert [r["status"] for r in plan("x.json", payload, vendor, users).records] == ["closed"]
    # a map without the word: resolved with an end time, else open (no vendor here has an end)
    others = Rules(ImportPolicy.model_validate({"statuses": {vendor: {}}}))
    assert [r["status"] for r in plan("x.json", payload, vendor, others).records] == ["open"]


HUGE = "9" * 5000


def _deep(depth: int) -> str:
    return '{"x": ' * (depth - 1) + "{}" + "}" * (depth - 1)


def _github_line(extra: str) -> str:
    first = GITHUB.read_text().splitlines()[0].replace("9632825", "777")
    return first[:-1] + f', "extra": {extra}}}'


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (HUGE, "number too large (an integer beyond 64 bits)"),
        (str(2**63), "number too large (an integer beyond 64 bits)"),
        (str(-(2**63) - 1), "number too large (an integer beyond 64 bits)"),
        (_deep(1500), "nested too deep (more than 256 levels)"),  # past Python's recursion limit
        (_deep(300), "nested too deep (more than 256 levels)"),  # parses, but past the cap
    ],
)
def test_caps_are_a_skipped_record_naming_file_and_record(extra: str, reason: str) -> None:
    good = GITHUB.read_text().splitlines()
    bad = _github_line(extra)
    as_lines = plan("h.jsonl", "\n".join([good[0], bad, good[3]]).encode())
    assert [(s.id, s.reason) for s in as_lines.skipped] == [("h.jsonl:2", reason)]
    assert len(as_lines.records) == 2
    as_list = plan("h.json", f"[{good[0]}, {bad}, {good[3]}]".encode())
    assert [(s.id, s.reason) for s in as_list.skipped] == [("h.json#2", reason)]
    assert len(as_list.records) == 2
    envelope = plan("e.json", f'{{"page": {{"name": "GitHub"}}, "incidents": [{good[0]}, {bad}]}}'.encode())
    assert [(s.id, s.reason) for s in envelope.skipped] == [("e.json#2", reason)]
    # the Data page's upload path reads the same way
    uploaded = plan_upload([("h.json", f"[{good[0]}, {bad}, {good[3]}]".encode())], "auto", Rules())
    assert not isinstance(uploaded, str)
    assert [(s.id, s.reason) for s in uploaded.skipped] == [("h.json#2", reason)]


def test_a_64_bit_integer_is_within_the_cap() -> None:
    line = _github_line(str(2**63 - 1))
    assert plan("h.jsonl", (line + "\n" + line.replace('"777"', '"1"')).encode()).skipped == []


def test_the_cli_imports_past_caps_in_the_file_and_in_the_existing_store(tmp_path: Path) -> None:
    # an existing incidents.jsonl line nested 1,500 deep and one with a 5000-digit integer: kept byte for byte
    existing = f'{_deep(1500)}\n{{"id": "x", "n": {HUGE}}}\n'
    (tmp_path / "incidents.jsonl").write_text(existing)
    source = tmp_path / "in.jsonl"
    source.write_text(GITHUB.read_text() + _github_line(HUGE) + "\n")
    result = CliRunner().invoke(cli, ["import", "auto", str(source), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    summary = json.loads(result.stdout)
    assert summary["written"] == 3
    assert {"id": f"{source}:5", "reason": "number too large (an integer beyond 64 bits)"} in summary["skipped"]
    assert (tmp_path / "incidents.jsonl").read_text().startswith(existing)


def test_a_duration_past_any_date_is_no_end_time_not_a_crash() -> None:
    analytics_raw = [{"id": "PX", "created_at": START, "service_name": "API", "urgency": "high",
                      "seconds_to_resolve": 1e300}]  # fmt: skip
    assert plan("x.json", json.dumps(analytics_raw).encode(), "pagerduty").records[0]["ended_at"] is None
