"""Reading an export file (JSON or CSV), finding its records (envelope or bare list) and detecting its source.

Nothing here writes; every problem is an :class:`ImportFailure` whose message starts with the file name.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from triage_lens.importers import aws_health, gcp_status, grafana_oncall, incidentio, opsgenie, pagerduty, statuspage
from triage_lens.importers.mapping import ImportFailure, Mapped, Rules, Skip

MODULES: dict[str, ModuleType] = {
    m.NAME: m for m in (statuspage, pagerduty, incidentio, opsgenie, grafana_oncall, gcp_status, aws_health)
}
# Tried in this order by `auto`: the most specific shapes first.
DETECTION_ORDER: tuple[str, ...] = (
    "aws-health",
    "gcp-status",
    "grafana-oncall",
    "incidentio",
    "statuspage",
    "opsgenie",
    "pagerduty",
)
ENVELOPE_KEYS: tuple[str, ...] = ("incidents", "data", "results", "alerts", "alert_groups", "items")
MAX_BYTES = 512 * 1024 * 1024


@dataclass
class Export:
    """The records of one file, the top-level object they came in (for page names) and the format."""

    name: str
    records: list[Any]
    envelope: Mapping[str, Any]
    format: str  # "json" or "csv"


@dataclass
class FileResult:
    """One file mapped: which source, how many records, what was kept and what was skipped."""

    name: str
    source: str
    detected: bool
    read: int
    mapped: list[Mapped]
    skipped: list[Skip]


def _json_error(name: str, data: str, exc: json.JSONDecodeError) -> ImportFailure:
    # The input ran out: the error is at its end, or a string never closes (it can only end at EOF).
    rest = data[exc.pos :].strip()
    at_end = (
        exc.pos >= len(data.rstrip())
        or exc.msg.startswith("Unterminated string")
        or any(word.startswith(rest) for word in ("true", "false", "null"))  # cut inside a literal
    )
    why = "the file ends early (truncated?)" if at_end else exc.msg
    return ImportFailure(f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {why}; nothing imported")


def _records_of(name: str, top: Any) -> tuple[list[Any], Mapping[str, Any]]:
    if isinstance(top, list):
        return top, {}
    if not isinstance(top, dict):
        raise ImportFailure(f"{name}: expected a list of records or an object holding one, got {type(top).__name__}")
    if isinstance(top.get("archive"), list) or isinstance(top.get("current"), list):  # AWS data.json
        return [*(top.get("archive") or []), *(top.get("current") or [])], top
    for key in ENVELOPE_KEYS:
        if isinstance(top.get(key), list):
            return top[key], top
    raise ImportFailure(
        f"{name}: no list of records found (looked for a bare list or the keys {', '.join(ENVELOPE_KEYS)})"
    )


def _read_csv(name: str, data: str) -> Export:
    try:
        rows = list(csv.reader(io.StringIO(data, newline=""), strict=True))
    except csv.Error as exc:
        raise ImportFailure(f"{name}: not valid CSV ({exc}; truncated?); nothing imported") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ImportFailure(f"{name}: empty file; nothing imported")
    header = [pagerduty.normalise_header(h) for h in rows[0]]
    records: list[Any] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ImportFailure(
                f"{name}:{number}: {len(row)} fields where the header has {len(header)} (truncated?); nothing imported"
            )
        records.append(pagerduty.csv_row_to_record(dict(zip(header, row, strict=True))))
    return Export(name, records, {"csv_header": header}, "csv")


def read_export(name: str, payload: bytes) -> Export:
    """Parse ``payload`` (the bytes of file ``name``): JSON when it starts with ``{`` or ``[``, else CSV."""
    if len(payload) > MAX_BYTES:
        raise ImportFailure(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB; split the export")
    try:
        data = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailure(f"{name}: not UTF-8 text (byte {exc.start}); nothing imported") from exc
    stripped = data.lstrip()
    if not stripped:
        raise ImportFailure(f"{name}: empty file; nothing imported")
    if stripped[0] in "{[":
        try:
            top = json.loads(data)
        except json.JSONDecodeError as exc:
            raise _json_error(name, data, exc) from exc
        except RecursionError as exc:
            raise ImportFailure(f"{name}: JSON nested too deeply; nothing imported") from exc
        records, envelope = _records_of(name, top)
        return Export(name, records, envelope, "json")
    return _read_csv(name, data)


def _matches(source: str, export: Export) -> int:
    if export.format == "csv":
        header = export.envelope.get("csv_header") or []
        mapped = {pagerduty.CSV_HEADERS.get(h) for h in header}
        return 1 if source == "pagerduty" and "created_at" in mapped and mapped & {"id", "incident_number"} else 0
    looks: Callable[[Mapping[str, Any]], bool] = MODULES[source].looks_like
    if source == "statuspage" and isinstance(export.envelope.get("page"), dict):
        return len(export.records) or 1
    return sum(1 for r in export.records if isinstance(r, dict) and looks(r))


def detect(export: Export) -> str | None:
    """The source whose shape most records have (ties: :data:`DETECTION_ORDER`); None when none fits."""
    best, best_count = None, 0
    for source in DETECTION_ORDER:
        count = _matches(source, export)
        if count > best_count:
            best, best_count = source, count
    return best


def map_export(export: Export, source: str, rules: Rules) -> FileResult:
    """Check the declared (or detect the) source, then map every record or skip it with a reason.

    ``source`` is a name of :data:`MODULES` or ``"auto"``. A file with records none of which has the
    declared source's shape is an :class:`ImportFailure` (it is not that tool's export).
    """
    detected = source == "auto"
    if detected:
        found = detect(export)
        if found is None:
            if not export.records:
                raise ImportFailure(f"{export.name}: no records, so the source cannot be detected; name it")
            raise ImportFailure(
                f"{export.name}: not an export of any supported tool ({', '.join(MODULES)}); nothing imported"
            )
        source = found
    elif export.records and _matches(source, export) == 0:
        guess = detect(export)
        hint = f" (it looks like {guess})" if guess else ""
        raise ImportFailure(f"{export.name}: not a {source} export{hint}; nothing imported")
    elif export.format == "csv" and source != "pagerduty":
        raise ImportFailure(f"{export.name}: a CSV file, but only PagerDuty's CSV export is supported")
    module = MODULES[source]
    mapped: list[Mapped] = []
    skipped: list[Skip] = []
    for index, record in enumerate(export.records, start=1):
        where = f"{export.name}#{index}"
        if not isinstance(record, dict):
            skipped.append(Skip(where, f"not an object ({type(record).__name__})"))
            continue
        outcome = module.map_record(record, rules, where, export.envelope)
        (mapped if isinstance(outcome, Mapped) else skipped).append(outcome)
    return FileResult(export.name, source, detected, len(export.records), mapped, skipped)
