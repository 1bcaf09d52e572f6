"""Atlassian Statuspage: ``/api/v2/incidents.json`` (``{"page": {...}, "incidents": [...]}``) or a bare list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import Mapped, Rules, Skip, build_record, listed, native_id, obj, text, utc_text

NAME = "statuspage"
MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})


def looks_like(record: Mapping[str, Any]) -> bool:
    """A Statuspage incident: ``impact`` plus ``incident_updates`` or ``shortlink``."""
    return "impact" in record and ("incident_updates" in record or "shortlink" in record or "page_id" in record)


def _latest_update(record: Mapping[str, Any]) -> str | None:
    updates = record.get("incident_updates")
    if isinstance(updates, list) and updates and isinstance(updates[0], dict):
        return text(updates[0].get("body"))  # newest first, as the API returns them
    return None


def map_record(record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]) -> Mapped | Skip:
    native = native_id(record.get("id"))
    if native is None:
        return Skip(where, "no id")
    rid = f"{NAME}:{native}"
    status = str(record.get("status") or "").lower()
    if (
        str(record.get("impact") or "").lower() == "maintenance"
        or status in MAINTENANCE_STATUSES
        or (record.get("scheduled_for"))
    ):
        return Skip(rid, "maintenance window, not an incident")
    started = utc_text(record.get("started_at")) or utc_text(record.get("created_at"))
    if started is None:
        return Skip(rid, "no start time (started_at, created_at)")
    components = listed(record, "components", "name")
    page = obj(envelope, "page")
    service = components[0] if components else text(page.get("name"))
    if service is None:
        return Skip(rid, "no service (no component and no page name)")
    ended = utc_text(record.get("resolved_at"))
    return build_record(
        NAME,
        native,
        service=service,
        started_at=started,
        ended_at=ended,
        severity=rules.severity(record.get("impact")),
        status=rules.status(NAME, status, ended=ended is not None),
        title=text(record.get("name")),
        summary=_latest_update(record),
        labels={
            "url": text(record.get("shortlink")),
            "components": components,
            "page": text(page.get("name")),
            "impact": text(record.get("impact")),
            "status_raw": text(record.get("status")),
        },
    )
