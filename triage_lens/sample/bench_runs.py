"""The sample's OpenSRE benchmark framework runs: ``runs/.bench-results/rca-core/<run-id>/`` (spec/OPENSRE-BENCH.md).

Three runs of one config over ten scenarios in five fault categories, both arms (``opensre+llm`` and the
``llm_alone`` control), three repetitions: an older run without the ``aborted`` keys, a newer one where the agent
improved, and a newest one aborted on its cost budget (``per_stratum`` ``{"all": {}}`` although ``cases/`` holds
the cells of the batches that finished). None of the case ids names an exported scenario folder, so these runs are
benchmark-only and leave the misses funnel and the JUnit / JSONL series unchanged. Drawn from its own random
stream (``[seed, 20]``), so the other sample files do not move.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

CONFIG = "rca-core"
LLM = "sonnet"
MODEL = "claude-sonnet-4-5-20250929"
REPETITIONS = 3
# (case_id, fault category, how hard it is for the agent: added to the chance of a miss)
CASES: tuple[tuple[str, str, float], ...] = (
    ("shop/checkout-crashloop", "crashloop", 0.0),
    ("shop/cart-oom", "oom", 0.1),
    ("shop/search-latency", "latency", 0.3),
    ("payments/db-connection-limit", "database", 0.2),
    ("payments/ledger-disk-full", "disk", 0.0),
    ("payments/gateway-packet-loss", "network", 0.4),
    ("ingest/worker-oom", "oom", 0.2),
    ("ingest/kafka-latency", "latency", 0.5),
    ("auth/token-db-locks", "database", 0.3),
    ("auth/dns-failure", "network", 0.1),
)
# (run id suffix, days before now, hour UTC, P(a1 = 1) for the agent / the control, aborted reason, cases run)
RUNS: tuple[tuple[str, int, int, float, float, str | None, int], ...] = (
    ("a", 13, 14, 0.55, 0.30, None, len(CASES)),
    ("b", 6, 14, 0.80, 0.30, "", len(CASES)),
    ("c", 2, 14, 0.85, 0.30, "cost budget exceeded ($25.00 of $25.00 spent)", 4),
)
SHAS = {"a": "4f2c1a9e7b3d", "b": "9d81be03c5aa", "c": "9d81be03c5aa"}


def _cell(case_id: str, category: str, mode: str, a1: int, start: datetime, sha: str) -> dict[str, Any]:
    return {
        "case": {
            "case_id": case_id,
            "benchmark_name": CONFIG,
            "metadata": {
                "system": case_id.split("/")[0],
                "fault_category": category,
                "case_name": case_id.split("/")[1],
                "namespace": "default",
                "query": f"Why is {case_id.split('/')[1]} failing?",
                "ground_truth": {"fault_category": category},
                "process": "injected",
                "is_held_out": False,
            },
            "seen_shape": True,
        },
        "run": {
            "mode": mode,
            "llm": LLM,
            "model_version": MODEL,
            "opensre_sha": sha,
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=3)).isoformat(),
            "ok": True,
            "error": None,
            "final_diagnosis": category if a1 else "unknown",
            "evidence_entries_count": 0,
            "evidence_entries": [],
            "tokens_in": 0,
            "tokens_out": 0,
            "cost_usd": 0,
            "latency_ms": 180_000,
        },
        "score": {"metrics": {"a1": a1, "a3": a1, "partial_a1": a1}, "failure_reason": None if a1 else "wrong cause"},
    }


def write_sample_framework_runs(out: Path, *, seed: int, now: datetime) -> int:
    """Write the framework runs under ``out/runs/.bench-results/``; returns the number of case files."""
    rng = np.random.default_rng([seed, 20])
    root = out / "runs" / ".bench-results" / CONFIG
    written = 0
    for suffix, days_before, hour, agent, control, aborted, ran in RUNS:
        start = (now - timedelta(days=days_before)).replace(hour=hour, minute=0, second=0, microsecond=0)
        run_id = f"{start:%Y%m%dT%H%M%S}-{suffix}"
        folder = root / run_id
        (folder / "cases").mkdir(parents=True, exist_ok=True)
        draws = rng.random((len(CASES), 2, REPETITIONS))
        for number, (case_id, category, hardness) in enumerate(CASES[:ran]):
            for arm, (mode, chance) in enumerate((("opensre+llm", agent), ("llm_alone", control))):
                for repetition in range(REPETITIONS):
                    a1 = int(draws[number, arm, repetition] < chance - hardness * (arm == 0))
                    name = f"{case_id.replace('/', '_')}__{mode}__{LLM}__{repetition}.json"
                    cell = _cell(case_id, category, mode, a1, start, SHAS[suffix])
                    (folder / "cases" / name).write_text(json.dumps(cell, indent=2) + "\n", encoding="utf-8")
                    written += 1
        cost = round(float(rng.uniform(14, 22)) if aborted is None or aborted == "" else 25.0, 2)
        report: dict[str, Any] = {
            "run_id": run_id,
            "config_hash": "sha256:7be1d0c4a9f2",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(hours=2)).isoformat(),
            "per_stratum": {"all": {}} if aborted else {"all": {f"opensre+llm/{LLM}": {"a1": 1.0}}},
            "reported_metrics": ["a1", "a3", "partial_a1"],
            "negative_results": "",
            "coi_disclosure": "",
            "raw_artifacts_dir": f".bench-results/{CONFIG}/{run_id}/cases",
            "pre_registration_path": None,
            "cost": {
                "budget_usd": 25.0,
                "total_cost_usd": cost,
                "remaining_usd": round(25.0 - cost, 2),
                "total_tokens_in": 0,
                "total_tokens_out": 0,
                "total_calls": ran * 2 * REPETITIONS,
                "by_model": {MODEL: cost},
            },
            "opensre_sha": SHAS[suffix],
            "host": {"user": "bench", "cwd": "/srv/opensre"},
        }
        if aborted is not None:  # the oldest run predates the aborted keys
            report["aborted"] = bool(aborted)
            report["abort_reason"] = aborted or None
        (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        provenance = {
            "schema_version": 1,
            "run_id": run_id,
            "started_at": start.isoformat(),
            "code": {"sha": SHAS[suffix], "branch": "main", "dirty": False},
            "config": {"path": f"tests/benchmarks/configs/{CONFIG}.yml", "sha256": "7be1d0c4a9f2", "content": ""},
            "models": {LLM: MODEL},
        }
        (folder / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    return written
