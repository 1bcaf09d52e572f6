"""OpenSRE benchmark framework run folders (``.bench-results/<config-name>/<run-id>/``) as benchmark results.

A run folder holds ``report.json`` (run id, config hash, cost, ``aborted``/``abort_reason``, ``opensre_sha``) and
``cases/*.json``: one scored cell per file (one case, one arm, one model, one repetition). The headline numbers are
computed from the cells, never from ``per_stratum`` (medians, and empty for aborted runs). ``provenance.json`` is
read for the commit and the models when ``report.json`` lacks them. Format: ``spec/OPENSRE-BENCH.md``.

:func:`read_framework_run` returns the cells as rows of :data:`analytics.runs.RESULT_SCHEMA` (``source`` =
``opensre-bench``, ``status`` ``passed`` when ``a1 == 1``, ``score`` = ``a1``) and one row of
:data:`analytics.runs.META_SCHEMA` for the run. A bad case file is one report item; nothing raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from analytics.runs import CONTROL_ARM, FRAMEWORK_FORMAT, PRIMARY_METRIC
from analytics.timeparse import parse_timestamp
from triage_lens.sources.readers import ReportItem

MAX_CASE_FILES = 200_000  # a run of 5,000 cases x 2 arms x 5 repetitions is 50,000 files
REPETITION = re.compile(r"__(\d{1,9})\.json$", re.IGNORECASE)  # bounded: an index, not a number to overflow on


class FrameworkUnreadable(Exception):
    """The run folder cannot be read at all (its ``report.json`` is missing or not a report)."""


def is_run_folder(folder: Path) -> bool:
    """A framework run folder: ``report.json`` beside a ``cases/`` folder (neither a symlink)."""
    report, cases = folder / "report.json", folder / "cases"
    return report.is_file() and not report.is_symlink() and cases.is_dir() and not cases.is_symlink()


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FrameworkUnreadable(f"{what} is not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise FrameworkUnreadable(f"{what} is not a JSON object")
    return value


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _models(report: dict[str, Any], provenance: dict[str, Any], cells: list[dict[str, Any]]) -> list[str]:
    """Model versions: those the cells name, else provenance ``models``, else the cost's ``by_model`` keys."""
    named = {str(c["model_version"]) for c in cells if c.get("model_version")}
    if not named:
        models = provenance.get("models")
        if isinstance(models, dict):
            named = {str(v) if isinstance(v, str) else str(k) for k, v in models.items()}
        elif isinstance(models, list):
            named = {m if isinstance(m, str) else str(_dict(m).get("version") or _dict(m).get("name")) for m in models}
    if not named:
        named = {str(k) for k in _dict(_dict(report.get("cost")).get("by_model"))}
    return sorted(n for n in named if n and n != "None")


def _cell(data: dict[str, Any], path: Path, run: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """One case file as a result row (None and the reason when it is not a scored cell)."""
    case, cell, score = _dict(data.get("case")), _dict(data.get("run")), _dict(data.get("score"))
    case_id = _text(case.get("case_id"))
    if case_id is None:
        return None, "no case.case_id: not a scored case file"
    mode = _text(cell.get("mode"))
    if mode is None:
        return None, "no run.mode (the arm): not a scored case file"
    metrics = _dict(score.get("metrics"))
    value = _number(metrics.get(PRIMARY_METRIC))
    note = None
    if value is None:
        value, note = 0.0, f"no numeric score.metrics.{PRIMARY_METRIC}: counted as a loss (0)"
    found = REPETITION.search(path.name)
    metadata = _dict(case.get("metadata"))
    return {
        "file": str(path),
        "line": 0,
        "source": FRAMEWORK_FORMAT,
        "run_id": run["run_id"],
        "started_at": run["started_at"],
        "hostname": None,
        "name": case_id,
        "classname": None,
        "miss_id": None,
        "status": "passed" if value == 1 else "failed",
        "score": value,
        "duration_s": None if _number(cell.get("latency_ms")) is None else float(cell["latency_ms"]) / 1000,
        "benchmark": run["benchmark"],
        "format": FRAMEWORK_FORMAT,
        "arm": mode,
        "llm": _text(cell.get("llm")),
        "control": mode == CONTROL_ARM,
        "repetition": int(found.group(1)) if found else 0,
        "category": _text(metadata.get("fault_category")),
        "detail": _text(score.get("failure_reason")) or _text(cell.get("error")),
        "model_version": _text(cell.get("model_version")),
        "version": None,
    }, note


def read_framework_run(
    folder: Path, root: Path, read_bytes: Callable[[Path], bytes]
) -> tuple[list[dict[str, Any]], dict[str, Any], list[ReportItem]]:
    """The cells of one run folder, its metadata row and the report items (bad case files, missing metrics).

    ``read_bytes`` is the runs reader's capped reader (raises on an oversized or irregular file); ``root`` the
    runs folder (a run folder directly inside it takes its benchmark name from ``provenance.json``).
    Raises :class:`FrameworkUnreadable` when ``report.json`` is not a report with a ``run_id``.
    """
    try:
        report = _json_object(read_bytes(folder / "report.json"), "report.json")
    except FrameworkUnreadable:
        raise
    except Exception as exc:  # the capped reader's own refusal (size, FIFO, permissions)
        raise FrameworkUnreadable(f"report.json: {exc}") from exc
    run_id = _text(report.get("run_id"))
    if run_id is None:
        raise FrameworkUnreadable("report.json has no run_id")
    provenance: dict[str, Any] = {}
    if (folder / "provenance.json").is_file():
        try:
            provenance = _json_object(read_bytes(folder / "provenance.json"), "provenance.json")
        except Exception:  # provenance is optional: the report alone is a run
            provenance = {}
    config_name = Path(str(_dict(provenance.get("config")).get("path") or "")).stem or FRAMEWORK_FORMAT
    benchmark = folder.parent.name if folder.parent != root else config_name
    started = parse_timestamp(report.get("started_at")) or parse_timestamp(provenance.get("started_at"))
    items: list[ReportItem] = []
    cells: list[dict[str, Any]] = []
    names = sorted(
        p
        for p in (folder / "cases").iterdir()
        if p.suffix.lower() == ".json" and not p.name.startswith(".") and not p.is_symlink()  # never read elsewhere
    )
    if len(names) > MAX_CASE_FILES:
        items.append(
            ReportItem(str(folder), 0, f"more than {MAX_CASE_FILES:,} case files: the rest left out", "", "flagged")
        )
        names = names[:MAX_CASE_FILES]
    raw: list[tuple[Path, dict[str, Any]]] = []
    for path in names:
        try:
            raw.append((path, _json_object(read_bytes(path), "case file")))
        except Exception as exc:
            items.append(ReportItem(str(path), 0, str(exc), "", "quarantined"))
    if started is None:  # no run start anywhere: the earliest cell start stands for it
        stamps = [parse_timestamp(_dict(d.get("run")).get("started_at")) for _, d in raw]
        started = min((s for s in stamps if s is not None), default=None)
    if started is None:
        raise FrameworkUnreadable("report.json has no started_at (nor do provenance.json and the case files)")
    run = {"run_id": run_id, "started_at": started, "benchmark": benchmark}
    for path, data in raw:
        row, note = _cell(data, path, run)
        if row is None:
            items.append(ReportItem(str(path), 0, str(note), "", "quarantined"))
            continue
        if note:
            items.append(ReportItem(str(path), 0, note, "", "flagged"))
        cells.append(row)
    cost = _dict(report.get("cost"))
    code = _dict(provenance.get("code"))
    aborted = report.get("aborted") is True
    meta = {
        "run_id": run_id,
        "format": FRAMEWORK_FORMAT,
        "benchmark": benchmark,
        "aborted": aborted,
        "abort_reason": (_text(report.get("abort_reason")) or "no reason recorded") if aborted else None,
        "config_hash": _text(report.get("config_hash")),
        "opensre_sha": _text(report.get("opensre_sha")) or _text(code.get("sha")) or _text(code.get("git_sha")),
        "models": _models(report, provenance, cells),
        "total_cost_usd": _number(cost.get("total_cost_usd")),
        "ended_at": parse_timestamp(report.get("ended_at")),
        "path": str(folder),
    }
    return cells, meta, items
