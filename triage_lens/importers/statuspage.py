"""Atlassian Statuspage: ``/api/v2/incidents.json`` (``{"page": {...}, "incidents": [...]}``) or a bare list; also
a Statuspage history parsed to one incident a line (the GitHub status history: ``title``, ``impact``,
``components`` as names, ``started_at``, ``resolved_at``, ``updates`` oldest first, ``url``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from triage_lens.importers.mapping import (
    Found,
    Required,
    Vendor,
    keys,
    listed,
    native_id,
    obj,
    text,
    utc_text,
)

NAME = "statuspage"
MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})
_SHAPE_KEYS = ("incident_updates", "shortlink", "page_id", "updates")


def looks_like(record: Mapping[str, Any]) -> bool:
    """A Statuspage incident: ``impact`` plus ``incident_updates``, ``shortlink``, ``page_id`` or ``updates``."""
    return "impact" in record and any(k in record for k in _SHAPE_KEYS)


def _word(value: object) -> str | None:
    """A status as the policy spells it: lower case, spaces as underscores ("In progress" → in_progress)."""
    found = text(value)
    return found.lower().replace(" ", "_") if found else None


def _status(record: Mapping[str, Any], found: Found | None = None) -> str | None:
    """``status``, else the newest update's status (API ``incident_updates`` newest first; a parsed history's
    ``updates`` oldest first, where a plain "Update" entry carries no status)."""
    status = _word(record.get("status"))
    if status:
        return status
    newest_first = record.get("incident_updates")
    if isinstance(newest_first, list) and newest_first and isinstance(newest_first[0], dict):
        return _word(newest_first[0].get("status"))
    words = [_word(u.get("status")) for u in record.get("updates") or [] if isinstance(u, dict)]
    return next((w for w in reversed(words) if w and w != "update"), None)


def _latest_update(record: Mapping[str, Any], found: Found) -> str | None:
    newest_first = record.get("incident_updates")
    if isinstance(newest_first, list) and newest_first and isinstance(newest_first[0], dict):
        return text(newest_first[0].get("body"))  # newest first, as the API returns them
    updates = [u for u in record.get("updates") or [] if isinstance(u, dict)]
    return text(updates[-1].get("message") or updates[-1].get("body")) if updates else None


def _components(record: Mapping[str, Any]) -> list[str]:
    """Component names: objects with ``name`` (the API) or plain names (a parsed history)."""
    named = listed(record, "components", "name")
    plain = [t for c in record.get("components") or [] if isinstance(c, str) and (t := text(c))]
    return named or plain


def _page(record: Mapping[str, Any], found: Found) -> str | None:
    """The page's name, else the host of the incident's page (``githubstatus.com``) for a line without one."""
    name = text(obj(found.envelope, "page").get("name"))
    if name:
        return name
    url = text(record.get("url"))
    host = urlsplit(url).hostname if url and "://" in url else None
    return host.removeprefix("www.") if host else None


def _leave_out(record: Mapping[str, Any], found: Found) -> str | None:
    maintenance = (
        str(record.get("impact") or "").lower() == "maintenance"
        or _status(record) in MAINTENANCE_STATUSES
        or record.get("scheduled_for")
    )
    return "maintenance window, not an incident" if maintenance else None


VENDOR = Vendor(
    name=NAME,
    shape="Statuspage incidents (impact with incident_updates, shortlink, page_id or updates; also one a line)",
    looks_like=looks_like,
    native_id=Required(keys("id", read=native_id), ""),
    leave_out=_leave_out,
    started=Required(keys("started_at", "created_at", read=utc_text), "started_at, created_at"),
    service=Required(lambda r, f: next(iter(_components(r)), None) or _page(r, f), "no component and no page name"),
    status=_status,
    ended=keys("resolved_at", read=utc_text),
    severity=lambda r, f: f.rules.severity(r.get("impact")),
    title=keys("name", "title"),
    summary=_latest_update,
    labels=lambda r, f: {
        "url": text(r.get("shortlink")) or text(r.get("url")),
        "components": _components(r),
        "page": _page(r, f),
        "impact": text(r.get("impact")),
        "status_raw": text(r.get("status")) or _status(r),
    },
)
map_record = VENDOR.map_record
