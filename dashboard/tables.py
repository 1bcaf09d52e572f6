"""How every table on every page looks: one mapping from column names to human labels, times to the minute
with the zone stated, fractions as rounded percentages.

Pages keep the analytics' column names in their frames (tests and exports read them); only the header a person
sees changes, through ``column_config``. ``show_table`` is the one way a page renders a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl
import streamlit as st

from analytics.textsafe import ELLIPSIS, NAME_WIDTH

# Streamlit's datetime format (day.js tokens; text in brackets is literal). Values are shown in UTC.
TIME_FORMAT = "YYYY-MM-DD HH:mm [UTC]"
DATE_FORMAT = "YYYY-MM-DD"
PERCENT_FORMAT = "%.0f%%"

COLUMN_LABELS: dict[str, str] = {
    # misses and pairs
    "group_alert": "Alert",
    "alert": "Alert",
    "alert_name": "Alert",
    "group_taxonomy": "Taxonomy",
    "taxonomy": "Taxonomy",
    "taxonomy_detail": "Human note",
    "rating": "Rating",
    "severity": "Severity",
    "pipeline_name": "Pipeline",
    "root_cause": "Root cause",
    "root_cause_category": "Category",
    "category": "Category",
    "validity_score": "Validity score",
    "investigation_loop_count": "Loops",
    "miss_id": "Miss id",
    "run_id": "Run id",
    "feedback_id": "Feedback id",
    "user_id": "User id",
    "org_id": "Org id",
    "timestamp": "Time",
    "timestamp_utc": "Time",
    "timestamp_as_stored": "Time as stored",
    "line": "Line",
    "in_range": "Misses in range",
    "count": "Count",
    "all_time": "All time",
    "state": "State",
    "badge": "State",
    "first_seen": "First seen",
    "last_seen": "Last seen",
    "recent": "Last 7 days",
    "last_7d": "Last 7 days",
    "covered": "Covered",
    "covered_at": "Covered at",
    "days_to_coverage": "Days to coverage",
    "fix_held": "Fix held",
    "fix_judged": "Judged",
    "folder": "Folder",
    "misses": "Misses",
    "representative": "Representative miss",
    # confidence
    "band": "Band",
    "n": "Rated",
    "accurate": "Accurate",
    "partial": "Partial",
    "inaccurate": "Inaccurate",
    "accuracy": "Accuracy",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "nominal_low": "Nominal from",
    "nominal_high": "Nominal to",
    "overconfident": "Overconfident",
    "score": "Score",
    "sources": "Evidence sources",
    "gate": "Gate",
    "not_accurate": "Not accurate",
    # incidents
    "id": "Incident",
    "incident": "Incident",
    "incident_id": "Incident",
    "started_at": "Started",
    "service": "Service",
    "kind": "Kind",
    "status": "Status",
    "title": "Title",
    "signature": "Signature",
    "delta_minutes": "Apart",
    "apart": "Apart",
    # recurrence and buckets
    "key": "Key",
    "level": "Level",
    "bucket_key": "Bucket",
    "bucket": "Bucket",
    "buckets": "Buckets",
    "high": "High",
    "count_7d": "Last 7 days",
    "count_30d": "Last 30 days",
    "open": "Open",
    "kinds": "Kinds",
    "services": "Services",
    "recommendation": "Recommendation",
    "recommendations": "Recommendations",
    "message": "Message",
    "due": "Due",
    # severity
    "provider": "Provider",
    "last_24h": "Last 24 h",
    "last_7d_total": "Last 7 days",
    "trend": "Trend",
    "spike": "Spike",
    "daily": "7 × 24 h (oldest → now)",
    "samples": "Top errors (last 24 h)",
    "date": "Day",
    # data & policy
    "input": "Input",
    "rows": "Rows",
    "quarantined": "Quarantined",
    "flagged": "Flagged",
    "blank_lines": "Blank lines",
    "first": "First (UTC)",
    "last": "Last (UTC)",
    "file": "File",
    "reason": "Reason",
    "excerpt": "Excerpt",
    "action": "Action",
}
# Columns holding a fraction in [0, 1]: shown as a whole percentage.
PERCENT_COLUMNS: frozenset[str] = frozenset(
    {
        "accuracy",
        "accuracy_lenient",
        "ci_low",
        "ci_high",
        "nominal_low",
        "nominal_high",
        "coverage",
        "pair_fix_rate",
        "share_missing",
    }
)


# Integers shown without thousands separators (line numbers are references, not quantities).
PLAIN_INTEGER_COLUMNS: frozenset[str] = frozenset({"line", "investigation_loop_count"})


def column_label(name: str) -> str:
    """The header a person reads: the mapping, else the name with underscores as spaces, first letter capital."""
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def format_time(value: datetime | None) -> str:
    """A time to the minute with its zone: ``2026-11-16 09:00 UTC`` (``—`` when unknown)."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def format_percent(value: float | None, places: int = 0) -> str:
    """A fraction as a rounded percentage: ``0.7143`` → ``71%`` (``—`` when unknown)."""
    return "—" if value is None else f"{value * 100:.{places}f}%"


MISSING = "—"  # what an empty text cell shows (Streamlit would print "None")


def for_display(frame: pl.DataFrame) -> pl.DataFrame:
    """Fractions scaled to percent (rounded in the view by ``column_config``); empty text cells shown as "—"
    instead of "None", and so are empty times: a time column with an empty cell is shown as its text
    (:data:`TIME_FORMAT`, which sorts as the times do); everything else unchanged."""
    times_with_gaps = [
        c for c, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime) and frame[c].null_count() > 0
    ]
    return frame.with_columns(
        *[(pl.col(c) * 100).alias(c) for c in frame.columns if c in PERCENT_COLUMNS and frame.schema[c].is_numeric()],
        *[pl.col(c).fill_null(MISSING) for c, dtype in frame.schema.items() if dtype == pl.Utf8],
        *[_time_text(pl.col(c), frame.schema[c]).fill_null(MISSING) for c in times_with_gaps],
    )


def _time_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A time as :data:`TIME_FORMAT` shows it: ``2026-11-16 05:42 UTC`` (a naive time is taken as UTC)."""
    zone = getattr(dtype, "time_zone", None)
    utc = column.dt.convert_time_zone("UTC") if zone else column
    return utc.dt.strftime("%Y-%m-%d %H:%M UTC")


def column_config(
    frame: pl.DataFrame, labels: Mapping[str, str] | None = None, help: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``column_config`` for ``st.dataframe``: a human label for every column, times to the minute in UTC,
    percentages rounded. ``labels`` and ``help`` override or add per column."""
    labels = labels or {}
    help = help or {}
    config: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        label = labels.get(name) or column_label(name)
        tip = help.get(name)
        if isinstance(dtype, pl.Datetime):
            config[name] = st.column_config.DatetimeColumn(label, format=TIME_FORMAT, timezone="UTC", help=tip)
        elif dtype == pl.Date:
            config[name] = st.column_config.DateColumn(label, format=DATE_FORMAT, help=tip)
        elif name in PERCENT_COLUMNS and dtype.is_numeric():
            config[name] = st.column_config.NumberColumn(label, format=PERCENT_FORMAT, help=tip)
        elif dtype.is_integer() and name not in PLAIN_INTEGER_COLUMNS:
            config[name] = st.column_config.NumberColumn(label, format="localized", help=tip)
        elif isinstance(dtype, pl.List):
            config[name] = st.column_config.ListColumn(label, help=tip)
        else:
            config[name] = st.column_config.Column(label, help=tip)
    return config


# Long prose (a root cause, a quarantine excerpt) is cut later than a name, still bounded.
PROSE_COLUMNS: frozenset[str] = frozenset(
    {"root_cause", "taxonomy_detail", "excerpt", "reason", "message", "messages", "note", "recommendation"}
)
PROSE_WIDTH = 1000


def cut_names(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell of a shown table cut with "…": names at :data:`analytics.textsafe.NAME_WIDTH` characters,
    :data:`PROSE_COLUMNS` at :data:`PROSE_WIDTH` (a 50 MB test name never reaches the browser). Same columns."""
    cuts = []
    for name, dtype in frame.schema.items():
        if dtype != pl.Utf8:
            continue
        width = PROSE_WIDTH if name in PROSE_COLUMNS else NAME_WIDTH
        column = pl.col(name)
        cuts.append(
            pl.when(column.str.len_chars() > width)
            .then(column.str.slice(0, width - 1) + ELLIPSIS)
            .otherwise(column)
            .alias(name)
        )
    return frame.with_columns(cuts) if cuts else frame


def show_table(
    frame: pl.DataFrame,
    *,
    container: Any = None,
    labels: Mapping[str, str] | None = None,
    help: Mapping[str, str] | None = None,
    hide: Iterable[str] = (),
    extra_config: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Render ``frame`` with human headers (``hide`` leaves columns out of view, not out of the frame); text cut
    by :func:`cut_names`."""
    shown = cut_names(for_display(frame))
    config = column_config(shown, labels, help)
    config.update(extra_config or {})
    hidden = set(hide)
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    target = container if container is not None else st
    return target.dataframe(
        shown,
        column_config=config,
        column_order=[c for c in shown.columns if c not in hidden],
        **kwargs,
    )


def duration_text_expr(minutes: pl.Expr) -> pl.Expr:
    """Minutes as people say them: ``45 min``, ``3.5 h`` (under two days), ``29 days`` ("—" when unknown)."""
    hours = minutes / 60
    days = minutes / 1440
    return (
        pl.when(minutes.is_null())
        .then(pl.lit(MISSING))
        .when(minutes < 60)
        .then(minutes.round(0).cast(pl.Int64).cast(pl.Utf8) + " min")
        .when(hours < 48)
        .then(hours.round(1).cast(pl.Utf8) + " h")
        .when(days < 10)
        .then(days.round(1).cast(pl.Utf8) + " days")
        .otherwise(days.round(0).cast(pl.Int64).cast(pl.Utf8) + " days")
    )
