"""``releases.yml`` in the data folder: which agent version shipped when (DEFINITIONS §4 "Versions").

A YAML list of ``{version, shipped_at, commit?, notes?}``, read with the project's safe YAML loading
(:func:`triage_lens.sources.config.read_yaml_file`). The file is optional; a file that is there but wrong is a
:class:`ReleasesError` naming the file, the item and the key.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from analytics.timeparse import parse_timestamp
from analytics.versions import RELEASE_SCHEMA, empty_releases
from triage_lens.sources.config import YamlError, read_yaml_file

RELEASES_FILE = "releases.yml"
KEYS = ("version", "shipped_at", "commit", "notes")


class ReleasesError(ValueError):
    """``releases.yml`` cannot be used; the message names the file, the item and the key."""


def releases_path(root: Path | None, paths: dict[str, Path | None] | None = None) -> Path | None:
    """Where ``releases.yml`` would be: in the data folder (the folder of a config file, or of misses.jsonl)."""
    candidates: list[Path] = []
    if root is not None:
        candidates.append(root if root.is_dir() else root.parent)
    for value in (paths or {}).values():
        if value is not None:
            candidates.append(value.parent)
    for folder in candidates:
        if (folder / RELEASES_FILE).is_file():
            return folder / RELEASES_FILE
    return None


def _shipped(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None:
        raise ReleasesError(f"{where}: 'shipped_at' {value!r} is not an ISO-8601 timestamp")
    return parsed


def parse_releases(raw: Any, source: str) -> pl.DataFrame:
    """The parsed YAML as a releases frame (:data:`analytics.versions.RELEASE_SCHEMA`), sorted by shipped_at."""
    if raw is None:
        return empty_releases()
    if not isinstance(raw, list):
        raise ReleasesError(f"{source}: expected a list of releases ({{version, shipped_at, commit?, notes?}})")
    rows: list[dict[str, Any]] = []
    for number, item in enumerate(raw, start=1):
        where = f"{source}: release {number}"
        if not isinstance(item, dict):
            raise ReleasesError(f"{where}: expected a mapping with version and shipped_at")
        unknown = sorted(str(k) for k in item if k not in KEYS)
        if unknown:
            raise ReleasesError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(KEYS)})")
        version = item.get("version")
        if version is None or isinstance(version, (dict, list, bool)) or str(version).strip() == "":
            raise ReleasesError(f"{where}: 'version' is missing")
        if "shipped_at" not in item:
            raise ReleasesError(f"{where} ({version}): 'shipped_at' is missing")
        commit, notes = item.get("commit"), item.get("notes")
        for key, value in (("commit", commit), ("notes", notes)):
            if value is not None and isinstance(value, (dict, list)):
                raise ReleasesError(f"{where} ({version}): '{key}' must be text")
        rows.append(
            {
                "version": str(version),
                "shipped_at": _shipped(item["shipped_at"], f"{where} ({version})"),
                "commit": None if commit is None else str(commit),
                "notes": None if notes is None else str(notes),
            }
        )
    seen: set[str] = set()
    for row in rows:
        if row["version"] in seen:
            raise ReleasesError(f"{source}: version {row['version']!r} is listed twice")
        seen.add(row["version"])
    return pl.DataFrame(rows, schema=RELEASE_SCHEMA).sort("shipped_at")


def read_releases(path: Path | None) -> pl.DataFrame | None:
    """``releases.yml`` as a frame, None when there is no such file; :class:`ReleasesError` when it is wrong."""
    if path is None:
        return None
    try:
        raw = read_yaml_file(path)
    except YamlError as exc:
        raise ReleasesError(str(exc)) from None
    return parse_releases(raw, str(path))
