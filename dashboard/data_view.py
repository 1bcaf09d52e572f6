"""The Data & policy page's tables: one row per input and the quarantine report (presentation only; the reading
and the counts are :mod:`triage_lens.sources.loading`'s)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dashboard.context import relative_path
from triage_lens.sources.loading import SourceSummary
from triage_lens.sources.readers import ReportItem
from triage_lens.sources.redaction import PERSONAL_FIELDS, redact, report_records

REPORT_SCHEMA = {"file": pl.Utf8, "line": pl.Int64, "reason": pl.Utf8, "excerpt": pl.Utf8, "action": pl.Utf8}


def _shown_path(path: str | None) -> str:
    """A file relative to the working directory; a store URI with its password redacted."""
    if path and "://" not in path:
        return relative_path(Path(path))
    return redact(path or "—")


def sources_table(summaries: list[SourceSummary]) -> pl.DataFrame:
    """One row per input: ``input``, ``status``, ``rows``, report counts, ``first``/``last`` record, ``file``."""
    return pl.DataFrame(
        {
            "input": [s.input for s in summaries],
            "status": [s.status for s in summaries],
            "rows": [s.rows for s in summaries],
            "quarantined": [s.quarantined for s in summaries],
            "flagged": [s.flagged for s in summaries],
            "blank_lines": [s.blank_lines for s in summaries],
            "first": [s.first for s in summaries],
            "last": [s.last for s in summaries],
            "file": [_shown_path(s.path) for s in summaries],
        },
        schema_overrides={"first": pl.Datetime("us", "UTC"), "last": pl.Datetime("us", "UTC")},
    )


def report_table(items: list[ReportItem], show_personal: bool) -> pl.DataFrame:
    """The quarantine report: ``file``, ``line``, ``reason``, ``excerpt`` (personal fields masked unless
    ``show_personal``), ``action``."""
    records = report_records(items, PERSONAL_FIELDS if show_personal else ())
    return pl.DataFrame(records, schema=REPORT_SCHEMA).select(list(REPORT_SCHEMA))


def report_counts_line(report: pl.DataFrame) -> str:
    """``**3** flagged · **12** quarantined``."""
    counts = report.group_by("action").len().sort("action")
    return " · ".join(f"**{n:,}** {a}" for a, n in counts.iter_rows())


def report_files(report: pl.DataFrame) -> list[str]:
    return sorted(report["file"].unique().to_list())


def report_of_file(report: pl.DataFrame, file: str | None) -> pl.DataFrame:
    """The items of one file (every item when ``file`` is None)."""
    return report if file is None else report.filter(pl.col("file") == file)


def shown_report(report: pl.DataFrame, rows: int) -> pl.DataFrame:
    """The first ``rows`` items with their files relative to the working directory."""
    return report.head(rows).with_columns(
        pl.col("file").map_elements(lambda f: relative_path(Path(f)), return_dtype=pl.Utf8).alias("file")
    )
