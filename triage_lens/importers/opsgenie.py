"""Opsgenie (and Jira Service Management Ops, same alert shape): alerts API v2 and incidents API v1,
``{"data": [...]}`` or a bare list. Alert durations in ``report`` (``ackTime``, ``closeTime``) are
milliseconds after ``createdAt``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import (
    Mapped,
    Rules,
    Skip,
    build_record,
    first_text,
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


def map_record(record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]) -> Mapped | Skip:
    native = native_id(record.get("id"))
    if native is None:
        return Skip(where, "no id")
    rid = f"{NAME}:{native}"
    incident = is_incident(record)
    created = utc_text(record.get("createdAt"))
    started = (utc_text(record.get("impactStartDate")) or created) if incident else created
    if started is None:
        return Skip(rid, "no start time (createdAt" + (", impactStartDate)" if incident else ")"))
    status_raw = (text(record.get("status")) or "").lower()
    acknowledged = None
    if incident:
        services = [s for s in record.get("impactedServices") or [] if text(s)]
        service = text(services[0]) if services else None
        ended = utc_text(record.get("impactEndDate")) or utc_text(record.get("resolvedAt"))
        if service is None:
            return Skip(rid, "no service (impactedServices is empty)")
    else:
        integration = obj(record, "integration")
        service = first_text(record, "entity") or text(integration.get("name"))
        if service is None:
            return Skip(rid, "no service (entity, integration.name)")
        report = obj(record, "report")
        acknowledged = plus_seconds(created, _millis(report.get("ackTime")))
        ended = (
            plus_seconds(created, _millis(report.get("closeTime"))) if status_raw in ("closed", "resolved") else None
        )
        if status_raw == "open" and record.get("acknowledged") is True:
            status_raw = "acknowledged"
    return build_record(
        NAME,
        native,
        service=service,
        started_at=started,
        ended_at=ended,
        severity=rules.severity(record.get("priority")),
        status=rules.status(NAME, status_raw, ended=ended is not None),
        title=first_text(record, "message"),
        summary=first_text(record, "description"),
        labels={
            "kind": "incident" if incident else "alert",
            "tiny_id": text(record.get("tinyId")),
            "acknowledged_at": acknowledged,
            "priority": text(record.get("priority")),
            "url": text(obj(record, "links").get("web")),
            "status_raw": text(record.get("status")),
        },
    )
