"""One answer to "did the fix hold?", and when a pair was fixed and came back (DEFINITIONS §2 and §4).

:func:`fix_table` is the only place the rule lives; the Overview, Misses, Scenarios, the Benchmark runs funnel,
``misses trend`` and ``misses pairs`` all read it.

**Basis.** With benchmark runs (at least one run read) every pair is judged by the runs (``basis = "runs"``);
without runs, by coverage (``basis = "coverage"``: a scenario exported for the pair).

**Runs.** The pair's status in a run is the worst status of its exported scenarios in that run (error, failed,
passed, skipped; a run where every scenario of the pair was skipped says nothing). ``fixed_at`` = start of the
first run where the pair passed; ``fixed_in`` = that run's version. The fix **held** when the pair passed in the
newest run that judged it and no miss of the pair came after that run's start (so a pair the benchmark fails
again, or that production missed again since it last passed, did not hold). A pair that never passed is not
fixed yet: ``fix_held`` null.

**Coverage.** ``fixed_at`` = the pair's first coverage time; the fix is judged once ``held_after_days`` (7) have
passed since then: held when no miss came after the coverage time; before that ``fix_held`` is null ("too early").

**Regressed after a fix**: the first miss of the pair after ``fixed_at``: ``regressed_at``, ``regressed_in``
(that miss's version). ``status`` names the outcome as data: ``held``, ``missed again``, ``failing again``,
``not fixed yet``, ``too early``, ``not covered``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from analytics.timeparse import UTC_DATETIME, format_utc
from analytics.versions import run_versions, with_version

KEY = ["group_alert", "group_taxonomy"]
BASIS_RUNS = "runs"
BASIS_COVERAGE = "coverage"
# A fix judged by coverage waits a full week: a pair covered yesterday has had no time to be missed again, so
# counting it as "held" would flatter the rate.
HELD_AFTER_DAYS = 7
BASIS_TEXT: dict[str, str] = {
    BASIS_RUNS: "by benchmark runs: the pair passed in the newest run that ran its scenario and no miss came "
    "after that run started",
    BASIS_COVERAGE: f"by coverage (no benchmark runs): a scenario was exported at least {HELD_AFTER_DAYS} days "
    "ago and no miss came after it",
}
# The definition, stated once; pages use it as help text and the CLI prints it under the table.
FIX_HELD_HELP = (
    "Fix held — with benchmark runs: the pair's scenario passed in a run and the pair was not missed since that "
    "run started (the newest run that ran it must pass). Without runs: a scenario exists for the pair and no miss "
    f"came in the {HELD_AFTER_DAYS}+ days since it was exported. Each figure says which basis it used."
)
STATUSES: tuple[str, ...] = ("held", "missed again", "failing again", "not fixed yet", "too early", "not covered")
FIX_SCHEMA: dict[str, pl.DataType] = {
    "group_alert": pl.Utf8(),
    "group_taxonomy": pl.Utf8(),
    "basis": pl.Utf8(),
    "covered_at": UTC_DATETIME,
    "fixed_at": UTC_DATETIME,
    "fixed_in": pl.Utf8(),
    "last_pass_at": UTC_DATETIME,
    "regressed_at": UTC_DATETIME,
    "regressed_in": pl.Utf8(),
    "fix_held": pl.Boolean(),
    "status": pl.Utf8(),
}
_PRECEDENCE = {"error": 0, "failed": 1, "passed": 2, "skipped": 3}


def _pair_runs(grid: pl.DataFrame) -> pl.DataFrame:
    """Per (pair, run): the worst status of the pair's exported scenarios; runs where all were skipped dropped.

    In: :func:`analytics.runs.scenario_grid` (``run_id``, ``started_at``, ``status``, ``exported``, key).
    Out: key, ``run_id``, ``started_at``, ``passed`` (bool).
    """
    rank = pl.col("status").replace_strict(_PRECEDENCE, default=3, return_dtype=pl.Int8)
    return (
        grid.filter(pl.col("exported").fill_null(False) & pl.col("group_alert").is_not_null())
        .with_columns(rank.alias("_rank"))
        .group_by(*KEY, "run_id", "started_at")
        .agg(pl.col("_rank").min())
        .filter(pl.col("_rank") < 3)
        .with_columns((pl.col("_rank") == 2).alias("passed"))
        .drop("_rank")
    )


def _run_facts(grid: pl.DataFrame, runs: pl.DataFrame, releases: pl.DataFrame | None) -> pl.LazyFrame:
    """Per pair: ``fixed_at``, ``fixed_in``, ``last_pass_at``, ``latest_passed`` from the runs."""
    per_run = _pair_runs(grid).join(run_versions(runs, releases), on="run_id", how="left").sort("started_at", "run_id")
    passed = pl.col("passed")
    return (
        per_run.lazy()
        .group_by(KEY, maintain_order=True)
        .agg(
            pl.col("started_at").filter(passed).min().alias("fixed_at"),
            pl.col("version").filter(passed).first().alias("fixed_in"),
            pl.col("started_at").filter(passed).max().alias("last_pass_at"),
            pl.col("passed").last().alias("latest_passed"),
        )
    )


def fix_events(misses: pl.LazyFrame, releases: pl.DataFrame | None = None) -> pl.LazyFrame:
    """The part of :func:`fix_table` that does not depend on now: the misses with a timestamp and their version.

    In: misses (``timestamp``, key; version fields optional), releases (:data:`analytics.versions.RELEASE_SCHEMA`)
    or None. Out: ``timestamp``, ``group_alert``, ``group_taxonomy``, ``version``, in the misses' order.
    """
    return with_version(misses.filter(pl.col("timestamp").is_not_null()), releases, time_column="timestamp").select(
        "timestamp", *KEY, "version"
    )


def fix_table(
    misses: pl.LazyFrame,
    *,
    now: datetime,
    events: pl.LazyFrame | None = None,
    coverage: pl.LazyFrame | None = None,
    grid: pl.DataFrame | None = None,
    runs: pl.DataFrame | None = None,
    releases: pl.DataFrame | None = None,
    held_after_days: int = HELD_AFTER_DAYS,
) -> pl.DataFrame:
    """Every pair that was missed, covered or benchmarked, with its fix and regression (the module's rules).

    In: misses (``timestamp``, key; version fields optional), coverage (key, ``covered_at``) or None, the benchmark's
    :func:`analytics.runs.scenario_grid` and :func:`analytics.runs.run_summary` (runs basis when ``runs`` has a
    row), releases (:data:`analytics.versions.RELEASE_SCHEMA`) or None; ``events``: the :func:`fix_events` of those
    misses and releases computed beforehand, or None (then ``misses`` is read: a caller that asks at many nows
    versions the misses once).
    Out: :data:`FIX_SCHEMA`, sorted by key. Misses after ``now`` are not seen.
    """
    basis = BASIS_RUNS if runs is not None and runs.height > 0 and grid is not None else BASIS_COVERAGE
    seen = (events if events is not None else fix_events(misses, releases)).filter(pl.col("timestamp") <= now)
    cov = (
        coverage.group_by(KEY).agg(pl.col("covered_at").min())
        if coverage is not None
        else pl.LazyFrame(schema={"group_alert": pl.Utf8, "group_taxonomy": pl.Utf8, "covered_at": UTC_DATETIME})
    )
    facts = (
        _run_facts(grid, runs, releases)  # type: ignore[arg-type]
        if basis == BASIS_RUNS
        else pl.LazyFrame(
            schema={
                **dict.fromkeys(KEY, pl.Utf8),
                "fixed_at": UTC_DATETIME,
                "fixed_in": pl.Utf8,
                "last_pass_at": UTC_DATETIME,
                "latest_passed": pl.Boolean,
            }
        )
    )
    keys = pl.concat([seen.select(KEY), cov.select(KEY), facts.select(KEY)]).unique()
    table = keys.join(cov, on=KEY, how="left").join(facts, on=KEY, how="left")
    if basis == BASIS_COVERAGE:
        table = table.with_columns(pl.col("covered_at").alias("fixed_at"), pl.lit(None, pl.Utf8).alias("fixed_in"))
    after_fix = (
        seen.join(table.select(*KEY, "fixed_at", "last_pass_at"), on=KEY, how="inner")
        .filter(pl.col("fixed_at").is_not_null() & (pl.col("timestamp") > pl.col("fixed_at")))
        .sort("timestamp")
        .group_by(KEY)
        .agg(
            pl.col("timestamp").first().alias("regressed_at"),
            pl.col("version").first().alias("regressed_in"),
            (pl.col("last_pass_at").is_not_null() & (pl.col("timestamp") > pl.col("last_pass_at")))
            .any()
            .alias("_since_last_pass"),
        )
    )
    table = table.join(after_fix, on=KEY, how="left").with_columns(pl.col("_since_last_pass").fill_null(False))
    if basis == BASIS_RUNS:
        status = (
            pl.when(pl.col("fixed_at").is_null())
            .then(pl.lit("not fixed yet"))
            .when(~pl.col("latest_passed"))
            .then(pl.lit("failing again"))
            .when(pl.col("_since_last_pass"))
            .then(pl.lit("missed again"))
            .otherwise(pl.lit("held"))
        )
    else:
        status = (
            pl.when(pl.col("covered_at").is_null())
            .then(pl.lit("not covered"))
            .when(pl.col("covered_at") > now - timedelta(days=held_after_days))
            .then(pl.lit("too early"))
            .when(pl.col("regressed_at").is_not_null())
            .then(pl.lit("missed again"))
            .otherwise(pl.lit("held"))
        )
    judged = pl.col("status").is_in(["held", "missed again", "failing again"])
    return (
        table.with_columns(status.alias("status"), pl.lit(basis).alias("basis"))
        .with_columns(pl.when(judged).then(pl.col("status") == "held").alias("fix_held"))
        .sort(KEY)
        .select(list(FIX_SCHEMA))
        .collect()
        .cast(FIX_SCHEMA)  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class FixHeld:
    """How many fixes could be judged and how many held, on one basis."""

    basis: str
    fixed: int  # pairs with a fix (passed in a run / covered)
    judged: int
    held: int
    too_early: int  # coverage basis: covered less than a week ago

    @property
    def rate(self) -> float | None:
        return round(self.held / self.judged, 4) if self.judged else None

    def line(self) -> str:
        """One sentence for every surface: ``Fix held: 3 of 6 fixed pairs (by benchmark runs: …).``"""
        if self.judged == 0:
            return f"Fix held: no pair can be judged yet ({BASIS_TEXT[self.basis]})."
        noun = "fixed pairs" if self.basis == BASIS_RUNS else "judged covered pairs"
        return f"Fix held: {self.held} of {self.judged} {noun} ({BASIS_TEXT[self.basis]})."

    def to_json(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "fixed": self.fixed,
            "judged": self.judged,
            "held": self.held,
            "too_early": self.too_early,
            "rate": self.rate,
        }


def fix_held_summary(fixes: pl.DataFrame, *, basis: str | None = None) -> FixHeld:
    """Counts over :func:`fix_table` rows (optionally restricted to some pairs by the caller beforehand)."""
    chosen = basis or (str(fixes["basis"][0]) if fixes.height else BASIS_COVERAGE)
    return FixHeld(
        basis=chosen,
        fixed=int(fixes["fixed_at"].is_not_null().sum()),
        judged=int(fixes["fix_held"].is_not_null().sum()),
        held=int(fixes["fix_held"].fill_null(False).sum()),
        too_early=int((fixes["status"] == "too early").sum()),
    )


def fixed_back_text(row: dict[str, Any]) -> str:
    """``fixed in v1.4 (Oct 28), back in v1.5 (Nov 02)`` for one :func:`fix_table` row (``fixed Oct 28`` when the
    version is unknown); "" when never fixed."""
    if row.get("fixed_at") is None:
        return ""

    def part(word: str, version: str | None, moment: datetime) -> str:
        return f"{word} in {version} ({moment:%b %d})" if version else f"{word} {moment:%b %d}"

    fixed = part("fixed", row.get("fixed_in"), row["fixed_at"])
    if row.get("regressed_at") is None:
        return fixed
    return f"{fixed}, {part('back', row.get('regressed_in'), row['regressed_at'])}"


def with_fixes(pairs: pl.DataFrame, fixes: pl.DataFrame) -> pl.DataFrame:
    """Pairs (key plus anything) with :func:`fix_table`'s columns joined on, plus ``fixed_back`` text."""
    joined = pairs.drop([c for c in FIX_SCHEMA if c not in KEY and c in pairs.columns]).join(
        fixes, on=KEY, how="left", maintain_order="left"
    )
    texts = [
        fixed_back_text(r)
        for r in joined.select("fixed_at", "fixed_in", "regressed_at", "regressed_in").rows(named=True)
    ]
    return joined.with_columns(pl.Series("fixed_back", texts, dtype=pl.Utf8))


def iso(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def fix_funnel(pairs_missed: int, fixes: pl.DataFrame) -> pl.DataFrame:
    """The fix funnel as stages: pairs missed → covered by a scenario → fixed (runs: passed in a run; coverage:
    judged, a week after coverage) → fix held. Out: ``stage``, ``pairs`` in order."""
    summary = fix_held_summary(fixes)
    covered = int(fixes["covered_at"].is_not_null().sum())
    middle = (
        "fixed (passed in a benchmark run)"
        if summary.basis == BASIS_RUNS
        else f"judged (≥ {HELD_AFTER_DAYS} days since coverage)"
    )
    return pl.DataFrame(
        {
            "stage": ["pairs missed", "covered by a scenario", middle, "fix held"],
            "pairs": [pairs_missed, covered, summary.judged, summary.held],
        },
        schema={"stage": pl.Utf8, "pairs": pl.Int64},
    )


def benchmark_pairs_held(pairs: pl.DataFrame, fixes: pl.DataFrame) -> pl.DataFrame:
    """:func:`analytics.runs.pair_benchmark` rows with ``fix_held`` replaced by this module's verdict (false where
    it is null), so the Benchmark runs funnel counts the same held pairs as every other surface."""
    held = fixes.select(*KEY, pl.col("fix_held").fill_null(False).alias("_held"))
    return (
        pairs.join(held, on=KEY, how="left", maintain_order="left")
        .with_columns(pl.col("_held").fill_null(False).alias("fix_held"))
        .drop("_held")
    )
