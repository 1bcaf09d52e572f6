"""Typed frames for every input: ``load_all`` resolves nothing itself; it takes :class:`DataSources` (from
:mod:`~triage_lens.sources.resolve`), reads each input through the cache (:mod:`~triage_lens.sources.cache`, which
calls the readers), or from a database (the PostgreSQL incident store, a ledger in PostgreSQL or SQLite), and
applies the derived columns. One direction: resolve -> read -> cache -> typed frames.

The names of the earlier single module stay importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from analytics.derived import derive_incident_fields, with_grouping_key
from analytics.exclusions import without_exercises
from analytics.policy import Policy
from analytics.schemas import ALL_INPUTS, INPUTS_BY_NAME, InputSchema
from triage_lens.sources.cache import READER_VERSION, cache_dir, load_input
from triage_lens.sources.gateway import GATEWAY_INPUT_NAMES, quarantine_unusable_rows
from triage_lens.sources.inputs import LoadedData, LoadedInput
from triage_lens.sources.ledger_sql import is_sqlite_ledger, postgres_ledger, sqlite_ledger
from triage_lens.sources.readers import (
    UnreadableInputError,
    empty_frame,
)
from triage_lens.sources.redaction import redact
from triage_lens.sources.resolve import (
    BUNDLED_SAMPLE_DIR,
    CONFIG_FILENAME,
    DEFAULT_POLICY_FILE,
    RUNS_FOLDER,
    SAMPLE_MANIFEST,
    SCENARIOS_FOLDER,
    DataSources,
    SourceConfig,
    SourceError,
    resolve_sources,
    startup_sources,
)
from triage_lens.sources.store import read_postgres


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


def excluded_incidents(loaded: LoadedInput) -> int:
    """How many valid incident rows the drill/maintenance filter left out (rows read − rows kept)."""
    if loaded.name != "incidents" or not loaded.available:
        return 0
    return max(0, loaded.rows - int(loaded.frame.select(pl.len()).collect().item()))


def in_a_database(sources: DataSources, name: str) -> bool:
    """Whether :func:`load_all` reads input ``name`` from a database (the PostgreSQL incident store, a PostgreSQL
    or SQLite/D1 ledger) rather than from its file through the Parquet cache (:func:`load_input`)."""
    if name in ("incidents", "events"):
        return bool(sources.incident_store_uri)
    if name == "error_ledger":
        return bool(sources.ledger_uri) or is_sqlite_ledger(sources.paths.get(name))
    return False


def load_all(
    sources: DataSources, policy: Policy, *, use_cache: bool = True, names: Iterable[str] | None = None
) -> LoadedData:
    """Load the inputs of ``sources`` (only ``names`` when given; the others stay empty and unread)
    and apply the derived columns."""
    wanted = set(names) if names is not None else {s.name for s in ALL_INPUTS}
    inputs: dict[str, LoadedInput] = {}
    for schema in ALL_INPUTS:
        path = sources.paths.get(schema.name) if schema.name in wanted else None
        if schema.name in wanted and in_a_database(sources, schema.name) and schema.name != "error_ledger":
            loaded = _load_from_postgres(schema, str(sources.incident_store_uri))
        elif schema.name in wanted and in_a_database(sources, schema.name):
            loaded = _load_ledger_database(schema, path, sources.ledger_uri)
        else:
            loaded = load_input(schema.name, path, use_cache=use_cache, max_line_bytes=policy.limits.max_line_bytes)
        if schema.name in GATEWAY_INPUT_NAMES and loaded.path is not None:  # verdicts other than good/bad
            loaded.frame, dropped = quarantine_unusable_rows(loaded.frame, loaded.items, str(loaded.path))
            loaded.rows -= dropped
        loaded.frame = apply_derived_columns(schema.name, loaded.frame, policy)
        inputs[schema.name] = loaded
    return LoadedData(sources, inputs)


def _load_from_postgres(schema: InputSchema, uri: str) -> LoadedInput:

    try:
        result = read_postgres(uri, schema)
    except UnreadableInputError as exc:
        return LoadedInput(schema.name, None, empty_frame(schema).lazy(), error=redact(str(exc)), uri=redact(uri))
    return LoadedInput(schema.name, None, result.frame.lazy(), result.frame.height, result.items, uri=redact(uri))


def _load_ledger_database(schema: InputSchema, path: Path | None, uri: str | None) -> LoadedInput:
    """A ledger in PostgreSQL or SQLite: summarised by one query; its rows are read only if a view asks for them
    (a deferred frame), never for severity (see :mod:`triage_lens.sources.ledger`)."""
    shown = redact(uri) if uri else None
    try:
        database = postgres_ledger(uri) if uri else sqlite_ledger(path) if path else None
        assert database is not None
        summary = database.summary()
    except UnreadableInputError as exc:
        return LoadedInput(schema.name, path, empty_frame(schema).lazy(), error=redact(str(exc)), uri=shown)
    frame = pl.defer(lambda: database.read_all(schema), schema=schema.polars_schema())
    return LoadedInput(
        schema.name,
        path,
        frame,
        summary.rows,
        uri=shown,
        database=database,
        counted_quarantined=summary.quarantined,
        counted_flagged=summary.unparsed,
        span_us=(summary.first_us, summary.last_us),
    )


def time_span(loaded: LoadedInput) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest parsed timestamp of an input's time field (None, None when there are none)."""
    if loaded.span_us is not None:
        return _python_time(loaded.span_us[0]), _python_time(loaded.span_us[1])
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


__all__ = [
    "BUNDLED_SAMPLE_DIR",
    "CONFIG_FILENAME",
    "DEFAULT_POLICY_FILE",
    "READER_VERSION",
    "RUNS_FOLDER",
    "SAMPLE_MANIFEST",
    "SCENARIOS_FOLDER",
    "DataSources",
    "LoadedData",
    "LoadedInput",
    "SourceConfig",
    "SourceError",
    "SourceSummary",
    "apply_derived_columns",
    "cache_dir",
    "excluded_incidents",
    "load_all",
    "load_input",
    "resolve_sources",
    "startup_sources",
    "summarise_sources",
    "time_span",
]
