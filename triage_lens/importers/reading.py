"""Reading an export file (JSON, JSON Lines or CSV), finding its records (envelope, bare list or one a line) and
detecting its source.

Nothing here writes. A file that cannot be read is an :class:`ImportFailure` whose message starts with the file
name; a record that cannot be kept (a bad JSON Lines line, a number too large, nesting too deep) is a
:class:`Skip` naming the file and the record (``file#3`` for the third record of a JSON list, ``file:3`` for
line 3 of JSON Lines), never a traceback.
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
from triage_lens.importers.limits import Rejected, decode_json, decode_lines, ends_early, screen
from triage_lens.importers.mapping import ImportFailure, Mapped, Rules, Skip, Vendor

MODULES: dict[str, ModuleType] = {
    m.NAME: m for m in (statuspage, pagerduty, incidentio, opsgenie, grafana_oncall, gcp_status, aws_health)
}
# The incident vendors' mapping tables (a module may instead bring its own ``looks_like`` and ``map_record``).
VENDORS: dict[str, Vendor] = {
    name: m.VENDOR for name, m in MODULES.items() if isinstance(getattr(m, "VENDOR", None), Vendor)
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


SHAPES = (
    "a JSON list of records, an object holding one (under "
    + ", ".join(ENVELOPE_KEYS)
    + "), JSON Lines (one record a line) or PagerDuty's CSV export"
)


@dataclass
class Export:
    """The records of one file, the top-level object they came in (for page names), the format and where each
    record is (``file#n`` or ``file:line``); a record the reader refused is a :class:`Rejected`."""

    name: str
    records: list[Any]
    envelope: Mapping[str, Any]
    format: str  # "json", "jsonl" or "csv"
    wheres: list[str] | None = None

    def where(self, index: int) -> str:
        """Where record ``index`` (0-based) is."""
        return self.wheres[index] if self.wheres is not None else f"{self.name}#{index + 1}"


def supported_shapes() -> str:
    """The file shapes and the tools' record shapes, for a file that fits none."""
    tools = "; ".join(f"{v.name}: {v.shape}" for v in VENDORS.values())
    return f"supported: {SHAPES}; records of {tools}"


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
    why = "the file ends early (truncated?)" if ends_early(data, exc) else exc.msg
    return ImportFailure(f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {why}; nothing imported")


def _records_of(name: str, top: Any) -> tuple[list[Any], Mapping[str, Any]]:
    if isinstance(top, list):
        return top, {}
    if not isinstance(top, dict):
        raise ImportFailure(f"{name}: a JSON {type(top).__name__} is not a shape of export ({SHAPES})")
    if isinstance(top.get("archive"), list) or isinstance(top.get("current"), list):  # AWS data.json
        return [*(top.get("archive") or []), *(top.get("current") or [])], top
    for key in ENVELOPE_KEYS:
        if isinstance(top.get(key), list):
            return top[key], top
    return [top], {}  # one record: JSON Lines of a single line


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
        lines = decode_lines(data)
        if lines is not None:
            # One record a line: a bad line is that record's problem, not the file's.
            wheres = [f"{name}:{number}" for number, _ in lines]
            return Export(name, [value for _, value in lines], {}, "jsonl", wheres)
        try:
            top = decode_json(data)
        except json.JSONDecodeError as exc:
            lines = decode_lines(data, force=True)  # JSON Lines whose first line is bad?
            if lines and stripped[0] == "{" and 2 * sum(isinstance(v, dict) for _, v in lines) > len(lines):
                wheres = [f"{name}:{number}" for number, _ in lines]
                return Export(name, [value for _, value in lines], {}, "jsonl", wheres)
            raise _json_error(name, data, exc) from exc
        records, envelope = _records_of(name, top)
        return Export(name, [screen(r) for r in records], envelope, "json")
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
    if export.records and all(isinstance(r, Rejected) for r in export.records):
        first = export.records[0]
        assert isinstance(first, Rejected)
        raise ImportFailure(f"{export.where(0)}: {first.reason}; no record could be read; nothing imported")
    detected = source == "auto"
    if detected:
        found = detect(export)
        if found is None:
            if not export.records:
                raise ImportFailure(f"{export.name}: no records, so the source cannot be detected; name it")
            raise ImportFailure(
                f"{export.name}: not an export of any supported tool; nothing imported ({supported_shapes()})"
            )
        source = found
    elif export.records and _matches(source, export) == 0:
        guess = detect(export)
        hint = f" (it looks like {guess})" if guess else ""
        raise ImportFailure(f"{export.name}: not a {source} export{hint}; nothing imported")
    elif export.format == "csv" and source != "pagerduty":
        raise ImportFailure(f"{export.name}: a CSV file, but only PagerDuty's CSV export is supported")
    map_record: Callable[..., Mapped | Skip] = MODULES[source].map_record
    mapped: list[Mapped] = []
    skipped: list[Skip] = []
    for index, record in enumerate(export.records):
        where = export.where(index)
        if isinstance(record, Rejected):
            skipped.append(Skip(where, record.reason))
            continue
        if not isinstance(record, dict):
            skipped.append(Skip(where, f"not an object ({type(record).__name__})"))
            continue
        outcome = map_record(record, rules, where, export.envelope)
        if isinstance(outcome, Mapped):
            mapped.append(outcome)
        else:
            skipped.append(outcome)
    return FileResult(export.name, source, detected, len(export.records), mapped, skipped)
