"""RULES.md §5–8: recurrence levels, buckets, the digest, follow-ups and the release gate."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.buckets import (
    BucketOptions,
    bucket_frame,
    buckets_json,
    severity_mix_expr,
    severity_mix_json,
    shown_buckets,
)
from analytics.digest import build_digest, parse_week, plan_followups, recurrence_watch, render_markdown
from analytics.policy import Policy
from analytics.recurrence import RecurrenceOptions, recurrence, recurrence_tables, signature_names
from tests.analytics.incident_helpers import T0, incident, incidents_frame, write_incidents
from triage_lens.cli.main import cli

POLICY = Policy()
NOW = T0
HOUR = 60


def many(prefix: str, n: int, *, start_hours: float = 1, **kw: object) -> list[dict]:
    """``n`` incidents, one an hour, ending ``start_hours`` before NOW."""
    return [incident(f"{prefix}{i}", -(start_hours + i) * HOUR, **kw) for i in range(n)]


@pytest.mark.parametrize(("count", "level"), [(2, None), (3, "warn"), (5, "warn"), (6, "high"), (9, "high")])
def test_signature_levels_at_exact_counts(tmp_path: Path, count: int, level: str | None) -> None:
    frame = incidents_frame(tmp_path, many("s", count, signature="abcdef0123456789", kind="disk"))
    result = recurrence(frame, now=NOW, days=7, options=RecurrenceOptions.from_policy(POLICY.recurrence))
    assert result["top_signatures"] == [
        {
            "key": "abcdef0123456789",
            "count": count,
            "level": level,
            "prefix": "abcdef01",
            "title": "incident s0",
            "service": "api",
            "kind": "disk",
        }
    ]


def test_one_title_in_two_places_is_two_signatures_told_apart_by_service_and_kind(tmp_path: Path) -> None:
    # Found on the real GitHub status import: "Incident with Actions" twice in the list, once as queue and once as
    # oom (the signature hashes service|kind|title), with nothing to tell the rows apart.
    records = [
        incident("q1", -1 * HOUR, title="Incident with Actions", service="Actions", kind="queue"),
        incident("q2", -2 * HOUR, title="Incident with Actions", service="Actions", kind="queue"),
        incident("m1", -3 * HOUR, title="Incident with Actions", service="Actions", kind="oom"),
        incident("p1", -4 * HOUR, title="Incident with Pages", service="Pages", kind="deploy"),
    ]
    options = RecurrenceOptions.from_policy(POLICY.recurrence)
    tables = recurrence_tables(incidents_frame(tmp_path, records), now=NOW, days=7, options=options)
    signatures = tables["signatures"]
    assert signatures.select("title", "service", "kind", "count").rows() == [
        ("Incident with Actions", "Actions", "queue", 2),
        ("Incident with Actions", "Actions", "oom", 1),
        ("Incident with Pages", "Pages", "deploy", 1),
    ]
    assert signature_names(signatures) == [
        "Incident with Actions (Actions · queue)",
        "Incident with Actions (Actions · oom)",
        "Incident with Pages",
    ]


@pytest.mark.parametrize(("count", "level"), [(4, None), (5, "warn"), (9, "warn"), (10, "high")])
def test_kind_levels_at_exact_counts_and_services_have_none(tmp_path: Path, count: int, level: str | None) -> None:
    records = [
        incident(f"k{i}", -(i + 1) * HOUR, kind="queue", signature=f"sig{i}", service=f"svc{i % 2}")
        for i in range(count)
    ]
    result = recurrence(
        incidents_frame(tmp_path, records), now=NOW, days=7, options=RecurrenceOptions.from_policy(POLICY.recurrence)
    )
    assert result["top_kinds"] == [{"key": "queue", "count": count, "level": level}]
    assert all(s["level"] is None for s in result["top_services"])
    assert [e["type"] for e in result["high_recurrence"]] == (["kind"] if level == "high" else [])


def test_recurrence_window_is_open_at_its_start(tmp_path: Path) -> None:
    records = [
        incident("edge", -7 * 24 * HOUR, signature="x"),
        incident("in", -7 * 24 * HOUR + 1, signature="x"),
        incident("now", 0, signature="x"),
        incident("future", 1, signature="x"),
    ]
    result = recurrence(
        incidents_frame(tmp_path, records), now=NOW, days=7, options=RecurrenceOptions.from_policy(POLICY.recurrence)
    )
    assert result["top_signatures"][0]["count"] == 2
    assert result["window_days"] == 7


def test_recurrence_sorts_by_count_then_key_and_cuts_top_n(tmp_path: Path) -> None:
    records = many("a", 2, service="zeta") + many("b", 2, service="alpha") + many("c", 3, service="mid")
    options = RecurrenceOptions.from_policy(POLICY.recurrence)
    result = recurrence(incidents_frame(tmp_path, records), now=NOW, days=7, options=options)
    assert [(s["key"], s["count"]) for s in result["top_services"]] == [("mid", 3), ("alpha", 2), ("zeta", 2)]
    small = replace(RecurrenceOptions.from_policy(), top_n=1)
    assert len(recurrence(incidents_frame(tmp_path, records), now=NOW, days=7, options=small)["top_services"]) == 1


def test_buckets_filter_sort_counts_and_advice(tmp_path: Path) -> None:
    day = 24 * HOUR
    records = (
        # gateway|error_rate: 5 in 7 days, 12 in 30 days → shown, and high (30d reaches the kind high of 10)
        [incident(f"g{i}", -(i + 1) * HOUR, service="gateway", kind="error_rate", signature=f"g{i}") for i in range(5)]
        + [
            incident(f"g{i}", -(8 + i) * day, service="gateway", kind="error_rate", signature=f"g{i}")
            for i in range(5, 12)
        ]
        # api|oom: 3 in 7 days, one still open → shown with the open advice
        + [
            incident(f"o{i}", -(i + 2) * HOUR, service="api", kind="oom", status="open" if i == 0 else "closed")
            for i in range(3)
        ]
        # web|disk: 2 in 7 days, 5 in 30 → not shown
        + [incident(f"d{i}", -d * day, service="web", kind="disk") for i, d in enumerate([1, 3, 10, 15, 20])]
        # a status outside include_statuses never counts
        + [incident(f"x{i}", -(i + 1) * HOUR, service="web", kind="disk", status="cancelled") for i in range(9)]
    )
    options = BucketOptions.from_policy(POLICY)
    result = buckets_json(incidents_frame(tmp_path, records), now=NOW, options=options, service=None, window_days=30)
    assert [(b["bucket_key"], b["counts"]) for b in result["buckets"]] == [
        ("gateway|error_rate", {"7d": 5, "30d": 12, "open": 0}),
        ("api|oom", {"7d": 3, "30d": 3, "open": 1}),
    ]
    gateway, api = result["buckets"]
    # RULES §6: the severity mix counts the last 7 days only (5 P2 incidents), so it sums to counts.7d
    assert gateway["severity_mix"] == {"P0": 0, "P1": 0, "P2": 5, "P3": 0, "INFO": 0}
    assert [s["id"] for s in gateway["sample_incidents"]] == ["g0", "g1", "g2", "g3", "g4"]
    # the seed's advice table: "⚠ Do not deploy risky changes until mitigated" for any open incident
    assert api["recommendations"] == [
        "Memory profiling",
        "Review container limits",
        "Fix leaks",
        "⚠ Do not deploy risky changes until mitigated",
    ]
    frame = shown_buckets(bucket_frame(incidents_frame(tmp_path, records), now=NOW, options=options), options)
    assert frame["high"].to_list() == [True, False]
    only_api = buckets_json(incidents_frame(tmp_path, records), now=NOW, options=options, service="api", window_days=30)
    assert [b["bucket_key"] for b in only_api["buckets"]] == ["api|oom"] and only_api["service_filter"] == "api"


def test_bucket_signatures_and_severity_mix_follow_the_seed(tmp_path: Path) -> None:
    day = 24 * HOUR
    sig_a, sig_b = "aabbccdd" + "0" * 56, "11223344" + "f" * 56
    records = [
        # last 7 days: P0, P1, P1, INFO, one "sev9" and one "" (neither a severity of DATA.md §4)
        incident("a1", -1 * HOUR, service="gateway", kind="error_rate", signature=sig_a, severity="P0"),
        incident("a2", -2 * HOUR, service="gateway", kind="error_rate", signature=sig_a, severity="P1"),
        incident("a3", -3 * HOUR, service="gateway", kind="error_rate", signature=sig_a, severity="P1"),
        incident("b1", -4 * HOUR, service="gateway", kind="error_rate", signature=sig_b, severity="INFO"),
        incident("b2", -5 * HOUR, service="gateway", kind="error_rate", signature=sig_b, severity="sev9"),
        incident("a4", -6 * HOUR, service="gateway", kind="error_rate", signature=sig_a, severity=""),
        # 10 days ago: in the 30-day count and the signature counts, not in the 7-day severity mix
        incident("a5", -10 * day, service="gateway", kind="error_rate", signature=sig_a, severity="P0"),
    ]
    options = BucketOptions.from_policy(POLICY)
    (bucket,) = buckets_json(
        incidents_frame(tmp_path, records), now=NOW, options=options, service=None, window_days=30
    )["buckets"]
    assert bucket["counts"] == {"7d": 6, "30d": 7, "open": 0}
    # the seed: top_signatures entries are {"signature": <8-char prefix>, "count"}, count desc
    assert bucket["top_signatures"] == [{"signature": "aabbccdd", "count": 5}, {"signature": "11223344", "count": 2}]
    assert bucket["severity_mix"] == {"P0": 1, "P1": 2, "P2": 0, "P3": 0, "INFO": 1, "unknown": 2}
    assert sum(bucket["severity_mix"].values()) == bucket["counts"]["7d"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["P0", "P1", "P2", "P3", "INFO", "", "p1", "sev9", None]), max_size=40))
def test_severity_mix_matches_a_plain_count(severities: list[str | None]) -> None:
    frame = pl.DataFrame({"severity": severities}, schema={"severity": pl.Utf8})
    mix = severity_mix_json(frame.select(severity_mix_expr().alias("mix")).item())
    expected = {level: severities.count(level) for level in ("P0", "P1", "P2", "P3", "INFO")}
    others = len(severities) - sum(expected.values())
    assert mix == (expected | {"unknown": others} if others else expected)
    assert sum(mix.values()) == len(severities)


def week_records() -> list[dict]:
    # ISO week 2026-W24 is 8–14 June; T0 is 10 June 12:00
    return [
        incident(
            f"g{i}",
            -(i + 1) * HOUR,
            service="gateway",
            kind="error_rate",
            signature="sigA",
            severity="P1",
            status="open" if i == 0 else "resolved",
            title="Gateway **5xx** <b>spike</b> [x](javascript:alert(1))",
        )
        for i in range(6)
    ]


def test_digest_is_deterministic_escaped_and_cut(tmp_path: Path) -> None:
    frame = incidents_frame(tmp_path, week_records())
    first = build_digest(frame, week_monday=parse_week("2026-W24"), policy=POLICY)
    second = build_digest(frame, week_monday=parse_week("2026-W24"), policy=POLICY)
    assert first.markdown == second.markdown and first.summary == second.summary
    assert first.markdown.startswith("# Weekly Incident Digest — 2026-W24\n")
    assert "<b>" not in first.markdown and "\\<b\\>" in first.markdown and "\\[x\\](javascript" in first.markdown
    assert first.summary["open_incidents_count"] == 1 and first.summary["recent_7d_count"] == 6
    assert first.summary["buckets"][0]["high"] is True  # one signature reaches the signature high of 6
    short = render_markdown(first.summary, max_chars=300)
    assert len(short) <= 300 and short.endswith("_Cut to 300 characters: the JSON summary has everything._\n")


def test_digest_recent_7d_count_is_the_listed_week(tmp_path: Path) -> None:
    # 2026-W24 is [Mon 8 June 00:00, Mon 15 June 00:00); T0 is Wed 10 June 12:00
    records = [
        incident("before", -(2 * 24 + 12) * HOUR - 1, severity="P1"),  # Sun 7 June 23:59: W23
        incident("monday", -(2 * 24 + 12) * HOUR, severity="P0"),  # Mon 8 June 00:00: first instant of W24
        incident("sunday", (4 * 24 + 12) * HOUR - 1, severity="P2"),  # Sun 14 June 23:59: last minute of W24
        incident("next", (4 * 24 + 12) * HOUR, severity="P3"),  # Mon 15 June 00:00: W25
    ]
    summary = build_digest(
        incidents_frame(tmp_path, records), week_monday=parse_week("2026-W24"), policy=POLICY
    ).summary
    assert [i["id"] for i in summary["incidents"]] == ["sunday", "monday"]
    assert summary["recent_7d_count"] == 2
    assert summary["severity_mix"] == {"P0": 1, "P1": 0, "P2": 1, "P3": 0, "INFO": 0}


def test_digest_cli_writes_artifacts_and_is_identical_on_a_second_run(tmp_path: Path) -> None:
    data = write_incidents(tmp_path / "data", week_records())
    out = tmp_path / "reports"
    args = [
        "--data",
        str(data),
        "--now",
        "2026-06-20T09:00:00Z",
        "incidents",
        "digest",
        "--week",
        "2026-W24",
        "--out",
        str(out),
        "--json",
    ]
    first = json.loads(CliRunner().invoke(cli, args).stdout)
    md_bytes = (out / "weekly" / "2026-W24.md").read_bytes()
    second = json.loads(CliRunner().invoke(cli, args).stdout)
    assert first == second and md_bytes == (out / "weekly" / "2026-W24.md").read_bytes()
    assert first["artifact_paths"] == [str(out / "weekly" / "2026-W24.md"), str(out / "weekly" / "2026-W24.json")]
    assert json.loads((out / "weekly" / "2026-W24.json").read_text())["week"] == "2026-W24"
    bad = CliRunner().invoke(cli, ["--data", str(data), "incidents", "digest", "--week", "2026-24"])
    assert bad.exit_code == 2 and "--week" in bad.output


def test_followups_preview_create_dedupe_and_next_week(tmp_path: Path) -> None:
    data = write_incidents(tmp_path / "data", week_records(), events=[])
    base = ["--data", str(data), "--now", "2026-06-15T09:00:00Z"]

    def run(*extra: str, week: str = "2026-W24") -> list[dict]:
        result = CliRunner().invoke(
            cli, [*base, *extra, "incidents", "digest", "--week", week, "--followups", "--json"]
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["followups"]

    assert run() == [{"bucket_key": "gateway|error_rate", "incident_id": "g0", "created": False, "reason": "read_only"}]
    assert (data / "events.jsonl").read_text() == ""  # read-only: nothing written
    assert run("--write") == [
        {"bucket_key": "gateway|error_rate", "incident_id": "g0", "created": True, "reason": None}
    ]
    (event,) = [json.loads(line) for line in (data / "events.jsonl").read_text().splitlines()]
    assert event["type"] == "followup" and event["incident_id"] == "g0"
    assert event["message"] == "[intel] Recurrence high: gateway|error_rate (7d=6, 30d=6, kinds=error_rate)"
    assert event["meta"] == {
        "title": "[intel] Recurrence high: gateway|error_rate",  # the seed's follow-up event
        "owner": "oncall",
        "priority": "P1",
        "due_date": "2026-06-22",
        "dedupe_key": "intel_recur:2026-W24:gateway|error_rate",
        "auto_created": True,
        "bucket_key": "gateway|error_rate",
        "count_7d": 6,
    }
    assert run("--write")[0]["reason"] == "already_exists"
    assert len((data / "events.jsonl").read_text().splitlines()) == 1
    # the next week is a new dedupe key (the bucket is still high as of the end of W25)
    assert run("--write", week="2026-W25")[0]["created"] is True
    assert len((data / "events.jsonl").read_text().splitlines()) == 2


def test_followup_without_an_open_incident(tmp_path: Path) -> None:
    records = [{**r, "status": "resolved"} for r in week_records()]
    frame = incidents_frame(tmp_path, records)
    digest = build_digest(frame, week_monday=parse_week("2026-W24"), policy=POLICY)
    results, events = plan_followups(
        frame, digest, policy=POLICY, existing_keys=set(), now=NOW + timedelta(days=5), write=True
    )
    assert [(r["bucket_key"], r["reason"]) for r in results] == [("gateway|error_rate", "no_open_incident")]
    assert events == []


def gate(tmp_path: Path, records: list[dict], **kw: object) -> dict:
    return recurrence_watch(incidents_frame(tmp_path, records), service="gateway", now=NOW, policy=POLICY, **kw)


def high_records(severity: str) -> list[dict]:
    return [
        incident(f"h{i}", -(i + 1) * HOUR, service="gateway", kind="error_rate", signature="sigH", severity=severity)
        for i in range(6)
    ]


def test_strict_gate_blocks_only_with_p0_or_p1(tmp_path: Path) -> None:
    blocked = gate(tmp_path, high_records("P1"), profile="staging")
    assert (blocked["mode"], blocked["pass"], blocked["has_high_recurrence"], blocked["max_severity_seen"]) == (
        "strict",
        False,
        True,
        "P1",
    )
    assert blocked["high_signatures"] == ["sigH"] and blocked["total_incidents"] == 6
    assert gate(tmp_path, high_records("P2"), profile="staging")["pass"] is True
    assert gate(tmp_path, high_records("P0"), mode="strict")["pass"] is False


def test_warn_never_blocks_and_off_skips(tmp_path: Path) -> None:
    warn = gate(tmp_path, high_records("P0"))
    assert (warn["profile"], warn["mode"], warn["pass"], warn["skipped"]) == ("prod", "warn", True, False)
    off = gate(tmp_path, high_records("P0"), mode="off")
    assert (off["pass"], off["skipped"]) == (True, True)


def test_gate_cli_exit_codes(tmp_path: Path) -> None:
    data = write_incidents(tmp_path / "data", high_records("P0"))
    base = ["--data", str(data), "--now", NOW.isoformat(), "incidents", "gate", "--service", "gateway"]
    assert CliRunner().invoke(cli, [*base, "--profile", "staging"]).exit_code == 1
    assert CliRunner().invoke(cli, [*base, "--profile", "prod"]).exit_code == 0
    assert CliRunner().invoke(cli, [*base, "--profile", "qa"]).exit_code == 2
    # RULES §8: an error while evaluating (here a store that cannot be read, even by root) → skipped, pass, exit 0
    (data / "incidents.jsonl").unlink()
    (data / "incidents.jsonl").mkdir()
    result = CliRunner().invoke(cli, [*base, "--profile", "staging", "--json"])
    payload = json.loads(result.stdout)
    assert (result.exit_code, payload["skipped"], payload["pass"]) == (0, True, True)
    assert "not a file" in payload["messages"][0]


def test_correlate_cli_not_found_and_note_needs_write_mode(tmp_path: Path) -> None:
    data = write_incidents(tmp_path / "data", week_records())
    base = ["--data", str(data), "--now", NOW.isoformat(), "incidents", "correlate"]
    assert CliRunner().invoke(cli, [*base, "nope"]).exit_code == 1
    refused = CliRunner().invoke(cli, [*base, "g0", "--note", "checked"])
    assert refused.exit_code == 2 and "--write" in refused.output
    written = CliRunner().invoke(cli, ["--write", *base, "g0", "--note", "checked", "--json"])
    assert written.exit_code == 0
    (event,) = [json.loads(line) for line in (data / "events.jsonl").read_text().splitlines()]
    assert (event["incident_id"], event["type"], event["message"]) == ("g0", "note", "checked")
    payload = json.loads(written.stdout)
    # g1..g5 started 1–5 hours before g0: 160 for signature + service/kind, +40 within 180 min, +30 within 120
    assert [r["score"] for r in payload["related"]] == [230, 230, 200, 160, 160]


def test_every_analytic_runs_on_the_sample_store() -> None:
    from tests.conftest import SAMPLE_DIR

    def run(*args: str) -> dict:
        result = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "incidents", *args, "--json"])
        assert result.exit_code == 0, (args, result.output)
        return json.loads(result.stdout)

    assert sorted(run("clusters")) == ["clusters"]
    assert sorted(run("recurrence")) == [
        "high_recurrence",
        "top_kinds",
        "top_services",
        "top_signatures",
        "warn_recurrence",
        "window_days",
    ]
    gate_keys = {"pass", "mode", "skipped", "has_high_recurrence", "max_severity_seen", "high_signatures", "messages"}
    assert gate_keys <= set(run("gate", "--service", "gateway"))
    buckets = run("buckets")
    assert buckets["bucket_count"] == len(buckets["buckets"]) > 0
    for bucket in buckets["buckets"]:
        assert sum(bucket["severity_mix"].values()) == bucket["counts"]["7d"]
        assert all(set(s) == {"signature", "count"} and len(s["signature"]) == 8 for s in bucket["top_signatures"])
        if bucket["counts"]["open"]:
            assert bucket["recommendations"][-1] == "⚠ Do not deploy risky changes until mitigated"
    digest = run("digest", "--followups")
    summary = digest["json_summary"]
    assert summary["week"] == digest["week"]
    assert sum(summary["severity_mix"].values()) == summary["recent_7d_count"] > 0
    assert digest["followups"], "the sample has high buckets"
    for followup in digest["followups"]:
        assert set(followup) == {"bucket_key", "incident_id", "created", "reason"}
        assert followup["reason"] in ("read_only", "no_open_incident")  # read-only by default: nothing written


def test_buckets_cli_says_why_there_is_no_bucket(tmp_path: Path) -> None:
    # Two api|latency incidents: under the defaults' 3 in 7 days and 6 in 30 days. The text used to be a header
    # over no rows.
    data = write_incidents(tmp_path / "data", [incident("a", -HOUR), incident("b", -2 * HOUR)])
    args = ["--data", str(data), "--now", T0.isoformat(), "incidents", "buckets"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == "No bucket: no service|kind reaches 3 incidents in 7 days or 6 in 30 days.\n"
    only = CliRunner().invoke(cli, [*args, "--service", "api"])
    assert only.stdout == "No bucket: no service|kind reaches 3 incidents in 7 days or 6 in 30 days for service api.\n"


def test_a_stored_signature_is_named_from_one_incident_and_says_it_spans_services(tmp_path: Path) -> None:
    # The review's case: the newest incident of a stored signature is untitled and on web, the two titled ones on
    # api. The name comes from the newest titled incident (api, disk), and "+1" says one more service has it.
    records = [
        incident("w", -1 * HOUR, title=" ", service="web", kind="disk", signature="s" * 16),
        incident("a1", -2 * HOUR, title="Disk full", service="api", kind="disk", signature="s" * 16),
        incident("a2", -3 * HOUR, title="Disk full", service="api", kind="disk", signature="s" * 16),
    ]
    options = RecurrenceOptions.from_policy(POLICY.recurrence)
    entry = recurrence(incidents_frame(tmp_path, records), now=NOW, days=7, options=options)["top_signatures"][0]
    assert (entry["title"], entry["service"], entry["kind"], entry["count"]) == ("Disk full", "api +1", "disk", 3)
