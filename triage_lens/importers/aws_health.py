"""AWS status: the Service Health Dashboard ``data.json`` archive (``{"archive": [...], "current": [...]}``).

The archive has no id and no end time: the native id is ``<service key>:<date>``; the native status word is
``resolved`` when the summary starts with ``[RESOLVED]`` (every archived event), else none (so ``open``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import Found, Required, Vendor, epoch_text, keys, strip_html, text

NAME = "aws-health"
_RESOLVED = re.compile(r"^\s*\[resolved\]\s*", re.IGNORECASE)


def looks_like(record: Mapping[str, Any]) -> bool:
    """An AWS status event: ``service``, ``service_name``, ``date`` and ``summary``."""
    return all(k in record for k in ("service", "service_name", "date", "summary"))


def _native(record: Mapping[str, Any], found: Found) -> str | None:
    service, date = text(record.get("service")), text(record.get("date"))
    return None if service is None or date is None else f"{service}:{date}"


def _summary(record: Mapping[str, Any]) -> str:
    return text(record.get("summary")) or ""


VENDOR = Vendor(
    name=NAME,
    shape="AWS status data.json (archive/current events with service, service_name, date, summary)",
    looks_like=looks_like,
    native_id=Required(_native, "service key and date"),
    started=Required(lambda r, f: epoch_text(r.get("date")), "date is not epoch seconds"),
    service=Required(keys("service"), "service"),
    status=lambda r, f: "resolved" if _RESOLVED.match(_summary(r)) else None,
    ended=lambda r, f: None,
    severity=lambda r, f: f.rules.policy.aws_status.get(text(r.get("status")) or ""),
    title=lambda r, f: _RESOLVED.sub("", _summary(r)) or None,
    summary=lambda r, f: strip_html(text(r.get("description"))),
    labels=lambda r, f: {
        "service_name": text(r.get("service_name")),
        "aws_status": text(r.get("status")),
        "url": "https://status.aws.amazon.com/",
    },
)
map_record = VENDOR.map_record
