"""Grafana OnCall: alert groups API (``{"count", "next", "previous", "results": [...]}``) or a bare list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import Found, Required, Vendor, keys, native_id, obj, text, utc_text

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


def _labels(record: Mapping[str, Any], found: Found) -> dict[str, Any]:
    permalinks = obj(record, "permalinks")
    count = record.get("alerts_count")
    return {
        "url": text(permalinks.get("web")) or next((text(v) for v in permalinks.values() if text(v)), None),
        "acknowledged_at": utc_text(record.get("acknowledged_at")),
        "integration_id": text(record.get("integration_id")),
        "alerts_count": count if isinstance(count, int) and not isinstance(count, bool) else None,
        "labels": labels_of(record),
        "status_raw": text(record.get("state")),
    }


VENDOR = Vendor(
    name=NAME,
    shape="Grafana OnCall alert groups (integration_id with state or alerts_count)",
    looks_like=looks_like,
    native_id=Required(keys("id", read=native_id), ""),
    started=Required(keys("created_at", read=utc_text), "created_at"),
    service=Required(
        lambda r, f: labels_of(r).get("service") or text(r.get("integration_id")), "service label, integration_id"
    ),
    status=keys("state"),
    ended=keys("resolved_at", read=utc_text),
    severity=lambda r, f: f.rules.severity(labels_of(r).get("severity")),
    title=keys("title"),
    labels=_labels,
)
map_record = VENDOR.map_record
