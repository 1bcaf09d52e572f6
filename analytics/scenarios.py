"""Benchmark scenarios (DATA.md §6): the ``alert.json`` builder, folder names, ZIP bytes and the coverage
frame (the folder writer and reader live in ``triage_lens.sources.scenario_files``: no I/O here).

``alert.json`` is byte-identical to ``opensre misses export``: keys in OpenSRE's order,
``json.dumps(obj, indent=2, ensure_ascii=False) + "\\n"``, values from the stored record with Python's
``value or fallback`` semantics. Our provenance goes to ``triage-lens-manifest.json`` at the export root.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from analytics.timeparse import format_utc

MANIFEST_NAME = "triage-lens-manifest.json"
NAME_MAX_BYTES = 255  # a folder name longer than this cannot be created (OpenSRE crashes there)
SLUG_MAX = 100  # past the limit, a longer taxonomy slug keeps this many characters and a hash
_HASH_CHARS = 8
_SLUG_RE = re.compile(r"[^a-zA-Z0-9_.-]+")
# Fixed namespace for the uuid5 of records without a miss_id (deterministic, unlike OpenSRE's uuid4).
MISS_ID_NAMESPACE = uuid.UUID("6f1c2b7e-3a51-4d0e-9a3c-1b7f0d2e8c44")


def slug(value: object) -> str:
    """OpenSRE's slug: ``re.sub(r"[^a-zA-Z0-9_.-]+", "-", s).strip("-").lower()`` (ASCII only, any length)."""
    return _SLUG_RE.sub("-", str(value)).strip("-").lower()


def _hash_cut(text: str, keep: int) -> str:
    """``text[:keep] + "-" + sha256(text)[:8]``: a cut slug that stays distinct from its neighbours."""
    return f"{text[:keep]}-{hashlib.sha256(text.encode()).hexdigest()[:_HASH_CHARS]}"


def case_dir_name(index: int, record: dict[str, Any]) -> str:
    """``{index:04d}_{slug(alert_name or "") or "miss-"+index:04d}_{slug(taxonomy or "unknown") or "unknown"}``.

    OpenSRE's name exactly while it fits 255 bytes (slugs are ASCII: one byte a character). Only past that
    (DATA.md §6): a taxonomy slug longer than 100 characters is hash-cut to 100 + ``-`` + 8 hex, then the alert
    slug is hash-cut to the longest prefix that keeps the whole name within 255 bytes.
    """
    prefix = f"{index:04d}_"
    alert_part = slug(record.get("alert_name") or "") or f"miss-{index:04d}"
    taxonomy_part = slug(record.get("taxonomy") or "unknown") or "unknown"
    name = f"{prefix}{alert_part}_{taxonomy_part}"
    if len(name.encode()) <= NAME_MAX_BYTES:
        return name
    if len(taxonomy_part) > SLUG_MAX:
        taxonomy_part = _hash_cut(taxonomy_part, SLUG_MAX)
    room = NAME_MAX_BYTES - len(prefix) - len("_") - len(taxonomy_part)
    if len(alert_part) > room:
        alert_part = _hash_cut(alert_part, max(room - 1 - _HASH_CHARS, 0))
    return f"{prefix}{alert_part}_{taxonomy_part}"


def record_miss_id(record: dict[str, Any], raw: str | None = None) -> Any:
    """The stored ``miss_id`` as stored (null and ``""`` included); a uuid5 of the record's JSON text only
    when the key is absent (OpenSRE would draw a random uuid4 there)."""
    if "miss_id" in record:
        return record["miss_id"]
    text = raw if raw is not None else json.dumps(record, ensure_ascii=False)
    return str(uuid.uuid5(MISS_ID_NAMESPACE, text))


def build_alert(record: dict[str, Any], raw: str | None = None) -> dict[str, Any]:
    """The ``alert.json`` object of one stored miss record, keys in OpenSRE's order."""
    alert_name = record.get("alert_name") or "production miss"
    taxonomy = record.get("taxonomy") or "unknown"
    severity = record.get("severity") or "warning"
    pipeline = record.get("pipeline_name", "")
    message = record.get("taxonomy_detail") or alert_name
    miss_id = record_miss_id(record, raw)
    return {
        "_meta": {
            "purpose": "Regression scenario derived from a production miss",
            "source": "opensre misses export",
            "miss_id": miss_id,
            "original_run_id": record.get("run_id", ""),
            "captured_at": record.get("timestamp", ""),
            "taxonomy": taxonomy,
        },
        "title": f"[Regression] {alert_name}",
        "alert_name": alert_name,
        "pipeline_name": pipeline,
        "severity": severity,
        "alert_source": "closed_loop_learning",
        "message": message,
        "text": message,
        "commonLabels": {"pipeline_name": pipeline, "severity": severity, "taxonomy": taxonomy},
        "commonAnnotations": {
            "summary": message,
            "miss_id": miss_id,
            "taxonomy": taxonomy,
            "scoring_points": {
                "expected_root_cause": record.get("root_cause") or "",
                "expected_category": record.get("root_cause_category", ""),
                "miss_notes": record.get("taxonomy_detail") or "",
            },
        },
    }


def alert_bytes(record: dict[str, Any], raw: str | None = None) -> bytes:
    """Exactly the bytes OpenSRE writes for ``alert.json``."""
    text = json.dumps(build_alert(record, raw), indent=2, ensure_ascii=False) + "\n"
    # A lone surrogate (a "\\udfff" escape in the miss) cannot be UTF-8; backslashreplace writes it back as
    # the same JSON escape, so the file stays valid JSON that decodes to the same string.
    return text.encode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class ScenarioCase:
    """One exported case: its folder, the ``alert.json`` bytes and where it came from."""

    dir: str
    alert_name: str
    taxonomy: str
    miss_id: Any
    count: int
    content: bytes


def build_cases(groups: pl.DataFrame) -> list[ScenarioCase]:
    """Cases from :func:`analytics.misses.top_groups` rows (``index``, group key, ``count``, ``_raw``)."""
    cases = []
    for row in groups.iter_rows(named=True):
        record = json.loads(row["_raw"])
        cases.append(
            ScenarioCase(
                dir=case_dir_name(row["index"], record),
                alert_name=row["group_alert"],
                taxonomy=row["group_taxonomy"],
                miss_id=record_miss_id(record, row["_raw"]),
                count=row["count"],
                content=alert_bytes(record, row["_raw"]),
            )
        )
    return cases


def manifest_bytes(
    cases: Iterable[ScenarioCase], *, exported_at: datetime, since: str, top: int, taxonomy: str | None
) -> bytes:
    """``triage-lens-manifest.json``: when, with which options, and which cases."""
    manifest = {
        "exported_at": format_utc(exported_at),
        "since": since,
        "top": top,
        "taxonomy": taxonomy,
        "cases": [
            {"dir": c.dir, "alert_name": c.alert_name, "taxonomy": c.taxonomy, "miss_id": c.miss_id, "count": c.count}
            for c in cases
        ],
    }
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(
        "utf-8", "backslashreplace"
    )  # lone surrogates as JSON escapes


def _safe_relative(name: str) -> PurePosixPath:
    """A case path that cannot leave the export folder (no absolute part, no ``..``)."""
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("..", "") for part in path.parts) or "\\" in name:
        raise ValueError(f"unsafe case folder name: {name!r}")
    return path


def check_case_dir(name: str) -> str:
    """``name`` when it is a safe case folder name (relative, no ``..``); ``ValueError`` otherwise."""
    return str(_safe_relative(name))


def zip_bytes(cases: list[ScenarioCase], manifest: bytes) -> bytes:
    """The same tree as :func:`write_cases`, as a ZIP (fixed timestamps, so the bytes are reproducible)."""
    buffer = io.BytesIO()
    stamp = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for case in cases:
            info = zipfile.ZipInfo(str(_safe_relative(case.dir) / "alert.json"), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, case.content)
        info = zipfile.ZipInfo(MANIFEST_NAME, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, manifest)
    return buffer.getvalue()


# --- coverage: reading a scenarios folder back -----------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One ``alert.json`` found in a scenarios folder."""

    path: Path
    miss_id: str | None
    alert_name: str | None
    taxonomy: str | None
    covered_at: datetime


def scenarios_frame(scenarios: list[Scenario]) -> pl.DataFrame:
    """Out: ``path``, ``miss_id``, ``alert_name``, ``taxonomy``, ``covered_at`` (UTC)."""
    return pl.DataFrame(
        {
            "path": [str(s.path) for s in scenarios],
            "miss_id": [s.miss_id for s in scenarios],
            "alert_name": [s.alert_name for s in scenarios],
            "taxonomy": [s.taxonomy for s in scenarios],
            "covered_at": [s.covered_at for s in scenarios],
        },
        schema={
            "path": pl.Utf8,
            "miss_id": pl.Utf8,
            "alert_name": pl.Utf8,
            "taxonomy": pl.Utf8,
            "covered_at": pl.Datetime("us", "UTC"),
        },
    )
