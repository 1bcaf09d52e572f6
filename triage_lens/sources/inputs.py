"""One loaded input (:class:`LoadedInput`: a typed LazyFrame and its report) and every input of a source
(:class:`LoadedData`): what the cache step hands to the analytics, the CLI and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from triage_lens.sources.ledger_sql import LedgerDatabase
from triage_lens.sources.readers import (
    ReportCounts,
    ReportItem,
)
from triage_lens.sources.resolve import DataSources


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
    uri: str | None = None  # a PostgreSQL incident store or ledger (password redacted), instead of a file
    database: LedgerDatabase | None = None  # a ledger served by its database (severity pushed down as SQL)
    counted_quarantined: int = 0  # counted by the database, not listed line by line
    counted_flagged: int = 0
    span_us: tuple[int | None, int | None] | None = None  # time span the database reported (epoch µs)

    @property
    def quarantined(self) -> int:
        return super().quarantined + self.counted_quarantined

    @property
    def flagged(self) -> int:
        return super().flagged + self.counted_flagged

    @property
    def available(self) -> bool:
        return (self.path is not None or self.uri is not None) and self.error is None

    @property
    def location(self) -> str | None:
        """Where the input was read from, for people: the file path or the redacted store URI."""
        return self.uri or (str(self.path) if self.path else None)


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
