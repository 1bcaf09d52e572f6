"""The one definition of time windows, for the dashboard's sidebar range and the CLI's ``--since``.

A range spec is a ``--since`` duration (``7d``, ``24h``, ``2w``, case-insensitive, optional space) or ``all``.
Its window ends at ``now`` and starts at ``now − duration`` — the same instant on every page and in the CLI.

Two memberships, both from the same start instant:
- :meth:`Window.contains` — ``(start, end]`` (RULES.md: "time windows are written as intervals"): every page
  except the misses pages, ``confidence report --since`` and the Overview's incident and rating counts.
- :meth:`Window.since` — ``timestamp >= start``, no upper bound: OpenSRE's inclusive ``--since`` (RULES.md §1),
  used by ``misses list/stats/export`` and therefore by the Misses and Scenarios pages, so the page shows the
  same rows as ``triage-lens misses stats --since 30d``. The two differ only for a row stamped exactly at the
  start instant or after ``now``.

The sidebar range ``30d`` therefore means ``--since 30d`` on the misses pages and ``(now − 30d, now]`` elsewhere;
``all`` means no time filter anywhere (``--since ""`` in the CLI): rows without a timestamp included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from analytics.misses import parse_since

RANGE_KEYS: tuple[str, ...] = ("7d", "14d", "30d", "90d", "all")
"""The sidebar's choices, in display order."""
DEFAULT_RANGE = "30d"
ALL = "all"


@dataclass(frozen=True)
class Window:
    """A time window ending at ``end``; ``start`` None means all time."""

    start: datetime | None
    end: datetime
    spec: str = ALL

    @property
    def length(self) -> timedelta | None:
        return None if self.start is None else self.end - self.start

    def contains(self, column: str = "timestamp") -> pl.Expr:
        """``(start, end]``; a null timestamp is in no bounded window. All time is no time filter at all
        (every row, as ``--since ""``)."""
        if self.start is None:
            return pl.lit(True)
        ts = pl.col(column)
        return ts.is_not_null() & (ts > self.start) & (ts <= self.end)

    def since(self, column: str = "timestamp") -> pl.Expr:
        """OpenSRE's ``--since``: ``timestamp >= start``, no upper bound (no start: every row)."""
        ts = pl.col(column)
        return pl.lit(True) if self.start is None else ts.is_not_null() & (ts >= self.start)

    def previous(self) -> Window | None:
        """The window of the same length right before this one (None for all time)."""
        if self.start is None:
            return None
        return Window(self.start - (self.end - self.start), self.start, f"{self.spec} before")

    def label(self) -> str:
        """``last 30d`` / ``all time``: how pages name the window."""
        return "all time" if self.start is None else f"last {self.spec}"

    def within(self) -> str:
        """``in the last 30d`` / ``across all time``: the window after a verb ("incidents started ...")."""
        return "across all time" if self.start is None else f"in the last {self.spec}"


def window(spec: str | None, now: datetime) -> Window:
    """The window of a range spec ending at ``now``: ``all``/None/empty → all time, else ``now − duration``.

    Raises ``analytics.misses.UsageError`` (naming ``--since``) for text that is neither.
    """
    text = (spec or "").strip()
    if text == "" or text.lower() == ALL:
        return Window(None, now, ALL)
    return Window(parse_since(text, now), now, text)


def range_or_default(spec: str | None) -> str:
    """A sidebar range key from the URL: one of :data:`RANGE_KEYS`, else the default."""
    return spec if spec in RANGE_KEYS else DEFAULT_RANGE
