"""AWS status: the Service Health Dashboard ``data.json`` archive (``{"archive": [...], "current": [...]}``).

The archive has no id and no end time: the native id is ``<service key>:<date>``; an event whose summary
starts with ``[RESOLVED]`` (every archived one) is resolved, with no end time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import Mapped, Rules, Skip, build_record, epoch_text, strip_html, text

NAME = "aws-health"
_RESOLVED = re.compile(r"^\s*\[resolved\]\s*", re.IGNORECASE)


def looks_like(record: Mapping[str, Any]) -> bool:
    """An AWS status event: ``service``, ``service_name``, ``date`` and ``summary``."""
    return all(k in record for k in ("service", "service_name", "date", "summary"))


def map_record(record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]) -> Mapped | Skip:
    service = text(record.get("service"))
    date = text(record.get("date"))
    if service is None or date is None:
        return Skip(where, "no id (service key and date)")
    native = f"{service}:{date}"
    rid = f"{NAME}:{native}"
    started = epoch_text(date)
    if started is None:
        return Skip(rid, "no start time (date is not epoch seconds)")
    summary = text(record.get("summary")) or ""
    resolved = _RESOLVED.match(summary) is not None
    status_code = text(record.get("status"))
    return build_record(
        NAME,
        native,
        service=service,
        started_at=started,
        ended_at=None,
        severity=rules.policy.aws_status.get(status_code or ""),
        status="resolved" if resolved else "open",
        title=_RESOLVED.sub("", summary) or None,
        summary=strip_html(text(record.get("description"))),
        labels={
            "service_name": text(record.get("service_name")),
            "aws_status": status_code,
            "url": "https://status.aws.amazon.com/",
        },
    )
