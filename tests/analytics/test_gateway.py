"""Gateway feedback (OpenSRE's Slack/Discord thumbs): the reader's quarantine, the helpful rate, the CLI keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.gateway import combined, gateway_report, helpful_sentence, weekly
from analytics.policy import Policy
from analytics.windows import window
from triage_lens.cli.main import cli
from triage_lens.sources.loading import load_all, resolve_sources

Z = 1.959964
MON = datetime(2026, 11, 16, 9, 0, tzinfo=UTC).timestamp()  # Monday of ISO week 2026-W47
SUN = datetime(2026, 11, 15, 9, 0, tzinfo=UTC).timestamp()  # Sunday of 2026-W46


def clicks(*rows: tuple[float, str]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "ts": [datetime.fromtimestamp(t, tz=UTC) for t, _ in rows],
            "verdict": [v for _, v in rows],
        },
        schema={"ts": pl.Datetime("us", "UTC"), "verdict": pl.Utf8},
    )


def test_helpful_rate_overall_per_platform_and_per_week_by_hand() -> None:
    # slack: 3 good, 1 bad (two in W46, two in W47); discord: 0 good, 1 bad (W47)
    feedback = combined(
        {
            "slack": clicks((SUN, "good"), (SUN + 60, "bad"), (MON, "good"), (MON + 60, "good")),
            "discord": clicks((MON + 120, "bad")),
        }
    )
    report = gateway_report(feedback, z=Z)
    assert (report["good"], report["bad"], report["n"]) == (3, 2, 5)
    assert report["rate"] == 0.6
    # Wilson 3/5 at z=1.96: centre (0.6 + 0.3841)/1.7683 = 0.5566, half 0.3605 → [0.2307, 0.8824]
    assert report["ci"] == [0.2307, 0.8824]
    assert report["by_platform"]["slack"]["rate"] == 0.75
    assert report["by_platform"]["slack"]["ci"] == [0.3006, 0.9544]  # Wilson 3/4
    assert report["by_platform"]["discord"] == {"good": 0, "bad": 1, "n": 1, "rate": 0.0, "ci": [0.0, 0.7935]}
    assert [(w["week"], w["good"], w["bad"], w["rate"]) for w in report["by_week"]] == [
        ("2026-W46", 1, 1, 0.5),
        ("2026-W47", 2, 1, 0.6667),
    ]
    per = weekly(feedback, z=Z, by_platform=True)
    assert per.select("week", "platform", "n").rows() == [
        ("2026-W46", "slack", 2),
        ("2026-W47", "discord", 1),
        ("2026-W47", "slack", 2),
    ]
    assert "Helpful 60% of 5" in helpful_sentence(report) and "slack 75% (n=4)" in helpful_sentence(report)


def test_window_keeps_clicks_in_start_end() -> None:
    feedback = combined({"slack": clicks((SUN, "bad"), (MON, "good"))})
    now = datetime.fromtimestamp(MON, tz=UTC)
    report = gateway_report(feedback, z=Z, window=window("12h", now))
    assert (report["good"], report["bad"]) == (1, 0)


def test_nothing_rated_has_no_rate() -> None:
    report = gateway_report(combined({}), z=Z)
    assert report == {"good": 0, "bad": 0, "n": 0, "rate": None, "ci": None, "by_platform": {}, "by_week": []}
    assert helpful_sentence(report).startswith("No gateway feedback")


def write_gateway(folder: Path) -> None:
    gateway = folder / "gateway"
    gateway.mkdir(parents=True)
    (gateway / "slack_feedback.jsonl").write_text(
        "\n".join(
            [
                json.dumps({"ts": MON, "platform": "slack", "user_id": "U1", "message_ts": "1.2", "verdict": "good"}),
                json.dumps({"ts": MON, "platform": "slack", "verdict": "meh"}),
                "not json",
                json.dumps({"ts": "yesterday", "platform": "slack", "verdict": "bad"}),
                json.dumps({"ts": SUN, "platform": "slack", "verdict": "bad"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )


def test_reader_quarantines_unusable_lines_with_file_line_and_reason(tmp_path: Path) -> None:
    write_gateway(tmp_path)
    sources = resolve_sources(str(tmp_path), environ={}, wall_clock=datetime.fromtimestamp(MON, tz=UTC))
    loaded = load_all(sources, Policy(), use_cache=False).inputs["slack_feedback"]
    assert loaded.rows == 2
    assert loaded.frame.collect()["verdict"].to_list() == ["good", "bad"]
    reasons = {(i.line, i.action): i.reason for i in loaded.items}
    assert reasons[(2, "quarantined")] == "field 'verdict' is 'meh', expected 'good' or 'bad'"
    assert (3, "quarantined") in reasons
    assert reasons[(4, "quarantined")] == "field 'ts' is 'yesterday', expected epoch seconds"
    assert (4, "flagged") not in reasons  # the row is gone, so it is not also "flagged"
    assert all(i.file.endswith("gateway/slack_feedback.jsonl") for i in loaded.items)


def test_check_and_confidence_report_list_gateway(tmp_path: Path) -> None:
    write_gateway(tmp_path)
    runner = CliRunner()
    checked = runner.invoke(cli, ["--data", str(tmp_path), "check", "--json"])
    payload = json.loads(checked.stdout)
    rows = {s["input"]: (s["rows"], s["quarantined"]) for s in payload["sources"]}
    assert rows["slack_feedback"] == (2, 3) and rows["discord_feedback"] == (0, 0)
    assert any(i["file"].endswith("slack_feedback.jsonl") and i["line"] == 2 for i in payload["items"])
    report = runner.invoke(
        cli, ["--data", str(tmp_path), "--now", "2026-11-16T12:00:00Z", "confidence", "report", "--json"]
    )
    gateway = json.loads(report.stdout)["gateway"]
    assert set(gateway) >= {"good", "bad", "rate", "ci", "by_platform", "by_week"}
    assert (gateway["good"], gateway["bad"], gateway["rate"]) == (1, 1, 0.5)


def test_opensre_home_gateway_is_read(tmp_path: Path) -> None:
    write_gateway(tmp_path / ".opensre")
    sources = resolve_sources(None, environ={}, cwd=tmp_path, home=tmp_path)
    assert sources.origin == "opensre"
    assert sources.paths["slack_feedback"] == tmp_path / ".opensre" / "gateway" / "slack_feedback.jsonl"
    assert sources.paths["misses"] is None and "slack_feedback" not in sources.sample_inputs


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["slack", "discord"]), st.integers(0, 60 * 86_400), st.sampled_from(["good", "bad"])),
        max_size=40,
    )
)
def test_weekly_counts_match_a_plain_python_count(clicks_: list[tuple[str, int, str]]) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    frames = {
        platform: clicks(*[(base + offset, verdict) for p, offset, verdict in clicks_ if p == platform])
        for platform in ("slack", "discord")
    }
    report = gateway_report(combined(frames), z=Z)
    expected: dict[str, list[int]] = {}
    for _, offset, verdict in clicks_:
        year, week, _ = datetime.fromtimestamp(base + offset, tz=UTC).isocalendar()
        counts = expected.setdefault(f"{year}-W{week:02d}", [0, 0])
        counts[0 if verdict == "good" else 1] += 1
    assert {w["week"]: [w["good"], w["bad"]] for w in report["by_week"]} == expected
    assert report["n"] == len(clicks_)
    assert sum(v["n"] for v in report["by_platform"].values()) == len(clicks_)
