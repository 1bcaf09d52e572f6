"""Benchmark results: a ``runs/`` folder of JUnit XML (``pytest --junitxml``), JSONL result files and OpenSRE
benchmark framework run folders (:mod:`triage_lens.sources.bench_runs`).

JUnit XML is parsed with defusedxml and any DTD refused (JUnit never needs one; a DTD is how entity expansion
— "billion laughs" — and external entities get in). A truncated, hostile or unreadable file is reported by
name and skipped; a bad JSONL line is quarantined with its line number; nothing raises. Only regular files up to
:data:`MAX_FILE_BYTES` are opened (never a FIFO or a device); hidden files and symlinked folders are left alone,
hidden folders (``.bench-results/``) are walked. A framework run folder counts as one entry against
:data:`MAX_FILES`, however many case files it holds.

:func:`read_runs` returns one row per test result (columns of :data:`analytics.runs.RESULT_SCHEMA`) and the
report items; :func:`load_benchmark` adds the exported scenarios and the derived tables every view needs.
"""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as StdET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from analytics.runs import (
    DEFAULT_ARM,
    DEFAULT_BENCHMARK,
    INDEX_SCHEMA,
    META_SCHEMA,
    RESULT_SCHEMA,
    STATUSES,
    arm_table,
    fill_arms,
    match_results,
    run_arms,
    run_summary,
    scenario_grid,
    scenario_index,
    scenario_scores,
    with_main_arm,
)
from analytics.scenarios import scenarios_frame
from analytics.timeparse import parse_timestamp
from triage_lens.sources.bench_runs import FrameworkUnreadable, is_run_folder, read_framework_run
from triage_lens.sources.readers import BOM, EXCERPT_CHARS, ReportItem
from triage_lens.sources.scenario_files import read_scenarios

MAX_FILE_BYTES = 64 * 1024 * 1024  # a JUnit file of a few thousand scenarios is a few MB
MAX_FILES = 10_000
JUNIT_SUFFIXES = (".xml",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
SKIPPED = "skipped"  # ReportItem action: the whole file was left out
NOT_WALKED = frozenset({".git", "__pycache__", ".venv", "node_modules"})  # hidden or bulky, never results


class _Unreadable(Exception):
    """A file that is not read at all; the message is the reason shown to people."""


@dataclass
class RunsRead:
    """What a runs folder held: one row per test result and what was skipped or flagged."""

    frame: pl.DataFrame
    items: list[ReportItem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # files (and framework run folders) read, fully or partly
    meta: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=META_SCHEMA))  # framework runs

    @property
    def skipped_files(self) -> list[ReportItem]:
        return [i for i in self.items if i.action == SKIPPED]


def empty_results() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULT_SCHEMA)


def run_files(folder: Path) -> list[Path]:
    """The result files and framework run folders under ``folder`` (any depth, sorted; hidden files, symlinked
    folders and :data:`NOT_WALKED` left out, hidden folders walked). A run folder is one entry and is not walked."""
    found: list[Path] = []
    for directory, subdirs, names in os.walk(folder, followlinks=False):
        here = Path(directory)
        if here != folder and is_run_folder(here):
            subdirs[:] = []
            found.append(here)
            if len(found) >= MAX_FILES:
                return found
            continue
        subdirs[:] = sorted(d for d in subdirs if d not in NOT_WALKED and not (here / d).is_symlink())
        for name in sorted(names):
            if name.startswith(".") or not name.lower().endswith(JUNIT_SUFFIXES + JSONL_SUFFIXES):
                continue
            found.append(Path(directory) / name)
            if len(found) >= MAX_FILES:
                return found
    return found


def _cap_text() -> str:
    mib = 1024 * 1024
    return f"{MAX_FILE_BYTES // mib} MiB" if MAX_FILE_BYTES % mib == 0 else f"{MAX_FILE_BYTES:,} bytes"


def read_capped(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`; raises :class:`_Unreadable` otherwise.
    Opened non-blocking and checked on the open descriptor, so a FIFO or device is never read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _Unreadable(f"cannot open ({exc.strerror or exc})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Unreadable("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise _Unreadable(f"larger than {_cap_text()}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(f"cannot read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise _Unreadable(f"larger than {_cap_text()}")
    return data


# --- JUnit XML -------------------------------------------------------------------------------------


def _status(case: Any) -> str:
    tags = {child.tag for child in case}
    if "error" in tags:
        return "error"
    if "failure" in tags:
        return "failed"
    if "skipped" in tags:
        return "skipped"
    return "passed"


def _properties(case: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for holder in case.findall("properties"):
        for prop in holder.findall("property"):
            name, value = prop.get("name"), prop.get("value")
            if name and value is not None and name not in found:
                found[name] = value
    return found


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _junit_rows(data: bytes, label: str) -> tuple[list[dict[str, Any]], list[ReportItem]]:
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        reason = (
            "refused: declares a DTD (<!DOCTYPE …>), which JUnit XML never needs and which can carry entity "
            f"expansion or external entities ({type(exc).__name__})"
        )
        raise _Unreadable(reason) from exc
    except StdET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise _Unreadable(f"not well-formed XML (truncated or damaged) at line {line}, column {column}") from exc
    except (ValueError, RecursionError) as exc:
        raise _Unreadable(f"not readable as XML ({type(exc).__name__})") from exc
    if root.tag not in ("testsuites", "testsuite"):
        raise _Unreadable(f"not JUnit XML (the root element is <{root.tag[:40]}>, expected <testsuites>)")
    rows: list[dict[str, Any]] = []
    items: list[ReportItem] = []
    position = 0
    # (suite, inherited timestamp text, inherited hostname): a nested suite without its own takes its parent's.
    stack: list[tuple[Any, str | None, str | None]] = (
        [(root, None, None)]
        if root.tag == "testsuite"
        else [(s, None, None) for s in reversed(root.findall("testsuite"))]
    )
    while stack:
        suite, parent_stamp, parent_host = stack.pop()
        stamp = suite.get("timestamp") or parent_stamp
        host = suite.get("hostname") or parent_host
        cases = suite.findall("testcase")
        stack.extend((child, stamp, host) for child in reversed(suite.findall("testsuite")))
        if not cases:
            continue
        started = parse_timestamp(stamp)
        suite_name = suite.get("name") or "testsuite"
        if started is None:
            position += len(cases)
            why = "no timestamp" if not stamp else f"timestamp {stamp[:40]!r} is not ISO-8601"
            items.append(
                ReportItem(
                    label,
                    0,
                    f"<testsuite name={suite_name[:60]!r}> has {why}: its {len(cases)} test "
                    "case(s) cannot be placed in time and were left out",
                    "",
                    "quarantined",
                )
            )
            continue
        run_id = f"{started:%Y-%m-%dT%H:%M:%SZ}" + (f"@{host}" if host else "")
        for case in cases:
            position += 1
            name = case.get("name")
            if not name:
                reason = f"test case #{position} has no name: left out"
                items.append(ReportItem(label, 0, reason, "", "quarantined"))
                continue
            props = _properties(case)
            rows.append(
                {
                    "file": label,
                    "line": position,
                    "source": "junit",
                    "run_id": run_id,
                    "started_at": started,
                    "hostname": host,
                    "name": name,
                    "classname": case.get("classname"),
                    "miss_id": props.get("miss_id") or None,
                    "status": _status(case),
                    "score": _float(props.get("score")),
                    "duration_s": _float(case.get("time")),
                    "benchmark": DEFAULT_BENCHMARK,
                    "format": "junit",
                    "arm": DEFAULT_ARM,
                    "llm": None,
                    "control": False,
                    "repetition": 0,
                    "category": None,
                    "detail": None,
                    "model_version": None,
                    "version": props.get("version") or props.get("agent_version") or None,
                }
            )
    return rows, items


# --- JSONL -----------------------------------------------------------------------------------------


def _excerpt(text: str) -> str:
    return text[:EXCERPT_CHARS]


def _jsonl_rows(data: bytes, label: str) -> tuple[list[dict[str, Any]], list[ReportItem]]:
    rows: list[dict[str, Any]] = []
    items: list[ReportItem] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if number == 1 and raw.startswith(BOM.encode()):
            raw = raw[len(BOM.encode()) :]
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            items.append(ReportItem(label, number, "not valid UTF-8", "", "quarantined"))
            continue
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError:
            items.append(ReportItem(label, number, "not valid JSON", _excerpt(text), "quarantined"))
            continue
        problem, row = _jsonl_record(record, label, number)
        if problem is not None:
            items.append(ReportItem(label, number, problem, _excerpt(text), "quarantined"))
            continue
        if row.pop("_bad_score"):
            items.append(ReportItem(label, number, "field 'score' is not a number", _excerpt(text), "flagged"))
        rows.append(row)
    return rows, items


def _jsonl_record(record: object, label: str, number: int) -> tuple[str | None, dict[str, Any]]:
    if not isinstance(record, dict):
        return "not a JSON object", {}
    for key in ("run_id", "scenario"):
        value = record.get(key)
        if not isinstance(value, str) or not value.strip():
            return f"missing required field '{key}' (a non-empty string)", {}
    started = parse_timestamp(record.get("started_at"))
    if started is None:
        return "field 'started_at' is missing or not an ISO-8601 timestamp", {}
    status = record.get("status")
    status = status.strip().lower() if isinstance(status, str) else status
    if status not in STATUSES:
        return f"field 'status' is {json.dumps(status)[:40]}, expected one of {', '.join(STATUSES)}", {}
    score = record.get("score")
    bad_score = score is not None and (isinstance(score, bool) or not isinstance(score, int | float))
    miss_id = record.get("miss_id")
    version = record.get("version", record.get("agent_version"))
    fmt = record.get("format")
    return None, {
        "file": label,
        "line": number,
        "source": "jsonl",
        "run_id": record["run_id"].strip(),
        "started_at": started,
        "hostname": None,
        "name": record["scenario"].strip(),
        "classname": None,
        "miss_id": miss_id if isinstance(miss_id, str) and miss_id else None,
        "status": status,
        "score": None if bad_score or score is None else _float(str(score)),
        "duration_s": None,
        "benchmark": _text_field(record.get("benchmark")) or DEFAULT_BENCHMARK,
        "format": fmt if fmt in ("openrca",) else "jsonl",
        "arm": DEFAULT_ARM,
        "llm": None,
        "control": False,
        "repetition": 0,
        "category": _text_field(record.get("category")),
        "detail": _text_field(record.get("detail")),
        "model_version": _text_field(record.get("model_version") or record.get("model")),
        "version": _text_field(version if not isinstance(version, int | float) else str(version)),
        "_bad_score": bad_score,
    }


def _text_field(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# --- the folder ------------------------------------------------------------------------------------


def read_runs(folder: Path) -> RunsRead:
    """Every JUnit XML and JSONL result file and framework run folder under ``folder``: one row per test result
    (per scored cell for a framework run), and :attr:`RunsRead.meta` with a row per framework run.

    Out: :class:`RunsRead` with a frame of :data:`analytics.runs.RESULT_SCHEMA` columns; a file that cannot be
    read is one report item (action ``skipped``) naming it and why; a bad JSONL line or suite is quarantined.
    """
    if not folder.is_dir():
        return RunsRead(empty_results(), [ReportItem(str(folder), 0, "not a folder", "", SKIPPED)])
    rows: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    result = RunsRead(empty_results())
    for path in run_files(folder):
        label = str(path)
        if path.is_dir():
            try:
                cells, meta, items = read_framework_run(path, folder, read_capped)
            except FrameworkUnreadable as exc:
                result.items.append(ReportItem(label, 0, str(exc), "", SKIPPED))
                continue
            rows.extend(cells)
            metas.append(meta)
            result.items.extend(items)
            result.files.append(label)
            continue
        try:
            data = read_capped(path)
            if path.suffix.lower() in JUNIT_SUFFIXES:
                found, items = _junit_rows(data, label)
            else:
                found, items = _jsonl_rows(data, label)
        except _Unreadable as exc:
            result.items.append(ReportItem(label, 0, str(exc), "", SKIPPED))
            continue
        rows.extend(found)
        result.items.extend(items)
        result.files.append(label)
    if rows:
        result.frame = pl.DataFrame(rows, schema=RESULT_SCHEMA)
    if metas:
        result.meta = pl.DataFrame(metas, schema=META_SCHEMA)
    return result


@dataclass
class Benchmark:
    """Runs and exported scenarios, read once, with the tables every view derives from them."""

    runs_dir: Path
    read: RunsRead
    index: pl.DataFrame  # analytics.runs.scenario_index
    matched: pl.DataFrame  # analytics.runs.match_results
    runs: pl.DataFrame  # analytics.runs.run_summary
    grid: pl.DataFrame  # analytics.runs.scenario_grid (main arm cells)
    scenario_problems: list[str] = field(default_factory=list)
    scores: pl.DataFrame = field(default_factory=pl.DataFrame)  # analytics.runs.scenario_scores (every arm)
    arm_rows: pl.DataFrame = field(default_factory=pl.DataFrame)  # analytics.runs.arm_table
    arms: dict[str, dict[str, Any]] = field(default_factory=dict)  # analytics.runs.run_arms

    @property
    def has_runs(self) -> bool:
        return self.runs.height > 0


def load_benchmark(
    runs_dir: Path, scenarios_dir: Path | None, misses: pl.LazyFrame, *, z: float = 1.959964
) -> Benchmark:
    """Read the runs folder and the exported scenarios, match them and derive runs and the grid.

    In: misses with the grouping key (``_line``, ``miss_id``, ``timestamp``, ``group_alert``, ``group_taxonomy``);
    ``z`` of the policy for the Wilson interval of a JUnit / JSONL run's pass rate.
    """
    read = read_runs(runs_dir)
    problems: list[str] = []
    if scenarios_dir is not None and scenarios_dir.is_dir():
        found, problems = read_scenarios(scenarios_dir)
        index = scenario_index(misses, scenarios_frame(found))
    else:
        index = pl.DataFrame(schema=INDEX_SCHEMA)
    matched = match_results(read.frame.lazy(), index).collect()
    scores, arm_rows = scenario_scores(matched), arm_table(matched)  # the bootstrap runs once per arm
    runs = run_summary(matched.lazy(), read.meta, arm_rows)
    # The grid, the funnel and "fix held" look at the main arm only (a control arm is no fix of the agent).
    main = with_main_arm(fill_arms(matched.lazy())).filter(pl.col("_main")).drop("_main", "scenario_key")
    grid = scenario_grid(main, runs)
    arms = run_arms(matched, runs, z=z, scores=scores, arms=arm_rows)
    return Benchmark(runs_dir, read, index, matched, runs, grid, problems, scores, arm_rows, arms)


def run_summary_of(runs_dir: Path) -> pl.DataFrame:
    """:func:`analytics.runs.run_summary` of a runs folder (no scenario matching: the counts do not need it)."""
    read = read_runs(runs_dir)
    return run_summary(read.frame.lazy(), read.meta)


def runs_report_lines(read: RunsRead, limit: int = 20) -> list[str]:
    """The report as ``file:line: reason`` lines for people (whole files first)."""
    ordered = sorted(read.items, key=lambda i: (i.action != SKIPPED, i.file, i.line))
    lines = [f"{i.file}{f':{i.line}' if i.line else ''}: {i.reason}" for i in ordered[:limit]]
    if len(ordered) > limit:
        lines.append(f"… and {len(ordered) - limit} more")
    return lines
