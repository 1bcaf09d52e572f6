"""PagerDuty: REST v2 ``/incidents`` (``{"incidents": [...]}``), Analytics raw incidents (``{"data": [...]}``),
or the incidents CSV export (headers matched case-insensitively, spaces and underscores alike)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import (
    Mapped,
    Rules,
    Skip,
    build_record,
    first_text,
    listed,
    native_id,
    obj,
    plus_seconds,
    text,
    utc_text,
)

NAME = "pagerduty"

# CSV header (normalised: lower case, runs of non-alphanumerics -> "_") -> the REST field it stands for.
CSV_HEADERS: dict[str, str] = {
    "id": "id",
    "incident_id": "id",
    "incident_number": "incident_number",
    "number": "incident_number",
    "title": "title",
    "incident_title": "title",
    "description": "description",
    "summary": "summary",
    "status": "status",
    "urgency": "urgency",
    "priority": "priority_name",
    "priority_name": "priority_name",
    "service": "service_name",
    "service_name": "service_name",
    "created_at": "created_at",
    "created_on": "created_at",
    "created": "created_at",
    "triggered_at": "created_at",
    "resolved_at": "resolved_at",
    "resolved_on": "resolved_at",
    "resolved": "resolved_at",
    "acknowledged_at": "acknowledged_at",
    "acknowledged_on": "acknowledged_at",
    "first_acknowledged_at": "acknowledged_at",
    "seconds_to_first_ack": "seconds_to_first_ack",
    "seconds_to_resolve": "seconds_to_resolve",
    "html_url": "html_url",
    "url": "html_url",
    "link": "html_url",
}


def normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def csv_row_to_record(row: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row (normalised headers) as the REST field names this module reads."""
    record: dict[str, Any] = {}
    for header, value in row.items():
        key = CSV_HEADERS.get(header)
        if key is not None and key not in record and value not in (None, ""):
            record[key] = value
    return record


def looks_like(record: Mapping[str, Any]) -> bool:
    """A REST incident (``type: incident`` or ``incident_number``) or an Analytics raw incident."""
    return (
        record.get("type") == "incident"
        or "incident_number" in record
        or ("urgency" in record and ("service" in record or "service_name" in record))
        or "seconds_to_resolve" in record
    )


def _acknowledged(record: Mapping[str, Any], started: str) -> str | None:
    times = listed(record, "acknowledgements", "at", utc_text)
    if times:
        return min(times)
    return utc_text(record.get("acknowledged_at")) or plus_seconds(started, record.get("seconds_to_first_ack"))


def map_record(record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]) -> Mapped | Skip:
    native = native_id(record.get("id")) or native_id(record.get("incident_number"))
    if native is None:
        return Skip(where, "no id")
    rid = f"{NAME}:{native}"
    started = utc_text(record.get("created_at"))
    if started is None:
        return Skip(rid, "no start time (created_at)")
    service_ref = obj(record, "service")
    service = text(service_ref.get("summary")) or first_text(record, "service_name", "service")
    if service is None:
        return Skip(rid, "no service (service.summary)")
    priority = record.get("priority")
    priority_name = (
        (text(priority.get("name")) or text(priority.get("summary"))) if isinstance(priority, dict) else None
    )
    priority_name = priority_name or first_text(record, "priority_name") or text(priority)
    severity = rules.severity(priority_name) if priority_name else None
    urgency = first_text(record, "urgency")
    if severity is None and urgency is not None:
        severity = rules.policy.pagerduty_urgency.get(urgency.lower())
    ended = utc_text(record.get("resolved_at")) or plus_seconds(started, record.get("seconds_to_resolve"))
    status_raw = first_text(record, "status")
    if ended is None and (status_raw or "").lower() == "resolved":
        ended = utc_text(record.get("last_status_change_at"))
    return build_record(
        NAME,
        native,
        service=service,
        started_at=started,
        ended_at=ended,
        severity=severity,
        status=rules.status(NAME, status_raw, ended=ended is not None),
        title=first_text(record, "title", "description", "summary"),
        summary=first_text(record, "description") if text(record.get("title")) else None,
        labels={
            "url": first_text(record, "html_url"),
            "acknowledged_at": _acknowledged(record, started),
            "incident_number": text(record.get("incident_number")),
            "priority": priority_name,
            "urgency": urgency,
            "status_raw": status_raw,
        },
    )
