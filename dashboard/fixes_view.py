"""The fix-held rule, versions and releases as the pages read them: one cached :func:`analytics.fixes.fix_table`
per (data, now, scenarios folder, runs folder), the releases of the data folder, and the captions that say which
basis a figure used."""

from __future__ import annotations

import polars as pl

from analytics.fixes import FixHeld, fix_held_summary, fix_table
from dashboard.context import AppContext, memo
from dashboard.misses_view import _folder_stamp, coverage_for
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

    stamp = (str(path), path.stat().st_mtime_ns) if path is not None else ("", -1)
    return memo(context, "releases", *stamp, build=build)


def fixes_for(context: AppContext) -> pl.DataFrame:
    """Every pair's fix, regression and fix-held verdict (:func:`analytics.fixes.fix_table`), shared read-only."""
    coverage = coverage_for(context)[0]
    benchmark = benchmark_for(context)
    runs = benchmark.runs if benchmark is not None and benchmark.has_runs else None
    releases = releases_for(context)[0]

    def build() -> pl.DataFrame:
        return fix_table(
            context.data.frame("misses"),
            now=context.now,
            coverage=coverage,
            grid=None if benchmark is None or runs is None else benchmark.grid,
            runs=runs,
            releases=releases,
        )

    return memo(
        context,
        "fix-table",
        *_folder_stamp(context.sources.scenarios_dir),
        *_folder_stamp(context.sources.runs_dir),
        runs is not None and runs.height,
        None if releases is None else releases.height,
        build=build,
    )


def fix_held_for(context: AppContext, pairs: pl.DataFrame | None = None) -> FixHeld:
    """The fix-held counts over every pair (or over ``pairs``' keys only)."""
    fixes = fixes_for(context)
    if pairs is not None:
        fixes = fixes.join(pairs.select("group_alert", "group_taxonomy"), on=["group_alert", "group_taxonomy"])
    return fix_held_summary(fixes, basis=str(fixes_for(context)["basis"][0]) if fixes_for(context).height else None)
