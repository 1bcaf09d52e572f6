"""The sample world: deterministic bytes, the promised sizes and the scenarios the pages rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from analytics.policy import Policy
from tests.conftest import SAMPLE_DIR
from triage_lens.sample.generator import SAMPLE_NOW, generate_sample
from triage_lens.sources.loading import load_all, resolve_sources

NOW = datetime(2026, 11, 16, 9, tzinfo=UTC)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative POSIX path → bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    generate_sample(tmp_path / "a", seed=7, scale=0.03)
    generate_sample(tmp_path / "b", seed=7, scale=0.03)
    generate_sample(tmp_path / "c", seed=8, scale=0.03)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a")["misses.jsonl"] != tree(tmp_path / "c")["misses.jsonl"]


def test_committed_sample_is_the_scale_0_1_output_and_small(tmp_path: Path) -> None:
    generate_sample(tmp_path / "fresh", seed=7, scale=0.1)
    committed = tree(SAMPLE_DIR)
    assert committed == tree(tmp_path / "fresh")
    assert sum(len(content) for content in committed.values()) <= 5 * 1024 * 1024
    assert json.loads((SAMPLE_DIR / "sample.json").read_text()) == {
        "seed": 7,
        "scale": 0.1,
        "now": "2026-11-16T09:00:00+00:00",
        "generator": "triage-lens sample 1",
    }
    assert SAMPLE_NOW == NOW


def test_scale_one_has_the_promised_sizes(tmp_path: Path) -> None:
    summary = generate_sample(tmp_path / "s", seed=7, scale=1.0)
    assert summary.rows["misses.jsonl"] == 10_000
    assert summary.rows["feedback.jsonl"] == 25_000
    assert summary.rows["incidents.jsonl"] == 2_000
    assert summary.rows["error_ledger.csv"] == 100_000


@pytest.fixture(scope="module")
def world() -> dict[str, pl.DataFrame]:
    data = load_all(resolve_sources(str(SAMPLE_DIR)), Policy(), use_cache=False)
    assert data.items == []  # the sample reads without a single quarantined line or flagged field
    return {name: loaded.frame.collect() for name, loaded in data.inputs.items()}


def test_ledger_scenarios(world: dict[str, pl.DataFrame]) -> None:
    ledger = world["error_ledger"].filter(pl.col("category") != "config_cleanup")
    last_24h = pl.col("timestamp") > NOW - timedelta(hours=24)
    counts = dict(ledger.filter(last_24h).group_by("provider").len().iter_rows())
    assert counts.get("google_ads", 0) >= 10  # failing now
    assert counts.get("meta_ads", 0) == 0  # quiet today…
    loud = ledger.filter(
        (pl.col("provider") == "meta_ads")
        & pl.col("timestamp").is_between(NOW - timedelta(days=6), NOW - timedelta(days=3))
    )
    assert loud.height >= 500  # …but loud 3–6 days ago
    assert 3 <= counts.get("stripe", 0) < 10  # spike on little history
    assert 3 <= counts.get("shopify", 0) < 10  # warning level
    assert world["error_ledger"].filter(pl.col("category") == "config_cleanup").height > 0
    assert world["error_ledger"].filter((pl.col("category") == "config_cleanup") & last_24h).height > 0


def test_misses_link_to_feedback_and_investigations(world: dict[str, pl.DataFrame]) -> None:
    misses, feedback, investigations = world["misses"], world["feedback"], world["investigations"]
    assert misses["feedback_id"].is_in(feedback["feedback_id"].implode()).all()
    assert misses["run_id"].is_in(investigations["run_id"].implode()).all()
    assert 2.3 <= feedback.height / misses.height <= 2.7
    joined = misses.join(feedback, on="feedback_id", suffix="_fb")
    assert (joined["rating"] == joined["rating_fb"]).all()
    assert feedback.filter(pl.col("rating") == "accurate").height > feedback.height / 2


def test_pairs_that_stop_regress_and_a_shifting_taxonomy_mix(world: dict[str, pl.DataFrame]) -> None:
    misses = world["misses"].filter(pl.col("alert_name").is_not_null() & pl.col("taxonomy").is_not_null())
    per_pair = misses.group_by("alert_name", "taxonomy").agg(
        first=pl.col("timestamp").min(),
        last=pl.col("timestamp").max(),
        n=pl.len(),
        ts=pl.col("timestamp").sort(),
    )
    stopped = per_pair.filter((pl.col("last") < NOW - timedelta(days=21)) & (pl.col("n") >= 5))
    assert stopped.height >= 2
    regressed = 0
    for ts in per_pair["ts"].to_list():
        recent = [t for t in ts if t > NOW - timedelta(days=7)]
        older = [t for t in ts if t <= NOW - timedelta(days=7)]
        if recent and older and (recent[0] - older[-1]) >= timedelta(days=14):
            regressed += 1
    assert regressed >= 1
    new_pairs = per_pair.filter(pl.col("first") > NOW - timedelta(days=7))
    assert new_pairs.height >= 1
    early = misses.filter(pl.col("timestamp") < NOW - timedelta(days=49))
    late = misses.filter(pl.col("timestamp") > NOW - timedelta(days=21))
    share = lambda f, t: f.filter(pl.col("taxonomy") == t).height / f.height  # noqa: E731
    assert share(early, "retrieval_gap") > share(late, "retrieval_gap") + 0.1
    assert share(late, "reasoning_gap") > share(early, "reasoning_gap")


def test_incidents_recur_burst_and_are_open_and_closed(world: dict[str, pl.DataFrame]) -> None:
    incidents = world["incidents"]
    statuses = set(incidents["status"].to_list())
    assert {"open", "resolved", "closed"} <= statuses
    assert incidents.filter(pl.col("kind_derived")).height > 0
    assert incidents.filter(~pl.col("kind_derived")).height > 0
    top_signature = incidents.group_by("signature").len().sort("len", descending=True)["len"][0]
    assert top_signature >= 6
    ordered = incidents.sort("started_at")
    gaps = ordered["started_at"].diff().drop_nulls()
    assert (gaps <= timedelta(hours=3)).sum() >= 10  # bursts close in time
    assert world["events"].height > 0
    # every event names a stored incident, except an owner given to an (alert, taxonomy) pair (incident_id "")
    events = world["events"]
    assert events.filter(pl.col("incident_id") != "")["incident_id"].is_in(incidents["id"].implode()).all()
    pair_events = events.filter(pl.col("incident_id") == "")
    assert pair_events.height == 3 and set(pair_events["type"].to_list()) == {"assignment"}


def test_investigations_carry_single_source_high_scores(world: dict[str, pl.DataFrame]) -> None:
    investigations = world["investigations"]
    sources = investigations.with_columns(
        n_sources=pl.col("validated_claims")
        .list.eval(pl.element().struct.field("evidence_keys").list.first().str.split(":").list.first())
        .list.unique()
        .list.len()
    )
    assert sources.filter((pl.col("validity_score") >= 0.75) & (pl.col("n_sources") == 1)).height > 0
