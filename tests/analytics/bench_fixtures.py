"""Hand-built OpenSRE benchmark framework run folders (written from spec/OPENSRE-BENCH.md, not OpenSRE's code).

:func:`write_framework_world` writes three runs of the config ``rca-core`` under ``runs/.bench-results/``:

- ``2026-11-02-a`` (older, no ``aborted`` keys at all): only the ``opensre+llm`` arm.
- ``2026-11-09-b``: ``opensre+llm`` and the ``llm_alone`` control, 2 repetitions each, cost $1.20.
- ``2026-11-12-c`` (newest): aborted on cost, ``per_stratum`` ``{"all": {}}`` but 2 case files.

a1 per scenario and repetition (the expected answers in the tests are computed from these by hand):

============================  ==========  =========  ===========  ===========
case_id (category)            a (main)    b (main)   b (control)  c (main)
============================  ==========  =========  ===========  ===========
db/conn-limit (database)      0, 0        1, 0       0, 0         1
k8s/crashloop-api (crashloop) 1, 0        1, 1       0, 1         0
net/latency (network)         0, 0        0, 0       0, 0         —
============================  ==========  =========  ===========  ===========
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATEGORIES = {"db/conn-limit": "database", "k8s/crashloop-api": "crashloop", "net/latency": "network"}
LLM = "claude-sonnet"
MODEL = "claude-sonnet-4-20250514"


def case_file(case_id: str, mode: str, a1: float, *, started: str, sha: str) -> dict[str, Any]:
    return {
        "case": {
            "case_id": case_id,
            "benchmark_name": "rca-core",
            "metadata": {
                "system": "shop",
                "fault_category": CATEGORIES[case_id],
                "case_name": case_id,
                "namespace": "default",
                "query": "why?",
                "ground_truth": {},
                "process": "p",
                "is_held_out": False,
            },
            "seen_shape": True,
        },
        "run": {
            "mode": mode,
            "llm": LLM,
            "model_version": MODEL,
            "opensre_sha": sha,
            "started_at": started,
            "ended_at": started,
            "ok": True,
            "error": None,
            "final_diagnosis": "x",
            "evidence_entries_count": 0,
            "evidence_entries": [],
            "tokens_in": 0,
            "tokens_out": 0,
            "cost_usd": 0,
            "latency_ms": 1500,
        },
        "score": {"metrics": {"a1": a1, "a3": a1, "partial_a1": a1}, "failure_reason": None if a1 else "wrong cause"},
    }


def write_run(
    root: Path,
    run_id: str,
    started: str,
    cells: dict[tuple[str, str], list[float]],
    *,
    report_extra: dict[str, Any] | None = None,
    sha: str = "abc1234def5678",
    config_hash: str = "cfg-1",
) -> Path:
    folder = root / ".bench-results" / "rca-core" / run_id
    (folder / "cases").mkdir(parents=True, exist_ok=True)
    for (case_id, mode), values in cells.items():
        for index, a1 in enumerate(values):
            name = f"{case_id.replace('/', '_')}__{mode}__{LLM}__{index}.json"
            data = case_file(case_id, mode, a1, started=started, sha=sha)
            (folder / "cases" / name).write_text(json.dumps(data), encoding="utf-8")
    report: dict[str, Any] = {
        "run_id": run_id,
        "config_hash": config_hash,
        "started_at": started,
        "ended_at": started,
        "per_stratum": {"all": {f"opensre+llm/{LLM}": {"a1": 0.0}}},
        "reported_metrics": ["a1", "a3"],
        "cost": {
            "budget_usd": 2.0,
            "total_cost_usd": 1.2,
            "remaining_usd": 0.8,
            "total_tokens_in": 1,
            "total_tokens_out": 1,
            "total_calls": 12,
            "by_model": {MODEL: 1.2},
        },
        "opensre_sha": sha,
        "host": {"user": "ci", "cwd": "/src"},
        **(report_extra or {}),
    }
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    provenance = {
        "schema_version": 1,
        "run_id": run_id,
        "started_at": started,
        "code": {"sha": sha, "branch": "main", "dirty": False},
        "models": {LLM: MODEL},
    }
    (folder / "provenance.json").write_text(json.dumps(provenance), encoding="utf-8")
    (folder / "report.md").write_text("# report\n", encoding="utf-8")
    return folder


def write_framework_world(runs: Path) -> dict[str, Path]:
    main, control = "opensre+llm", "llm_alone"
    a = write_run(
        runs,
        "2026-11-02-a",
        "2026-11-02T03:00:00+00:00",
        {("db/conn-limit", main): [0, 0], ("k8s/crashloop-api", main): [1, 0], ("net/latency", main): [0, 0]},
        sha="0000aaa1111",
    )
    b = write_run(
        runs,
        "2026-11-09-b",
        "2026-11-09T03:00:00+01:00",
        {
            ("db/conn-limit", main): [1, 0],
            ("k8s/crashloop-api", main): [1, 1],
            ("net/latency", main): [0, 0],
            ("db/conn-limit", control): [0, 0],
            ("k8s/crashloop-api", control): [0, 1],
            ("net/latency", control): [0, 0],
        },
        report_extra={"aborted": False, "abort_reason": None},
    )
    c = write_run(
        runs,
        "2026-11-12-c",
        "2026-11-12T03:00:00+00:00",
        {("db/conn-limit", main): [1], ("k8s/crashloop-api", main): [0]},
        report_extra={"aborted": True, "abort_reason": "cost budget exceeded", "per_stratum": {"all": {}}},
    )
    return {"a": a, "b": b, "c": c}
