"""Severity's one entry point for the CLI and the pages: the ledger's aggregates from wherever it lives.

A ledger in a database (PostgreSQL, SQLite/D1) is asked for its aggregates in SQL; a file ledger (JSONL, CSV,
Parquet) is aggregated by Polars. Either way :mod:`analytics.severity` applies the same rules to the result.
A missing or unreadable ledger is an "unknown" state with the reason, never "All systems nominal".
"""

from __future__ import annotations

from datetime import datetime

from analytics.severity import BacktestCounts, LedgerCounts, SeverityOptions, backtest_counts, ledger_counts
from triage_lens.sources.inputs import LoadedInput


def ledger_problem(loaded: LoadedInput) -> str | None:
    """Why there is no severity to report (no ledger, or one that cannot be read), else None."""
    if loaded.error:
        return f"the error ledger cannot be read: {loaded.error}"
    if loaded.location is None:
        return "no error ledger (error_ledger.jsonl, .csv, .parquet, a SQLite/D1 file or a postgresql:// URI)"
    return None


def severity_counts(loaded: LoadedInput, *, now: datetime, options: SeverityOptions) -> LedgerCounts:
    """:class:`LedgerCounts` of the ledger: pushed down to its database, or computed by Polars."""
    if loaded.database is not None:
        return loaded.database.counts(now=now, options=options)
    return ledger_counts(loaded.frame, now=now, options=options)


def severity_backtest_counts(
    loaded: LoadedInput, *, now: datetime, days: int, options: SeverityOptions
) -> BacktestCounts:
    """:class:`BacktestCounts` of the ledger: pushed down to its database, or computed by Polars."""
    if loaded.database is not None:
        return loaded.database.backtest_counts(now=now, days=days, options=options)
    return backtest_counts(loaded.frame, now=now, days=days, options=options)
