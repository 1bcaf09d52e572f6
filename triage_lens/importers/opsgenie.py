"""Opsgenie (and Jira Service Management Ops, same alert shape): alerts API v2 and incidents API v1,
``{"data": [...]}`` or a bare list. Alert durations in ``report`` (``ackTime``, ``closeTime``) are
milliseconds after ``createdAt``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import (
    Found,
    Required,
    Vendor,
    first_text,
    keys,
    native_id,
    obj,
    plus_seconds,
    text,
    utc_text,
)

NAME = "opsgenie"


def is_incident(record: Mapping[str, Any]) -> bool:
    return "impactedServices" in record or "impactStartDate" in record


def looks_like(record: Mapping[str, Any]) -> bool:
    """An alert (``tinyId``/``alias`` with ``createdAt``) or an incident (``impactedServices``)."""
    return is_incident(record) or ("createdAt" in record and ("tinyId" in record or "alias" in record))


def _millis(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000.0
    return None


def _started(record: Mapping[str, Any], found: Found) -> str | None:
    created = utc_text(record.get("createdAt"))
    return (utc_text(record.get("impactStartDate")) or created) if is_incident(record) else created


def _service(record: Mapping[str, Any], found: Found) -> str | None:
    if is_incident(record):
        services = [s for s in record.get("impactedServices") or [] if text(s)]
        return text(services[0]) if services else None
    return first_text(record, "entity") or text(obj(record, "integration").get("name"))


def _status(record: Mapping[str, Any], found: Found) -> str:
    """The status word; an open alert someone acknowledged reads ``acknowledged``."""
    word = (text(record.get("status")) or "").lower()
    if not is_incident(record) and word == "open" and record.get("acknowledged") is True:
        return "acknowledged"
    return word


def _ended(record: Mapping[str, Any], found: Found) -> str | None:
    if is_incident(record):
        return utc_text(record.get("impactEndDate")) or utc_text(record.get("resolvedAt"))
    if found.status_raw not in ("closed", "resolved"):
        return None
    return plus_seconds(utc_text(record.get("createdAt")), _millis(obj(record, "report").get("closeTime")))


def _acknowledged(record: Mapping[str, Any]) -> str | None:
    if is_incident(record):
        return None
    return plus_seconds(utc_text(record.get("createdAt")), _millis(obj(record, "report").get("ackTime")))


VENDOR = Vendor(
    name=NAME,
    shape="Opsgenie / JSM alerts (tinyId or alias with createdAt) or incidents (impactedServices)",
    looks_like=looks_like,
    native_id=Required(keys("id", read=native_id), ""),
    started=Required(_started, lambda r, f: "createdAt, impactStartDate" if is_incident(r) else "createdAt"),
    service=Required(
        _service, lambda r, f: "impactedServices is empty" if is_incident(r) else "entity, integration.name"
    ),
    status=_status,
    ended=_ended,
    severity=lambda r, f: f.rules.severity(r.get("priority")),
    title=keys("message"),
    summary=keys("description"),
    labels=lambda r, f: {
        "kind": "incident" if is_incident(r) else "alert",
        "tiny_id": text(r.get("tinyId")),
        "acknowledged_at": _acknowledged(r),
        "priority": text(r.get("priority")),
        "url": text(obj(r, "links").get("web")),
        "status_raw": text(r.get("status")),
    },
)
map_record = VENDOR.map_record
