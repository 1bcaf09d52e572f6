"""Google Cloud status: ``https://status.cloud.google.com/incidents.json`` (a bare list of incidents)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import Mapped, Rules, Skip, build_record, listed, native_id, obj, text, utc_text

NAME = "gcp-status"
BASE_URL = "https://status.cloud.google.com/"


def looks_like(record: Mapping[str, Any]) -> bool:
    """A GCP incident: ``begin`` with ``external_desc``, ``affected_products`` or ``service_key``."""
    return "begin" in record and ("external_desc" in record or "affected_products" in record or "service_key" in record)


def map_record(record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]) -> Mapped | Skip:
    native = native_id(record.get("id")) or native_id(record.get("number"))
    if native is None:
        return Skip(where, "no id")
    rid = f"{NAME}:{native}"
    started = utc_text(record.get("begin"))
    if started is None:
        return Skip(rid, "no start time (begin)")
    products = listed(record, "affected_products", "title")
    service = products[0] if products else text(record.get("service_name"))
    if service is None:
        return Skip(rid, "no service (affected_products, service_name)")
    ended = utc_text(record.get("end"))
    latest = obj(record, "most_recent_update")
    uri = text(record.get("uri"))
    return build_record(
        NAME,
        native,
        service=service,
        started_at=started,
        ended_at=ended,
        severity=rules.severity(record.get("severity")),
        status="resolved" if ended is not None else "open",
        title=text(record.get("external_desc")),
        summary=text(latest.get("text")),
        labels={
            "url": (BASE_URL + uri.lstrip("/")) if uri and not uri.startswith("http") else uri,
            "products": products,
            "service_name": text(record.get("service_name")),
            "status_impact": text(record.get("status_impact")),
            "severity_raw": text(record.get("severity")),
        },
    )
