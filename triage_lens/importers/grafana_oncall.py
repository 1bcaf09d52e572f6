"""Grafana OnCall: alert groups API (``{"count", "next", "previous", "results": [...]}``) or a bare list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import Mapped, Rules, Skip, build_record, native_id, obj, text, utc_text

NAME = "grafana-oncall"


def looks_like(record: Mapping[str, Any]) -> bool:
    """An alert group: ``integration_id`` with ``state`` or ``alerts_count``."""
    return "integration_id" in record and ("state" in record or "alerts_count" in record)


def _name(part: object) -> str | None:
    return text(part.get("name")) if isinstance(part, dict) else text(part)


def labels_of(record: Mapping[str, Any]) -> dict[str, str]:
    """Labels as a plain object, from a list of ``{"key": {"name"}, "value": {"name"}}`` (or plain
    ``{"key": "k", "value": "v"}``) entries or from an object; keys lower-cased."""
    raw = record.get("labels")
    result: dict[str, str] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if (v := _name(value)) is not None:
                result.setdefault(str(key).lower(), v)
    elif isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, dict):
                key, value = _name(entry.get("key")), _name(entry.get("value"))
                if key is not None and value is not None:
                    result.setdefault(key.lower(), value)
    return result


def map_record(record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]) -> Mapped | Skip:
    native = native_id(record.get("id"))
    if native is None:
        return Skip(where, "no id")
    rid = f"{NAME}:{native}"
    started = utc_text(record.get("created_at"))
    if started is None:
        return Skip(rid, "no start time (created_at)")
    labels = labels_of(record)
    service = labels.get("service") or text(record.get("integration_id"))
    if service is None:
        return Skip(rid, "no service (service label, integration_id)")
    ended = utc_text(record.get("resolved_at"))
    permalinks = obj(record, "permalinks")
    return build_record(
        NAME,
        native,
        service=service,
        started_at=started,
        ended_at=ended,
        severity=rules.severity(labels.get("severity")),
        status=rules.status(NAME, record.get("state"), ended=ended is not None),
        title=text(record.get("title")),
        labels={
            "url": text(permalinks.get("web")) or next((text(v) for v in permalinks.values() if text(v)), None),
            "acknowledged_at": utc_text(record.get("acknowledged_at")),
            "integration_id": text(record.get("integration_id")),
            "alerts_count": record.get("alerts_count") if isinstance(record.get("alerts_count"), int) else None,
            "labels": labels,
            "status_raw": text(record.get("state")),
        },
    )
