"""``triage-lens import``: incidents from Statuspage, PagerDuty, incident.io, Opsgenie / JSM, Grafana OnCall,
Google Cloud status and AWS status exports (JSON, JSON Lines or PagerDuty's CSV) into the incident store
(docs/importers.md). Each vendor is a mapping table (:class:`triage_lens.importers.mapping.Vendor`) read by one
mapper with one status rule (the policy's ``import.statuses`` map).

:func:`plan_import` reads and maps files without writing (the Data page's preview, ``--dry-run``);
:func:`run_import` maps, then writes everything in one atomic, idempotent step. Any unreadable file or a
file that is not the declared tool's export stops the whole import before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from triage_lens.importers.mapping import SOURCE_NAMES, ImportFailure, Mapped, Rules, Skip
from triage_lens.importers.reading import FileResult, map_export, read_export
from triage_lens.importers.writing import WriteResult, write_records

SOURCE_CHOICES: tuple[str, ...] = ("auto", *SOURCE_NAMES)
RUNS_SOURCES: tuple[str, ...] = ("openrca",)  # imported as benchmark runs (triage_lens/importers/openrca.py)


@dataclass
class ImportPlan:
    """Every file mapped, the records to write (one per id: a later record with the same id wins)."""

    files: list[FileResult]
    records: list[dict[str, Any]]
    skipped: list[Skip]
    no_severity: int

    @property
    def source(self) -> str:
        """The source of every file; several distinct ones are joined with commas (first-seen order)."""
        return ",".join(dict.fromkeys(f.source for f in self.files))

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)


@dataclass
class ImportSummary:
    """The ``--json`` summary: source, read, written, updated, skipped (+ unchanged and no_severity)."""

    plan: ImportPlan
    result: WriteResult = field(default_factory=lambda: WriteResult(0, 0, 0))
    target: str = ""
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.plan.source,
            "read": self.plan.read,
            "written": self.result.written,
            "updated": self.result.updated,
            "unchanged": self.result.unchanged,
            "skipped": [s.to_dict() for s in self.plan.skipped],
            "no_severity": self.plan.no_severity,
        }


def plan_import(inputs: Sequence[tuple[str, bytes]], source: str, rules: Rules) -> ImportPlan:
    """Read and map ``(name, bytes)`` files as ``source`` (or ``"auto"``, per file); nothing is written."""
    if source not in SOURCE_CHOICES:
        raise ImportFailure(f"unknown source {source!r}: choose one of {', '.join(SOURCE_CHOICES)}")
    files = [map_export(read_export(name, payload), source, rules) for name, payload in inputs]
    chosen: dict[str, tuple[Mapped, str]] = {}
    skipped: list[Skip] = []
    for result in files:
        skipped.extend(result.skipped)
        for mapped in result.mapped:
            earlier = chosen.get(mapped.id)
            if earlier is not None:
                skipped.append(Skip(mapped.id, f"appears again later ({result.name}); the later record is kept"))
                del chosen[mapped.id]  # the later one goes where it appears last
            chosen[mapped.id] = (mapped, result.name)
    records = [m.record for m, _ in chosen.values()]
    no_severity = sum(1 for m, _ in chosen.values() if m.severity_missing)
    return ImportPlan(files, records, skipped, no_severity)


def run_import(
    inputs: Sequence[tuple[str, bytes]], source: str, target: str, rules: Rules, *, dry_run: bool = False
) -> ImportSummary:
    """Map every file, then write the records to ``target`` (a data folder or a ``postgresql://`` URI)."""
    plan = plan_import(inputs, source, rules)
    result = write_records(target, plan.records, dry_run=dry_run)
    return ImportSummary(plan, result, target, dry_run)


__all__ = [
    "RUNS_SOURCES",
    "SOURCE_CHOICES",
    "SOURCE_NAMES",
    "ImportFailure",
    "ImportPlan",
    "ImportSummary",
    "Rules",
    "plan_import",
    "run_import",
]
