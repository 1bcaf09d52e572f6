"""Shared state of every page: the resolved sources, the policy, the loaded data and the filters.

The sidebar (rendered by ``app.py`` before the page) owns the widgets; their values live in
``st.query_params`` so a link reproduces the view. Loading is cached per file fingerprint (path, size,
mtime) and policy text, so a rerun never re-reads or re-parses unchanged files.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from analytics.policy import Policy, PolicyError
from analytics.schemas import ALL_INPUTS
from analytics.severity import BacktestCounts, LedgerCounts, SeverityOptions
from analytics.timeparse import format_utc
from analytics.windows import DEFAULT_RANGE, RANGE_KEYS, Window, range_or_default, window
from dashboard.formatting import escape_markdown
from dashboard.urlstate import (
    url_multiselect,
    url_param,
    url_selectbox,
    url_values,
)
from triage_lens.sources.asof import pinned_to
from triage_lens.sources.config import load_policy, policy_from_yaml
from triage_lens.sources.ledger import severity_backtest_counts, severity_counts
from triage_lens.sources.loading import (
    BUNDLED_SAMPLE_DIR,
    DataSources,
    LoadedData,
    LoadedInput,
    SourceError,
    load_all,
    resolve_sources,
    startup_sources,
)
from triage_lens.sources.redaction import redact
from triage_lens.sources.runs import MAX_FILES

T = TypeVar("T")
POLICY_OVERRIDE_KEY = "policy_override_yaml"
CONTEXT_KEY = "_triage_context"
INPUT_NAMES = tuple(schema.name for schema in ALL_INPUTS)


@dataclass(frozen=True)
class Filters:
    """Sidebar filters shared by the pages: a time range ending at now and a service selection."""

    range_key: str = DEFAULT_RANGE
    services: tuple[str, ...] = ()
    asof: str | None = None  # "view as of": the URL's asof=<ISO>, pinning now (view state; never chooses files)

    def window(self, now: datetime) -> Window:
        """The range as a window ending at ``now`` (:mod:`analytics.windows`: the one definition)."""
        return window(self.range_key, now)

    def since(self, now: datetime) -> datetime | None:
        """Start of the time range, or None for all time."""
        return self.window(now).start

    def query_params(self) -> dict[str, str | list[str]]:
        """The filters as query parameters (what a page link carries)."""
        params: dict[str, str | list[str]] = {"range": self.range_key}
        if self.services:
            params["service"] = list(self.services)
        if self.asof:
            params["asof"] = self.asof
        return params


@dataclass
class AppContext:
    """Everything a page needs; built once per rerun."""

    sources: DataSources
    policy: Policy
    data: LoadedData
    filters: Filters = field(default_factory=Filters)
    policy_error: str | None = None
    source_error: str | None = None
    policy_overridden: bool = False
    data_key: str = ""  # changes when any input file or the policy changes: the key of every derived cache
    this_run: dict[str, Any] = field(default_factory=dict)  # what one run looked up once (a folder's stamp)

    @property
    def now(self) -> datetime:
        return self.sources.now


FOLDER_STAMP_MAX_FILES = 4 * MAX_FILES  # past this many files a folder's stamp stops looking (a runs folder's cap)


def folder_stamp(context: AppContext, folder: Path | None) -> str:
    """A cache key for a folder the pages read whole (the scenarios folder, the benchmark runs): a hash of the path,
    size and modification time of every file under it, walked once per run however many sections ask. It changes
    when any file in it is added, removed or rewritten: a re-export rewrites ``alert.json`` inside its own
    subfolder, and a new run lands in a subfolder, neither of which moves the folder's own modification time."""
    key = f"folder-stamp:{folder}"
    if key not in context.this_run:
        context.this_run[key] = hashlib.sha256(repr(files_under(folder)).encode()).hexdigest()
    stamp: str = context.this_run[key]
    return stamp


def files_under(folder: Path | None) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime in ns) of every file under ``folder`` in a fixed order (symlinks not followed; at most
    :data:`FOLDER_STAMP_MAX_FILES`); one ``(folder, -1, -1)`` entry when it is not a folder."""
    if folder is None or not folder.is_dir():
        return ((str(folder), -1, -1),)
    parts: list[tuple[str, int, int]] = []
    for directory, subdirs, names in os.walk(folder, followlinks=False):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            try:
                info = path.stat()
            except OSError:
                continue
            parts.append((str(path), info.st_size, info.st_mtime_ns))
            if len(parts) >= FOLDER_STAMP_MAX_FILES:
                return tuple(parts)
    return tuple(parts)


def _fingerprint(sources: DataSources) -> tuple[tuple[str, str, int, int], ...]:
    return tuple(_input_fingerprint(sources, name) for name in sorted(sources.paths))


LEDGER_DATABASE_TTL_S = 60  # a ledger in a database is asked again at most once a minute


def _input_fingerprint(sources: DataSources, name: str) -> tuple[str, str, int, int]:
    if name == "error_ledger" and sources.ledger_uri:
        # A database has no file stamp: its summary and aggregates are refreshed once a minute.
        return (name, redact(sources.ledger_uri), -1, int(time.time() // LEDGER_DATABASE_TTL_S))
    path = sources.paths.get(name)
    if path is not None and path.is_file():
        stat = path.stat()
        return (name, str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return (name, str(path), -1, -1)


# Derived columns of these inputs depend on the policy (incident kind keywords); the others are loaded once
# whatever policy a session tries, so a what-if edit never copies the data.
POLICY_DEPENDENT_INPUTS = frozenset({"incidents"})
# Inputs whose stored line (``_raw``) a page shows or exports (the miss detail, alert.json scenarios); the
# others are kept without it.
RAW_LINE_INPUTS = frozenset({"misses"})


@st.cache_resource(show_spinner="Loading data…", max_entries=24)
def _load_input_cached(
    name: str,
    fingerprint: tuple[str, str, int, int],
    store_uri: str | None,
    policy_key: str,
    _sources: DataSources,
    _policy: Policy,
) -> LoadedInput:
    """One input, loaded once per (file fingerprint, policy where it matters) for every browser session
    (``st.cache_resource``: one shared copy, never one per session). A small input is materialised in memory;
    a large one stays a lazy scan of its Parquet cache (see :func:`keeps_in_memory`), so a page reads only the
    columns and rows its query needs and memory does not grow with every input a session has visited."""
    loaded = load_all(_sources, _policy, names=[name]).inputs[name]
    if loaded.database is not None:
        return loaded  # a ledger in a database: severity is pushed down, its rows are never held here
    frame = loaded.frame
    if name not in RAW_LINE_INPUTS:  # the stored line is half the memory; only the miss pages show it
        frame = frame.drop("_raw", strict=False)
    loaded.frame = frame.collect().lazy() if keeps_in_memory(name, fingerprint[2]) else frame
    return loaded


# Inputs whose file is larger than this are queried from their Parquet cache instead of held in memory: at
# scale 100 (1M misses, 2.5M feedback and investigations, 10M ledger rows) holding every input took 7 GB.
MATERIALISE_MAX_BYTES = 256 * 1024 * 1024


def keeps_in_memory(name: str, file_bytes: int) -> bool:
    """Whether an input is materialised: always for policy-dependent ones (their derived columns hash and
    match text, too slow to redo per query) and stores without a file (PostgreSQL, ``file_bytes`` < 0);
    otherwise only files up to :data:`MATERIALISE_MAX_BYTES`."""
    return name in POLICY_DEPENDENT_INPUTS or file_bytes < 0 or file_bytes <= MATERIALISE_MAX_BYTES


class _LazyInputs(dict[str, LoadedInput]):
    """The inputs of one source, each loaded (from the shared cache) the first time a page asks for it: the
    Misses page never reads the error ledger."""

    def __init__(self, sources: DataSources, policy: Policy, policy_key: str) -> None:
        super().__init__()
        self._sources, self._policy, self._policy_key = sources, policy, policy_key

    def __missing__(self, name: str) -> LoadedInput:
        if name not in INPUT_NAMES:
            raise KeyError(name)
        loaded = _load_input_cached(
            name,
            _input_fingerprint(self._sources, name),
            self._sources.incident_store_uri if name in ("incidents", "events") else None,
            self._policy_key if name in POLICY_DEPENDENT_INPUTS else "",
            self._sources,
            self._policy,
        )
        self[name] = loaded
        return loaded

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in INPUT_NAMES else default

    def __contains__(self, name: object) -> bool:
        return name in INPUT_NAMES

    def __iter__(self) -> Iterator[str]:
        return iter(INPUT_NAMES)

    def __len__(self) -> int:
        return len(INPUT_NAMES)

    def keys(self) -> Any:
        return list(INPUT_NAMES)

    def values(self) -> Any:  # in schema order, whatever order the pages asked in
        return [self[name] for name in INPUT_NAMES]

    def items(self) -> Any:
        return [(name, self[name]) for name in INPUT_NAMES]


def _policy_for(sources: DataSources) -> tuple[Policy, str | None, bool, str]:
    """The policy of this run, its problem (None when fine), whether it is the session's what-if policy, and its
    key (a hash of the effective policy). A policy file is parsed once per (path, size, mtime) for every session."""
    override = st.session_state.get(POLICY_OVERRIDE_KEY)
    if override:
        try:
            policy, error = policy_from_yaml(override, "what-if policy"), None
        except PolicyError as exc:
            policy, error = Policy(), str(exc)
        return policy, error, True, _policy_key(policy)
    path = sources.policy_path
    policy, error, key = _policy_file_cached(str(path), *_file_stamp(path))
    return policy, error, False, key


def _policy_key(policy: Policy) -> str:
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()


def _file_stamp(path: Path) -> tuple[int, int]:
    """(size, mtime in ns) of a file, (-1, -1) when it cannot be read: a cache key that changes when it is
    rewritten (a missing or unreadable file is asked again on every run, so its error stays current)."""
    try:
        stat = path.stat()
    except OSError:
        return -1, time.monotonic_ns()
    return stat.st_size, stat.st_mtime_ns


@st.cache_resource(max_entries=8, show_spinner=False)
def _policy_file_cached(path: str, size: int, mtime_ns: int) -> tuple[Policy, str | None, str]:
    """The policy file parsed and validated once per (path, size, mtime): shared read-only by every session."""
    try:
        policy, error = load_policy(Path(path)), None
    except PolicyError as exc:
        policy, error = Policy(), f"{exc} — using the default policy"
    return policy, error, _policy_key(policy)


def _resolve() -> tuple[DataSources, str | None]:
    """The data source fixed when the server started: ``TRIAGE_LENS_DATA`` (what ``triage-lens dashboard
    --data`` sets), else ``./triage-lens.yaml``, ``~/.opensre`` or the bundled sample. Nothing the browser
    sends (URL parameters, widgets) chooses a path, a policy file or write mode."""
    try:
        return startup_sources(os.environ), None
    except SourceError as exc:
        # The start-up source failed (say a broken TRIAGE_LENS_POLICY): fall back to the bundled sample.
        return resolve_sources(str(BUNDLED_SAMPLE_DIR), None, None, environ={}), str(exc)


WALL_CLOCK = "wall clock"  # the ``now_source`` of sources whose now is the wall clock (resolve_sources)


def dashboard_clock(sources: DataSources) -> DataSources:
    """The dashboard's now: a wall-clock now is rounded up to the next whole minute, so every rerun and every browser
    session within that minute asks the same question and reuses the results computed for it (the :func:`memo` key
    holds now). Up, not down: a record written a moment ago is already in (now − range, now]. A pinned now
    (``--now``, the config, ``sample.json``, ``asof=``) is kept exactly."""
    if sources.now_source != WALL_CLOCK:
        return sources
    minute = sources.now.replace(second=0, microsecond=0)
    return replace(sources, now=minute if minute == sources.now else minute + timedelta(minutes=1))


def build_context(filters: Filters) -> AppContext:
    """Resolve the start-up sources, load policy and data (cached) and bundle them with the filters."""
    sources, source_error = _resolve()
    sources = pinned_to(dashboard_clock(sources), filters.asof)  # asof=<ISO> moves now exactly as --now does
    policy, policy_error, overridden, policy_key = _policy_for(sources)
    # A fresh wrapper per run (the clock may have moved: wall-clock now) over the shared, lazily loaded inputs.
    data = LoadedData(sources, _LazyInputs(sources, policy, policy_key))
    data_key = hashlib.sha256(repr((_fingerprint(sources), policy_key)).encode()).hexdigest()
    return AppContext(sources, policy, data, filters, policy_error, source_error, overridden, data_key)


@st.cache_resource(max_entries=64, show_spinner=False)
def _memoised(kind: str, key: tuple[Any, ...], _build: Callable[[], Any]) -> Any:
    return _build()


def memo(context: AppContext, kind: str, *params: Any, build: Callable[[], T]) -> T:
    """A derived result computed once per (data, policy, ``params``): reruns reuse it instead of recomputing.
    Results are shared read-only between sessions (``st.cache_resource``), so pages must not mutate them."""
    result: T = _memoised(kind, (context.data_key, str(context.now), *params), build)
    return result


def data_memo(context: AppContext, kind: str, *params: Any, build: Callable[[], T]) -> T:
    """As :func:`memo` for a result that does not depend on now (say the misses sorted by pair): computed once per
    (data, policy, ``params``) however the clock moves, so a new minute recomputes only what depends on now."""
    result: T = _memoised_per_data(kind, (context.data_key, *params), build)
    return result


@st.cache_resource(max_entries=32, show_spinner=False)
def _memoised_per_data(kind: str, key: tuple[Any, ...], _build: Callable[[], Any]) -> Any:
    """:func:`data_memo`'s store, apart from :func:`memo`'s: the entries of each new minute never push these out."""
    return _build()


def ledger_counts(context: AppContext, options: SeverityOptions) -> LedgerCounts:
    """The error ledger's severity aggregates (pushed down to its database, or from Polars), once per data,
    clock and options; a database ledger is asked again at most once a minute."""
    loaded = context.data.inputs["error_ledger"]
    fresh = int(time.time() // LEDGER_DATABASE_TTL_S) if loaded.database is not None else 0
    return memo(
        context,
        "ledger-counts",
        repr(options),
        fresh,
        build=lambda: severity_counts(loaded, now=context.now, options=options),
    )


def ledger_backtest_counts(context: AppContext, days: int, options: SeverityOptions) -> BacktestCounts:
    """The backtest's aggregates, cached as :func:`ledger_counts` is."""
    loaded = context.data.inputs["error_ledger"]
    fresh = int(time.time() // LEDGER_DATABASE_TTL_S) if loaded.database is not None else 0
    return memo(
        context,
        "ledger-backtest",
        repr(options),
        days,
        fresh,
        build=lambda: severity_backtest_counts(loaded, now=context.now, days=days, options=options),
    )


def render_sidebar() -> AppContext:
    """Sidebar: data source with the sample banner, time range and service filters (kept in the URL)."""
    sidebar = st.sidebar
    range_key = url_selectbox(
        sidebar,
        "Time range",
        RANGE_KEYS,
        "range",
        DEFAULT_RANGE,
        help="Rows in (now − range, now] on every page; on the misses pages the same cutoff is OpenSRE's "
        "inclusive `--since` (timestamp ≥ now − range). 'all' applies no time filter.",
    )
    asof = url_param("asof")
    context = build_context(Filters(range_key, asof=asof))
    services = url_multiselect(
        sidebar,
        "Services",
        _services(context.data),
        "service",
        help="Empty means every service. Pages whose data has no service say so under their title.",
    )
    context.filters = Filters(range_key, tuple(services), asof)

    sources = context.sources
    if context.source_error:
        sidebar.error(
            f"Data source not usable: {escape_markdown(redact(context.source_error))}. "
            "Showing the default source instead."
        )
    if sources.is_sample:
        which = "all inputs" if len(sources.sample_inputs) == len(INPUT_NAMES) else ", ".join(sources.sample_inputs)
        sidebar.warning(
            f"**Sample data** ({which}). To use your own: `TRIAGE_LENS_DATA=PATH make run`, or "
            "`.venv/bin/triage-lens dashboard --data PATH`; `~/.opensre` is picked up automatically.",
            icon=":material/science:",
        )
    sidebar.caption(
        f"Source: {escape_markdown(sources.describe())}  \nNow: {format_utc(sources.now)} ({sources.now_source})  \n"
        f"Mode: {'**write** (changes are saved)' if sources.write else 'read-only'}"
    )
    if context.policy_error:
        sidebar.error(f"Policy problem: {escape_markdown(context.policy_error)}")
    elif context.policy_overridden:
        sidebar.info("A what-if policy is active for this session (Data & policy page).")

    st.session_state[CONTEXT_KEY] = context
    return context


def page_title(
    title: str,
    context: AppContext,
    *,
    range_note: str | None = None,
    services_note: str | None = None,
    services_scope: str | None = None,
) -> None:
    """The page title and, right under it, which sidebar filters apply here; a filter that cannot apply
    says why (``range_note`` / ``services_note``: the reason, e.g. "misses carry no service"); a services
    filter that applies to part of the page names that part (``services_scope``, e.g. "incidents only")."""
    st.title(title)
    filters = context.filters
    chosen = ", ".join(filters.services) if filters.services else "all services"
    window_text = "all time" if filters.range_key == "all" else f"last {filters.range_key}"
    parts = [
        f"Range: {window_text}" if range_note is None else f"Range not applied: {range_note}",
        f"Services: {escape_markdown(chosen)}" + (f" ({services_scope})" if services_scope else "")
        if services_note is None
        else f"Services not applied: {services_note}",
    ]
    st.caption(":material/filter_alt: " + " · ".join(parts))


def current_context() -> AppContext:
    """The context the sidebar built for this run (or one from the URL when the page runs alone)."""
    context = st.session_state.get(CONTEXT_KEY)
    if isinstance(context, AppContext):
        return context
    filters = Filters(range_or_default(st.query_params.get("range")), tuple(url_values("service")), url_param("asof"))
    return build_context(filters)


def _services(data: LoadedData) -> list[str]:
    incidents = data.frame("incidents").select(pl.col("service").drop_nulls().unique())
    return sorted(incidents.collect().to_series().to_list())


def relative_path(path: Path | None) -> str:
    """A path shown relative to the working directory when it is inside it."""
    if path is None:
        return "—"
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
