"""What the fix-held rule reads, gathered once for the command line: coverage from the scenarios folder, the
benchmark runs matched to it, and ``releases.yml`` (the dashboard reads the same through its caches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from analytics.fixes import fix_table
from triage_lens.sources.releases import read_releases, releases_path
from triage_lens.sources.runs import Benchmark, load_benchmark
from triage_lens.sources.scenario_files import coverage_from_folder


@dataclass
class FixInputs:
    """Coverage (None without a scenarios folder), the benchmark (None without runs), the releases (None without
    the file) and the warnings met while reading them."""

    coverage: pl.LazyFrame | None
    benchmark: Benchmark | None
    releases: pl.DataFrame | None
    problems: list[str] = field(default_factory=list)

    def fixes(self, misses: pl.LazyFrame, *, now: datetime) -> pl.DataFrame:
        """:func:`analytics.fixes.fix_table` over these inputs."""
        bench = self.benchmark if self.benchmark is not None and self.benchmark.has_runs else None
        return fix_table(
            misses,
            now=now,
            coverage=self.coverage,
            grid=None if bench is None else bench.grid,
            runs=None if bench is None else bench.runs,
            releases=self.releases,
        )


def read_fix_inputs(
    misses: pl.LazyFrame,
    *,
    scenarios_dir: Path | None,
    runs_dir: Path | None,
    root: Path | None,
    paths: dict[str, Path | None] | None = None,
) -> FixInputs:
    """Read coverage, runs and releases. A missing scenarios folder is a warning; a wrong ``releases.yml`` raises
    :class:`triage_lens.sources.releases.ReleasesError` (the caller says so and stops)."""
    problems: list[str] = []
    coverage = None
    if scenarios_dir is not None:
        if scenarios_dir.is_dir():
            coverage, found = coverage_from_folder(misses, scenarios_dir)
            coverage = coverage.collect().lazy()
            problems.extend(found)
        else:
            problems.append(f"{scenarios_dir}: not a folder")
    benchmark = None
    if runs_dir is not None and runs_dir.is_dir():
        benchmark = load_benchmark(
            runs_dir, scenarios_dir if scenarios_dir and scenarios_dir.is_dir() else None, misses
        )
    releases = read_releases(releases_path(root, paths))
    return FixInputs(coverage, benchmark, releases, problems)
