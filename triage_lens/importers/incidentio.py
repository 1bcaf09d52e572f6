"""incident.io: API v2 ``/v2/incidents`` (``{"incidents": [...], "pagination_meta": {...}}``) or a bare list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from triage_lens.importers.mapping import Mapped, Rules, Skip, build_record, native_id, obj, text, utc_text

NAME = "incidentio"


def looks_like(record: Mapping[str, Any]) -> bool:
    """An incident.io v2 incident: ``incident_status`` (with its category) or ``custom_field_entries``."""
    return isinstance(record.get("incident_status"), dict) or "custom_field_entries" in record


def _timestamps(record: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    for entry in record.get("incident_timestamp_values") or []:
        if not isinstance(entry, dict):
            continue
        stamp = obj(entry, "incident_timestamp")
        value = entry.get("value")
        raw = value.get("value") if isinstance(value, dict) else value
        yield (text(stamp.get("name")) or "").lower(), utc_text(raw)


def _named_timestamp(record: Mapping[str, Any], *needles: str) -> str | None:
    """The first timestamp whose name contains the first needle that matches any (in needle order)."""
    stamps = list(_timestamps(record))
    for needle in needles:
        for name, value in stamps:
            if needle in name and value is not None:
                return value
    return None


def _value_text(value: Mapping[str, Any]) -> str | None:
    for key in ("value_option", "value_catalog_entry"):
        option = value.get(key)
        if isinstance(option, dict):
            found = text(option.get("value")) or text(option.get("name"))
            if found:
                return found
    return text(value.get("value_text")) or text(value.get("value_link")) or text(value.get("value_numeric"))


def _service(record: Mapping[str, Any], needle: str, exact: bool) -> tuple[str | None, str | None]:
    """(value, field name): the first value of the first custom field whose name contains ``needle``
    (case-insensitive), or equals it when ``exact`` (``--service-field``)."""
    for entry in record.get("custom_field_entries") or []:
        if not isinstance(entry, dict):
            continue
        custom = obj(entry, "custom_field")
        name = text(custom.get("name")) or ""
        matches = name.lower() == needle.lower() if exact else needle.lower() in name.lower()
        if not matches:
            continue
        for value in entry.get("values") or []:
            if isinstance(value, dict) and (found := _value_text(value)) is not None:
                return found, name
    return None, None


def map_record(record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]) -> Mapped | Skip:
    native = native_id(record.get("id"))
    if native is None:
        return Skip(where, "no id")
    rid = f"{NAME}:{native}"
    policy = rules.policy
    mode = (text(record.get("mode")) or "standard").lower()
    if mode in policy.incidentio_skip_modes:
        return Skip(rid, f"{mode} mode incident")
    status = obj(record, "incident_status")
    category = (text(status.get("category")) or "").lower()
    if category in policy.incidentio_skip_categories:
        return Skip(rid, f"{category} incident")
    started = _named_timestamp(record, "impact start") or utc_text(record.get("created_at"))
    if started is None:
        return Skip(rid, "no start time (impact started, created_at)")
    needle = rules.service_field or policy.incidentio_service_field
    service, field_name = _service(record, needle, exact=rules.service_field is not None)
    if service is None:
        return Skip(rid, f"no service (no custom field {'named' if rules.service_field else 'like'} {needle!r})")
    ended = _named_timestamp(record, "resolved", "closed")
    if ended is None and category in ("learning", "closed"):
        ended = utc_text(record.get("resolved_at")) or utc_text(record.get("closed_at"))
    severity = obj(record, "severity")
    return build_record(
        NAME,
        native,
        service=service,
        started_at=started,
        ended_at=ended,
        severity=rules.severity(severity.get("name")),
        status=rules.status(NAME, category, ended=ended is not None),
        title=text(record.get("name")),
        summary=text(record.get("summary")),
        labels={
            "url": text(record.get("permalink")),
            "reference": text(record.get("reference")),
            "service_field": field_name,
            "status_raw": text(status.get("name")),
            "severity_raw": text(severity.get("name")),
            "mode": mode if mode != "standard" else None,
        },
    )
