"""PagerDuty: REST v2 ``/incidents`` (``{"incidents": [...]}``), Analytics raw incidents (``{"data": [...]}``),
or the incidents CSV export (headers matched case-insensitively, spaces and underscores alike)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import (
    Found,
    Required,
    Vendor,
    first_text,
    keys,
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


def _service(record: Mapping[str, Any], found: Found) -> str | None:
    return text(obj(record, "service").get("summary")) or first_text(record, "service_name", "service")


def _priority_name(record: Mapping[str, Any]) -> str | None:
    priority = record.get("priority")
    name = (text(priority.get("name")) or text(priority.get("summary"))) if isinstance(priority, dict) else None
    return name or first_text(record, "priority_name") or text(priority)


def _severity(record: Mapping[str, Any], found: Found) -> str | None:
    """The priority name through the severity rule, else the urgency table."""
    name = _priority_name(record)
    severity = found.rules.severity(name) if name else None
    urgency = first_text(record, "urgency")
    if severity is None and urgency is not None:
        severity = found.rules.policy.pagerduty_urgency.get(urgency.lower())
    return severity


def _ended(record: Mapping[str, Any], found: Found) -> str | None:
    ended = utc_text(record.get("resolved_at")) or plus_seconds(found.started, record.get("seconds_to_resolve"))
    if ended is None and (found.status_raw or "").lower() == "resolved":
        ended = utc_text(record.get("last_status_change_at"))
    return ended


VENDOR = Vendor(
    name=NAME,
    shape="PagerDuty incidents: REST v2 (type incident or incident_number), Analytics raw incidents, or the CSV export",
    looks_like=looks_like,
    native_id=Required(keys("id", "incident_number", read=native_id), ""),
    started=Required(keys("created_at", read=utc_text), "created_at"),
    service=Required(_service, "service.summary"),
    status=keys("status"),
    ended=_ended,
    severity=_severity,
    title=keys("title", "description", "summary"),
    summary=lambda r, f: first_text(r, "description") if text(r.get("title")) else None,
    labels=lambda r, f: {
        "url": first_text(r, "html_url"),
        "acknowledged_at": _acknowledged(r, f.started),
        "incident_number": text(r.get("incident_number")),
        "priority": _priority_name(r),
        "urgency": first_text(r, "urgency"),
        "status_raw": first_text(r, "status"),
    },
)
map_record = VENDOR.map_record
