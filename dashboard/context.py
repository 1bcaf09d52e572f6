"""Shared state of every page: the resolved sources, the policy, the loaded data and the filters.

The sidebar (rendered by ``app.py`` before the page) owns the widgets; their values live in
``st.query_params`` so a link reproduces the view. Loading is cached per file fingerprint (path, size,
mtime) and policy text, so a rerun never re-reads or re-parses unchanged files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from analytics.policy import Policy, PolicyError
from analytics.timeparse import format_utc
from analytics.windows import DEFAULT_RANGE, RANGE_KEYS, Window, range_or_default, window
from dashboard.formatting import escape_markdown
from dashboard.urlstate import (
    set_url_param,
    url_multiselect,
    url_selectbox,
    url_values,
)
from triage_lens.sources.config import load_policy, policy_from_yaml
from triage_lens.sources.loading import DataSources, LoadedData, SourceError, load_all, resolve_sources

T = TypeVar("T")
POLICY_OVERRIDE_KEY = "policy_override_yaml"
CONTEXT_KEY = "_triage_context"


@dataclass(frozen=True)
class Filters:
    """Sidebar filters shared by the pages: a time range ending at now and a service selection."""

    range_key: str = DEFAULT_RANGE
    services: tuple[str, ...] = ()

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

    @property
    def now(self) -> datetime:
        return self.sources.now


def _fingerprint(sources: DataSources) -> tuple[tuple[str, str, int, int], ...]:
    parts = []
    for name, path in sorted(sources.paths.items()):
        if path is not None and path.is_file():
            stat = path.stat()
            parts.append((name, str(path.resolve()), stat.st_size, stat.st_mtime_ns))
        else:
            parts.append((name, str(path), -1, -1))
    return tuple(parts)


@st.cache_resource(show_spinner="Loading data…", max_entries=4)
def _load_cached(
    _sources: DataSources,
    fingerprint: tuple[tuple[str, str, int, int], ...],
    policy_key: str,
    _policy: Policy,
) -> LoadedData:
    """Load every input once per (file fingerprint, policy); frames are materialised in memory."""
    data = load_all(_sources, _policy)
    for loaded in data.inputs.values():
        loaded.frame = loaded.frame.collect().lazy()
    return data


def _policy_for(sources: DataSources) -> tuple[Policy, str | None, bool]:
    override = st.session_state.get(POLICY_OVERRIDE_KEY)
    if override:
        try:
            return policy_from_yaml(override, "what-if policy"), None, True
        except PolicyError as exc:
            return Policy(), str(exc), True
    try:
        return load_policy(sources.policy_path), None, False
    except PolicyError as exc:
        return Policy(), f"{exc} — using the default policy", False


def _resolve(data_arg: str | None) -> tuple[DataSources, str | None]:
    env = os.environ
    try:
        return (
            resolve_sources(
                data_arg,
                env.get("TRIAGE_LENS_POLICY"),
                env.get("TRIAGE_LENS_NOW"),
                env.get("TRIAGE_LENS_WRITE", "") in ("1", "true"),
            ),
            None,
        )
    except SourceError as exc:
        if data_arg is None:
            # Even the defaults failed (say a broken TRIAGE_LENS_POLICY): fall back to the bundled sample.
            return resolve_sources(None, None, None, environ={}), str(exc)
        fallback, second = _resolve(None)
        return fallback, str(exc) + (f"; {second}" if second else "")


def build_context(data_arg: str | None, filters: Filters) -> AppContext:
    """Resolve sources, load policy and data (cached) and bundle them with the filters."""
    sources, source_error = _resolve(data_arg)
    policy, policy_error, overridden = _policy_for(sources)
    policy_key = hashlib.sha256(policy.model_dump_json().encode()).hexdigest()
    cached = _load_cached(sources, _fingerprint(sources), policy_key, policy)
    # A fresh wrapper: the clock may have moved since the cached load (wall-clock now).
    data = LoadedData(sources, cached.inputs)
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


def render_sidebar() -> AppContext:
    """Sidebar: data source with the sample banner, time range and service filters (kept in the URL)."""
    params = st.query_params
    sidebar = st.sidebar
    data_arg = params.get("data") or None
    entered = sidebar.text_input(
        "Data source",
        value=data_arg or "",
        key="sidebar_data_source",
        placeholder="folder or triage-lens.yaml (empty = default)",
        help="A data folder or a triage-lens.yaml config. Empty uses TRIAGE_LENS_DATA, ./triage-lens.yaml, "
        "~/.opensre or the bundled sample, in that order.",
    ).strip()
    data_arg = entered or None
    range_key = url_selectbox(
        sidebar,
        "Time range",
        RANGE_KEYS,
        "range",
        DEFAULT_RANGE,
        help="Rows in (now − range, now] on every page; on the misses pages the same cutoff is OpenSRE's "
        "inclusive `--since` (timestamp ≥ now − range). 'all' applies no time filter.",
    )
    context = build_context(data_arg, Filters(range_key))
    services = url_multiselect(
        sidebar,
        "Services",
        _services(context.data),
        "service",
        help="Empty means every service. Pages whose data has no service say so under their title.",
    )
    context.filters = Filters(range_key, tuple(services))

    sources = context.sources
    if context.source_error:
        sidebar.error(
            f"Data source not usable: {escape_markdown(context.source_error)}. Showing the default source instead."
        )
    if sources.is_sample:
        which = "all inputs" if len(sources.sample_inputs) == 6 else ", ".join(sources.sample_inputs)
        sidebar.warning(
            f"**Sample data** ({which}). To use your own: `triage-lens dashboard --data PATH`, or "
            "`TRIAGE_LENS_DATA=PATH`; `~/.opensre` is picked up automatically.",
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

    set_url_param("data", data_arg)
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
    filters = Filters(range_or_default(st.query_params.get("range")), tuple(url_values("service")))
    return build_context(st.query_params.get("data") or None, filters)


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
