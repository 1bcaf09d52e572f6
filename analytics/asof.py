"""Where the data is when the chosen range holds none of it (DEFINITIONS §2 "as of").

A status-page export ends years before today: every range ending at the wall clock is empty although the inputs
hold data. These helpers say where the data is ("newest incident 2022-07-01 14:00 UTC") and give the instant to
pin "now" to: the newest timestamp across the loaded inputs, exactly what ``--now`` would be given.

In: per input its time column's newest and oldest value and how many rows fall in the window. Pure Python over
those few numbers; the scans are the caller's (one min/max/count per input).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from analytics.windows import Window

# What one record of each input is called in a sentence (singular, plural).
NOUNS: dict[str, tuple[str, str]] = {
    "misses": ("miss", "misses"),
    "feedback": ("rating", "ratings"),
    "investigations": ("investigation", "investigations"),
    "incidents": ("incident", "incidents"),
    "events": ("incident event", "incident events"),
    "error_ledger": ("ledger error", "ledger errors"),
    "slack_feedback": ("Slack thumb", "Slack thumbs"),
    "discord_feedback": ("Discord thumb", "Discord thumbs"),
}


@dataclass(frozen=True)
class InputSpan:
    """One input's time column: oldest and newest value, rows in all and rows in the chosen window."""

    name: str
    oldest: datetime | None
    newest: datetime | None
    rows: int
    in_window: int


def input_span(name: str, frame: pl.LazyFrame, column: str, window: Window) -> InputSpan:
    """:class:`InputSpan` of one input. In: ``frame`` with the timestamp ``column`` (UTC datetimes)."""
    ts = pl.col(column)
    row = (
        frame.select(
            ts.min().alias("lo"),
            ts.max().alias("hi"),
            ts.is_not_null().sum().alias("rows"),
            window.contains(column).fill_null(False).sum().alias("inside"),
        )
        .collect()
        .row(0)
    )
    rows = int(row[2] or 0)
    # all time is no time filter: every row with a time is in it (``contains`` is then a bare literal)
    return InputSpan(name, row[0], row[1], rows, rows if window.start is None else int(row[3] or 0))


def range_is_empty_elsewhere(spans: list[InputSpan]) -> bool:
    """True when none of ``spans`` has a row in the window but some has rows at all."""
    return bool(spans) and all(s.in_window == 0 for s in spans) and any(s.rows > 0 for s in spans)


def newest_record(spans: list[InputSpan]) -> datetime | None:
    """The newest timestamp over ``spans``: what "view as of the newest record" pins now to."""
    times = [s.newest for s in spans if s.newest is not None]
    return max(times) if times else None


def stamp(moment: datetime) -> str:
    """``2022-07-01 14:00 UTC``."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def iso(moment: datetime) -> str:
    """What ``--now`` and ``asof=`` take: ``2022-07-01T14:00:00Z`` (to the second)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def where_the_data_is(spans: list[InputSpan]) -> str:
    """``newest incident 2022-07-01 14:00 UTC (243 incidents since 2019-03-04)``, one clause per input with data,
    joined by "; "."""
    parts = []
    for span in spans:
        if span.newest is None or span.rows == 0:
            continue
        one, many = NOUNS.get(span.name, (span.name, span.name))
        since = f" since {span.oldest:%Y-%m-%d}" if span.oldest is not None else ""
        parts.append(f"newest {one} {stamp(span.newest)} ({span.rows:,} {one if span.rows == 1 else many}{since})")
    return "; ".join(parts)


def empty_range_sentence(spans: list[InputSpan], window: Window, period: str | None = None) -> str | None:
    """The sentence a page or the CLI shows when the window is empty but the inputs are not; None otherwise.
    ``period`` names the window (default: ``last 30d``)."""
    if not range_is_empty_elsewhere(spans):
        return None
    named = f"in the {period}" if period else f"{window.within()} (ending {stamp(window.end)})"
    return f"Nothing {named}, but the data is elsewhere: {where_the_data_is(spans)}."


def now_hint(spans: list[InputSpan], window: Window, period: str | None = None) -> str | None:
    """The CLI's note for an empty answer: where the data is and the ``--now`` that reaches it (None when the
    window is not empty, or nothing is anywhere)."""
    sentence = empty_range_sentence(spans, window, period)
    newest = newest_record(spans)
    if sentence is None or newest is None:
        return None
    return f"{sentence} Try --now {iso(newest)} to look as of the newest record."


def spans_of(
    frames: Mapping[str, tuple[pl.LazyFrame, str]], window: Window, names: list[str] | None = None
) -> list[InputSpan]:
    """:func:`input_span` of each input in ``frames`` ({name: (frame, time column)}), in ``names`` order."""
    chosen = names if names is not None else list(frames)
    return [input_span(n, frames[n][0], frames[n][1], window) for n in chosen if n in frames]
