"""OpenRCA agent results (``agent-<system>.csv``, Microsoft's published RCA-agent output) as benchmark runs.

One run per file: ``run_id`` and ``benchmark`` = ``openrca-<system>`` (the four systems are four benchmarks,
never one series), a case per row, written as ``<out>/runs/openrca-<system>.jsonl`` in the JSONL results format
(docs/runs.md) with the extra keys ``benchmark``, ``format`` (``openrca``), ``category`` (``task_index``),
``score`` (the partial credit) and ``detail`` (the failed criteria). ``status`` is ``passed`` only when every
criterion is right (``score == 1``, OpenRCA's own exact match). Re-importing the same file writes the same bytes.

Every file is checked before anything is written: a file that is not such a CSV, or a row whose ``score`` is
not a number from 0 to 1, stops the import with ``FILE:LINE: what`` and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage_lens.importers.mapping import ImportFailure
from triage_lens.sources.atomic import write_file

NAME = "openrca"
COLUMNS: tuple[str, ...] = (
    "instruction",
    "prediction",
    "groundtruth",
    "passed",
    "failed",
    "score",
    "row_id",
    "task_index",
)
FILE_NAME = re.compile(r"^agent-(?P<system>.+)\.csv$", re.IGNORECASE)
MAX_BYTES = 256 * 1024 * 1024
DETAIL_CHARS = 2_000
SYSTEM_CHARS = 120  # of a run id's system part: "openrca-" + 120 + ".jsonl" + a temp name's suffix stays < 255


@dataclass
class OpenRcaRun:
    """One file converted: the run id, where it goes, its JSONL bytes and the counts people see."""

    source: str
    run_id: str
    started_at: datetime
    cases: int
    passed: int
    mean_score: float | None
    payload: bytes

    @property
    def exact_match_rate(self) -> float | None:
        return round(self.passed / self.cases, 4) if self.cases else None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "run_id": self.run_id,
            "benchmark": self.run_id,
            "started_at": self.started_at.isoformat(),
            "cases": self.cases,
            "passed": self.passed,
            "exact_match_rate": self.exact_match_rate,
            "mean_score": self.mean_score,
        }


def _header(payload: bytes) -> list[str]:
    text = payload[:65_536].decode("utf-8-sig", errors="replace")
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []


def looks_like(payload: bytes) -> bool:
    """The file is an OpenRCA agent result CSV: its header holds every column of :data:`COLUMNS`."""
    return set(COLUMNS) <= {h.strip() for h in _header(payload)}


def all_openrca(inputs: Sequence[tuple[str, bytes]]) -> bool:
    """Every input is an OpenRCA agent result CSV (True) or none is (False). A mix raises :class:`ImportFailure`
    naming the OpenRCA ones: runs and incidents are imported on their own."""
    found = [looks_like(payload) for _, payload in inputs]
    if any(found) and not all(found):
        names = ", ".join(name for (name, _), hit in zip(inputs, found, strict=True) if hit)
        raise ImportFailure(
            f"{names}: OpenRCA results are runs, not incidents: import them on their own (nothing imported)"
        )
    return bool(found) and all(found)


def system_of(name: str) -> str:
    """``agent-Bank.csv`` -> ``Bank``; another name keeps its stem (without a leading ``agent-``)."""
    base = Path(name).name
    found = FILE_NAME.match(base)
    system = found.group("system") if found else re.sub(r"^agent-", "", Path(base).stem)
    # the run id names a file in runs/: letters, digits, "-", "_" and "." only, never a hidden name, and short
    # enough for any file system (255 bytes a name)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", system).lstrip(".")[:SYSTEM_CHARS] or "unnamed"


def _score(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ImportFailure(f"{where}: score {text[:40]!r} is not a number; nothing imported") from None
    if not 0.0 <= value <= 1.0:
        raise ImportFailure(f"{where}: score {value} is outside 0–1; nothing imported")
    return value


def _case_id(text: str, where: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text.strip() or ""
    if number != int(number):
        raise ImportFailure(f"{where}: row_id {text!r} is not a whole number; nothing imported")
    return f"row-{int(number):04d}"


def convert(name: str, payload: bytes, started_at: datetime) -> OpenRcaRun:
    """One CSV as a run (nothing written). Raises :class:`ImportFailure` naming the file and line."""
    if len(payload) > MAX_BYTES:
        raise ImportFailure(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MiB; nothing imported")
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailure(f"{name}: not UTF-8 text (byte {exc.start}); nothing imported") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise ImportFailure(f"{name}:1: not readable as CSV ({exc}); nothing imported") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFailure(
            f"{name}: not an OpenRCA agent result CSV (agent-<system>.csv): missing column(s) "
            f"{', '.join(missing)}; nothing imported"
        )
    system = system_of(name)
    run_id = f"openrca-{system}"
    stamp = started_at.astimezone(UTC).isoformat()
    position = {c: header.index(c) for c in COLUMNS}
    lines: list[str] = []
    seen: set[str] = set()
    passed, total = 0, 0.0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFailure(f"{name}:{start}: not readable as CSV ({exc}); nothing imported") from None
        if not any(cell.strip() for cell in row):
            continue
        where = f"{name}:{start}"
        if len(row) < len(header):
            raise ImportFailure(f"{where}: {len(row)} fields, the header has {len(header)}; nothing imported")
        score = _score(row[position["score"]].strip(), where)
        case_id = _case_id(row[position["row_id"]], where) or f"line-{start}"
        if case_id in seen:
            raise ImportFailure(f"{where}: row_id {row[position['row_id']]!r} appears twice; nothing imported")
        seen.add(case_id)
        failed = [c.strip() for c in row[position["failed"]].splitlines() if c.strip()]
        status = "passed" if score == 1.0 else "failed"
        passed += status == "passed"
        total += score
        record = {
            "run_id": run_id,
            "benchmark": run_id,
            "format": NAME,
            "started_at": stamp,
            "scenario": case_id,
            "status": status,
            "score": score,
            "category": row[position["task_index"]].strip() or None,
            "detail": "; ".join(failed)[:DETAIL_CHARS] or None,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    cases = len(lines)
    if cases == 0:
        raise ImportFailure(f"{name}: no result rows; nothing imported")
    body = ("\n".join(lines) + "\n").encode("utf-8")
    return OpenRcaRun(name, run_id, started_at, cases, passed, round(total / cases, 4), body)


def plan(
    inputs: Sequence[tuple[str, bytes]], started_at: datetime | None, mtimes: dict[str, float]
) -> list[OpenRcaRun]:
    """Every file converted (``started_at`` or the file's modification time); two files of one system refused."""
    converted: list[OpenRcaRun] = []
    for name, payload in inputs:
        when = started_at or datetime.fromtimestamp(mtimes.get(name, 0.0), tz=UTC).replace(microsecond=0)
        converted.append(convert(name, payload, when))
    ids = [r.run_id for r in converted]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ImportFailure(f"two files give the run {twice[0]!r}: import one file per system; nothing imported")
    return converted


def refuse_store(target: str) -> None:
    """Runs are files: a PostgreSQL ``--out`` is refused with the reason."""
    if target.startswith(("postgresql://", "postgres://")):
        raise ImportFailure(
            "openrca results are benchmark runs, which live as files in a data folder's runs/: give a folder for "
            "--out (a PostgreSQL store holds incidents only); nothing imported"
        )


def write_runs(target: Path, runs: Sequence[OpenRcaRun]) -> tuple[int, int]:
    """Write each run to ``target/runs/<run_id>.jsonl`` (see :func:`write_runs_into`)."""
    return write_runs_into(target.expanduser() / "runs", runs)


def started_at_of(folder: Path, run_id: str) -> datetime | None:
    """The ``started_at`` of the run ``run_id`` already in ``folder`` (its first line), else None: an upload,
    which has no file time, keeps it, so the same file uploaded again is unchanged."""
    path = folder / f"{run_id}.jsonl"
    try:
        with path.open("rb") as handle:
            first = json.loads(handle.readline())
        stamp = datetime.fromisoformat(first["started_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stamp.astimezone(UTC) if stamp.tzinfo is not None else None


def write_runs_into(folder: Path, runs: Sequence[OpenRcaRun]) -> tuple[int, int]:
    """Write each run to ``folder/<run_id>.jsonl`` (:func:`triage_lens.sources.atomic.write_file`: a reader
    never sees half a file).
    Returns (written, unchanged): a file whose bytes are already there is left untouched."""
    if folder.is_symlink():
        raise ImportFailure(f"{folder}: is a symlink; nothing imported")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportFailure(f"{folder}: cannot create the runs folder ({exc}); nothing imported") from exc
    written = unchanged = 0
    for run in runs:
        path = folder / f"{run.run_id}.jsonl"
        try:
            if path.is_symlink():
                raise ImportFailure(f"{path}: is a symlink; not written")
            if path.is_file() and path.read_bytes() == run.payload:
                unchanged += 1
                continue
            write_file(path, run.payload)  # whole or not at all (temp file, fsync, rename), symlinks refused
        except OSError as exc:
            raise ImportFailure(f"{path}: cannot write ({exc})") from exc
        written += 1
    return written, unchanged
