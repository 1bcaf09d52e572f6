"""RULES.md §3 with hand-written expectations: bands, the gate, prefixes, calibration and the 2×2 audit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.confidence import GateOptions, band_expr, classify, confidence_report, confidence_results
from analytics.schemas import FEEDBACK, INVESTIGATIONS
from reference.models import confidence_reference as reference
from tests.conftest import SAMPLE_DIR, write_lines
from triage_lens.cli.main import cli
from triage_lens.sources.readers import read_input_file

OPTIONS = GateOptions.from_policy()  # the policy defaults of POLICY.md


@pytest.mark.parametrize(
    ("score", "band"),
    [(0.75, "high"), (0.7499, "medium"), (0.40, "medium"), (0.3999, "low"), (0.0, "low"), (None, "unscored")],
)
def test_band_boundaries(score: float | None, band: str) -> None:
    frame = pl.DataFrame({"s": [score]}, schema={"s": pl.Float64})
    assert frame.select(band_expr(pl.col("s"), OPTIONS)).item() == band


@pytest.mark.parametrize(
    ("score", "validated", "category", "root_cause", "expected"),
    [
        (0.9, 0, "database", "DB outage", {"band": "low", "gate": "fired", "root_cause": "Most likely: DB outage"}),
        (0.5, 1, "database", "Pool", {"band": "low", "gate": "fired", "root_cause": "Most likely: Pool"}),
        (0.5, 2, "database", "Pool", {"band": "medium", "gate": "passed", "root_cause": "Pool"}),
        (0.75, 1, "database", "Pool", {"band": "high", "gate": "passed", "root_cause": "Pool"}),
        (0.1, 0, "healthy", "All fine", {"band": "low", "gate": "passed", "root_cause": "All fine"}),
        (None, 0, "unknown", "No idea", {"band": "unscored", "gate": "passed", "root_cause": "No idea"}),
        (None, 5, "database", "X", {"band": "low", "gate": "fired", "root_cause": "Most likely: X"}),
        # an existing "Most likely:" is stripped on pass (with the spaces after it) and never doubled on fire
        (0.9, 1, "database", "Most likely:   DB outage", {"band": "high", "gate": "passed", "root_cause": "DB outage"}),
        (
            0.9,
            0,
            "database",
            "Most likely: DB outage",
            {"band": "low", "gate": "fired", "root_cause": "Most likely: DB outage"},
        ),
        # "Most likely" without a colon: not doubled on fire, not stripped on pass
        (
            0.9,
            0,
            "database",
            "Most likely the DB",
            {"band": "low", "gate": "fired", "root_cause": "Most likely the DB"},
        ),
        (
            0.9,
            1,
            "database",
            "Most likely the DB",
            {"band": "high", "gate": "passed", "root_cause": "Most likely the DB"},
        ),
    ],
)
def test_gate_cases(score: float | None, validated: int, category: str, root_cause: str, expected: dict) -> None:
    assert (
        classify(score=score, validated=validated, category=category, root_cause=root_cause, options=OPTIONS)
        == expected
    )


def test_classify_cli_done_when() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "confidence",
            "classify",
            "--score",
            "0.9",
            "--validated",
            "0",
            "--category",
            "database",
            "--root-cause",
            "DB outage",
            "--json",
        ],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"band": "low", "gate": "fired", "root_cause": "Most likely: DB outage"}


def claims(*keys: str) -> list[dict]:
    return [{"claim": f"claim {k}", "evidence_keys": [k]} for k in keys]


TEN = [
    # run, score, claims, category, rating
    ("r1", 0.90, claims("logs:a", "metrics:b"), "db", "accurate"),
    ("r2", 0.80, claims("logs:a"), "db", "inaccurate"),
    ("r3", 0.95, [], "db", "inaccurate"),
    ("r4", 0.60, claims("logs:x", "logs:y"), "db", "accurate"),
    ("r5", 0.50, claims("traces:t"), "db", "partial"),
    ("r6", 0.30, [], "healthy", "accurate"),
    ("r7", None, [], "unknown", "inaccurate"),
    ("r8", 0.76, claims("db:q"), "db", "accurate"),
    ("r9", 0.45, claims("k8s:a", "deploys:b", "logs:c"), "network", "inaccurate"),
    ("r10", 0.85, claims("metrics:m"), "db", None),  # never rated
]


@pytest.fixture
def ten_results(tmp_path: Path) -> pl.DataFrame:
    inv = write_lines(
        tmp_path / "investigations.jsonl",
        *(
            json.dumps(
                {
                    "run_id": r,
                    "validity_score": s,
                    "validated_claims": c,
                    "root_cause_category": cat,
                    "root_cause": f"cause {r}",
                    "timestamp": "2026-06-01T00:00:00Z",
                }
            )
            for r, s, c, cat, _ in TEN
        ),
    )
    feedback_lines = [
        json.dumps({"run_id": r, "rating": rating, "timestamp": "2026-06-02T00:00:00Z"})
        for r, _, _, _, rating in TEN
        if rating
    ]
    # r3 was first rated accurate, then re-rated inaccurate: the latest rating counts
    feedback_lines.insert(0, json.dumps({"run_id": "r3", "rating": "accurate", "timestamp": "2026-06-01T12:00:00Z"}))
    # a noise rating is left out of every calibration
    feedback_lines.append(json.dumps({"run_id": "r-noise", "rating": "accurate", "is_noise": True}))
    fb = write_lines(tmp_path / "feedback.jsonl", *feedback_lines)
    return confidence_results(
        read_input_file(inv, INVESTIGATIONS).frame.lazy(), read_input_file(fb, FEEDBACK).frame.lazy(), options=OPTIONS
    ).collect()


def test_results_of_the_ten(ten_results: pl.DataFrame) -> None:
    rows = {r["run_id"]: r for r in ten_results.iter_rows(named=True)}
    assert {r: rows[r]["band"] for r in rows} == {
        "r1": "high",
        "r2": "high",
        "r3": "low",
        "r4": "medium",
        "r5": "low",
        "r6": "low",
        "r7": "unscored",
        "r8": "high",
        "r9": "medium",
        "r10": "high",
    }
    assert [r for r in rows if rows[r]["gate"] == "fired"] == ["r3", "r5"]
    assert rows["r3"]["rating"] == "inaccurate" and rows["r3"]["root_cause"] == "Most likely: cause r3"
    assert rows["r1"]["sources"] == ["logs", "metrics"] and rows["r9"]["sources"] == ["deploys", "k8s", "logs"]
    assert sorted(r for r in rows if rows[r]["single_source"]) == ["r10", "r2", "r8"]
    assert rows["r10"]["rated"] is False


def test_calibration_and_audit_of_the_ten(ten_results: pl.DataFrame) -> None:
    report = confidence_report(ten_results, options=OPTIONS, claims_known=True)
    assert report["basis"] == "shown"
    assert report["bands"] == {"high": 4, "medium": 2, "low": 3, "unscored": 1}
    assert report["gate_fired"] == 2
    assert report["calibration"] == [
        {
            "band": "high",
            "n": 3,
            "accurate": 2,
            "partial": 0,
            "inaccurate": 1,
            "accuracy": 0.6667,
            "ci_low": 0.2077,
            "ci_high": 0.9385,
            "nominal_low": 0.75,
            "nominal_high": 1.0,
            "overconfident": False,
        },
        {
            "band": "medium",
            "n": 2,
            "accurate": 1,
            "partial": 0,
            "inaccurate": 1,
            "accuracy": 0.5,
            "ci_low": 0.0945,
            "ci_high": 0.9055,
            "nominal_low": 0.4,
            "nominal_high": 0.75,
            "overconfident": False,
        },
        {
            "band": "low",
            "n": 3,
            "accurate": 1,
            "partial": 1,
            "inaccurate": 1,
            "accuracy": 0.3333,
            "ci_low": 0.0615,
            "ci_high": 0.7923,
            "nominal_low": 0.0,
            "nominal_high": 0.4,
            "overconfident": False,
        },
        {
            "band": "unscored",
            "n": 1,
            "accurate": 0,
            "partial": 0,
            "inaccurate": 1,
            "accuracy": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.7935,
            "nominal_low": None,
            "nominal_high": None,
            "overconfident": False,
        },
    ]
    assert report["false_confidence_rate"] == 0.3333
    assert report["gate_audit"] == {
        "passed_accurate": 4,
        "passed_not_accurate": 3,
        "fired_accurate": 0,
        "fired_not_accurate": 2,
    }
    assert report["single_source_high"] == 3
    sweep = {(s["high"], s["medium"]): s for s in report["sweep"]}
    # at the policy thresholds the sweep agrees with the audit: 7 of 9 rated pass, 4 of them accurate
    assert sweep[(0.75, 0.4)] == {"high": 0.75, "medium": 0.4, "coverage": 0.7778, "accuracy": 0.5714}


def test_overconfident_when_the_interval_is_below_the_band(tmp_path: Path) -> None:
    lines = [
        json.dumps({"run_id": f"r{i}", "validity_score": 0.9, "rating": "accurate" if i < 20 else "inaccurate"})
        for i in range(100)
    ]
    fb = write_lines(tmp_path / "feedback.jsonl", *lines)
    results = confidence_results(None, read_input_file(fb, FEEDBACK).frame.lazy(), options=OPTIONS).collect()
    report = confidence_report(results, options=OPTIONS, claims_known=False)
    high = report["calibration"][0]
    assert (high["n"], high["accuracy"], high["overconfident"]) == (100, 0.2, True)
    assert report["basis"] == "score" and report["gate_audit"] is None and report["sweep"] == []
    assert results["gate"].null_count() == 100  # feedback alone: the gate is not evaluated


def test_report_on_the_sample_shows_an_overconfident_band() -> None:
    result = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "confidence", "report", "--json"])
    report = json.loads(result.stdout)
    assert report["basis"] == "shown"
    assert any(c["overconfident"] for c in report["calibration"])
    since = json.loads(
        CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "confidence", "report", "--since", "7d", "--json"]).stdout
    )
    assert sum(since["bands"].values()) < sum(report["bands"].values())


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.4, 0.75, 0.3999, 0.7499])),
    st.integers(0, 4),
    st.sampled_from(["healthy", "unknown", "database", "", "Healthy"]),
    st.sampled_from(
        ["DB outage", "Most likely: x", "Most likely:x", "Most likely x", "most likely: y", "", "Most likely:   "]
    ),
)
def test_classify_matches_the_reference(score: float | None, validated: int, category: str, root_cause: str) -> None:
    got = classify(score=score, validated=validated, category=category, root_cause=root_cause, options=OPTIONS)
    assert got == reference(score, validated, category, root_cause)


# --- the verdict sentence and the window (issue 11 item 7) ------------------------------------------------------


def calibration_rows(
    *rows: tuple[str, int, int, float | None, float | None, float | None, float | None],
) -> pl.DataFrame:
    """Hand-made calibration rows: (band, n, accurate, ci_low, ci_high, nominal_low, nominal_high)."""
    return pl.DataFrame(
        [
            {
                "band": b,
                "n": n,
                "accuracy": None if n == 0 else round(a / n, 4),
                "ci_low": lo,
                "ci_high": hi,
                "nominal_low": nl,
                "nominal_high": nh,
            }
            for b, n, a, lo, hi, nl, nh in rows
        ],
        schema={
            "band": pl.Utf8,
            "n": pl.Int64,
            "accuracy": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "nominal_low": pl.Float64,
            "nominal_high": pl.Float64,
        },
    )


def test_verdict_names_an_overconfident_band_by_how_much_with_n() -> None:
    from analytics.confidence import calibration_verdict

    rows = calibration_rows(
        ("high", 200, 120, 0.53, 0.66, 0.75, 1.0),  # 60% accurate, interval wholly below 75%
        ("medium", 100, 50, 0.40, 0.60, 0.40, 0.75),  # inside its range
        ("low", 0, 0, None, None, 0.0, 0.40),
        ("unscored", 0, 0, None, None, None, None),
    )
    assert calibration_verdict(rows, window="since 2026-10-17 09:00 UTC (30d)") == (
        "Since 2026-10-17 09:00 UTC (30d), 300 rated results: **not calibrated** (significant at 95%) — "
        "**high** is overconfident: 60% accurate (95% CI 53–66%, n=200) against a nominal 75% or more, "
        "15 points below."
    )


def test_verdict_calibrated_mentions_a_band_outside_its_range_that_is_not_significant() -> None:
    from analytics.confidence import calibration_verdict

    rows = calibration_rows(
        ("high", 20, 14, 0.48, 0.85, 0.75, 1.0),  # 70%: below 75% but the interval reaches it
        ("medium", 40, 22, 0.40, 0.69, 0.40, 0.75),
        ("low", 10, 2, 0.06, 0.51, 0.0, 0.40),
    )
    assert calibration_verdict(rows, window="over all time") == (
        "Over all time, 70 rated results: **calibrated** — every rated band's 95% interval reaches its nominal "
        "range. Not significant: high is 5 points below its range, 70% accurate (95% CI 48–85%, n=20)."
    )


def test_verdict_underconfident_band_and_nothing_rated() -> None:
    from analytics.confidence import calibration_verdict

    rows = calibration_rows(("high", 50, 45, 0.79, 0.96, 0.75, 1.0), ("low", 100, 70, 0.60, 0.78, 0.0, 0.40))
    assert calibration_verdict(rows, window="over all time") == (
        "Over all time, 150 rated results: **not calibrated** (significant at 95%) — **low** is underconfident: "
        "70% accurate (95% CI 60–78%, n=100) against a nominal 0–40%, 30 points above."
    )
    empty = calibration_rows(("high", 0, 0, None, None, 0.75, 1.0))
    assert calibration_verdict(empty, window="over all time") == (
        "Over all time: no rated results in a scored band, so calibration cannot be judged yet."
    )


def test_window_text_and_the_confidence_window() -> None:
    from datetime import UTC, datetime

    from analytics.confidence import window_text
    from analytics.windows import window

    cutoff = datetime(2026, 10, 17, 9, tzinfo=UTC)
    assert window_text("30d", cutoff) == "since 2026-10-17 09:00 UTC (30d)"
    assert window_text(None, None) == "over all time"
    # page and `confidence report --since` share analytics.windows: (now − 30d, now]; all time keeps null stamps
    now = datetime(2026, 11, 16, 9, tzinfo=UTC)
    frame = pl.LazyFrame(
        {"timestamp": [datetime(2026, 10, 17, 9, 0, 1, tzinfo=UTC), cutoff, None]},
        schema={"timestamp": pl.Datetime("us", "UTC")},
    )
    span = window("30d", now)
    assert span.start == cutoff
    kept = frame.filter(span.contains("timestamp")).collect()["timestamp"].to_list()
    assert kept == [datetime(2026, 10, 17, 9, 0, 1, tzinfo=UTC)]
    assert frame.filter(window("all", now).contains("timestamp")).collect().height == 3


def test_cli_report_states_its_window_and_verdict() -> None:
    out = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "confidence", "report"]).stdout
    assert out.splitlines()[0].startswith("Over all time, 2,414 rated results: not calibrated")
    out = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "confidence", "report", "--since", "30d"]).stdout
    assert out.splitlines()[0].startswith("Since 2026-10-17 09:00 UTC (30d), 1,109 rated results:")


def test_evidence_gaps_missing_and_weak_by_hand() -> None:
    from analytics.confidence import evidence_gap_line, evidence_gap_ranking, evidence_gaps, verdict_of

    results = pl.DataFrame(
        {
            "run_id": ["r1", "r2", "r3", "r4"],
            "timestamp": [None, None, None, None],
            "alert_name": ["A", "B", "C", "D"],
            "score": [0.2, 0.9, 0.8, 0.3],
            "band": ["low", "high", "low", "low"],
            "gate": ["passed", "passed", "fired", None],
            "sources": [["metrics"], ["logs", "metrics"], ["logs"], []],
            "source_contributions": ['{"metrics": 0.1}', '{"logs": 0.9}', '{"logs": 0.25, "traces": null}', None],
        },
        schema_overrides={"timestamp": pl.Datetime("us", "UTC")},
    )
    gaps = evidence_gaps(results, weak_score=0.3)
    # sources: logs, metrics (a null score is no score, so traces is not one); r2 is high and passed: not listed
    assert gaps.select("run_id", "missing", "weak").rows() == [
        ("r1", ["logs"], ["metrics"]),
        ("r3", ["metrics"], ["logs"]),
        ("r4", ["logs", "metrics"], []),
    ]
    ranking = evidence_gap_ranking(gaps)
    assert ranking.rows() == [("logs", 2, 1, 3, 0.6667), ("metrics", 2, 1, 3, 0.6667)]
    assert evidence_gap_line(ranking) == "2 of 3 low-confidence results had no logs evidence."
    assert evidence_gap_line(evidence_gap_ranking(gaps.head(0))) is None
    empty = pl.DataFrame({"band": [], "n": [], "nominal_low": []})
    assert verdict_of(empty.with_columns(pl.col("n").cast(pl.Int64)), window="over all time").kind == "unknown"
