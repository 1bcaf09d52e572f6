"""incident.io: API v2 ``/v2/incidents`` (``{"incidents": [...], "pagination_meta": {...}}``) or a bare list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from triage_lens.importers.mapping import Found, Required, Vendor, keys, native_id, obj, text, utc_text

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


def _mode(record: Mapping[str, Any]) -> str:
    return (text(record.get("mode")) or "standard").lower()


def _category(record: Mapping[str, Any], found: Found | None = None) -> str:
    return (text(obj(record, "incident_status").get("category")) or "").lower()


def _leave_out(record: Mapping[str, Any], found: Found) -> str | None:
    policy = found.rules.policy
    if _mode(record) in policy.incidentio_skip_modes:
        return f"{_mode(record)} mode incident"
    if _category(record) in policy.incidentio_skip_categories:
        return f"{_category(record)} incident"
    return None


def _service_found(record: Mapping[str, Any], found: Found) -> tuple[str | None, str | None]:
    rules = found.rules
    needle = rules.service_field or rules.policy.incidentio_service_field
    return _service(record, needle, exact=rules.service_field is not None)


def _service_missing(record: Mapping[str, Any], found: Found) -> str:
    rules = found.rules
    needle = rules.service_field or rules.policy.incidentio_service_field
    return f"no custom field {'named' if rules.service_field else 'like'} {needle!r}"


def _ended(record: Mapping[str, Any], found: Found) -> str | None:
    ended = _named_timestamp(record, "resolved", "closed")
    if ended is None and found.status_raw in ("learning", "closed"):
        ended = utc_text(record.get("resolved_at")) or utc_text(record.get("closed_at"))
    return ended


VENDOR = Vendor(
    name=NAME,
    shape="incident.io v2 incidents (incident_status or custom_field_entries)",
    looks_like=looks_like,
    native_id=Required(keys("id", read=native_id), ""),
    leave_out=_leave_out,
    started=Required(
        lambda r, f: _named_timestamp(r, "impact start") or utc_text(r.get("created_at")),
        "impact started, created_at",
    ),
    service=Required(lambda r, f: _service_found(r, f)[0], _service_missing),
    status=_category,
    ended=_ended,
    severity=lambda r, f: f.rules.severity(obj(r, "severity").get("name")),
    title=keys("name"),
    summary=keys("summary"),
    labels=lambda r, f: {
        "url": text(r.get("permalink")),
        "reference": text(r.get("reference")),
        "service_field": _service_found(r, f)[1],
        "status_raw": text(obj(r, "incident_status").get("name")),
        "severity_raw": text(obj(r, "severity").get("name")),
        "mode": _mode(r) if _mode(r) != "standard" else None,
    },
)
map_record = VENDOR.map_record
