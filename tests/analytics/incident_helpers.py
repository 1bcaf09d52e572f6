"""Building incident stores for tests through the real reader and derivation pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analytics.derived import derive_incident_fields
from analytics.policy import Policy
from analytics.schemas import INCIDENTS
from triage_lens.sources.readers import read_input_file

T0 = datetime(2026, 6, 10, 12, tzinfo=UTC)


def incident(
    id: str,
    minutes: float,
    *,
    service: str = "api",
    kind: str | None = "latency",
    signature: str | None = None,
    severity: str = "P2",
    status: str = "resolved",
    title: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An incident ``minutes`` after T0 (negative: before)."""
    record = {
        "id": id,
        "service": service,
        "kind": kind,
        "severity": severity,
        "status": status,
        "title": title or f"incident {id}",
        "started_at": (T0 + timedelta(minutes=minutes)).isoformat(),
    }
    if signature is not None:
        record["signature"] = signature
    record.update(extra)
    return record


def write_incidents(folder: Path, records: list[dict[str, Any]], events: list[dict[str, Any]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "incidents.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    if events is not None:
        (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return folder


def incidents_frame(folder: Path, records: list[dict[str, Any]], policy: Policy | None = None) -> pl.LazyFrame:
    write_incidents(folder, records)
    policy = policy or Policy()
    frame = read_input_file(folder / "incidents.jsonl", INCIDENTS).frame.lazy()
    return derive_incident_fields(
        frame, kind_keywords=policy.incidents.kind_keywords, default_kind=policy.incidents.default_kind
    )
