"""Where the inputs come from (CLI.md source resolution): ``--data``/``--policy``/``--now``/``--write`` (or their
absence) -> :class:`DataSources`. The first step of ``--data``: resolve -> read -> cache -> typed frames."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from analytics.schemas import ALL_INPUTS
from analytics.timeparse import parse_cli_time
from triage_lens.resources import bundled_sample_dir, default_policy_file
from triage_lens.sources.config import YamlError, read_yaml_file
from triage_lens.sources.files import read_regular_file
from triage_lens.sources.gateway import GATEWAY_INPUT_NAMES
from triage_lens.sources.redaction import redact

BUNDLED_SAMPLE_DIR = bundled_sample_dir()


DEFAULT_POLICY_FILE = default_policy_file()


CONFIG_FILENAME = "triage-lens.yaml"


SAMPLE_MANIFEST = "sample.json"


SCENARIOS_FOLDER = "scenarios"  # a data folder's exported scenarios, used for coverage by default


RUNS_FOLDER = "runs"  # a data folder's benchmark results (JUnit XML, JSONL)


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
    slack_feedback: str | None = None
    discord_feedback: str | None = None
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
    ledger_uri: str | None = None  # the error ledger in PostgreSQL (a postgresql:// URI from the config)
    scenarios_dir: Path | None = None
    sample_inputs: tuple[str, ...] = ()  # inputs served from the bundled sample
    runs_dir: Path | None = None  # benchmark results: <data>/runs, or runs_dir in the config
    runs_home: Path | None = None  # where runs_dir is looked for, whether it exists yet or not (imports write here)
    allowed_hosts: tuple[str, ...] = ()  # allowed_hosts of the config (the dashboard adds them to its defaults)

    @property
    def is_sample(self) -> bool:
        return bool(self.sample_inputs)

    def describe(self) -> str:
        """One line for banners and ``check``: where the data comes from (connection passwords redacted)."""
        if self.origin == "sample":
            return f"bundled sample data ({self.root})"
        if self.origin == "opensre":
            return f"OpenSRE files in {self.root} (misses, feedback, gateway); other inputs from the bundled sample"
        store = f"; incident store {redact(self.incident_store_uri)}" if self.incident_store_uri else ""
        ledger = f"; error ledger {redact(self.ledger_uri)}" if self.ledger_uri else ""
        return redact(f"{self.origin} {self.root}{store}{ledger}")


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


def _config_sources(
    config_path: Path, config: SourceConfig
) -> tuple[dict[str, Path | None], str | None, Path | None, str | None]:
    base = config_path.parent

    def resolve(value: str) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else base / candidate

    paths: dict[str, Path | None] = (
        _folder_paths(resolve(config.data_dir)) if config.data_dir else {s.name: None for s in ALL_INPUTS}
    )
    store_uri: str | None = None
    ledger_uri: str | None = None
    for schema in ALL_INPUTS:
        value: str | None = getattr(config, schema.name)
        if not value:
            continue
        if schema.name == "incidents" and value.startswith(("postgresql://", "postgres://")):
            store_uri = value
            paths["incidents"] = None
            continue
        if schema.name == "error_ledger" and value.startswith(("postgresql://", "postgres://")):
            ledger_uri = value  # served by the database: severity is pushed down as SQL
            paths["error_ledger"] = None
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
    return paths, store_uri, scenarios, ledger_uri


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
    ledger_uri: str | None = None
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
            paths, store_uri, scenarios, ledger_uri = _config_sources(root, config)
            now_folder = (root.parent / config.data_dir) if config.data_dir else None
        elif root.exists():
            raise SourceError(f"{option}: {data} is neither a data folder nor a {CONFIG_FILENAME} config file")
        else:
            raise SourceError(f"{option}: {data} does not exist")
    else:
        opensre = home / ".opensre"
        sample_paths = _folder_paths(BUNDLED_SAMPLE_DIR)
        own = _folder_paths(opensre)
        mine = ("misses", "feedback", *sorted(GATEWAY_INPUT_NAMES))  # what OpenSRE writes under ~/.opensre
        if any((found := own[n]) is not None and found.is_file() for n in mine):
            root, origin = opensre, "opensre"
            paths = {**sample_paths, **{n: own[n] for n in mine}}
            sample_inputs = tuple(n for n in sample_paths if n not in mine)
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
    runs_home: Path | None = None
    if config is not None:
        runs = _runs_folder(root.parent, config)
        runs_home = _runs_home(root.parent, config)
    elif origin in ("folder", "sample") and root is not None:
        runs_home = root / RUNS_FOLDER
        runs = runs_home if runs_home.is_dir() else None
    return DataSources(
        origin=origin,
        root=root,
        paths=paths,
        now=pinned,
        now_source=now_source,
        policy_path=policy_path,
        write=write or bool(config and config.write),
        incident_store_uri=store_uri,
        ledger_uri=ledger_uri,
        scenarios_dir=scenarios,
        sample_inputs=sample_inputs,
        runs_dir=runs,
        runs_home=runs_home,
        allowed_hosts=tuple(config.allowed_hosts) if config is not None else (),
    )


def _runs_home(base: Path, config: SourceConfig) -> Path | None:
    """Where a config's runs are looked for: ``runs_dir`` (relative to the config), else ``<data_dir>/runs``;
    None when it names neither."""
    if config.runs_dir:
        candidate = Path(config.runs_dir).expanduser()
        return candidate if candidate.is_absolute() else base / candidate
    if config.data_dir:
        return base / Path(config.data_dir).expanduser() / RUNS_FOLDER
    return None


def _runs_folder(base: Path, config: SourceConfig) -> Path | None:
    """``runs_dir`` of the config (relative to it), else ``<data_dir>/runs`` when that folder exists."""
    home = _runs_home(base, config)
    if home is None or config.runs_dir:
        return home
    return home if home.is_dir() else None


def in_the_bundled_sample(path: Path) -> bool:
    """``path`` is the bundled sample folder or inside it (symlinks resolved): never written to."""
    try:
        return path.resolve().is_relative_to(BUNDLED_SAMPLE_DIR.resolve())
    except OSError:
        return True  # a path that cannot be resolved is not written to either


def startup_sources(environ: Mapping[str, str]) -> DataSources:
    """The data source fixed when the server started: ``TRIAGE_LENS_DATA`` (what ``triage-lens dashboard --data``
    sets), else ``./triage-lens.yaml``, ``~/.opensre`` or the bundled sample, with ``TRIAGE_LENS_POLICY``,
    ``TRIAGE_LENS_NOW`` and ``TRIAGE_LENS_WRITE``. Raises :class:`SourceError` for a broken start-up source."""
    return resolve_sources(
        None,
        environ.get("TRIAGE_LENS_POLICY"),
        environ.get("TRIAGE_LENS_NOW"),
        environ.get("TRIAGE_LENS_WRITE", "") in ("1", "true"),
        environ=environ,
    )
