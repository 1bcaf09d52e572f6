"""Each importer against a hand-made export in the tool's documented shape: the mapped records are written out
here by hand (offsets converted to UTC by hand), and every skipped record has its reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analytics.policy import ImportPolicy
from triage_lens.importers import ImportFailure, Rules, plan_import
from triage_lens.importers.mapping import severity_from_name

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "importers"


def plan(name: str, source: str = "auto", rules: Rules | None = None) -> Any:
    return plan_import([(name, (FIXTURES / name).read_bytes())], source, rules or Rules())


def rows(name: str, source: str = "auto") -> list[tuple[Any, ...]]:
    """(id, service, severity, status, started_at, ended_at, labels.acknowledged_at) of every record."""
    return [
        (
            r["id"],
            r["service"],
            r.get("severity"),
            r["status"],
            r["started_at"],
            r["ended_at"],
            r["labels"].get("acknowledged_at"),
        )
        for r in plan(name, source).records
    ]


def skipped(name: str) -> list[tuple[str, str]]:
    return [(s.id, s.reason) for s in plan(name).skipped]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("critical", "P0"),
        ("Major", "P1"),
        ("HIGH", "P1"),
        ("minor", "P2"),
        ("medium", "P2"),
        ("low", "P3"),
        ("none", "P3"),
        ("info", "INFO"),
        ("P1", "P0"),
        ("p0", "P0"),
        ("SEV-2", "P1"),
        ("Sev 1", "P0"),
        ("sev_3", "P2"),
        ("priority 3", "P2"),
        ("P4", "P3"),
        ("P5", "P3"),
        ("SEV-9", "P3"),
        ("Sev 1 - Critical", "P0"),
        ("Critical impact", "P0"),
        (2, "P1"),
        ("warning", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_one_severity_rule_for_every_tool(name: object, expected: str | None) -> None:
    policy = ImportPolicy()
    assert severity_from_name(name, policy.severity_names, policy.severity_numbers) == expected


def test_the_policy_can_override_severity_names() -> None:
    policy = ImportPolicy.model_validate({"severity_names": {"warning": "P2"}})
    assert severity_from_name("warning", policy.severity_names, policy.severity_numbers) == "P2"
    assert severity_from_name("critical", policy.severity_names, policy.severity_numbers) is None


def test_statuspage() -> None:
    assert rows("statuspage_incidents.json") == [
        # started_at 09:15 -05:00, resolved 11:45:30 -05:00; first component's name
        (
            "statuspage:p31zjtct2jer",
            "API",
            "P1",
            "resolved",
            "2024-03-04T14:15:00+00:00",
            "2024-03-04T16:45:30+00:00",
            None,
        ),
        # no started_at: created_at 08:00 +01:00; no component: the page name
        ("statuspage:x8k2m1n0q7rs", "Acme Status", "P2", "mitigating", "2024-03-05T07:00:00+00:00", None, None),
        ("statuspage:z9z9z9z9z9z9", "Login", "P3", "open", "2024-03-06T12:00:00+00:00", None, None),
        # postmortem -> resolved; 23:10 -08:00 is the next day in UTC
        (
            "statuspage:k7k7k7k7k7k7",
            "Checkout",
            "P0",
            "resolved",
            "2024-02-29T07:10:00+00:00",
            "2024-02-29T09:10:00+00:00",
            None,
        ),
    ]
    assert skipped("statuspage_incidents.json") == [
        ("statuspage:m4m4m4m4m4m4", "maintenance window, not an incident"),
        ("statuspage_incidents.json#6", "no id"),
    ]
    first = plan("statuspage_incidents.json").records[0]
    assert first == {
        "id": "statuspage:p31zjtct2jer",
        "service": "API",
        "severity": "P1",
        "status": "resolved",
        "title": "Elevated API error rates",
        "summary": "This incident has been resolved.",
        "started_at": "2024-03-04T14:15:00+00:00",
        "ended_at": "2024-03-04T16:45:30+00:00",
        "labels": {
            "source": "statuspage",
            "native_id": "p31zjtct2jer",
            "url": "https://stspg.io/p31zjtct2jer",
            "components": ["API", "Dashboard"],
            "page": "Acme Status",
            "impact": "major",
            "status_raw": "resolved",
        },
    }


def test_pagerduty_rest() -> None:
    assert rows("pagerduty_incidents.json") == [
        # priority P2 -> P1 (numbered rule); resolved_at
        (
            "pagerduty:PT4KHLK",
            "My Mail Service",
            "P1",
            "resolved",
            "2015-10-06T21:30:42+00:00",
            "2015-10-06T22:10:00+00:00",
            None,
        ),
        # no priority: urgency low -> P3; earliest acknowledgement 09:05 +02:00
        (
            "pagerduty:PQ2ABCD",
            "Checkout API",
            "P3",
            "mitigating",
            "2015-10-07T07:00:00+00:00",
            None,
            "2015-10-07T07:05:00+00:00",
        ),
        # priority named SEV-1 -> P0; 03:00 -07:00
        ("pagerduty:PTRIG01", "Billing Worker", "P0", "open", "2015-10-08T10:00:00+00:00", None, None),
    ]
    assert skipped("pagerduty_incidents.json") == [("pagerduty:PNOTIME", "no start time (created_at)")]
    assert plan("pagerduty_incidents.json").records[0]["labels"]["url"] == (
        "https://subdomain.pagerduty.com/incidents/PT4KHLK"
    )


def test_pagerduty_csv_export_headers_matched_case_insensitively() -> None:
    assert rows("pagerduty_incidents.csv") == [
        (
            "pagerduty:PABC123",
            "Primary DB",
            "P0",
            "resolved",
            "2024-01-05T18:00:00+00:00",
            "2024-01-05T19:30:00+00:00",
            "2024-01-05T18:04:00+00:00",
        ),
        (
            "pagerduty:PABC124",
            "Checkout API",
            "P3",
            "mitigating",
            "2024-01-06T08:00:00+00:00",
            None,
            "2024-01-06T08:20:00+00:00",
        ),
    ]
    assert plan("pagerduty_incidents.csv").records[1]["title"] == "Errors on /checkout, 5xx"


def test_pagerduty_analytics_raw_incidents_give_acknowledge_and_resolve_times() -> None:
    # created 12:00 -04:00; +300 s to first ack; resolved_at 13:00 -04:00
    assert rows("pagerduty_analytics_raw.json") == [
        (
            "pagerduty:PCANALY1",
            "Search API",
            "P2",
            "resolved",
            "2024-06-01T16:00:00+00:00",
            "2024-06-01T17:00:00+00:00",
            "2024-06-01T16:05:00+00:00",
        ),
    ]


def test_incidentio() -> None:
    assert rows("incidentio_incidents.json") == [
        # "Impact started" 13:28:57.801578 +01:00; "Resolved at"; first value of "Affected services"
        (
            "incidentio:01FDAG4SAP5TYPT98WGR2N7W91",
            "Payments",
            "P1",
            "closed",
            "2021-08-17T12:28:57.801578+00:00",
            "2021-08-17T15:00:00+00:00",
            None,
        ),
        # impact started has no value: created_at 09:30 +09:00
        (
            "incidentio:01HLIVE000000000000000000A",
            "Card Gateway",
            "P2",
            "open",
            "2024-02-10T00:30:00+00:00",
            None,
            None,
        ),
        # learning -> resolved; no severity; a field named "Service"
        (
            "incidentio:01HLEARN00000000000000000B",
            "checkout",
            None,
            "resolved",
            "2024-02-11T14:40:00+00:00",
            "2024-02-11T15:25:00+00:00",
            None,
        ),
    ]
    assert skipped("incidentio_incidents.json") == [
        ("incidentio:01HTEST000000000000000000C", "test mode incident"),
        ("incidentio:01HTUTOR00000000000000000D", "tutorial mode incident"),
        ("incidentio:01HDECL000000000000000000E", "declined incident"),
        ("incidentio:01HMERG000000000000000000F", "merged incident"),
        ("incidentio:01HCANC000000000000000000G", "canceled incident"),
        ("incidentio:01HNOSVC00000000000000000H", "no service (no custom field like 'service')"),
    ]
    assert plan("incidentio_incidents.json").no_severity == 1


def test_incidentio_service_field_option_names_the_field_exactly() -> None:
    result = plan("incidentio_incidents.json", rules=Rules(service_field="Team"))
    assert [(r["id"], r["service"]) for r in result.records] == [
        ("incidentio:01FDAG4SAP5TYPT98WGR2N7W91", "Core Banking")
    ]
    assert ("incidentio:01HLEARN00000000000000000B", "no service (no custom field named 'Team')") in [
        (s.id, s.reason) for s in result.skipped
    ]


def test_opsgenie_alerts_and_jsm_alerts() -> None:
    assert rows("opsgenie_alerts.json") == [
        # integration name (no entity); P1 -> P0; ackTime 15702 ms and closeTime 60503 ms after createdAt
        (
            "opsgenie:70413a06-38d6-4c85-92b8-5ebc900d42e2",
            "Nebuchadnezzar",
            "P0",
            "closed",
            "2017-03-21T20:32:52.353000+00:00",
            "2017-03-21T20:33:52.856000+00:00",
            "2017-03-21T20:33:08.055000+00:00",
        ),
        # entity; open and acknowledged -> mitigating; 14:00 +02:00 + 120 s
        (
            "opsgenie:8c1d6f3e-0c4b-4a2e-9d0e-1b2c3d4e5f60",
            "payments-db",
            "P2",
            "mitigating",
            "2024-04-02T12:00:00+00:00",
            None,
            "2024-04-02T12:02:00+00:00",
        ),
        # a Jira Service Management alert: same shape; P5 -> P3
        (
            "opsgenie:jsm-5f9e2a10-7b3c-4d8e-a1f2-333344445555",
            "Build Agents",
            "P3",
            "open",
            "2024-04-03T08:00:00+00:00",
            None,
            None,
        ),
    ]


def test_opsgenie_incidents() -> None:
    assert rows("opsgenie_incidents.json") == [
        # impactStartDate 10:00 +05:30, impactEndDate 11:30 +05:30; first impacted service
        (
            "opsgenie:4c7d1f0a-2b3e-4f5a-8b9c-0d1e2f3a4b5c",
            "checkout-in",
            "P1",
            "resolved",
            "2024-05-01T04:30:00+00:00",
            "2024-05-01T06:00:00+00:00",
            None,
        ),
        (
            "opsgenie:9b2e4c6d-1111-2222-3333-444455556666",
            "search",
            "P3",
            "open",
            "2024-05-02T07:00:00+00:00",
            None,
            None,
        ),
    ]


def test_grafana_oncall_labels_as_list_or_object() -> None:
    assert rows("grafana_oncall_alert_groups.json") == [
        (
            "grafana-oncall:I68T24C13IFW1",
            "payments",
            "P0",
            "resolved",
            "2020-05-19T12:37:01.430444+00:00",
            "2020-05-19T13:37:01.429805+00:00",
            "2020-05-19T12:40:00+00:00",
        ),
        # labels as a plain object; "warning" is no known severity name
        (
            "grafana-oncall:IACK00000000A",
            "search",
            None,
            "mitigating",
            "2024-07-01T05:00:00+00:00",
            None,
            "2024-07-01T05:07:30+00:00",
        ),
        # no service label: the integration id
        ("grafana-oncall:ISIL00000000B", "CINTEG0000002", None, "mitigating", "2024-07-02T10:00:00+00:00", None, None),
        ("grafana-oncall:INEW00000000C", "ingest", "P1", "open", "2024-07-03T16:00:00+00:00", None, None),
    ]
    assert plan("grafana_oncall_alert_groups.json").no_severity == 2


def test_gcp_status_hand_made() -> None:
    assert rows("gcp_status_incidents.json") == [
        # first affected product, not "Multiple Products"; 09:30 -08:00
        (
            "gcp-status:abcDEF123ghiJKL456mn",
            "Google Cloud SQL",
            "P2",
            "resolved",
            "2023-11-20T17:30:00+00:00",
            "2023-11-20T20:45:00+00:00",
            None,
        ),
        # no affected product: service_name; no end -> open
        (
            "gcp-status:openOPEN000000000000",
            "Google Cloud Networking",
            "P1",
            "open",
            "2023-11-21T00:00:00+00:00",
            None,
            None,
        ),
    ]


def test_aws_health_hand_made() -> None:
    assert rows("aws_health_data.json") == [
        # epoch 1639000800 = 2021-12-08T22:00:00Z; status "2" -> P2; [RESOLVED] -> resolved
        (
            "aws-health:ec2-us-east-1:1639000800",
            "ec2-us-east-1",
            "P2",
            "resolved",
            "2021-12-08T22:00:00+00:00",
            None,
            None,
        ),
        ("aws-health:s3-us-west-2:1639087200", "s3-us-west-2", "P1", "open", "2021-12-09T22:00:00+00:00", None, None),
    ]
    first = plan("aws_health_data.json").records[0]
    assert first["title"] == "Increased API Error Rates"
    assert first["summary"].startswith("8:00 AM PST We are investigating increased API error rates")


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("statuspage_incidents.json", "statuspage"),
        ("pagerduty_incidents.json", "pagerduty"),
        ("pagerduty_incidents.csv", "pagerduty"),
        ("pagerduty_analytics_raw.json", "pagerduty"),
        ("incidentio_incidents.json", "incidentio"),
        ("opsgenie_alerts.json", "opsgenie"),
        ("opsgenie_incidents.json", "opsgenie"),
        ("grafana_oncall_alert_groups.json", "grafana-oncall"),
        ("gcp_status_incidents.json", "gcp-status"),
        ("aws_health_data.json", "aws-health"),
        ("github_status_history.jsonl", "statuspage"),
    ],
)
def test_auto_detects_each_source_and_declaring_it_gives_the_same_records(name: str, source: str) -> None:
    detected = plan(name)
    assert detected.source == source
    assert detected.files[0].detected
    declared = plan(name, source)
    assert declared.records == detected.records
    assert not declared.files[0].detected


def test_a_bare_list_is_accepted_like_the_envelope() -> None:
    envelope = plan("grafana_oncall_alert_groups.json")
    import json

    results = json.loads((FIXTURES / "grafana_oncall_alert_groups.json").read_text())["results"]
    bare = plan_import([("bare.json", json.dumps(results).encode())], "grafana-oncall", Rules())
    assert bare.records == envelope.records


def test_a_file_of_another_tool_is_refused_naming_the_file() -> None:
    with pytest.raises(
        ImportFailure, match=r"^statuspage_incidents.json: not a pagerduty export \(it looks like statuspage\)"
    ):
        plan("statuspage_incidents.json", "pagerduty")
    with pytest.raises(ImportFailure, match=r"^x.json: not an export of any supported tool"):
        plan_import([("x.json", b'[{"foo": 1}]')], "auto", Rules())


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.suffix != ".jsonl"))
def test_a_truncated_file_is_refused_with_the_reason(name: str) -> None:
    # (JSON Lines: a cut last line is that record's problem, test_shapes_and_caps.py)
    payload = (FIXTURES / name).read_bytes()
    cut = payload[: len(payload) * 2 // 3]
    if name.endswith(".csv"):
        cut = payload[: payload.index(b"Disk full") + 4]  # inside the first data row
    with pytest.raises(ImportFailure, match=rf"^{name}.*(truncated|ends early)"):
        plan_import([(name, cut)], "auto", Rules())


def test_the_same_id_twice_keeps_the_later_record_and_says_so() -> None:
    payload = (FIXTURES / "gcp_status_incidents.json").read_bytes()
    result = plan_import([("a.json", payload), ("b.json", payload)], "auto", Rules())
    assert len(result.records) == 2
    assert [s.reason for s in result.skipped] == ["appears again later (b.json); the later record is kept"] * 2
