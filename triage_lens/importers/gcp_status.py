"""Google Cloud status: ``https://status.cloud.google.com/incidents.json`` (a bare list of incidents).

The native status word is ``most_recent_update.status`` (``AVAILABLE`` once the service is back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage_lens.importers.mapping import Found, Required, Vendor, keys, listed, native_id, obj, text, utc_text

NAME = "gcp-status"
BASE_URL = "https://status.cloud.google.com/"


def looks_like(record: Mapping[str, Any]) -> bool:
    """A GCP incident: ``begin`` with ``external_desc``, ``affected_products`` or ``service_key``."""
    return "begin" in record and ("external_desc" in record or "affected_products" in record or "service_key" in record)


def _service(record: Mapping[str, Any], found: Found) -> str | None:
    products = listed(record, "affected_products", "title")
    return products[0] if products else text(record.get("service_name"))


def _url(record: Mapping[str, Any]) -> str | None:
    uri = text(record.get("uri"))
    return (BASE_URL + uri.lstrip("/")) if uri and not uri.startswith("http") else uri


VENDOR = Vendor(
    name=NAME,
    shape="Google Cloud status incidents.json (begin with external_desc, affected_products or service_key)",
    looks_like=looks_like,
    native_id=Required(keys("id", "number", read=native_id), ""),
    started=Required(keys("begin", read=utc_text), "begin"),
    service=Required(_service, "affected_products, service_name"),
    status=lambda r, f: text(obj(r, "most_recent_update").get("status")),
    ended=keys("end", read=utc_text),
    severity=lambda r, f: f.rules.severity(r.get("severity")),
    title=keys("external_desc"),
    summary=lambda r, f: text(obj(r, "most_recent_update").get("text")),
    labels=lambda r, f: {
        "url": _url(r),
        "products": listed(r, "affected_products", "title"),
        "service_name": text(r.get("service_name")),
        "status_impact": text(r.get("status_impact")),
        "severity_raw": text(r.get("severity")),
    },
)
map_record = VENDOR.map_record
