"""The fix-held rule, versions and releases as the pages read them: one cached :func:`analytics.fixes.fix_table`
per (data, now, scenarios folder, runs folder), the releases of the data folder, and the captions that say which
basis a figure used."""

from __future__ import annotations

import polars as pl

from analytics.fixes import FixHeld, fix_events, fix_held_summary, fix_table
from dashboard.context import AppContext, data_memo, folder_stamp, memo
from dashboard.misses_view import coverage_for, releases_stamp
from dashboard.runs_view import benchmark_for
from triage_lens.sources.releases import ReleasesError, read_releases, releases_path


def releases_for(context: AppContext) -> tuple[pl.DataFrame | None, str | None]:
    """The data folder's ``releases.yml`` (None when absent) and the message when it cannot be used."""
    path = releases_path(context.sources.root, dict(context.sources.paths))

    def build() -> tuple[pl.DataFrame | None, str | None]:
        try:
            return read_releases(path), None
        except ReleasesError as exc:
            return None, str(exc)

    return memo(context, "releases", *releases_stamp(context), build=build)


def fixes_for(context: AppContext) -> pl.DataFrame:
    """Every pair's fix, regression and fix-held verdict (:func:`analytics.fixes.fix_table`), shared read-only."""
    coverage = coverage_for(context)[0]
    benchmark = benchmark_for(context)
    runs = benchmark.runs if benchmark is not None and benchmark.has_runs else None
    releases = releases_for(context)[0]

    # The versioned misses do not depend on now: built once per (data, releases); each new now filters them.
    events = data_memo(
        context,
        "fix-events",
        *releases_stamp(context),
        build=lambda: fix_events(context.data.frame("misses"), releases).collect(),
    )

    def build() -> pl.DataFrame:
        return fix_table(
            context.data.frame("misses"),
            now=context.now,
            events=events.lazy(),
            coverage=coverage,
            grid=None if benchmark is None or runs is None else benchmark.grid,
            runs=runs,
            releases=releases,
        )

    return memo(
        context,
        "fix-table",
        folder_stamp(context, context.sources.scenarios_dir),
        folder_stamp(context, context.sources.runs_dir),
        runs is not None and runs.height,
        None if releases is None else releases.height,
        build=build,
    )


def fix_held_for(context: AppContext, pairs: pl.DataFrame | None = None) -> FixHeld:
    """The fix-held counts over every pair (or over ``pairs``' keys only)."""
    every = fixes_for(context)
    fixes = every
    if pairs is not None:
        fixes = fixes.join(pairs.select("group_alert", "group_taxonomy"), on=["group_alert", "group_taxonomy"])
    return fix_held_summary(fixes, basis=str(every["basis"][0]) if every.height else None)


def pair_detail_lines(context: AppContext, alert: str, taxonomy: str, owners: pl.DataFrame) -> list[str]:
    """What the Misses page says about one chosen pair: its fix ("fixed in X, back in Y"), its owner and last
    time. Plain text (escape before Markdown)."""
    from analytics.fixes import BASIS_TEXT, fixed_back_text
    from analytics.last_time import pair_last_time, pair_times

    fixes = fixes_for(context)
    rows = fixes.filter((pl.col("group_alert") == alert) & (pl.col("group_taxonomy") == taxonomy))
    lines = []
    row = rows.row(0, named=True) if rows.height else None
    if row is not None:
        back = fixed_back_text(row)
        lines.append(f"Fix: {row['status']}" + (f" — {back}" if back else "") + f" ({BASIS_TEXT[row['basis']]}).")
    owner = owners.filter((pl.col("kind") == "pair") & (pl.col("target") == f"{alert}::{taxonomy}"))
    if owner.height:
        o = owner.row(0, named=True)
        due = f", due {o['due_date']}" + (f" ({o['days_overdue']} days overdue)" if o["overdue"] else "")
        lines.append(f"Owner: {o['owner'] or '—'}" + (f" ({o['team']})" if o["team"] else "") + due + ".")
    last = pair_last_time(
        pair_times(context.data.frame("misses"), alert, taxonomy, now=context.now),
        gap_days=context.policy.misses.regression_gap_days,
        covered_at=None if row is None else row["covered_at"],
        fixed_at=None if row is None else row["fixed_at"],
        fixed_in=None if row is None else row["fixed_in"],
    )
    lines.append(last.text() if last is not None else "Last time: this is the pair's first occurrence.")
    return lines
