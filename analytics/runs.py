"""Benchmark runs over exported scenarios: per-run pass rates, a scenario x run grid, run comparison,
the per-pair funnel (missed -> exported -> passing -> held) and "fix held" measured by the benchmark.

Rules (issue 16):

- A run is one JUnit ``<testsuite>`` (id from its timestamp and hostname) or one JSONL ``run_id``; its time is
  the suite's timestamp (naive = UTC), for JSONL the earliest ``started_at`` of the run.
- A test case's scenario is the text inside the last ``[...]`` of its name, else its name (a JSONL result names
  its scenario directly). It matches an exported scenario folder by its ``miss_id`` property when it has one,
  else by folder name (the last ``/`` part of the scenario text). A matched result takes the folder name.
- Statuses are ``passed``, ``failed``, ``error``, ``skipped``; errors count as not passed.
  ``pass_rate = passed / (tests - skipped)``, null when every test was skipped (or there were none).
- When one run holds several results for the same scenario (two test functions, a rerun), the scenario's
  status in that run is the worst of them: error, then failed, then passed, then skipped.

Everything here is pure Polars over the frames of :mod:`triage_lens.sources.runs`; nothing reads files.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import polars as pl

from analytics.learning import KEY, scenario_keys, week_label
from analytics.stats import wilson_exprs
from analytics.timeparse import UTC_DATETIME, format_utc

STATUSES: tuple[str, ...] = ("passed", "failed", "error", "skipped")
# The status of a scenario in one run when it has several results: the first of these that occurs.
STATUS_PRECEDENCE: tuple[str, ...] = ("error", "failed", "passed", "skipped")
CHANGES: tuple[str, ...] = ("regressed", "improved", "new", "gone", "unchanged")  # display order
NOT_EXPORTED = "(not exported)"  # the taxonomy label of a scenario with no exported folder

FIX_HELD_RUNS = "benchmark runs: its scenario passed in a run and the pair was not missed again after that run"
FIX_HELD_MISSES = "misses only: the pair was not missed again after its scenario was exported"

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.Utf8(),
    "line": pl.Int64(),
    "source": pl.Utf8(),
    "run_id": pl.Utf8(),
    "started_at": UTC_DATETIME,
    "hostname": pl.Utf8(),
    "name": pl.Utf8(),
    "classname": pl.Utf8(),
    "miss_id": pl.Utf8(),
    "status": pl.Utf8(),
    "score": pl.Float64(),
    "duration_s": pl.Float64(),
}
INDEX_SCHEMA: dict[str, pl.DataType] = {
    "scenario": pl.Utf8(),
    "miss_id": pl.Utf8(),
    "group_alert": pl.Utf8(),
    "group_taxonomy": pl.Utf8(),
    "exported_at": UTC_DATETIME,
}
RUN_COLUMNS = ("run_id", "started_at", "tests", "passed", "failed", "errors", "skipped", "pass_rate")


def _with_rank(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``_rank``: the position of ``status`` in :data:`STATUS_PRECEDENCE` (so "worst" is a plain min)."""
    ranks = {s: i for i, s in enumerate(STATUS_PRECEDENCE)}
    return frame.with_columns(
        pl.col("status").replace_strict(ranks, default=len(ranks), return_dtype=pl.Int8).alias("_rank")
    )


def _status_of_rank(rank: pl.Expr) -> pl.Expr:
    """Back from the smallest ``_rank`` of a group to its status (null when the group had none)."""
    return rank.replace_strict(dict(enumerate(STATUS_PRECEDENCE)), default=None, return_dtype=pl.Utf8)


def scenario_from_name(name: pl.Expr) -> pl.Expr:
    """The text inside the last ``[...]`` of a test name (``test_x[0001_a_b]`` -> ``0001_a_b``), else the name."""
    inner = name.str.extract(r"\[([^\[\]]*)\][^\[\]]*$", 1)
    return pl.when(inner.is_not_null() & (inner.str.len_chars() > 0)).then(inner).otherwise(name)


def scenario_index(misses: pl.LazyFrame, scenarios: pl.DataFrame) -> pl.DataFrame:
    """One row per exported ``alert.json``: its folder name and the pair it came from.

    The pair is the grouping key of the miss named by its ``miss_id``, else its own alert name and taxonomy
    (the coverage rule of RULES.md §2).
    In: misses (``_line``, ``miss_id``, ``group_alert``, ``group_taxonomy``), scenarios (``path``, ``miss_id``,
    ``alert_name``, ``taxonomy``, ``covered_at``). Out: ``scenario`` (folder name), ``miss_id``, ``group_alert``,
    ``group_taxonomy``, ``exported_at`` — sorted by exported_at, then scenario.
    """
    folder = pl.col("path").str.extract(r"([^/\\]+)[/\\][^/\\]+$", 1)
    return (
        scenario_keys(misses, scenarios.with_columns(folder.alias("scenario")))
        .select(
            pl.coalesce(pl.col("scenario"), pl.col("path")).alias("scenario"),
            "miss_id",
            *KEY,
            pl.col("covered_at").alias("exported_at"),
        )
        .sort("exported_at", "scenario", nulls_last=True)
        .collect()
        .cast(INDEX_SCHEMA)  # type: ignore[arg-type]
    )


def match_results(results: pl.LazyFrame, index: pl.DataFrame) -> pl.LazyFrame:
    """Give every result its scenario and, when it was exported, the pair it came from.

    In: results (:data:`RESULT_SCHEMA`), index (:func:`scenario_index`).
    Out: the results (in their order) plus ``scenario``, ``exported`` (bool), ``group_alert``, ``group_taxonomy``
    (null when not exported).
    """
    by_id = (
        index.lazy()
        .filter(pl.col("miss_id").is_not_null() & (pl.col("miss_id") != ""))
        .group_by("miss_id")
        .agg(pl.col("scenario").sort_by("exported_at", "scenario").first().alias("_id_scenario"))
    )
    by_name = (
        index.lazy()
        .group_by("scenario")
        .agg(pl.col(k).sort_by("exported_at").first() for k in KEY)
        .rename({"scenario": "_lookup"})
    )
    text = pl.when(pl.col("source") == "junit").then(scenario_from_name(pl.col("name"))).otherwise(pl.col("name"))
    return (
        results.with_columns(text.alias("_text"))
        .join(by_id, on="miss_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_id_scenario", pl.col("_text").str.split("/").list.last()).alias("_lookup"))
        .join(by_name, on="_lookup", how="left", maintain_order="left")
        .with_columns(
            pl.col("group_alert").is_not_null().alias("exported"),
        )
        .with_columns(pl.when(pl.col("exported")).then(pl.col("_lookup")).otherwise(pl.col("_text")).alias("scenario"))
        .drop("_text", "_id_scenario", "_lookup")
    )


def run_summary(matched: pl.LazyFrame) -> pl.DataFrame:
    """One row per run, newest first (ties by run id).

    In: results with ``run_id``, ``started_at``, ``status``. Out: ``run_id``, ``started_at`` (earliest of the
    run), ``tests``, ``passed``, ``failed``, ``errors``, ``skipped`` (test cases, not scenarios), ``pass_rate``
    (4 places; null when tests - skipped is 0).
    """
    status = pl.col("status")
    return (
        matched.group_by("run_id")
        .agg(
            pl.col("started_at").min(),
            pl.len().cast(pl.Int64).alias("tests"),
            *((status == s).sum().cast(pl.Int64).alias(n) for s, n in _COUNT_NAMES.items()),
        )
        .with_columns(
            pl.when(pl.col("tests") > pl.col("skipped"))
            .then((pl.col("passed") / (pl.col("tests") - pl.col("skipped"))).round(4))
            .alias("pass_rate")
        )
        .sort(["started_at", "run_id"], descending=[True, False], nulls_last=True)
        .select(RUN_COLUMNS)
        .collect()
    )


_COUNT_NAMES = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped"}


def pass_rate_intervals(runs: pl.DataFrame, *, z: float) -> pl.DataFrame:
    """The runs with ``n`` (tests - skipped) and a Wilson interval of the pass rate, oldest first (for charts).

    In: :func:`run_summary`. Out: its columns plus ``n``, ``ci_low``, ``ci_high`` (null when n is 0).
    """
    n = pl.col("tests") - pl.col("skipped")
    low, high = wilson_exprs(pl.col("passed"), n, z)
    return runs.with_columns(n.alias("n"), low.alias("ci_low"), high.alias("ci_high")).sort("started_at", "run_id")


def scenario_grid(matched: pl.LazyFrame, runs: pl.DataFrame) -> pl.DataFrame:
    """One row per (run, scenario) with the scenario's status in that run (the worst of its results).

    In: matched results (:func:`match_results`), runs (:func:`run_summary`). Out: ``run_id``, ``started_at``
    (the run's), ``scenario``, ``status``, ``results`` (how many), ``score`` (mean, null when none),
    ``exported``, ``group_alert``, ``group_taxonomy`` — newest run first, then scenario.
    """
    return (
        _with_rank(matched)
        .group_by("run_id", "scenario")
        .agg(
            pl.col("_rank").min(),
            pl.len().cast(pl.Int64).alias("results"),
            pl.col("score").mean(),
            pl.col("exported").first(),
            pl.col("group_alert").first(),
            pl.col("group_taxonomy").first(),
        )
        .join(runs.lazy().select("run_id", "started_at"), on="run_id", how="inner")
        .with_columns(_status_of_rank(pl.col("_rank")).alias("status"))
        .sort(["started_at", "run_id", "scenario"], descending=[True, False, False], nulls_last=True)
        .select(
            "run_id",
            "started_at",
            "scenario",
            "status",
            "results",
            "score",
            "exported",
            "group_alert",
            "group_taxonomy",
        )
        .collect()
    )


def scenario_summary(grid: pl.DataFrame) -> pl.DataFrame:
    """Per scenario over every run: how often it ran and passed, its latest status and when it first passed.

    In: :func:`scenario_grid`. Out: ``scenario``, ``exported``, ``runs`` (runs with a result, skipped included),
    ``passed`` (runs where it passed), ``last_status`` (in the newest run that has it), ``first_passed_at``,
    ``alert_name``, ``taxonomy`` (the pair it came from; null when not exported) — sorted by scenario.
    """
    started = pl.col("started_at")
    order = [started, pl.col("run_id")]
    return (
        grid.lazy()
        .group_by("scenario")
        .agg(
            pl.col("exported").first(),
            pl.len().cast(pl.Int64).alias("runs"),
            (pl.col("status") == "passed").sum().cast(pl.Int64).alias("passed"),
            pl.col("status").sort_by(order, descending=[True, False]).first().alias("last_status"),
            started.filter(pl.col("status") == "passed").min().alias("first_passed_at"),
            pl.col("group_alert").first().alias("alert_name"),
            pl.col("group_taxonomy").first().alias("taxonomy"),
        )
        .sort("scenario")
        .collect()
    )


def default_comparison(runs: pl.DataFrame) -> tuple[str | None, str | None]:
    """(baseline, run): the run before the newest and the newest; None where there are not enough runs."""
    ids = runs["run_id"].to_list()
    return (ids[1] if len(ids) > 1 else None), (ids[0] if ids else None)


def previous_run(runs: pl.DataFrame, run_id: str) -> str | None:
    """The run just before ``run_id`` in time (None when it is the oldest or unknown)."""
    ids = runs["run_id"].to_list()
    if run_id not in ids:
        return None
    position = ids.index(run_id)
    return ids[position + 1] if position + 1 < len(ids) else None


def _change(before: pl.Expr, after: pl.Expr) -> pl.Expr:
    was, now = before == "passed", after == "passed"
    return (
        pl.when(before.is_null())
        .then(pl.lit("new"))
        .when(after.is_null())
        .then(pl.lit("gone"))
        .when(was & ~now)
        .then(pl.lit("regressed"))
        .when(~was & now)
        .then(pl.lit("improved"))
        .otherwise(pl.lit("unchanged"))
    )


def compare_runs(grid: pl.DataFrame, *, baseline: str, run: str) -> pl.DataFrame:
    """Every scenario of either run with its status before (baseline) and after (run) and the change.

    ``change``: new (only in the run), gone (only in the baseline), regressed (passed -> not passed), improved
    (not passed -> passed), else unchanged. Skipped counts as not passed.
    In: :func:`scenario_grid`. Out: ``scenario``, ``alert_name``, ``taxonomy`` (:data:`NOT_EXPORTED` when the
    scenario has no folder), ``before``, ``after``, ``change`` — regressions first (order of :data:`CHANGES`),
    then scenario.
    """
    columns = ["scenario", "status", "group_alert", "group_taxonomy"]
    before = grid.filter(pl.col("run_id") == baseline).select(columns).rename({"status": "before"})
    after = grid.filter(pl.col("run_id") == run).select(columns).rename({"status": "after"})
    joined = before.join(after, on="scenario", how="full", coalesce=True, suffix="_after")
    return (
        joined.with_columns(
            pl.coalesce("group_alert_after", "group_alert").alias("alert_name"),
            pl.coalesce("group_taxonomy_after", "group_taxonomy").fill_null(NOT_EXPORTED).alias("taxonomy"),
            _change(pl.col("before"), pl.col("after")).alias("change"),
        )
        .with_columns(pl.col("change").replace_strict({c: i for i, c in enumerate(CHANGES)}).alias("_order"))
        .sort("_order", "scenario")
        .select("scenario", "alert_name", "taxonomy", "before", "after", "change")
    )


def changes_by_taxonomy(comparison: pl.DataFrame) -> dict[str, dict[str, int]]:
    """``{taxonomy: {change: count}}`` with every change present (zeros included), taxonomies sorted."""
    counts: dict[str, dict[str, int]] = {}
    for taxonomy, change in comparison.select("taxonomy", "change").iter_rows():
        counts.setdefault(taxonomy, dict.fromkeys(CHANGES, 0))[change] += 1
    return {t: counts[t] for t in sorted(counts)}


def pair_benchmark(grid: pl.DataFrame, runs: pl.DataFrame, misses: pl.LazyFrame) -> pl.DataFrame:
    """What the benchmark says about every exported pair that has results.

    ``fix_held``: its scenario passed in some run and the pair has no miss after the first run it passed in
    (false when it never passed or was missed again since).
    In: :func:`scenario_grid`, :func:`run_summary`, misses (``timestamp``, key).
    Out: ``group_alert``, ``group_taxonomy``, ``scenarios``, ``first_passed_at``, ``newest_status`` (the worst
    status of its scenarios in the newest run; null when absent from it), ``passing_newest``,
    ``missed_since_pass`` (misses after first_passed_at; null when it never passed), ``fix_held`` — sorted by key.
    """
    newest = runs["run_id"][0] if runs.height else None
    per_key = (
        _with_rank(grid.lazy().filter(pl.col("exported")))
        .group_by(KEY)
        .agg(
            pl.col("scenario").n_unique().cast(pl.Int64).alias("scenarios"),
            pl.col("started_at").filter(pl.col("status") == "passed").min().alias("first_passed_at"),
            pl.col("_rank").filter(pl.col("run_id") == newest).min().alias("newest_status"),
        )
        .with_columns(_status_of_rank(pl.col("newest_status")).alias("newest_status"))
    )
    after_pass = (
        misses.select("timestamp", *KEY)
        .join(per_key.select(*KEY, "first_passed_at"), on=KEY, how="inner")
        .filter(pl.col("first_passed_at").is_not_null() & (pl.col("timestamp") > pl.col("first_passed_at")))
        .group_by(KEY)
        .agg(pl.len().cast(pl.Int64).alias("missed_since_pass"))
    )
    return (
        per_key.join(after_pass, on=KEY, how="left")
        .with_columns(
            pl.when(pl.col("first_passed_at").is_not_null()).then(pl.col("missed_since_pass").fill_null(0)),
            (pl.col("newest_status") == "passed").fill_null(False).alias("passing_newest"),
        )
        .with_columns((pl.col("missed_since_pass") == 0).fill_null(False).alias("fix_held"))
        .sort(KEY)
        .select(
            *KEY, "scenarios", "first_passed_at", "newest_status", "passing_newest", "missed_since_pass", "fix_held"
        )
        .collect()
    )


def fix_held_with_runs(lifecycle: pl.DataFrame, pairs: pl.DataFrame | None) -> tuple[pl.DataFrame, str]:
    """Replace the lifecycle's ``fix_held`` with the benchmark definition when there are runs.

    In: :func:`analytics.learning.pair_lifecycle` rows (key, ``fix_held``) and :func:`pair_benchmark` rows, or
    None when no run was read. Out: the same rows with ``fix_held`` from the runs (null for a pair the benchmark
    never ran) and the definition used (:data:`FIX_HELD_RUNS` or :data:`FIX_HELD_MISSES`).
    """
    if pairs is None:
        return lifecycle, FIX_HELD_MISSES
    held = pairs.select(*KEY, pl.col("fix_held").alias("_held"))
    frame = (
        lifecycle.join(held, on=KEY, how="left", maintain_order="left")
        .with_columns(pl.col("_held").alias("fix_held"))
        .drop("_held")
    )
    return frame, FIX_HELD_RUNS


FUNNEL_STAGES: tuple[str, ...] = ("missed (recurring)", "exported", "passing in the newest run", "fix held")


def pair_funnel(
    misses: pl.LazyFrame, index: pl.DataFrame, pairs: pl.DataFrame, *, min_misses: int = 2
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The funnel per recurring pair: missed -> exported -> passing in the newest run -> not missed since it
    first passed. Each stage is a subset of the one before it.

    In: misses (key), :func:`scenario_index`, :func:`pair_benchmark`. Out: (stages: ``stage``, ``pairs``; per
    pair: ``group_alert``, ``group_taxonomy``, ``misses``, ``exported``, ``newest_status``, ``first_passed_at``,
    ``missed_since_pass``, ``stage`` (the last stage reached) — most misses first).
    """
    recurring = (
        misses.group_by(KEY)
        .agg(pl.len().cast(pl.Int64).alias("misses"))
        .filter(pl.col("misses") >= min_misses)
        .collect()
    )
    exported = index.select(KEY).unique().with_columns(pl.lit(True).alias("exported"))
    table = (
        recurring.join(exported, on=KEY, how="left")
        .join(
            pairs.select(*KEY, "newest_status", "first_passed_at", "missed_since_pass", "fix_held"), on=KEY, how="left"
        )
        .with_columns(pl.col("exported").fill_null(False))
        .with_columns(
            (pl.col("exported") & (pl.col("newest_status") == "passed").fill_null(False)).alias("_passing"),
        )
        .with_columns((pl.col("_passing") & pl.col("fix_held").fill_null(False)).alias("_held"))
    )
    stage = (
        pl.when(pl.col("_held"))
        .then(pl.lit(FUNNEL_STAGES[3]))
        .when(pl.col("_passing"))
        .then(pl.lit(FUNNEL_STAGES[2]))
        .when(pl.col("exported"))
        .then(pl.lit(FUNNEL_STAGES[1]))
        .otherwise(pl.lit(FUNNEL_STAGES[0]))
    )
    per_pair = table.with_columns(stage.alias("stage")).sort(["misses", *KEY], descending=[True, False, False])
    counts = [
        table.height,
        int(table["exported"].sum()),
        int(table["_passing"].sum()),
        int(table["_held"].sum()),
    ]
    stages = pl.DataFrame({"stage": list(FUNNEL_STAGES), "pairs": counts}, schema={"stage": pl.Utf8, "pairs": pl.Int64})
    return stages, per_pair.select(
        *KEY, "misses", "exported", "newest_status", "first_passed_at", "missed_since_pass", "stage"
    )


def runs_in_window(runs: pl.DataFrame, *, start: datetime | None, end: datetime) -> pl.DataFrame:
    """The runs that started in (start, end] (every run up to ``end`` when start is None)."""
    started = pl.col("started_at")
    keep = started <= end if start is None else (started > start) & (started <= end)
    return runs.filter(keep)


def weekly_pass_rate(runs: pl.DataFrame, *, week_monday: datetime) -> dict[str, Any]:
    """Benchmark pass rate of the runs started in ISO week W against week W-1 (all their test cases pooled).

    In: :func:`run_summary`. Out: ``{"week", "this_week", "last_week"}``, each week ``{"runs", "passed", "n",
    "pass_rate"}`` where n = tests - skipped and pass_rate is null when n is 0.
    """

    def week(start: datetime) -> dict[str, Any]:
        rows = runs.filter((pl.col("started_at") >= start) & (pl.col("started_at") < start + timedelta(weeks=1)))
        passed = int(rows["passed"].sum())
        n = int((rows["tests"] - rows["skipped"]).sum())
        return {"runs": rows.height, "passed": passed, "n": n, "pass_rate": round(passed / n, 4) if n else None}

    return {
        "week": week_label(week_monday),
        "this_week": week(week_monday),
        "last_week": week(week_monday - timedelta(weeks=1)),
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def weekly_pass_rate_line(weekly: dict[str, Any]) -> str:
    """One sentence for people: this week's benchmark pass rate against last week's, with n."""
    this, last = weekly["this_week"], weekly["last_week"]

    def part(w: dict[str, Any]) -> str:
        if w["n"] == 0:
            return "no results"
        runs = f"{w['runs']} run{'' if w['runs'] == 1 else 's'}"
        return f"{_pct(w['pass_rate'])} ({w['passed']}/{w['n']} tests, {runs})"

    return f"Benchmark pass rate: {part(this)} this week against {part(last)} the week before."


def run_json(row: dict[str, Any]) -> dict[str, Any]:
    """A :func:`run_summary` row as the documented JSON (timestamps as ISO text)."""
    return {k: (format_utc(v) if isinstance(v, datetime) else v) for k, v in row.items() if k in RUN_COLUMNS}


def verdict(runs: pl.DataFrame, comparison: pl.DataFrame | None) -> str:
    """The page's first sentence: the newest run's pass rate against the previous run, and the regressions."""
    if runs.height == 0:
        return "No benchmark runs yet."
    newest = runs.row(0, named=True)
    head = (
        f"The newest run ({newest['started_at']:%Y-%m-%d %H:%M} UTC) passed "
        f"{newest['passed']} of {newest['tests'] - newest['skipped']} tests ({_pct(newest['pass_rate'])})"
    )
    if runs.height == 1:
        return head + "; there is no earlier run to compare with."
    previous = runs.row(1, named=True)
    rate, before = newest["pass_rate"], previous["pass_rate"]
    if rate is None or before is None:
        trend = f"against {_pct(before)} in the run before"
    elif rate > before:
        trend = f"up from {_pct(before)} in the run before"
    elif rate < before:
        trend = f"down from {_pct(before)} in the run before"
    else:
        trend = "the same as the run before"
    regressions = 0 if comparison is None else int((comparison["change"] == "regressed").sum())
    tail = (
        "no scenario regressed"
        if regressions == 0
        else f"{regressions} scenario{'s' if regressions > 1 else ''} regressed"
    )
    return f"{head}, {trend}; {tail}."
