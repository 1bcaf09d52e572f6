"""Scenario folders and digest artifacts on disk: the writers (never through a symlink) and the coverage
reader (regular files only, at most :data:`ALERT_MAX_BYTES` each, symlinks never followed, every skip
reported). ``analytics.scenarios`` / ``analytics.digest`` build the bytes; this module does the I/O."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from analytics.learning import coverage_by_key
from analytics.scenarios import (
    MANIFEST_NAME,
    Scenario,
    ScenarioCase,
    check_case_dir,
    scenarios_frame,
)
from analytics.textsafe import json_safe, safe_text
from analytics.timeparse import parse_timestamp
from triage_lens.sources.atomic import temp_owner, write_tree
from triage_lens.sources.files import RefusedPathError, read_regular_file

if TYPE_CHECKING:  # the digest (and the run and incident rules it imports) loads only where a digest is written
    from analytics.digest import Digest

ALERT_MAX_BYTES = 1024 * 1024  # one alert.json (OpenSRE's are a few KB)
MANIFEST_MAX_BYTES = 16 * 1024 * 1024


def write_cases(out: Path, cases: list[ScenarioCase], manifest: bytes) -> list[Path]:
    """Write ``<out>/<dir>/alert.json`` for every case and the manifest; returns the alert.json paths.

    Raises ``ValueError`` for a case folder name that would leave ``out`` and :class:`RefusedPathError`
    (an ``OSError``) when a symlink, FIFO or device stands where a folder or file goes."""
    files = [(f"{check_case_dir(case.dir)}/alert.json", case.content) for case in cases]
    written = write_tree(out, [*files, (MANIFEST_NAME, manifest)])
    return written[:-1]


def write_digest_artifacts(digest: Digest, out_dir: Path) -> list[Path]:
    """``<out>/weekly/<week>.md`` and ``.json`` (never through a symlink, whole or not at all); returns their
    paths. The Markdown passes :func:`analytics.textsafe.safe_text` once more (no control reaches a reader's
    terminal through ``cat``); the JSON stays standard JSON (:func:`~analytics.textsafe.json_safe`)."""
    from analytics.digest import artifact_files

    files = []
    for name, data in artifact_files(digest):
        if name.endswith((".md", ".txt")):
            data = safe_text(data.decode("utf-8")).encode("utf-8")
        elif name.endswith(".json"):  # DEL/C1/bidi as \uXXXX escapes: the same values, standard JSON
            data = json_safe(data.decode("utf-8")).encode("utf-8")
        files.append((f"weekly/{name}", data))
    return write_tree(out_dir, files)


def _load_json(path: Path, max_bytes: int) -> Any:
    """Parsed JSON of a regular file under the cap; raises OSError (incl. refusals) or ValueError."""
    raw = read_regular_file(path, max_bytes)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _walk(folder: Path, problems: list[str]) -> tuple[list[Path], list[Path]]:
    """(alert.json paths, manifest paths) under ``folder``, sorted; symlinked folders and files are not
    followed but reported, as are folders that cannot be listed."""
    alerts: list[Path] = []
    manifests: list[Path] = []

    def onerror(exc: OSError) -> None:
        problems.append(f"{exc.filename}: skipped, cannot list ({exc.strerror or exc})")

    for current, dirnames, filenames in os.walk(folder, onerror=onerror, followlinks=False):
        base = Path(current)
        for name in list(dirnames):
            if temp_owner(name) is not None:  # a case folder still being written (or left by a killed export)
                dirnames.remove(name)
                continue
            if (base / name).is_symlink():
                problems.append(f"{base / name}: skipped, a symbolic link (not followed)")
                dirnames.remove(name)
        dirnames.sort()
        for name in sorted(filenames):
            if name not in ("alert.json", MANIFEST_NAME):
                continue
            path = base / name
            if path.is_symlink():
                problems.append(f"{path}: skipped, a symbolic link (not followed)")
                continue
            (alerts if name == "alert.json" else manifests).append(path)
    return sorted(alerts), sorted(manifests)


def _manifest_times(manifests: list[Path], problems: list[str]) -> dict[str, datetime]:
    """Normalised alert.json path → ``exported_at`` for every case listed by a manifest."""
    times: dict[str, datetime] = {}
    for manifest in manifests:
        try:
            data = _load_json(manifest, MANIFEST_MAX_BYTES)
        except (OSError, ValueError) as exc:
            problems.append(f"{manifest}: skipped, {exc}")
            continue
        if not isinstance(data, dict):
            continue
        exported = parse_timestamp(data.get("exported_at")) if isinstance(data.get("exported_at"), str) else None
        cases = data.get("cases") or []
        if exported is None or not isinstance(cases, list):
            continue
        for case in cases:
            if isinstance(case, dict) and isinstance(case.get("dir"), str):
                times[os.path.normpath(manifest.parent / case["dir"] / "alert.json")] = exported
    return times


def read_scenarios(folder: Path) -> tuple[list[Scenario], list[str]]:
    """Every ``**/alert.json`` whose ``_meta`` has ``miss_id`` or ``taxonomy``; plus what was skipped and why
    (``path: reason``): symlinks, FIFOs, devices, files over 1 MiB, unreadable JSON."""
    if not folder.is_dir():
        return [], [f"{folder}: not a folder"]
    problems: list[str] = []
    alerts, manifests = _walk(folder, problems)
    times = _manifest_times(manifests, problems)
    scenarios: list[Scenario] = []
    for path in alerts:
        try:
            data = _load_json(path, ALERT_MAX_BYTES)
        except RefusedPathError as exc:
            problems.append(f"{path}: skipped, {exc.reason}")
            continue
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not readable JSON ({exc})")
            continue
        meta = data.get("_meta") if isinstance(data, dict) else None
        if not isinstance(meta, dict) or not (meta.get("miss_id") or meta.get("taxonomy")):
            continue
        covered_at = times.get(os.path.normpath(path))
        if covered_at is None:
            try:
                covered_at = datetime.fromtimestamp(path.stat(follow_symlinks=False).st_mtime, tz=UTC)
            except (OSError, OverflowError, ValueError):
                problems.append(f"{path}: skipped, its file time is out of range")
                continue
        alert = data.get("alert_name")
        scenarios.append(
            Scenario(
                path=path,
                miss_id=meta.get("miss_id") if isinstance(meta.get("miss_id"), str) else None,
                alert_name=alert if isinstance(alert, str) else None,
                taxonomy=meta.get("taxonomy") if isinstance(meta.get("taxonomy"), str) else None,
                covered_at=covered_at,
            )
        )
    return scenarios, problems


def coverage_from_folder(misses: pl.LazyFrame, folder: Path) -> tuple[pl.LazyFrame, list[str]]:
    """Read a scenarios folder and map its scenarios to grouping keys (:func:`analytics.learning.coverage_by_key`);
    also returns the problems found."""
    found, problems = read_scenarios(folder)
    return coverage_by_key(misses, scenarios_frame(found)), problems


__all__ = ["ALERT_MAX_BYTES", "coverage_from_folder", "read_scenarios", "write_cases", "write_digest_artifacts"]
