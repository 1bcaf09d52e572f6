"""What a reader found besides the rows: quarantined lines and flagged fields, and the frame they go with."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

EXCERPT_CHARS = 200


BOM = "\ufeff"


class UnreadableInputError(Exception):
    """The input cannot be read at all (not a file, not UTF-8 CSV, no ``error_ledger`` table, ...)."""


@dataclass(frozen=True)
class ReportItem:
    """One quarantined line or flagged field: where it is, why, and what it looked like."""

    file: str
    line: int
    reason: str
    excerpt: str
    action: str  # "quarantined" (row left out) or "flagged" (row kept, field null in typed columns)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ReportCounts:
    """``quarantined`` and ``flagged`` counted from ``items`` (for every result that carries a report)."""

    items: list[ReportItem]

    @property
    def quarantined(self) -> int:
        return sum(1 for i in self.items if i.action == "quarantined")

    @property
    def flagged(self) -> int:
        return sum(1 for i in self.items if i.action == "flagged")


@dataclass
class ReadResult(ReportCounts):
    """A typed frame (columns of ``InputSchema.polars_schema``) and what was skipped or flagged."""

    frame: pl.DataFrame
    items: list[ReportItem]
    blank_lines: int = 0
    lines: int = 0  # lines read (JSONL), blank ones included
    # JSONL read from a known place in a file whose lines end with "\n" only: where each record's stored text
    # (``_raw``) is, as ``_line``, ``_offset`` (bytes from the file start) and ``_len`` (bytes), so a cache can
    # keep the offsets and read the text back from the file instead of storing it a second time.
    offsets: pl.DataFrame | None = None


def _excerpt(text: str) -> str:
    return text[:EXCERPT_CHARS]
