"""A coherent synthetic world (``triage-lens sample``): ten weeks of misses, feedback, investigations,
incidents, timeline events and an error ledger, all ending at a fixed ``now``.

Everything is drawn from one NumPy generator seeded with ``seed``, vectorised, and written with
Polars, so the same seed and scale give byte-identical files and ``--scale 100`` (1M misses, 200k
incidents, 10M ledger rows) takes minutes. The scenarios the dashboard is meant to reveal are built in:

- misses: recurring (alert, taxonomy) pairs that stop after a fix, pairs that regress after a quiet gap,
  an escalating pair, brand-new pairs, and a taxonomy mix that shifts from retrieval gaps to reasoning gaps;
- feedback: about 2.5 ratings per miss (most investigations are rated accurate), accuracy improving;
- investigations: validity scores only loosely tied to the rating, so the ``high`` band is overconfident,
  with some high scores resting on a single evidence source;
- incidents: recurring signatures, bursts close in time, a hot ``gateway|error_rate`` bucket, open and closed;
- error ledger: ``google_ads`` failing now, ``meta_ads`` loud 3–6 days ago but quiet today, ``stripe``
  spiking from little history, ``shopify`` at warning level, ``hubspot`` recurring, some nominal providers,
  ``config_cleanup`` context rows, and older history that the legacy 7-day-average rule still pages on;
- benchmark runs (``runs/``): five runs of the exported scenarios (JUnit XML and one JSONL run) where a scenario
  passes when its pair had no miss in the week before the run, so fixed pairs pass and hold, the pairs that come
  back regress in the newest run, plus a hand-written scenario that was never exported, one error and one skip.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # writing only: the files we build ourselves
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from analytics.derived import incident_signature_reference, with_grouping_key
from analytics.misses import filter_misses, parse_since, top_groups
from analytics.runs import scenario_index
from analytics.scenarios import build_cases, manifest_bytes, scenarios_frame
from analytics.schemas import MISSES
from triage_lens.sample.bench_runs import write_sample_framework_runs
from triage_lens.sources.readers import read_input_file
from triage_lens.sources.scenario_files import read_scenarios, write_cases

SAMPLE_NOW = datetime(2026, 11, 16, 9, 0, 0, tzinfo=UTC)  # a Monday morning: triage time
DAYS = 70
SECONDS_PER_DAY = 86_400
BASE_MISSES = 10_000
BASE_INCIDENTS = 2_000
BASE_LEDGER_ROWS = 100_000
FEEDBACK_PER_MISS = 2.5


@dataclass(frozen=True)
class SampleSummary:
    """What was written: file name → rows."""

    out: Path
    rows: dict[str, int]


def _iso(epoch_us: np.ndarray) -> pl.Series:
    """Microsecond epochs → ISO text with a ``+00:00`` offset, as OpenSRE writes timestamps."""
    return (
        pl.Series(epoch_us.astype(np.int64)).cast(pl.Datetime("us", "UTC")).dt.to_string("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    )


def _uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random version-4 UUID strings, vectorised (bytes → hex → dashed)."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hex_text = pl.Series(np.frombuffer(raw.tobytes().hex().encode("ascii"), dtype="S32")).cast(pl.Utf8)
    parts = [hex_text.str.slice(a, b - a) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    return pl.select(pl.concat_str([pl.lit(p) for p in parts], separator="-")).to_series()


def _codes(rng: np.random.Generator, size: int, n: int, p: list[float] | None = None) -> np.ndarray:
    """Random indexes into a list of ``size`` options, with optional weights."""
    weights = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    codes: np.ndarray = rng.choice(size, size=n, p=weights)
    return codes


def _labels(options: list[str], codes: np.ndarray) -> pl.Series:
    """Option text for every code (a vectorised gather, far cheaper than Python strings)."""
    return pl.Series(options, dtype=pl.Utf8).gather(codes)


def _pick(rng: np.random.Generator, options: list[str], n: int, p: list[float] | None = None) -> np.ndarray:
    """Random options as a NumPy string array (for small frames and comparisons)."""
    picked: np.ndarray = np.asarray(options)[_codes(rng, len(options), n, p)]
    return picked


# --- misses, feedback, investigations -------------------------------------------------------------

ALERTS: list[tuple[str, str]] = [  # (alert_name, pipeline_name)
    ("CheckoutHighErrorRate", "checkout"),
    ("PaymentsLatencyP99", "payments"),
    ("SearchIndexLag", "search"),
    ("AuthTokenFailures", "auth"),
    ("InventorySyncStalled", "inventory"),
    ("NotificationQueueBacklog", "notifications"),
    ("GatewayUpstream5xx", "gateway"),
    ("IngestWorkerOOM", "ingest"),
    ("BillingJobFailed", "billing"),
    ("FrontendApdexDrop", "web"),
    ("DBConnectionPoolExhausted", "payments"),
    ("KafkaConsumerLag", "ingest"),
    ("CertificateExpirySoon", "gateway"),
    ("DiskPressureNode", "platform"),
    ("CacheHitRatioLow", "search"),
    ("CronJobMissed", "billing"),
]

# (alert index, taxonomy, pattern, relative rate)
PAIRS: list[tuple[int, str, str, float]] = [
    (0, "retrieval_gap", "fixed_early", 3.0),
    (0, "reasoning_gap", "steady", 1.5),
    (1, "reasoning_gap", "escalating", 1.2),
    (1, "tool_failure", "steady", 0.8),
    (2, "retrieval_gap", "fixed_mid", 2.5),
    (3, "retrieval_gap", "regressed", 2.0),
    (3, "routing_failure", "steady", 0.6),
    (4, "tool_failure", "fixed_mid", 1.5),
    (5, "retrieval_gap", "fixed_early", 2.0),
    (5, "reasoning_gap", "steady", 1.0),
    (6, "reasoning_gap", "steady", 2.2),
    (6, "retrieval_gap", "fixed_recent", 1.8),
    (7, "tool_failure", "regressed", 1.4),
    (8, "routing_failure", "fixed_mid", 1.0),
    (9, "unknown", "steady", 0.5),
    (10, "reasoning_gap", "escalating", 1.0),
    (11, "retrieval_gap", "new", 3.0),
    (12, "routing_failure", "new", 1.5),
    (13, "tool_failure", "steady", 0.7),
    (14, "reasoning_gap", "late_rise", 1.2),
    (15, "retrieval_gap", "fixed_early", 1.2),
]

TAXONOMY_NOTES: dict[str, list[str]] = {
    "retrieval_gap": [
        "Agent never pulled the deploy log that showed the bad config push.",
        "Missed the upstream provider status page; only looked at our metrics.",
        "Did not query the DB slow log, which had the answer.",
    ],
    "reasoning_gap": [
        "Had the connection pool metrics but blamed the network.",
        "Saw the OOM kill events yet concluded it was a deploy regression.",
        "Correlated with the wrong deploy: the change landed an hour later.",
    ],
    "tool_failure": [
        "Log search timed out after 30s; agent gave up on logs.",
        "Metrics tool returned an empty series because of a label typo.",
        "Tracing backend returned 502 for every query.",
    ],
    "routing_failure": [
        "Planner picked the Kubernetes toolset for a managed DB incident.",
        "Prompt steered the agent to network checks first and it never recovered.",
    ],
    "unknown": ["Not sure what went wrong; conclusion just did not match."],
}

CATEGORIES = [
    "database",
    "deploy",
    "network",
    "resource_exhaustion",
    "dependency",
    "configuration",
    "healthy",
    "unknown",
]
ROOT_CAUSES: dict[str, list[str]] = {
    "database": ["Primary DB connection pool exhausted", "Slow query after index drop"],
    "deploy": ["Bad config pushed in release 2026.11.3", "Feature flag rollout broke checkout"],
    "network": ["DNS resolution failures in us-east-1", "Packet loss between AZs"],
    "resource_exhaustion": ["Memory leak in ingest worker", "CPU throttling on search nodes"],
    "dependency": ["Upstream payment provider degraded", "Third-party auth provider outage"],
    "configuration": ["Expired TLS certificate on gateway", "Wrong timeout in client config"],
    "healthy": ["No fault found: alert was noise"],
    "unknown": ["Insufficient evidence to determine root cause"],
}
EVIDENCE_SOURCES = ["logs", "metrics", "traces", "deploys", "db", "k8s", "status_page"]
HYPOTHESES = [
    "connection pool exhaustion",
    "bad deploy",
    "upstream outage",
    "memory leak",
    "network partition",
    "config drift",
]
MISSING = ["deploy history", "db slow log", "upstream status", "trace sample", "heap profile"]


def _pair_day_weights(pattern: str, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Relative miss intensity per day (index 0 = 70 days ago, 69 = the last 24 hours)."""
    days = np.arange(DAYS)
    ago = DAYS - 1 - days  # 0 = the last 24 hours
    w = np.full(DAYS, rate, dtype=float)
    if pattern == "fixed_early":
        w[ago < 45 + int(rng.integers(0, 6))] = 0.0
    elif pattern == "fixed_mid":
        w[ago < 28 + int(rng.integers(0, 6))] = 0.0
    elif pattern == "fixed_recent":
        w[ago < 9] = 0.0
    elif pattern == "regressed":
        w[(ago >= 7) & (ago < 28)] = 0.0  # a quiet gap of three weeks, then it is back
        w[ago < 5] *= 1.5
    elif pattern == "escalating":
        w[ago >= 7] *= 0.35
        w[ago < 7] *= 2.5
    elif pattern == "new":
        w[ago >= 6] = 0.0
    elif pattern == "late_rise":
        w *= np.linspace(0.2, 1.6, DAYS)
    return w


def _misses_and_feedback(
    rng: np.random.Generator, n_misses: int, start_us: int, now_us: int
) -> dict[str, pl.DataFrame]:
    n_feedback = round(n_misses * FEEDBACK_PER_MISS)
    n_accurate = n_feedback - n_misses
    day_us = SECONDS_PER_DAY * 1_000_000

    # Misses: sample (pair, day) cells from the pattern intensities.
    weights = np.stack([_pair_day_weights(p, r, rng) for _, _, p, r in PAIRS])
    flat = weights.ravel() / weights.sum()
    cells = rng.choice(flat.size, size=n_misses, p=flat)
    pair_idx, day_idx = np.divmod(cells, DAYS)
    miss_us = start_us + day_idx * day_us + rng.integers(0, day_us, n_misses)
    miss_us = np.minimum(miss_us, now_us - 1_000_000)

    # Accurate ratings: more of them as the weeks go by (the agent learns).
    acc_day_w = np.linspace(0.6, 1.4, DAYS)
    acc_day = rng.choice(DAYS, size=n_accurate, p=acc_day_w / acc_day_w.sum())
    acc_us = np.minimum(start_us + acc_day * day_us + rng.integers(0, day_us, n_accurate), now_us - 1_000_000)
    acc_alert = rng.integers(0, len(ALERTS), n_accurate)

    alert_of_pair = np.array([a for a, _, _, _ in PAIRS])
    taxonomy_names = list(TAXONOMY_NOTES)
    taxonomy_of_pair = np.array([taxonomy_names.index(t) for _, t, _, _ in PAIRS])

    # One feedback row per miss (partial/inaccurate) plus the accurate ones, in time order.
    ratings = ["accurate", "partial", "inaccurate"]
    fb_alert = np.concatenate([alert_of_pair[pair_idx], acc_alert])
    fb_us = np.concatenate([miss_us - rng.integers(5, 90, n_misses) * 1_000_000, acc_us])
    fb_miss_ref = np.concatenate([np.arange(n_misses), np.full(n_accurate, -1)])
    fb_rating = np.concatenate([1 + _codes(rng, 2, n_misses, [0.45, 0.55]), np.zeros(n_accurate, dtype=np.int64)])
    order = np.argsort(fb_us, kind="stable")
    fb_alert, fb_us, fb_miss_ref, fb_rating = fb_alert[order], fb_us[order], fb_miss_ref[order], fb_rating[order]

    feedback_ids = _uuids(rng, n_feedback)
    run_ids = "run-" + _uuids(rng, n_feedback).str.replace_all("-", "").str.slice(0, 12)
    category = _codes(rng, len(CATEGORIES), n_feedback, [0.2, 0.18, 0.12, 0.14, 0.14, 0.12, 0.05, 0.05])
    cause_options = [
        cause for c in CATEGORIES for cause in ROOT_CAUSES[c][:2] + ROOT_CAUSES[c][:1] * (2 - len(ROOT_CAUSES[c][:2]))
    ]
    root_cause = _labels(cause_options, category * 2 + rng.integers(0, 2, n_feedback))
    # Scores only loosely follow the rating: the agent is often sure and wrong.
    base = np.array([0.66, 0.6, 0.58])[fb_rating]
    score = np.clip(base + rng.normal(0.0, 0.2, n_feedback), 0.02, 0.99).round(2)
    score_series = pl.Series("validity_score", score, dtype=pl.Float64).scatter(
        np.flatnonzero(rng.random(n_feedback) < 0.02), None
    )
    loops = rng.integers(1, 6, n_feedback)
    users = rng.integers(1, 13, n_feedback)
    user_names = [f"{u:03d}" for u in range(13)]
    alert_names = [a for a, _ in ALERTS]
    pipelines = [p for _, p in ALERTS]
    feedback = pl.DataFrame(
        {
            "feedback_id": feedback_ids,
            "timestamp": _iso(fb_us),
            "run_id": run_ids,
            "alert_name": _labels(alert_names, fb_alert),
            "root_cause": root_cause,
            "root_cause_category": _labels(CATEGORIES, category),
            "validity_score": score_series,
            "is_noise": rng.random(n_feedback) < 0.03,
            "investigation_loop_count": loops,
            "user_id": "u-" + _labels(user_names, users),
            "user_email": "engineer" + _labels(user_names, users).str.slice(1) + "@example.com",
            "org_id": pl.repeat("org-acme", n_feedback, eager=True),
            "rating": _labels(ratings, fb_rating),
            "note": _labels(["Spot on.", "See miss notes.", "See miss notes."], fb_rating),
        }
    )

    # Misses, in time order, pointing at their feedback row.
    fb_pos_of_miss = np.empty(n_misses, dtype=np.int64)
    miss_rows = np.flatnonzero(fb_miss_ref >= 0)
    fb_pos_of_miss[fb_miss_ref[miss_rows]] = miss_rows
    miss_order = np.argsort(miss_us, kind="stable")
    pos = fb_pos_of_miss[miss_order]
    m_pair = pair_idx[miss_order]
    m_taxonomy = taxonomy_of_pair[m_pair]
    notes = [note for t in taxonomy_names for note in (TAXONOMY_NOTES[t] * 3)[:3]]
    detail = _labels(notes, m_taxonomy * 3 + rng.integers(0, 3, n_misses))
    # A few records as OpenSRE can write them: no alert name, or no taxonomy chosen.
    no_alert = np.flatnonzero(rng.random(n_misses) < 0.004)
    no_taxonomy = np.flatnonzero(rng.random(n_misses) < 0.006)
    misses = pl.DataFrame(
        {
            "miss_id": _uuids(rng, n_misses),
            "feedback_id": feedback["feedback_id"].gather(pos),
            "timestamp": _iso(miss_us[miss_order]),
            "run_id": feedback["run_id"].gather(pos),
            "alert_name": _labels(alert_names, alert_of_pair[m_pair]).scatter(no_alert, None),
            "pipeline_name": _labels(pipelines, alert_of_pair[m_pair]),
            "severity": _labels(["critical", "warning"], _codes(rng, 2, n_misses, [0.35, 0.65])),
            "rating": feedback["rating"].gather(pos),
            "taxonomy": _labels(taxonomy_names, m_taxonomy).scatter(no_taxonomy, None),
            "taxonomy_detail": detail,
            "root_cause": feedback["root_cause"].gather(pos),
            "root_cause_category": feedback["root_cause_category"].gather(pos),
            "validity_score": feedback["validity_score"].gather(pos),
            "investigation_loop_count": feedback["investigation_loop_count"].gather(pos),
            "user_id": feedback["user_id"].gather(pos),
            "org_id": pl.repeat("org-acme", n_misses, eager=True),
        }
    )

    # Investigations: one per rated run, with claims and their evidence (built long, then nested).
    n_claims = rng.choice(4, size=n_feedback, p=[0.2, 0.35, 0.3, 0.15])
    single_source = rng.random(n_feedback) < 0.3
    first_source = rng.integers(0, len(EVIDENCE_SOURCES), n_feedback)
    claim_row = np.repeat(np.arange(n_feedback), n_claims)
    claim_pos = np.arange(claim_row.size) - np.repeat(np.cumsum(n_claims) - n_claims, n_claims)
    other_source = rng.integers(0, len(EVIDENCE_SOURCES), claim_row.size)
    source = np.where(single_source[claim_row] | (claim_pos == 0), first_source[claim_row], other_source)
    long_claims = pl.DataFrame(
        {
            "row": claim_row,
            "claim": _labels([f"Observed {h} signal" for h in HYPOTHESES], (claim_row + claim_pos) % len(HYPOTHESES)),
            "key": _labels(EVIDENCE_SOURCES, source)
            + ":"
            + _labels(pipelines, fb_alert[claim_row])
            + "-"
            + pl.Series(rng.integers(1, 40, claim_row.size)).cast(pl.Utf8),
        }
    )
    claim_type = pl.List(pl.Struct({"claim": pl.Utf8, "evidence_keys": pl.List(pl.Utf8)}))
    nested = long_claims.group_by("row", maintain_order=True).agg(
        pl.struct(pl.col("claim"), pl.concat_list("key").alias("evidence_keys")).alias("validated_claims")
    )
    validated = (
        pl.DataFrame({"row": np.arange(n_feedback)})
        .join(nested, on="row", how="left", maintain_order="left")
        .select(pl.col("validated_claims").cast(claim_type).fill_null(pl.lit([], dtype=claim_type)))
        .to_series()
    )
    hyp_start = rng.integers(0, len(HYPOTHESES), n_feedback)
    non_validated = pl.Series(
        [[], [{"claim": "Recent deploy may be involved"}]], dtype=pl.List(pl.Struct({"claim": pl.Utf8}))
    ).gather(hyp_start % 2)
    ranked = pl.Series([[HYPOTHESES[(h + k) % len(HYPOTHESES)] for k in range(3)] for h in range(len(HYPOTHESES))])
    missing_lookup = pl.Series([[], *[[m] for m in MISSING]], dtype=pl.List(pl.Utf8))
    investigations = pl.DataFrame(
        {
            "run_id": run_ids,
            "timestamp": _iso(fb_us - 120_000_000),
            "alert_name": feedback["alert_name"],
            "pipeline_name": _labels(pipelines, fb_alert),
            "root_cause": feedback["root_cause"],
            "root_cause_category": feedback["root_cause_category"],
            "validity_score": feedback["validity_score"],
            "validated_claims": validated,
            "non_validated_claims": non_validated,
            "ranked_hypotheses": ranked.gather(hyp_start),
            "missing_evidence": missing_lookup.gather(np.where(hyp_start % 3 == 0, hyp_start % len(MISSING) + 1, 0)),
        }
    )
    return {"misses": misses, "feedback": feedback, "investigations": investigations}


# --- incidents and events -------------------------------------------------------------------------

# (service, kind or "" to derive, title template, summary, weight, pattern)
INCIDENT_TEMPLATES: list[tuple[str, str, str, str, float, str]] = [
    (
        "gateway",
        "error_rate",
        "Gateway 5xx error rate above {n}% on /v{m}/orders",
        "Upstream errors from orders backend",
        2.0,
        "hot",
    ),
    ("gateway", "", "Gateway p99 latency {n}ms over SLO", "slow upstream responses", 1.0, "steady"),
    (
        "checkout-api",
        "error_rate",
        "Checkout errors spiking: {n} failures/min",
        "payment step failing",
        1.5,
        "steady",
    ),
    ("checkout-api", "", "Checkout deploy {n}.{m} rollback", "release caused regressions", 0.8, "steady"),
    (
        "payments",
        "",
        "DB connection pool exhausted on payments-db-{m}",
        "timeout acquiring connection",
        1.2,
        "recent",
    ),
    (
        "payments",
        "latency",
        "Payments API slow: p95 {n}ms",
        "degraded performance for card auth",
        1.0,
        "steady",
    ),
    (
        "ingest-worker",
        "",
        "ingest-worker OOMKilled ({n} restarts)",
        "out of memory during batch {m}",
        1.4,
        "hot",
    ),
    (
        "ingest-worker",
        "queue",
        "Kafka consumer lag {n}k messages",
        "backlog growing on topic events-{m}",
        1.0,
        "steady",
    ),
    ("search", "", "Search index disk {n}% full on node-{m}", "no space left soon", 0.7, "old"),
    (
        "auth",
        "",
        "Auth token validation failing for {n}% of requests",
        "unauthorized responses",
        0.9,
        "recent",
    ),
    (
        "notifications",
        "",
        "Notification queue delay {n} minutes",
        "backlog of push notifications",
        0.8,
        "steady",
    ),
    ("billing", "custom", "Nightly billing job {n} did not finish", "cron overran window", 0.5, "old"),
    (
        "web-frontend",
        "",
        "Frontend DNS resolution errors in region {m}",
        "network connectivity issues",
        0.6,
        "steady",
    ),
    ("inventory", "", "Inventory sync crash loop after restart {n}", "crashloop in sync pod", 0.6, "recent"),
]
SERVICES_TEAM = {
    "gateway": "edge",
    "checkout-api": "checkout",
    "payments": "payments",
    "ingest-worker": "data",
    "search": "search",
    "auth": "identity",
    "notifications": "growth",
    "billing": "payments",
    "web-frontend": "web",
    "inventory": "supply",
}


def _template_day_weights(pattern: str, weight: float) -> np.ndarray:
    ago = DAYS - 1 - np.arange(DAYS)
    w = np.full(DAYS, weight, dtype=float)
    if pattern == "hot":
        w[ago < 7] *= 4.0
        w[ago >= 30] *= 0.5
    elif pattern == "recent":
        w[ago >= 21] *= 0.2
    elif pattern == "old":
        w[ago < 21] = 0.0
    return w


def _incidents(rng: np.random.Generator, n: int, start_us: int, now_us: int) -> dict[str, pl.DataFrame]:
    n_roots = max(1, round(n * 0.8))
    weights = np.stack([_template_day_weights(t[5], t[4]) for t in INCIDENT_TEMPLATES])
    flat = weights.ravel() / weights.sum()
    cells = rng.choice(flat.size, size=n_roots, p=flat)
    tmpl, day = np.divmod(cells, DAYS)
    start = start_us + day * SECONDS_PER_DAY * 1_000_000 + rng.integers(0, SECONDS_PER_DAY * 1_000_000, n_roots)
    # Bursts: follow-on incidents 10–170 minutes after a root, often on another service of the same kind.
    n_burst = n - n_roots
    parent = rng.integers(0, n_roots, n_burst)
    burst_tmpl = np.where(rng.random(n_burst) < 0.5, tmpl[parent], rng.integers(0, len(INCIDENT_TEMPLATES), n_burst))
    burst_start = start[parent] + rng.integers(10, 170, n_burst) * 60_000_000
    tmpl = np.concatenate([tmpl, burst_tmpl])
    start = np.minimum(np.concatenate([start, burst_start]), now_us - 60_000_000)
    order = np.argsort(start, kind="stable")
    tmpl, start = tmpl[order], start[order]

    num_a = rng.integers(2, 99, n)
    num_b = rng.integers(1, 9, n)
    ago_hours = (now_us - start) / 3_600_000_000
    open_roll = rng.random(n)
    status = np.where(
        ago_hours < 36,
        _pick(rng, ["open", "mitigating", "resolved"], n, [0.45, 0.25, 0.3]),
        np.where(open_roll < 0.03, "open", _pick(rng, ["resolved", "closed"], n, [0.4, 0.6])),
    )
    severity = _pick(rng, ["P0", "P1", "P2", "P3", "INFO"], n, [0.03, 0.17, 0.4, 0.3, 0.1])
    duration = rng.integers(15, 600, n) * 60_000_000
    ended = start + duration
    suffix = rng.integers(0, 16**6, n)
    stored_signature = rng.random(n) < 0.35
    ids: list[str] = []
    services: list[str] = []
    kinds: list[str | None] = []
    titles: list[str] = []
    summaries: list[str] = []
    signatures: list[str | None] = []
    labels: list[str] = []
    start_text = _iso(start)
    compact = pl.Series(start.astype(np.int64)).cast(pl.Datetime("us", "UTC")).dt.to_string("%Y%m%d_%H%M").to_list()
    for i in range(n):
        service, kind, title_t, summary_t, _, _ = INCIDENT_TEMPLATES[int(tmpl[i])]
        title = title_t.format(n=int(num_a[i]), m=int(num_b[i]))
        summary = summary_t.format(n=int(num_a[i]), m=int(num_b[i]))
        ids.append(f"inc_{compact[i]}_{int(suffix[i]):06x}")
        services.append(service)
        kinds.append(kind or None)
        titles.append(title)
        summaries.append(summary)
        labels.append(
            json.dumps({"team": SERVICES_TEAM[service], "region": ["us-east-1", "eu-west-1"][int(num_b[i]) % 2]})
        )
        if stored_signature[i] and kind:
            signatures.append(incident_signature_reference(service, kind, title, None))
        else:
            signatures.append(None)
    is_open = np.isin(status, ["open", "mitigating"])
    ended_text = _iso(ended).to_list()
    incidents = pl.DataFrame(
        {
            "id": ids,
            "service": services,
            "env": _pick(rng, ["prod", "staging"], n, [0.85, 0.15]).tolist(),
            "kind": pl.Series(kinds, dtype=pl.Utf8),
            "severity": severity.tolist(),
            "status": status.tolist(),
            "title": titles,
            "summary": summaries,
            "started_at": start_text,
            "ended_at": pl.Series([None if o else e for o, e in zip(is_open, ended_text, strict=True)], dtype=pl.Utf8),
            "signature": pl.Series(signatures, dtype=pl.Utf8),
            "labels": pl.Series(labels).str.json_decode(pl.Struct({"team": pl.Utf8, "region": pl.Utf8})),
        }
    )
    # Timeline: a triage note on most incidents, a status change when resolved or closed.
    noted = np.flatnonzero(rng.random(n) < 0.6)
    closed = np.flatnonzero(~is_open)
    ev_inc = np.concatenate([noted, closed])
    ev_type = ["note"] * len(noted) + ["status_change"] * len(closed)
    ev_ts = np.concatenate([start[noted] + 5 * 60_000_000, ended[closed]])
    ev_ts = np.minimum(ev_ts, now_us - 1_000_000)
    ev_order = np.lexsort((ev_inc, ev_ts))
    messages = [
        "Paged on-call; investigating." if t == "note" else f"Status set to {status[ev_inc[j]]}"
        for j, t in enumerate(ev_type)
    ]
    events = pl.DataFrame(
        {
            "event_id": [f"evt_{k:07d}" for k in range(len(ev_inc))],
            "incident_id": [ids[ev_inc[j]] for j in ev_order],
            "ts": _iso(ev_ts[ev_order]),
            "type": [ev_type[j] for j in ev_order],
            "message": [messages[j] for j in ev_order],
            "meta": pl.Series([{"author": "oncall"}] * len(ev_inc), dtype=pl.Struct({"author": pl.Utf8})),
        }
    )
    return {"incidents": incidents, "events": events}


# --- error ledger ---------------------------------------------------------------------------------

ERROR_MESSAGES = {
    "AUTH_FAILED": "OAuth token rejected by provider: invalid_grant (account {n})",
    "UPSTREAM_ERROR": "Upstream returned HTTP 502 after {n} ms",
    "RATE_LIMITED": "429 Too Many Requests; retry-after {n}s",
    "TIMEOUT": "Request timed out after {n} ms",
    "SCHEMA_MISMATCH": "Unexpected field in response payload (v{n})",
    "CONFIG_REMOVED": "Removed stale connector config {n}",
}
ACTIONS = ["sync_campaigns", "fetch_report", "push_conversions", "refresh_token", "list_accounts"]
BULK_PROVIDERS = [
    "google_ads",
    "meta_ads",
    "linkedin_ads",
    "tiktok_ads",
    "salesforce",
    "hubspot",
    "shopify",
    "zendesk",
]
NOMINAL_PROVIDERS = ["salesforce", "slack", "zendesk", "twilio"]
PROVIDERS = [*BULK_PROVIDERS, "stripe", "slack", "twilio"]
ERROR_TYPES = list(ERROR_MESSAGES)
LEDGER_CATEGORIES = ["error", "config_cleanup"]


def _ledger_block(
    rng: np.random.Generator,
    provider: str,
    count: int,
    lo_hours: float,
    hi_hours: float,
    now_us: int,
    types: list[str],
    type_p: list[float],
    category: str = "error",
) -> dict[str, np.ndarray]:
    """``count`` rows for one provider with ages uniformly in [lo_hours, hi_hours) before now (as codes)."""
    ages = rng.uniform(lo_hours, hi_hours, count) * 3_600_000_000
    type_codes = np.array([ERROR_TYPES.index(t) for t in types])
    return {
        "ts": (now_us - ages).astype(np.int64),
        "provider": np.full(count, PROVIDERS.index(provider)),
        "error_type": type_codes[_codes(rng, len(types), count, type_p)],
        "category": np.full(count, LEDGER_CATEGORIES.index(category)),
    }


def _history_blocks(rng: np.random.Generator, rows: int, now_us: int) -> list[dict[str, np.ndarray]]:
    """Older history (8–69 days ago): one error a day per provider, plus bursts — one loud day each.

    A burst pages once under the current rule (its 24 hours) but for seven days under the legacy 7-day
    average: the backtest shows the difference. The trickle never pages (1 a day, error types rotating).
    """
    day_us = SECONDS_PER_DAY * 1_000_000
    history_days = np.arange(8, DAYS - 1)
    codes = np.array([PROVIDERS.index(p) for p in BULK_PROVIDERS])
    trickle_provider = np.repeat(codes, history_days.size)[: max(0, rows)]
    trickle_day = np.tile(history_days, codes.size)[: trickle_provider.size]
    trickle = {
        "ts": now_us - trickle_day * day_us + rng.integers(0, day_us, trickle_provider.size),
        "provider": trickle_provider,
        "error_type": (trickle_day + np.arange(trickle_provider.size)) % 5,
        "category": np.zeros(trickle_provider.size, dtype=np.int64),
    }
    burst_rows = max(0, rows - trickle_provider.size)
    n_bursts = min(40, burst_rows)
    if n_bursts == 0:
        return [trickle]
    burst_provider = codes[np.arange(n_bursts) % codes.size]
    # Bursts start 9–60 days ago, spread so each provider's bursts are at least a week apart.
    burst_day = 9 + (np.arange(n_bursts) // codes.size) * 10 + rng.integers(0, 3, n_bursts)
    which = rng.integers(0, n_bursts, burst_rows)
    burst = {
        "ts": now_us - burst_day[which] * day_us + rng.integers(0, day_us, burst_rows),
        "provider": burst_provider[which],
        "error_type": _codes(rng, 5, burst_rows, [0.25, 0.3, 0.2, 0.15, 0.1]),
        "category": np.zeros(burst_rows, dtype=np.int64),
    }
    return [trickle, burst]


def _ledger(rng: np.random.Generator, n: int, now_us: int) -> pl.DataFrame:
    s = max(1.0, n / BASE_LEDGER_ROWS * 10)  # scenario volumes grow slowly with scale; floors keep them at 0.1
    blocks = [
        # failing now: critical on volume
        _ledger_block(
            rng,
            "google_ads",
            max(14, round(6 * s)),
            0.02,
            23.5,
            now_us,
            ["AUTH_FAILED", "UPSTREAM_ERROR", "TIMEOUT"],
            [0.7, 0.2, 0.1],
        ),
        _ledger_block(
            rng,
            "google_ads",
            max(6, round(3 * s)),
            24.5,
            160,
            now_us,
            ["UPSTREAM_ERROR", "TIMEOUT"],
            [0.6, 0.4],
        ),
        # loud 3–6 days ago, quiet today: historical, never paged by the current rule
        _ledger_block(
            rng,
            "meta_ads",
            max(500, round(50 * s)),
            72,
            144,
            now_us,
            ["UPSTREAM_ERROR", "RATE_LIMITED"],
            [0.8, 0.2],
        ),
        # spike on little history: critical by the spike rule
        _ledger_block(rng, "stripe", 6, 0.5, 20, now_us, ["TIMEOUT"], [1.0]),
        _ledger_block(rng, "stripe", 2, 60, 150, now_us, ["TIMEOUT"], [1.0]),
        # steady trickle: warning, no spike
        _ledger_block(rng, "shopify", 4, 1, 23, now_us, ["SCHEMA_MISMATCH", "UPSTREAM_ERROR"], [0.5, 0.5]),
        _ledger_block(
            rng,
            "shopify",
            26,
            25,
            166,
            now_us,
            ["SCHEMA_MISMATCH", "UPSTREAM_ERROR", "TIMEOUT"],
            [0.3, 0.4, 0.3],
        ),
        # one error type keeps coming back, but quietly: info recurring
        _ledger_block(rng, "hubspot", 8, 30, 160, now_us, ["RATE_LIMITED"], [1.0]),
    ]
    for i, nominal in enumerate(NOMINAL_PROVIDERS):
        blocks.append(
            _ledger_block(
                rng,
                nominal,
                1 + i % 3,
                26,
                160,
                now_us,
                ["TIMEOUT", "UPSTREAM_ERROR", "AUTH_FAILED", "RATE_LIMITED"],
                [0.25] * 4,
            )
        )
    scenario_rows = sum(len(b["ts"]) for b in blocks)
    cleanup = max(20, round(n * 0.05))
    # config_cleanup rows are context, never actionable: some land in the last 24 hours on purpose.
    blocks.append(
        _ledger_block(rng, "google_ads", cleanup // 2, 0.1, 23, now_us, ["CONFIG_REMOVED"], [1.0], "config_cleanup")
    )
    blocks.append(
        _ledger_block(
            rng,
            "linkedin_ads",
            cleanup - cleanup // 2,
            0.1,
            1600,
            now_us,
            ["CONFIG_REMOVED"],
            [1.0],
            "config_cleanup",
        )
    )
    bulk = max(0, n - scenario_rows - cleanup)
    blocks.extend(_history_blocks(rng, bulk, now_us))
    ts = np.concatenate([b["ts"] for b in blocks])
    provider = np.concatenate([b["provider"] for b in blocks])
    error_type = np.concatenate([b["error_type"] for b in blocks])
    category = np.concatenate([b["category"] for b in blocks])
    total = len(ts)
    order = np.argsort(ts, kind="stable")
    numbers = rng.integers(100, 99_999, total)
    tenants = rng.integers(1, 60, total)
    actions = rng.integers(0, len(ACTIONS), total)
    frame = pl.DataFrame(
        {
            "timestamp": pl.Series(ts[order]).cast(pl.Datetime("us", "UTC")).dt.to_string("%Y-%m-%dT%H:%M:%SZ"),
            "provider": _labels(PROVIDERS, provider[order]),
            "error_type": _labels(ERROR_TYPES, error_type[order]),
            "number": numbers,
            "tenant_id": "tenant-" + _labels([f"{t:03d}" for t in range(60)], tenants),
            "action": _labels(ACTIONS, actions),
            "category": _labels(LEDGER_CATEGORIES, category[order]),
        }
    )
    message = pl.lit(None, pl.Utf8)
    for error_type_name, template in ERROR_MESSAGES.items():
        head, tail = template.split("{n}")
        message = (
            pl.when(pl.col("error_type") == error_type_name)
            .then(pl.concat_str([pl.lit(head), pl.col("number").cast(pl.Utf8), pl.lit(tail)]))
            .otherwise(message)
        )
    return frame.select(
        "timestamp",
        "provider",
        "error_type",
        message.alias("error_message"),
        "tenant_id",
        "action",
        "category",
    )


# --- scenarios: what the team exported on earlier Mondays ------------------------------------------

SCENARIO_BATCHES = ((27, "2w", 8), (9, "2w", 6))  # (days before now, --since, --top)


def _scenario_batches(out: Path, now: datetime) -> int:
    """Export two batches of scenarios as `misses export` would have on earlier days, into ``scenarios/``,
    so coverage, time to coverage and fix held have something to show. Returns the number of cases."""
    misses = with_grouping_key(read_input_file(out / "misses.jsonl", MISSES).frame.lazy())
    written = 0
    for days_before, since, top in SCENARIO_BATCHES:
        then = now - timedelta(days=days_before)
        known_then = misses.filter(pl.col("timestamp") <= then)
        cases = build_cases(top_groups(filter_misses(known_then, since=parse_since(since, then)), top=top))
        manifest = manifest_bytes(cases, exported_at=then, since=since, top=top, taxonomy=None)
        write_cases(out / "scenarios" / f"{then:%Y-%m-%d}", cases, manifest)
        written += len(cases)
    return written


# --- benchmark runs over the exported scenarios -------------------------------------------------------

# (days before now, hours after midnight UTC, format): the nightly benchmark on some days after each export.
RUN_SCHEDULE = ((26, 2, "junit"), (19, 2, "junit"), (12, 2, "jsonl"), (7, 2, "junit"), (0, 2, "junit-naive"))
PASS_WINDOW_DAYS = 7  # a scenario passes when its pair had no miss in the 7 days before the run
HANDWRITTEN_SCENARIO = "dns_failover_canary"  # written by hand, never exported from a miss
RUNNER_HOST = "bench-runner-1"


def _run_statuses(out: Path, now: datetime) -> list[tuple[datetime, str, list[dict[str, object]]]]:
    """(start, format, results) per run: every scenario exported before the run (once per folder name, the newest
    export's miss_id) plus the hand-written one; one error and one skip so every status appears."""
    misses = with_grouping_key(read_input_file(out / "misses.jsonl", MISSES).frame.lazy())
    index = scenario_index(misses, scenarios_frame(read_scenarios(out / "scenarios")[0]))
    times = misses.select("timestamp", "group_alert", "group_taxonomy").collect()
    runs = []
    for number, (days_before, hour, layout) in enumerate(RUN_SCHEDULE):
        start = (now - timedelta(days=days_before)).replace(hour=hour, minute=0, second=0, microsecond=0)
        exported = (
            index.filter(pl.col("exported_at") <= start)
            .sort("exported_at", "scenario")
            .unique("scenario", keep="last", maintain_order=True)
            .sort("scenario")
        )
        recent = times.filter(
            (pl.col("timestamp") > start - timedelta(days=PASS_WINDOW_DAYS)) & (pl.col("timestamp") <= start)
        )
        missed = set(recent.select("group_alert", "group_taxonomy").unique().iter_rows())
        results: list[dict[str, object]] = []
        for position, row in enumerate(exported.iter_rows(named=True)):
            status = "failed" if (row["group_alert"], row["group_taxonomy"]) in missed else "passed"
            if number == 1 and position == exported.height - 1:
                status = "error"  # the harness lost its tool connection once
            if number == 3 and position == exported.height - 1:
                status = "skipped"  # needs a sandbox that was down that night
            results.append({"scenario": row["scenario"], "miss_id": row["miss_id"], "status": status})
        results.append(
            {"scenario": HANDWRITTEN_SCENARIO, "miss_id": None, "status": "failed" if number == 0 else "passed"}
        )
        runs.append((start, layout, results))
    return runs


_RESULT_TEXT = {
    "failed": ("failure", "AssertionError: expected root cause not identified"),
    "error": ("error", "failed on setup: RCA agent tool connection reset"),
    "skipped": ("skipped", "sandbox unavailable"),
}


def _junit_bytes(start: datetime, results: list[dict[str, object]], rng: np.random.Generator, naive: bool) -> bytes:
    # pytest writes an aware local time; older versions wrote a naive one (read as UTC), as the newest sample run does.
    stamp = (start.replace(tzinfo=None) if naive else start).isoformat(timespec="microseconds")
    durations = np.round(rng.uniform(20, 90, len(results)), 3)
    scores = np.round(rng.uniform(0.0, 0.45, len(results)), 2)
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("failed", "error", "skipped")}
    root = ET.Element("testsuites", {"name": "pytest tests"})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": "pytest",
            "errors": str(counts["error"]),
            "failures": str(counts["failed"]),
            "skipped": str(counts["skipped"]),
            "tests": str(len(results)),
            "time": f"{float(durations.sum()):.3f}",
            "timestamp": stamp,
            "hostname": RUNNER_HOST,
        },
    )
    for result, duration, score in zip(results, durations, scores, strict=True):
        status = str(result["status"])
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": "benchmarks.test_production_misses",
                "name": f"test_production_miss[{result['scenario']}]",
                "time": f"{duration:.3f}",
            },
        )
        if status != "skipped":
            properties = ET.SubElement(case, "properties")
            if result["miss_id"]:
                ET.SubElement(properties, "property", {"name": "miss_id", "value": str(result["miss_id"])})
            value = 0.55 + float(score) if status == "passed" else float(score)
            ET.SubElement(properties, "property", {"name": "score", "value": f"{value:.2f}"})
        if status in _RESULT_TEXT:
            tag, message = _RESULT_TEXT[status]
            ET.SubElement(case, tag, {"message": message}).text = message
    ET.indent(root, space="  ")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body + b"\n"


def _jsonl_bytes(
    start: datetime, results: list[dict[str, object]], rng: np.random.Generator, now: datetime = SAMPLE_NOW
) -> bytes:
    scores = np.round(rng.uniform(0.0, 0.45, len(results)), 2)
    lines = []
    for result, score in zip(results, scores, strict=True):
        record: dict[str, object] = {
            "run_id": f"eval-harness-{start:%Y%m%d}",
            "started_at": start.isoformat(),
            "scenario": result["scenario"],
            "status": result["status"],
            "version": release_at(now, start) or "unreleased",  # the eval harness names the agent version
        }
        if result["status"] in ("passed", "failed"):
            record["score"] = round(0.55 + float(score), 2) if result["status"] == "passed" else float(score)
        if result["miss_id"]:
            record["miss_id"] = result["miss_id"]
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_sample_runs(out: Path, *, seed: int = 7, now: datetime = SAMPLE_NOW) -> int:
    """Write ``out/runs/``: the benchmark results over ``out/scenarios`` (needs misses.jsonl and scenarios/).
    Uses its own random stream, so the other sample files are unchanged by it. Returns the number of results."""
    rng = np.random.default_rng([seed, 16])
    folder = out / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for start, layout, results in _run_statuses(out, now):
        if layout == "jsonl":
            (folder / f"{start:%Y-%m-%d}_eval-harness.jsonl").write_bytes(_jsonl_bytes(start, results, rng, now))
        else:
            content = _junit_bytes(start, results, rng, naive=layout == "junit-naive")
            (folder / f"{start:%Y-%m-%d}_junit.xml").write_bytes(content)
        written += len(results)
    return written


GATEWAY_USERS = 9  # people who click thumbs in the sample's channels


def _gateway_lines(rng: np.random.Generator, platform: str, per_day: float, now: datetime) -> list[str]:
    """One platform's thumbs up/down over the sample's days, in OpenSRE's gateway layout (OPENSRE-BENCH.md):
    epoch-seconds ``ts``, a verdict that gets more often ``good`` as the weeks go by (0.55 → 0.8)."""
    now_s = int(now.timestamp())
    counts = rng.poisson(per_day, DAYS)
    lines: list[tuple[float, str]] = []
    for day_ago, count in zip(range(DAYS, 0, -1), counts, strict=True):
        p_good = 0.55 + 0.25 * (DAYS - day_ago) / DAYS
        for _ in range(int(count)):
            ts = now_s - day_ago * SECONDS_PER_DAY + float(rng.uniform(0, SECONDS_PER_DAY))
            record: dict[str, object] = {
                "ts": round(ts, 3),
                "platform": platform,
                "user_id": f"U{int(rng.integers(1, GATEWAY_USERS + 1)):04d}",
                "channel_id": f"C{int(rng.integers(1, 4)):04d}",
            }
            if platform == "slack":
                record["message_ts"] = f"{ts - float(rng.uniform(60, 3600)):.6f}"
            else:
                record["message_id"] = str(int(rng.integers(10**17, 10**18)))
            record["verdict"] = "good" if rng.random() < p_good else "bad"
            lines.append((ts, json.dumps(record)))
    return [line for _, line in sorted(lines)]


def write_sample_gateway(out: Path, *, seed: int = 7, now: datetime = SAMPLE_NOW) -> int:
    """Write ``out/gateway/{slack,discord}_feedback.jsonl``: OpenSRE's gateway thumbs. Uses its own random
    stream, so the other sample files are unchanged by it. Returns the number of clicks written."""
    rng = np.random.default_rng([seed, 41])
    folder = out / "gateway"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for platform, per_day in (("slack", 1.6), ("discord", 0.6)):
        lines = _gateway_lines(rng, platform, per_day, now)
        (folder / f"{platform}_feedback.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        written += len(lines)
    return written


# --- traces: versions, releases, models, per-source contributions, owners, drills -----------------------------
# Each piece below has its own random stream ([seed, 23, k]) and only adds keys, lines or files, so every number the
# sample showed before stays the same.

# (days before now, version, commit, notes): what shipped when; the nightly runs and misses take their version
# from the release shipped most recently before them (releases.yml).
RELEASES = (
    (40, "v1.3.0", "3f1c2a9d0b7e", "baseline agent"),
    (24, "v1.4.0", "8a41d7c2e590", "retrieval: fetch deploy history before logs"),
    (13, "v1.5.0", "c07be3914f2a", "tool retries for flaky status APIs"),
    (4, "v1.6.0", "e5d9a0c3b718", "new reasoning prompt"),
)
MODELS = ("claude-sonnet-4", "gpt-4.1")
EXERCISE_KINDS = ("drill", "maintenance")


def _write_releases(out: Path, now: datetime) -> int:
    """``releases.yml``: the agent versions of :data:`RELEASES` (no randomness)."""
    lines = ["# Agent releases: which version shipped when (read by Triage Lens for fixed in / back in)."]
    for days_before, version, commit, notes in RELEASES:
        shipped = _shipped_at(now, days_before)
        lines += [
            f"- version: {version}",
            f"  shipped_at: '{shipped.isoformat()}'",
            f"  commit: '{commit}'",
            f"  notes: {json.dumps(notes)}",
        ]
    (out / "releases.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(RELEASES)


def _shipped_at(now: datetime, days_before: int) -> datetime:
    return (now - timedelta(days=days_before)).replace(hour=14, minute=0, second=0, microsecond=0)


def release_at(now: datetime, moment: datetime) -> str | None:
    """The sample's release shipped most recently at or before ``moment``."""
    names = [version for days, version, *_ in RELEASES if _shipped_at(now, days) <= moment]
    return names[-1] if names else None


def _investigation_extras(investigations: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Add ``model`` (one of :data:`MODELS`) and ``source_contributions`` ({source: score}, for about 60% of the
    investigations: each cited source with a score, some of them weak) from their own random stream."""
    rng = np.random.default_rng([seed, 23, 1])
    n = investigations.height
    model = _labels(list(MODELS), _codes(rng, len(MODELS), n, [0.6, 0.4]))
    with_scores = rng.random(n) < 0.6
    scores = rng.beta(2.2, 2.0, (n, len(EVIDENCE_SOURCES)))
    # Low-scored investigations lean on thin log evidence: their logs contribution is mostly weak.
    low = investigations["validity_score"].fill_null(0.0).to_numpy() < 0.4
    scores[:, EVIDENCE_SOURCES.index("logs")] *= np.where(low, 0.35, 1.0)
    scores = np.round(scores, 2)
    cited = [
        sorted({k.split(":", 1)[0] for claim in claims for k in (claim["evidence_keys"] or [])})
        for claims in investigations["validated_claims"].to_list()
    ]
    contributions = [
        {s: (float(scores[i, j]) if keep and s in cited[i] else None) for j, s in enumerate(EVIDENCE_SOURCES)}
        for i, keep in enumerate(with_scores)
    ]
    dtype = pl.Struct(dict.fromkeys(EVIDENCE_SOURCES, pl.Float64))
    return investigations.with_columns(
        model.alias("model"), pl.Series("source_contributions", contributions, dtype=dtype)
    )


def _append_lines(path: Path, records: list[dict[str, object]]) -> None:
    """Append JSON lines to a file the generator wrote (existing bytes unchanged)."""
    with path.open("a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def _exercises(out: Path, seed: int, now: datetime) -> int:
    """Extra drill and maintenance incidents (``labels.kind``), appended to incidents.jsonl: every metric leaves them
    out, so the other incidents' figures are unchanged. Returns how many."""
    rng = np.random.default_rng([seed, 23, 2])
    services = ["gateway", "payments", "checkout-api", "search"]
    records: list[dict[str, object]] = []
    for k in range(6):
        kind = EXERCISE_KINDS[k % 2]
        start = (now - timedelta(days=int(rng.integers(2, 60)), minutes=int(rng.integers(0, 1440)))).replace(
            microsecond=0
        )
        service = services[k % len(services)]
        title = f"Game day: {service} failover drill" if kind == "drill" else f"Planned {service} database upgrade"
        records.append(
            {
                "id": f"inc_{start:%Y%m%d_%H%M}_x{k:05d}",
                "service": service,
                "env": "prod",
                "kind": "error_rate" if kind == "drill" else "latency",
                "severity": "P1" if kind == "drill" else "P3",
                "status": "resolved",
                "title": title,
                "summary": "scheduled exercise" if kind == "drill" else "planned maintenance window",
                "started_at": start.isoformat(),
                "ended_at": (start + timedelta(hours=2)).isoformat(),
                "signature": None,
                "labels": {"team": SERVICES_TEAM[service], "region": "us-east-1", "kind": kind},
            }
        )
    _append_lines(out / "incidents.jsonl", records)
    return len(records)


OWNERS = (("ana", "edge"), ("bo", "payments"), ("chen", "data"), ("dara", "identity"))


def _owner_events(out: Path, seed: int, now: datetime) -> int:
    """Follow-ups with owners and due dates (some overdue, some done and held, one done and back), reassignments,
    and owners on a few (alert, taxonomy) pairs, appended to events.jsonl. Returns how many events."""
    from analytics.buckets import BucketOptions, bucket_key_expr
    from analytics.derived import derive_incident_fields
    from analytics.policy import Policy
    from analytics.schemas import INCIDENTS

    rng = np.random.default_rng([seed, 23, 3])
    policy = Policy()
    options = BucketOptions.from_policy(policy)
    incidents = (
        derive_incident_fields(
            read_input_file(out / "incidents.jsonl", INCIDENTS).frame.lazy(),
            kind_keywords=policy.incidents.kind_keywords,
            default_kind=policy.incidents.default_kind,
        )
        .with_columns(bucket_key_expr(options).alias("bucket_key"))
        .filter(pl.col("labels").str.json_path_match("$.kind").is_null())
        .sort("started_at", "id")
        .collect()
    )
    top = incidents.group_by("bucket_key").len().sort(["len", "bucket_key"], descending=[True, False]).head(8)
    records: list[dict[str, object]] = []
    for k, bucket in enumerate(top["bucket_key"].to_list()):
        opened = (now - timedelta(days=int(rng.integers(18, 45)), hours=int(rng.integers(0, 24)))).replace(
            microsecond=0
        )
        member = incidents.filter((pl.col("bucket_key") == bucket) & (pl.col("started_at") <= opened)).tail(1)
        incident_id = member["id"][0] if member.height else incidents.filter(pl.col("bucket_key") == bucket)["id"][0]
        owner, team = OWNERS[k % len(OWNERS)]
        due = (opened + timedelta(days=int(rng.integers(5, 20)))).date().isoformat()
        fid = f"evt_fu{k:05d}"
        records.append(
            {
                "event_id": fid,
                "incident_id": incident_id,
                "ts": opened.isoformat(),
                "type": "followup",
                "message": f"Follow-up: stop {bucket} from recurring",
                "meta": {
                    "title": f"Stop {bucket} from recurring",
                    "owner": "oncall",
                    "due_date": due,
                    "bucket_key": bucket,
                    "priority": "P2",
                },
            }
        )
        records.append(
            {
                "event_id": f"evt_as{k:05d}",
                "incident_id": incident_id,
                "ts": (opened + timedelta(hours=3)).isoformat(),
                "type": "assignment",
                "message": f"Assigned to {owner} ({team}), due {due}",
                "meta": {"owner": owner, "team": team, "due_date": due, "followup_id": fid},
            }
        )
        if k % 3 != 2:  # two in three get done; the rest stay open (overdue once past their due date)
            done = opened + timedelta(days=int(rng.integers(2, 12)))
            records.append(
                {
                    "event_id": f"evt_st{k:05d}",
                    "incident_id": incident_id,
                    "ts": min(done, now - timedelta(hours=1)).isoformat(),
                    "type": "status_change",
                    "message": "Follow-up done",
                    "meta": {"status": "done", "followup_id": fid},
                }
            )
    pairs = (
        ("AuthTokenFailures::retrieval_gap", 0, -6),
        ("CheckoutHighErrorRate::reasoning_gap", 1, 5),
        ("IngestWorkerOOM::tool_failure", 2, -2),
    )
    for k, (pair, who, due_in) in enumerate(pairs):
        owner, team = OWNERS[(k + 1) % len(OWNERS)] if who else OWNERS[3]
        when = (now - timedelta(days=10 - k)).replace(microsecond=0)
        due = (now + timedelta(days=due_in)).date().isoformat()
        records.append(
            {
                "event_id": f"evt_pa{k:05d}",
                "incident_id": "",
                "ts": when.isoformat(),
                "type": "assignment",
                "message": f"Assigned to {owner} ({team}), due {due}",
                "meta": {"owner": owner, "team": team, "due_date": due, "pair": pair},
            }
        )
    records.sort(key=lambda r: str(r["ts"]))
    _append_lines(out / "events.jsonl", records)
    return len(records)


# --- writer ---------------------------------------------------------------------------------------


def generate_sample(out: Path, *, seed: int = 7, scale: float = 1.0, now: datetime = SAMPLE_NOW) -> SampleSummary:
    """Write the synthetic data folder ``out`` (created if needed) and its ``sample.json``."""
    if scale <= 0:
        raise ValueError("--scale must be greater than 0")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    now_us = int(now.timestamp()) * 1_000_000
    start_us = now_us - DAYS * SECONDS_PER_DAY * 1_000_000
    frames = _misses_and_feedback(rng, max(1, round(BASE_MISSES * scale)), start_us, now_us)
    frames.update(_incidents(rng, max(2, round(BASE_INCIDENTS * scale)), start_us, now_us))
    frames["investigations"] = _investigation_extras(frames["investigations"], seed)
    rows: dict[str, int] = {}
    for name in ("misses", "feedback", "investigations", "incidents", "events"):
        frames[name].write_ndjson(out / f"{name}.jsonl")
        rows[f"{name}.jsonl"] = frames[name].height
    ledger = _ledger(rng, max(100, round(BASE_LEDGER_ROWS * scale)), now_us)
    ledger.write_csv(out / "error_ledger.csv")
    rows["error_ledger.csv"] = ledger.height
    rows["scenarios/ (cases)"] = _scenario_batches(out, now)
    rows["runs/ (results)"] = write_sample_runs(out, seed=seed, now=now)
    rows["gateway/ (feedback clicks)"] = write_sample_gateway(out, seed=seed, now=now)
    rows["runs/.bench-results/ (framework cells)"] = write_sample_framework_runs(out, seed=seed, now=now)
    rows["releases.yml"] = _write_releases(out, now)
    rows["incidents.jsonl (drills, maintenance)"] = _exercises(out, seed, now)
    rows["events.jsonl (follow-ups, owners)"] = _owner_events(out, seed, now)
    manifest = {"seed": seed, "scale": scale, "now": now.isoformat(), "generator": "triage-lens sample 1"}
    (out / "sample.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return SampleSummary(out, rows)
