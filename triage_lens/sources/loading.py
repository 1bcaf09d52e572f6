"""Where the inputs come from (CLI.md source resolution) and how they are loaded (with a Parquet cache).

``resolve_sources`` turns ``--data``/``--policy``/``--now``/``--write`` (or their absence) into a
:class:`DataSources`; ``load_input`` reads one input through the cache and returns a :class:`LoadedInput`
holding a typed LazyFrame and the quarantine report; ``load_all`` does every input and applies the
derived columns.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from analytics.derived import derive_incident_fields, with_grouping_key
from analytics.exclusions import without_exercises
from analytics.policy import Policy
from analytics.schemas import ALL_INPUTS, INPUTS_BY_NAME, InputSchema
from analytics.timeparse import parse_cli_time
from triage_lens.resources import bundled_sample_dir, default_policy_file
from triage_lens.sources.config import YamlError, read_yaml_file
from triage_lens.sources.files import read_regular_file
from triage_lens.sources.readers import (
    ReadResult,
    ReportCounts,
    ReportItem,
    UnreadableInputError,
    empty_frame,
    read_input_file,
    read_jsonl_bytes,
)
from triage_lens.sources.redaction import redact

BUNDLED_SAMPLE_DIR = bundled_sample_dir()
DEFAULT_POLICY_FILE = default_policy_file()
CONFIG_FILENAME = "triage-lens.yaml"
SAMPLE_MANIFEST = "sample.json"
SCENARIOS_FOLDER = "scenarios"  # a data folder's exported scenarios, used for coverage by default
RUNS_FOLDER = "runs"  # a data folder's benchmark results (JUnit XML, JSONL)
# Bump when the typed layout of a cached file changes, so old caches are never read.
READER_VERSION = "2"


class SourceError(ValueError):
    """A usage or configuration error about the data sources (exit 2); names the option, file or key."""


class SourceConfig(BaseModel):
    """``triage-lens.yaml``: one source per input; relative paths are relative to the config file."""

    model_config = ConfigDict(extra="forbid")

    data_dir: str | None = None
    misses: str | None = None
    feedback: str | None = None
    investigations: str | None = None
    incidents: str | None = None
    events: str | None = None
    error_ledger: str | None = None
    scenarios_dir: str | None = None
    runs_dir: str | None = None
    policy: str | None = None
    write: bool = False
    now: str | None = None
    me: str | None = None  # who "mine" is on the dashboard (triage_lens.sources.identity)
    team: str | None = None
    allowed_hosts: list[str] = []  # more Host names the dashboard serves (triage_lens.hosts)


@dataclass(frozen=True)
class DataSources:
    """The resolved inputs: a file per input (None when absent), policy, clock and write mode."""

    origin: str  # "sample", "folder", "config" or "opensre"
    root: Path | None  # the data folder (or config file) the user pointed at
    paths: Mapping[str, Path | None]
    now: datetime
    now_source: str  # "--now", "config", "sample.json" or "wall clock"
    policy_path: Path
    write: bool = False
    incident_store_uri: str | None = None  # a postgresql:// URI from the config
    scenarios_dir: Path | None = None
    sample_inputs: tuple[str, ...] = ()  # inputs served from the bundled sample
    runs_dir: Path | None = None  # benchmark results: <data>/runs, or runs_dir in the config
    allowed_hosts: tuple[str, ...] = ()  # allowed_hosts of the config (the dashboard adds them to its defaults)

    @property
    def is_sample(self) -> bool:
        return bool(self.sample_inputs)

    def describe(self) -> str:
        """One line for banners and ``check``: where the data comes from (connection passwords redacted)."""
        if self.origin == "sample":
            return f"bundled sample data ({self.root})"
        if self.origin == "opensre":
            return f"OpenSRE files in {self.root} (misses, feedback); other inputs from the bundled sample"
        store = f"; incident store {redact(self.incident_store_uri)}" if self.incident_store_uri else ""
        return redact(f"{self.origin} {self.root}{store}")


def _folder_paths(folder: Path) -> dict[str, Path | None]:
    paths: dict[str, Path | None] = {}
    for schema in ALL_INPUTS:
        paths[schema.name] = next((folder / n for n in schema.filenames if (folder / n).exists()), None)
    return paths


def _sample_now(folder: Path) -> datetime | None:
    manifest = folder / SAMPLE_MANIFEST
    if not manifest.is_file():
        return None
    try:
        data = json.loads(read_regular_file(manifest, 1024 * 1024).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise SourceError(f"{manifest}: not valid JSON ({exc})") from None
    value = data.get("now") if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise SourceError(f"{manifest}: key 'now' is missing or not an ISO-8601 timestamp")
    return _parse_now(value, f"{manifest}: now")


def _parse_now(value: str, where: str) -> datetime:
    try:
        return parse_cli_time(value, where)
    except ValueError as exc:
        raise SourceError(str(exc)) from None


def _load_config(path: Path) -> SourceConfig:
    try:
        raw = read_yaml_file(path)  # safe loader, size cap, no alias bomb, regular file only
    except YamlError as exc:
        raise SourceError(str(exc)) from None
    try:
        return SourceConfig.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        if first["type"] == "extra_forbidden":
            raise SourceError(f"{path}: unknown key '{key}'") from exc
        raise SourceError(f"{path}: invalid value for '{key}': {first['msg']}") from exc


def _config_sources(config_path: Path, config: SourceConfig) -> tuple[dict[str, Path | None], str | None, Path | None]:
    base = config_path.parent

    def resolve(value: str) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else base / candidate

    paths: dict[str, Path | None] = (
        _folder_paths(resolve(config.data_dir)) if config.data_dir else {s.name: None for s in ALL_INPUTS}
    )
    store_uri: str | None = None
    for schema in ALL_INPUTS:
        value: str | None = getattr(config, schema.name)
        if not value:
            continue
        if schema.name == "incidents" and value.startswith(("postgresql://", "postgres://")):
            store_uri = value
            paths["incidents"] = None
            continue
        target = resolve(value)
        if target.is_dir():
            folder = _folder_paths(target)
            paths[schema.name] = folder[schema.name]
            if schema.name == "incidents" and not config.events:
                paths["events"] = folder["events"]
        else:
            paths[schema.name] = target
    scenarios = resolve(config.scenarios_dir) if config.scenarios_dir else None
    return paths, store_uri, scenarios


def resolve_sources(
    data: str | None = None,
    policy: str | None = None,
    now: str | None = None,
    write: bool = False,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
    wall_clock: datetime | None = None,
) -> DataSources:
    """Resolve the inputs as CLI.md says: ``--data``, else ``$TRIAGE_LENS_DATA``, else ``./triage-lens.yaml``,
    else ``~/.opensre/`` for misses and feedback (other inputs from the bundled sample), else the sample."""
    env = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    home = home or Path.home()
    option = "--data"
    if data is None and env.get("TRIAGE_LENS_DATA"):
        data, option = env["TRIAGE_LENS_DATA"], "TRIAGE_LENS_DATA"
    if data is None and (cwd / CONFIG_FILENAME).is_file():
        data = str(cwd / CONFIG_FILENAME)

    config: SourceConfig | None = None
    store_uri: str | None = None
    scenarios: Path | None = None
    sample_inputs: tuple[str, ...] = ()
    now_folder: Path | None
    if data is not None:
        root = Path(data).expanduser()
        if root.is_dir():
            origin, paths, now_folder = "folder", _folder_paths(root), root
            scenarios = root / SCENARIOS_FOLDER if (root / SCENARIOS_FOLDER).is_dir() else None
            if root.resolve() == BUNDLED_SAMPLE_DIR.resolve():
                origin, sample_inputs = "sample", tuple(s.name for s in ALL_INPUTS)
        elif root.is_file() and root.suffix.lower() in (".yaml", ".yml"):
            config = _load_config(root)
            origin = "config"
            paths, store_uri, scenarios = _config_sources(root, config)
            now_folder = (root.parent / config.data_dir) if config.data_dir else None
        elif root.exists():
            raise SourceError(f"{option}: {data} is neither a data folder nor a {CONFIG_FILENAME} config file")
        else:
            raise SourceError(f"{option}: {data} does not exist")
    else:
        opensre = home / ".opensre"
        sample_paths = _folder_paths(BUNDLED_SAMPLE_DIR)
        if (opensre / "misses.jsonl").is_file() or (opensre / "feedback.jsonl").is_file():
            root, origin = opensre, "opensre"
            own = _folder_paths(opensre)
            paths = {**sample_paths, "misses": own["misses"], "feedback": own["feedback"]}
            sample_inputs = tuple(n for n in sample_paths if n not in ("misses", "feedback"))
            now_folder = None  # real data: the wall clock
        else:
            root, origin, paths, now_folder = BUNDLED_SAMPLE_DIR, "sample", sample_paths, BUNDLED_SAMPLE_DIR
            sample_inputs = tuple(s.name for s in ALL_INPUTS)
            scenarios = (
                BUNDLED_SAMPLE_DIR / SCENARIOS_FOLDER if (BUNDLED_SAMPLE_DIR / SCENARIOS_FOLDER).is_dir() else None
            )

    if now is not None:
        pinned, now_source = _parse_now(now, "--now"), "--now"
    elif config is not None and config.now:
        pinned, now_source = _parse_now(config.now, f"{root}: now"), "config"
    elif now_folder is not None and (sample_now := _sample_now(now_folder)) is not None:
        pinned, now_source = sample_now, "sample.json"
    else:
        pinned, now_source = (wall_clock or datetime.now(UTC)), "wall clock"

    if policy is not None:
        policy_path = Path(policy).expanduser()
        if not policy_path.is_file():
            raise SourceError(f"--policy: {policy} is not a file")
    elif config is not None and config.policy:
        policy_path = root.parent / Path(config.policy).expanduser()
    elif origin == "folder" and (root / "policy.yml").is_file():
        policy_path = root / "policy.yml"
    else:
        policy_path = DEFAULT_POLICY_FILE

    runs: Path | None = None
    if config is not None:
        runs = _runs_folder(root.parent, config)
    elif origin in ("folder", "sample") and root is not None and (root / RUNS_FOLDER).is_dir():
        runs = root / RUNS_FOLDER
    return DataSources(
        origin=origin,
        root=root,
        paths=paths,
        now=pinned,
        now_source=now_source,
        policy_path=policy_path,
        write=write or bool(config and config.write),
        incident_store_uri=store_uri,
        scenarios_dir=scenarios,
        sample_inputs=sample_inputs,
        runs_dir=runs,
        allowed_hosts=tuple(config.allowed_hosts) if config is not None else (),
    )


def _runs_folder(base: Path, config: SourceConfig) -> Path | None:
    """``runs_dir`` of the config (relative to it), else ``<data_dir>/runs`` when that folder exists."""
    if config.runs_dir:
        candidate = Path(config.runs_dir).expanduser()
        return candidate if candidate.is_absolute() else base / candidate
    if config.data_dir:
        folder = base / Path(config.data_dir).expanduser() / RUNS_FOLDER
        return folder if folder.is_dir() else None
    return None


# --- loading through the cache -------------------------------------------------------------------


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/triage-lens`` (default ``~/.cache/triage-lens``)."""
    env = os.environ if environ is None else environ
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "triage-lens"


@dataclass
class LoadedInput(ReportCounts):
    """One input after reading: its typed LazyFrame and what the reader skipped or flagged."""

    name: str
    path: Path | None
    frame: pl.LazyFrame
    rows: int = 0
    items: list[ReportItem] = field(default_factory=list)
    blank_lines: int = 0
    error: str | None = None  # the input exists but cannot be read at all
    from_cache: bool = False
    uri: str | None = None  # a PostgreSQL incident store (password redacted), instead of a file

    @property
    def available(self) -> bool:
        return (self.path is not None or self.uri is not None) and self.error is None

    @property
    def location(self) -> str | None:
        """Where the input was read from, for people: the file path or the redacted store URI."""
        return self.uri or (str(self.path) if self.path else None)


def _cache_names(path: Path, schema: InputSchema) -> tuple[str, str]:
    """(prefix shared by every version of this file's cache, full key of this version)."""
    resolved = str(path.resolve())
    stat = path.stat()
    prefix = f"{schema.name}-{hashlib.sha256(resolved.encode()).hexdigest()[:16]}"
    version = hashlib.sha256(f"{READER_VERSION}|{resolved}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return prefix, f"{prefix}-{version}"


def _unique() -> str:
    """A name part no other process or call uses (pid plus random bits)."""
    return f"{os.getpid()}-{os.urandom(4).hex()}"


def _write_cache(directory: Path, prefix: str, key: str, frame: pl.DataFrame, report: dict[str, Any]) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(f"{prefix}-*"):
            if not stale.name.startswith(key):  # another process may be writing or reading this version
                stale.unlink(missing_ok=True)
        # per-process temporary names: two processes caching the same file never write into one tmp
        tmp = directory / f".{key}.{_unique()}.parquet.tmp"
        frame.write_parquet(tmp)
        report_tmp = directory / f".{key}.{_unique()}.report.tmp"
        report_tmp.write_text(json.dumps(report), encoding="utf-8")
        report_tmp.replace(directory / f"{key}.report.json")
        tmp.replace(directory / f"{key}.parquet")  # written last: its presence means the cache is complete
    except OSError:
        return False
    return True


def load_input(
    name: str, path: Path | None, *, use_cache: bool = True, environ: Mapping[str, str] | None = None
) -> LoadedInput:
    """Read one input (through the Parquet cache unless ``use_cache`` is False).

    Out: :class:`LoadedInput` whose ``frame`` has the typed columns of the input's schema. A missing
    path gives an empty frame; an unreadable file gives an empty frame and ``error``.
    """
    schema = INPUTS_BY_NAME[name]
    if path is None:
        return LoadedInput(name, None, empty_frame(schema).lazy())
    label = str(path)
    if not path.exists():
        return LoadedInput(name, path, empty_frame(schema).lazy(), error=f"{label}: file not found")
    env = os.environ if environ is None else environ
    use_cache = use_cache and env.get("TRIAGE_LENS_NO_CACHE", "") not in ("1", "true")
    directory = cache_dir(env)
    if use_cache and path.is_file() and path.suffix.lower() in JSONL_SUFFIXES:
        return _load_jsonl_cached(name, path, schema, directory)
    if use_cache and path.is_file():
        prefix, key = _cache_names(path, schema)
        parquet = directory / f"{key}.parquet"
        report_file = directory / f"{key}.report.json"
        if parquet.is_file() and report_file.is_file():
            try:
                report = json.loads(report_file.read_text(encoding="utf-8"))
                items = [ReportItem(**item) for item in report["items"]]
                return LoadedInput(
                    name,
                    path,
                    pl.scan_parquet(parquet),
                    report["rows"],
                    items,
                    report["blank_lines"],
                    from_cache=True,
                )
            except (OSError, ValueError, KeyError, TypeError):
                pass  # a damaged cache entry is rebuilt below
    try:
        result = read_input_file(path, schema, label)
    except UnreadableInputError as exc:
        return LoadedInput(name, path, empty_frame(schema).lazy(), error=str(exc))
    loaded = LoadedInput(name, path, result.frame.lazy(), result.frame.height, result.items, result.blank_lines)
    if use_cache and path.is_file():
        report = {
            "rows": result.frame.height,
            "blank_lines": result.blank_lines,
            "items": [i.to_dict() for i in result.items],
        }
        if _write_cache(directory, prefix, key, result.frame, report):
            loaded.frame = pl.scan_parquet(directory / f"{key}.parquet")
    return loaded


# --- append-only JSONL cache -----------------------------------------------------------------------

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
HASH_WINDOW = 4096  # bytes before the cached offset that must be unchanged for an append
MAX_PARTS = 8  # parts are merged into one past this


@dataclass
class _JsonlCache:
    """What is cached for one JSONL file: every complete line up to ``offset`` (just after the last newline).

    The bytes after ``offset`` (an unterminated last line, perhaps still being written) are never cached:
    they are read again on every load, so a half-written line is not quarantined for good.
    """

    version: str
    dev: int
    inode: int
    offset: int
    lines: int
    window_hash: str
    parts: list[str]
    rows: int
    blank_lines: int
    items: list[dict[str, Any]]

    @staticmethod
    def load(file: Path) -> _JsonlCache | None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            cache = _JsonlCache(**data)
        except (OSError, ValueError, TypeError):
            return None
        return cache if cache.version == READER_VERSION else None


def _window_hash(handle: Any, offset: int) -> str:
    start = max(0, offset - HASH_WINDOW)
    handle.seek(start)
    return hashlib.sha256(handle.read(offset - start)).hexdigest()


def _read_range(handle: Any, start: int, end: int) -> bytes:
    handle.seek(start)
    return bytes(handle.read(end - start))


STALE_PART_AGE_S = 120.0  # a part younger than this may belong to a concurrent rebuild in another process


def _remove_stale_parts(directory: Path, prefix: str, listed: list[str]) -> None:
    """Delete this file's old cache parts: the ones the outdated metadata listed, and orphans older than
    :data:`STALE_PART_AGE_S`. A younger unlisted part may be another process's concurrent rebuild of the same
    file, which reads its parts back lazily, so it must not vanish under that process."""
    now = datetime.now(UTC).timestamp()
    for stale in directory.glob(f"{prefix}-*.parquet"):
        try:
            if stale.name in listed or now - stale.stat().st_mtime > STALE_PART_AGE_S:
                stale.unlink(missing_ok=True)
        except OSError:
            continue


def _load_jsonl_cached(name: str, path: Path, schema: InputSchema, directory: Path) -> LoadedInput:
    """Load a JSONL input through the append-only cache: unchanged -> cached parts; grown with the same bytes
    up to the cached offset -> parse only the new complete lines and add a part; anything else -> rebuild."""
    label = str(path)
    prefix = f"{schema.name}-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]}"
    meta_file = directory / f"{prefix}.meta.json"
    try:
        handle = path.open("rb")
    except OSError as exc:
        return LoadedInput(
            name, path, empty_frame(schema).lazy(), error=f"{label}: cannot read ({exc.strerror or exc})"
        )
    with handle:
        stat = os.fstat(handle.fileno())
        size = stat.st_size
        cache = _JsonlCache.load(meta_file)
        usable = (
            cache is not None
            and (cache.dev, cache.inode) == (stat.st_dev, stat.st_ino)
            and size >= cache.offset
            and all((directory / part).is_file() for part in cache.parts)
            and _window_hash(handle, cache.offset) == cache.window_hash
        )
        old_parts = list(cache.parts) if cache is not None else []
        if cache is None or not usable:
            cache = None
        # The complete region ends just after the last newline; what follows is re-read every time.
        complete = _last_newline_end(handle, size, cache.offset if cache else 0)
        new_results: list[ReadResult] = []
        if cache is None:
            if complete == size and size > 0:
                result = read_input_file(path, schema, label)  # the fast whole-file path
            else:
                result = read_jsonl_bytes(_read_range(handle, 0, complete), schema, label)
            cache = _JsonlCache(READER_VERSION, stat.st_dev, stat.st_ino, 0, 0, "", [], 0, 0, [])
            _remove_stale_parts(directory, prefix, old_parts)
            new_results.append(result)
            from_cache = False
        elif complete > cache.offset:
            result = read_jsonl_bytes(
                _read_range(handle, cache.offset, complete), schema, label, first_line=cache.lines + 1
            )
            new_results.append(result)
            from_cache = True
        else:
            from_cache = True
        tail = (
            read_jsonl_bytes(
                _read_range(handle, complete, size),
                schema,
                label,
                first_line=cache.lines + sum(r.lines for r in new_results) + 1,
            )
            if size > complete
            else None
        )
        for result in new_results:
            cache.lines += result.lines
            cache.rows += result.frame.height
            cache.blank_lines += result.blank_lines
            cache.items.extend(i.to_dict() for i in result.items)
        parts_before = list(cache.parts)
        stored = _store_parts(directory, prefix, cache, [r.frame for r in new_results])
        if not stored:
            cache.parts = parts_before
        if new_results:
            cache.offset = complete
            cache.window_hash = _window_hash(handle, complete)
            if stored:
                _write_meta(meta_file, cache)
    frames: list[pl.LazyFrame] = [pl.scan_parquet([directory / p for p in cache.parts])] if cache.parts else []
    if not stored:  # the cache folder is not writable: serve what was read from memory
        frames.extend(r.frame.lazy() for r in new_results)
    items = [ReportItem(**i) for i in cache.items]
    rows, blank = cache.rows, cache.blank_lines
    if tail is not None:
        frames.append(tail.frame.lazy())
        items.extend(tail.items)
        rows += tail.frame.height
        blank += tail.blank_lines
    frame = pl.concat(frames, how="vertical") if frames else empty_frame(schema).lazy()
    return LoadedInput(name, path, frame, rows, items, blank, from_cache=from_cache)


def _last_newline_end(handle: Any, size: int, floor: int) -> int:
    """The offset just after the last ``\n`` at or after ``floor`` (``floor`` when there is none)."""
    block = 1 << 16
    end = size
    while end > floor:
        start = max(floor, end - block)
        handle.seek(start)
        chunk = handle.read(end - start)
        found = int(chunk.rfind(b"\n"))
        if found >= 0:
            return start + found + 1
        end = start
    return floor


def _store_parts(directory: Path, prefix: str, cache: _JsonlCache, frames: list[pl.DataFrame]) -> bool:
    """Write ``frames`` as new Parquet parts (merging all parts into one past ``MAX_PARTS``)."""
    frames = [f for f in frames if f.height]
    if not frames:
        return True
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if len(cache.parts) + len(frames) > MAX_PARTS:
            merged = pl.concat([pl.read_parquet(directory / p) for p in cache.parts] + frames)
            frames, old = [merged], cache.parts
            cache.parts = []
        else:
            old = []
        for frame in frames:
            part = f"{prefix}-{hashlib.sha256(os.urandom(16)).hexdigest()[:16]}.parquet"
            tmp = directory / f".{part}.tmp"
            frame.write_parquet(tmp, compression="lz4")  # fast to write and to read back
            tmp.replace(directory / part)
            cache.parts.append(part)
        for stale in old:
            (directory / stale).unlink(missing_ok=True)
    except OSError:
        return False
    return True


def _write_meta(meta_file: Path, cache: _JsonlCache) -> None:
    try:
        tmp = meta_file.with_name(f".{meta_file.name}.{_unique()}.tmp")
        tmp.write_text(json.dumps(asdict(cache)), encoding="utf-8")
        tmp.replace(meta_file)
    except OSError:
        pass


def excluded_incidents(loaded: LoadedInput) -> int:
    """How many valid incident rows the drill/maintenance filter left out (rows read − rows kept)."""
    if loaded.name != "incidents" or not loaded.available:
        return 0
    return max(0, loaded.rows - int(loaded.frame.select(pl.len()).collect().item()))


@dataclass
class LoadedData:
    """Every input of one :class:`DataSources`, loaded, with derived columns applied."""

    sources: DataSources
    inputs: dict[str, LoadedInput]

    def frame(self, name: str) -> pl.LazyFrame:
        return self.inputs[name].frame

    @property
    def items(self) -> list[ReportItem]:
        return [item for loaded in self.inputs.values() for item in loaded.items]

    def warning_line(self) -> str | None:
        """The one-line stderr summary other commands print (never inside their JSON)."""
        parts = []
        for loaded in self.inputs.values():
            if loaded.error:
                parts.append(loaded.error)
            elif loaded.quarantined or loaded.flagged:
                name = loaded.path.name if loaded.path else loaded.name
                counts = [
                    f"{n} {word}{'' if n == 1 else 's'} {verb}"
                    for n, word, verb in (
                        (loaded.quarantined, "line", "quarantined"),
                        (loaded.flagged, "field", "flagged"),
                    )
                    if n
                ]
                parts.append(f"{' and '.join(counts)} in {name}")
        if not parts:
            return None
        return "warning: " + "; ".join(parts) + " — run `triage-lens check`"


def apply_derived_columns(name: str, frame: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """The derived columns of DATA.md for one input: misses grouping key, incident kind and signature."""
    if name == "misses":
        return with_grouping_key(frame)
    if name == "incidents":  # drills and maintenance leave every metric here, once (analytics.exclusions)
        return without_exercises(
            derive_incident_fields(
                frame, kind_keywords=policy.incidents.kind_keywords, default_kind=policy.incidents.default_kind
            )
        )
    return frame


def load_all(
    sources: DataSources, policy: Policy, *, use_cache: bool = True, names: Iterable[str] | None = None
) -> LoadedData:
    """Load the inputs of ``sources`` (only ``names`` when given; the others stay empty and unread)
    and apply the derived columns."""
    wanted = set(names) if names is not None else {s.name for s in ALL_INPUTS}
    inputs: dict[str, LoadedInput] = {}
    for schema in ALL_INPUTS:
        path = sources.paths.get(schema.name) if schema.name in wanted else None
        if sources.incident_store_uri and schema.name in ("incidents", "events") and schema.name in wanted:
            loaded = _load_from_postgres(schema, sources.incident_store_uri)
        else:
            loaded = load_input(schema.name, path, use_cache=use_cache)
        loaded.frame = apply_derived_columns(schema.name, loaded.frame, policy)
        inputs[schema.name] = loaded
    return LoadedData(sources, inputs)


def _load_from_postgres(schema: InputSchema, uri: str) -> LoadedInput:
    from triage_lens.sources.store import read_postgres

    try:
        result = read_postgres(uri, schema)
    except UnreadableInputError as exc:
        return LoadedInput(schema.name, None, empty_frame(schema).lazy(), error=redact(str(exc)), uri=redact(uri))
    return LoadedInput(schema.name, None, result.frame.lazy(), result.frame.height, result.items, uri=redact(uri))


def time_span(loaded: LoadedInput) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest parsed timestamp of an input's time field (None, None when there are none)."""
    schema = INPUTS_BY_NAME[loaded.name]
    if schema.time_field is None:
        return None, None
    micros = pl.col(schema.time_field).dt.epoch("us")
    row = loaded.frame.select(micros.min().alias("lo"), micros.max().alias("hi")).collect().row(0)
    return _python_time(row[0]), _python_time(row[1])


def _python_time(micros: int | None) -> datetime | None:
    """Epoch microseconds as a UTC datetime; None past Python's years 1-9999 (Polars reaches further)."""
    if micros is None:
        return None
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    except OverflowError:
        return None


@dataclass(frozen=True)
class SourceSummary:
    """One row of the sources table (``check`` and the Data & policy page)."""

    input: str
    status: str  # "ok", "missing" or "unreadable"
    path: str | None  # file path or redacted store URI
    rows: int
    quarantined: int
    flagged: int
    blank_lines: int
    first: datetime | None
    last: datetime | None
    error: str | None


def summarise_sources(data: LoadedData) -> list[SourceSummary]:
    """Rows, report counts and time span of every input, in DATA.md order."""
    summaries = []
    for name, loaded in data.inputs.items():
        first, last = time_span(loaded) if loaded.available else (None, None)
        status = "missing" if loaded.location is None else ("unreadable" if loaded.error else "ok")
        summaries.append(
            SourceSummary(
                name,
                status,
                loaded.location,
                loaded.rows,
                loaded.quarantined,
                loaded.flagged,
                loaded.blank_lines,
                first,
                last,
                loaded.error,
            )
        )
    return summaries
