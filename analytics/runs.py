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

Framework runs (OpenSRE's benchmark framework, DEFINITIONS §1): one result row per scored cell (case x arm x
model x repetition). An arm is ``(mode, llm)``; the main arm is ``opensre+llm`` (else the first non-control arm),
the control ``llm_alone``. A run's tests / passed / failed count the main arm's cells (passed = ``a1 == 1``);
its ``pass_rate`` is the main arm's score: the mean over scenarios of each scenario's mean over repetitions, with a
95 % percentile bootstrap over scenarios (:func:`bootstrap_ci`). JUnit / JSONL runs have one arm whose cells
score 1 (passed), 0 (failed, error) or nothing (skipped).

Everything here is pure Polars (and numpy for the bootstrap) over the frames of :mod:`triage_lens.sources.runs`;
nothing reads files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from analytics.learning import KEY, scenario_keys, week_label
from analytics.stats import wilson_exprs, wilson_interval
from analytics.timeparse import UTC_DATETIME, format_utc

STATUSES: tuple[str, ...] = ("passed", "failed", "error", "skipped")
# The status of a scenario in one run when it has several results: the first of these that occurs.
STATUS_PRECEDENCE: tuple[str, ...] = ("error", "failed", "passed", "skipped")
CHANGES: tuple[str, ...] = ("regressed", "improved", "new", "gone", "unchanged")  # display order
NOT_EXPORTED = "(not exported)"  # the taxonomy label of a scenario with no exported folder


DEFAULT_BENCHMARK = "default"  # JUnit and JSONL runs that name no benchmark: one series, as before
DEFAULT_ARM = "default"  # the one arm of a JUnit / JSONL run
FRAMEWORK_FORMAT = "opensre-bench"
MAIN_ARM = "opensre+llm"
CONTROL_ARM = "llm_alone"
PRIMARY_METRIC = "a1"
BOOTSTRAP_RESAMPLES = 2_000
BOOTSTRAP_SEED = 12_345
LIFT_VERDICTS = ("helps", "hurts", "no significant effect")
DELTA_VERDICTS = ("improved", "regressed", "no change")

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
    "benchmark": pl.Utf8(),
    "format": pl.Utf8(),  # junit, jsonl, openrca, opensre-bench
    "arm": pl.Utf8(),  # run.mode of a framework cell; DEFAULT_ARM otherwise
    "llm": pl.Utf8(),
    "control": pl.Boolean(),
    "repetition": pl.Int64(),
    "category": pl.Utf8(),  # fault_category (framework), task_index (OpenRCA)
    "detail": pl.Utf8(),  # failure reason / failed criteria
    "model_version": pl.Utf8(),
    "version": pl.Utf8(),  # the agent version a JSONL result names (version / agent_version)
}
# One row per framework run folder (JUnit / JSONL runs have none: their metadata comes from the rows).
META_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "format": pl.Utf8(),
    "benchmark": pl.Utf8(),
    "aborted": pl.Boolean(),
    "abort_reason": pl.Utf8(),
    "config_hash": pl.Utf8(),
    "opensre_sha": pl.Utf8(),
    "models": pl.List(pl.Utf8()),
    "total_cost_usd": pl.Float64(),
    "ended_at": UTC_DATETIME,
    "path": pl.Utf8(),
}
INDEX_SCHEMA: dict[str, pl.DataType] = {
    "scenario": pl.Utf8(),
    "miss_id": pl.Utf8(),
    "group_alert": pl.Utf8(),
    "group_taxonomy": pl.Utf8(),
    "exported_at": UTC_DATETIME,
}
RUN_COLUMNS = (
    "run_id",
    "started_at",
    "tests",
    "passed",
    "failed",
    "errors",
    "skipped",
    "pass_rate",
    "format",
    "benchmark",
    "aborted",
    "abort_reason",
    "version",
    "opensre_sha",
    "config_hash",
    "models",
    "total_cost_usd",
    "cost_per_correct",
)


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


def run_summary(
    matched: pl.LazyFrame, meta: pl.DataFrame | None = None, arm_rows: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per run, newest first (ties by run id).

    In: results (:data:`RESULT_SCHEMA`; ``run_id``, ``started_at``, ``status`` at least) and the framework runs'
    :data:`META_SCHEMA` rows (``arm_rows``: :func:`arm_table` of the same results, when already computed). Out:
    :data:`RUN_COLUMNS` plus ``scenarios`` (of the main arm): ``started_at``
    (earliest of the run), ``tests``, ``passed``, ``failed``, ``errors``, ``skipped`` (the main arm's cells, not
    scenarios), ``pass_rate`` (4 places; passed / (tests - skipped), null when that is 0; a framework run: the
    main arm's score), ``format``, ``benchmark``, ``aborted``, ``abort_reason``, ``version``, ``opensre_sha``,
    ``config_hash``, ``models``, ``total_cost_usd`` and ``cost_per_correct`` (cost / cells with a1 = 1, all arms).
    """
    status = pl.col("status")
    cells = with_main_arm(fill_arms(matched))
    correct = cells.group_by("run_id").agg((status == "passed").sum().cast(pl.Int64).alias("_correct"))
    arms = arm_rows if arm_rows is not None else arm_table(cells.collect())
    main_scores = arms.filter(pl.col("main")).select("run_id", pl.col("score").alias("_score"))
    meta_frame = (meta if meta is not None else pl.DataFrame(schema=META_SCHEMA)).drop("ended_at", "path")
    summary = (
        cells.filter(pl.col("_main"))
        .group_by("run_id")
        .agg(
            pl.col("started_at").min(),
            pl.len().cast(pl.Int64).alias("tests"),
            *((status == s).sum().cast(pl.Int64).alias(n) for s, n in _COUNT_NAMES.items()),
            pl.col("scenario_key").n_unique().cast(pl.Int64).alias("scenarios"),
            pl.col("format").first().alias("_format"),
            pl.col("benchmark").first().alias("_benchmark"),
            pl.col("version").drop_nulls().first(),
        )
        .join(correct, on="run_id", how="left")
        .join(main_scores.lazy(), on="run_id", how="left")
        .join(meta_frame.lazy(), on="run_id", how="left")
        .with_columns(
            pl.coalesce("format", "_format").alias("format"),
            pl.coalesce("benchmark", "_benchmark").alias("benchmark"),
            pl.col("aborted").fill_null(False),
            pl.when(pl.col("tests") > pl.col("skipped"))
            .then((pl.col("passed") / (pl.col("tests") - pl.col("skipped"))).round(4))
            .alias("pass_rate"),
        )
        .with_columns(
            pl.when(pl.col("format") == FRAMEWORK_FORMAT)
            .then(pl.col("_score"))
            .otherwise("pass_rate")
            .alias("pass_rate"),
            pl.when(pl.col("_correct") > 0)
            .then((pl.col("total_cost_usd") / pl.col("_correct")).round(4))
            .alias("cost_per_correct"),
        )
        .sort(["started_at", "run_id"], descending=[True, False], nulls_last=True)
        .select(*RUN_COLUMNS, "scenarios")
        .collect()
    )
    return summary.cast({"models": pl.List(pl.Utf8)})


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
    """(baseline, run): the newest run that is not aborted and the one before it of the same benchmark that is
    not aborted either; None where there are not enough runs. In: :func:`run_summary` (newest first)."""
    results = results_runs(runs)
    newest = results["run_id"][0] if results.height else None
    return (None if newest is None else previous_run(runs, newest)), newest


def previous_run(runs: pl.DataFrame, run_id: str) -> str | None:
    """The run just before ``run_id`` in time of the same benchmark, aborted runs skipped (None when it is the
    oldest or unknown)."""
    ids = runs["run_id"].to_list()
    if run_id not in ids:
        return None
    position = ids.index(run_id)
    older = runs.slice(position + 1)
    if "benchmark" in runs.columns:
        older = older.filter(pl.col("benchmark") == runs["benchmark"][position])
    older = results_runs(older)
    return older["run_id"][0] if older.height else None


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
    results = results_runs(runs)
    newest = results["run_id"][0] if results.height else None  # an aborted run is not "the newest run"
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
    """Benchmark pass rate of the runs started in ISO week W against week W-1 (all their test cases pooled),
    aborted runs left out and only the benchmark of the newest result (runs of different benchmarks are not
    one series).

    In: :func:`run_summary`. Out: ``{"week", "this_week", "last_week"}``, each week ``{"runs", "passed", "n",
    "pass_rate"}`` where n = tests - skipped and pass_rate is null when n is 0.
    """

    results = results_runs(runs)
    if "benchmark" in results.columns and results.height:  # one series: the benchmark of the newest result
        results = of_benchmark(results, benchmarks(results)[0])

    def week(start: datetime) -> dict[str, Any]:
        rows = results.filter((pl.col("started_at") >= start) & (pl.col("started_at") < start + timedelta(weeks=1)))
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


def run_json(row: dict[str, Any], arms: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A :func:`run_summary` row as the documented JSON (timestamps as ISO text), with ``arms`` and
    ``control_lift`` from :func:`run_arms` when given."""
    found = {k: (format_utc(v) if isinstance(v, datetime) else v) for k, v in row.items() if k in RUN_COLUMNS}
    if arms is not None:
        entry = arms.get(row["run_id"], {"arms": [], "control_lift": None})
        found["arms"] = entry["arms"]
        found["control_lift"] = entry["control_lift"]
    return found


def verdict(runs: pl.DataFrame, comparison: pl.DataFrame | None, delta: dict[str, Any] | None = None) -> str:
    """The page's first sentence over the runs of one benchmark: the newest result's pass rate (a framework run:
    its main arm's score) against the result before, and the regressions; an aborted newest run is named first.
    ``delta`` (:func:`score_delta`) makes the trend statistical: a change inside its interval reads "no change".
    """
    if runs.height == 0:
        return "No benchmark runs yet."
    aborted = (
        ""
        if "aborted" not in runs.columns or not runs["aborted"][0]
        else (
            f"The newest run ({runs['started_at'][0]:%Y-%m-%d %H:%M} UTC) was aborted "
            f"({runs['abort_reason'][0] or 'no reason recorded'}): it is incomplete evidence, not a result. "
        )
    )
    results = results_runs(runs)
    if results.height == 0:
        return aborted + "No run completed."
    newest = results.row(0, named=True)
    framework = newest.get("format") == FRAMEWORK_FORMAT
    which = "The newest completed run" if aborted else "The newest run"
    if framework:
        head = (
            f"{which} ({newest['started_at']:%Y-%m-%d %H:%M} UTC) scored {_pct(newest['pass_rate'])} "
            f"({newest['passed']} of {newest['tests']} cases correct)"
        )
    else:
        head = (
            f"{which} ({newest['started_at']:%Y-%m-%d %H:%M} UTC) passed "
            f"{newest['passed']} of {newest['tests'] - newest['skipped']} "
            f"{'cases' if newest.get('format') == 'openrca' else 'tests'} ({_pct(newest['pass_rate'])})"
        )
    if results.height == 1:
        return aborted + head + "; there is no earlier run to compare with."
    previous = results.row(1, named=True)
    rate, before = newest["pass_rate"], previous["pass_rate"]
    if rate is None or before is None:
        trend = f"against {_pct(before)} in the run before"
    elif delta is not None and delta.get("verdict") == "no change":
        trend = (
            f"no significant change from {_pct(before)} in the run before (the difference is inside its 95% interval)"
        )
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
    return f"{aborted}{head}, {trend}; {tail}."


# --- arms, scores and intervals (framework runs; one arm for JUnit / JSONL) ------------------------------

_FILL: dict[str, pl.Expr] = {
    "benchmark": pl.lit(DEFAULT_BENCHMARK),
    "arm": pl.lit(DEFAULT_ARM),
    "llm": pl.lit(None, pl.Utf8),
    "control": pl.lit(False),
    "repetition": pl.lit(0, pl.Int64),
    "category": pl.lit(None, pl.Utf8),
    "version": pl.lit(None, pl.Utf8),
    "score": pl.lit(None, pl.Float64),
}


def fill_arms(results: pl.LazyFrame) -> pl.LazyFrame:
    """Results with every arm column (defaults where an older or hand-built frame lacks one), ``format`` from
    ``source`` when absent, and ``scenario_key``: a framework cell's ``case_id`` (its name), else the matched
    ``scenario`` when present, else the name."""
    names = results.collect_schema().names()
    frame = results.with_columns(expr.alias(name) for name, expr in _FILL.items() if name not in names)
    if "format" not in names:
        frame = frame.with_columns(
            pl.col("source").alias("format") if "source" in names else pl.lit("jsonl").alias("format")
        )
    key = pl.coalesce("scenario", "name") if "scenario" in names else pl.col("name")
    frame = frame.with_columns(
        (pl.coalesce("format", "source") if "source" in names else pl.col("format")).fill_null("jsonl"),
        pl.col("benchmark").fill_null(DEFAULT_BENCHMARK),
        pl.col("arm").fill_null(DEFAULT_ARM),
        pl.col("control").fill_null(False),
    )
    framework = pl.col("format") == FRAMEWORK_FORMAT
    return frame.with_columns(pl.when(framework).then(pl.col("name")).otherwise(key).alias("scenario_key"))


def main_arms(results: pl.LazyFrame) -> pl.LazyFrame:
    """The main arm of each run: ``opensre+llm`` (the smallest llm when several), else the first non-control
    arm, else the first arm (by mode, then llm). In: results with ``run_id``, ``arm``, ``llm``, ``control``.
    Out: ``run_id``, ``arm``, ``llm``."""
    priority = pl.when(pl.col("arm") == MAIN_ARM).then(0).when(~pl.col("control")).then(1).otherwise(2)
    return (
        results.select("run_id", "arm", "llm", "control")
        .unique()
        .with_columns(priority.alias("_priority"))
        .sort("_priority", "arm", "llm", nulls_last=False)
        .group_by("run_id", maintain_order=True)
        .first()
        .select("run_id", "arm", "llm")
    )


def with_main_arm(results: pl.LazyFrame) -> pl.LazyFrame:
    """Results (:func:`fill_arms`) with ``_main``: the row belongs to its run's main arm (:func:`main_arms`)."""
    mains = main_arms(results).with_columns(pl.lit(True).alias("_main"))
    return results.join(
        mains, on=["run_id", "arm", "llm"], how="left", nulls_equal=True, maintain_order="left"
    ).with_columns(pl.col("_main").fill_null(False))


def _cell_value() -> pl.Expr:
    """A cell's value: the primary metric for a framework cell (``score`` = a1); else 1 passed, 0 failed or
    error, null skipped (left out, as the pass rate leaves skipped tests out)."""
    status = pl.col("status")
    plain = pl.when(status == "passed").then(1.0).when(status.is_in(["failed", "error"])).then(0.0)
    return pl.when(pl.col("format") == FRAMEWORK_FORMAT).then(pl.col("score")).otherwise(plain)


def scenario_scores(results: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """One row per (run, arm, llm, scenario): the mean of its cells (repetitions averaged first).

    In: results (:data:`RESULT_SCHEMA`, matched or not). Out: ``run_id``, ``arm``, ``llm``, ``control``,
    ``scenario``, ``category`` (its first non-null), ``cells``, ``value`` (null when every cell was skipped),
    sorted by run, arm, llm, scenario.
    """
    frame = fill_arms(results.lazy() if isinstance(results, pl.DataFrame) else results)
    return (
        frame.with_columns(_cell_value().alias("_value"))
        .group_by("run_id", "arm", "llm", "scenario_key")
        .agg(
            pl.col("control").first(),
            pl.col("category").drop_nulls().first(),
            pl.len().cast(pl.Int64).alias("cells"),
            pl.col("_value").mean().alias("value"),
        )
        .rename({"scenario_key": "scenario"})
        .sort("run_id", "arm", "llm", "scenario", nulls_last=False)
        .collect()
    )


def bootstrap_ci(
    values: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float] | None:
    """95 % percentile bootstrap interval of the mean of ``values`` (None when there are none).

    ``resamples`` draws of ``len(values)`` indices with replacement from ``numpy.random.default_rng(seed)`` (one
    ``integers(0, n, (resamples, n))`` call), the mean of each draw, and the 2.5th and 97.5th percentiles of
    those means (numpy's linear interpolation); 4 places. Pass the values in a fixed order (sorted scenarios)
    so that the same input gives the same interval.
    """
    n = len(values)
    if n == 0:
        return None
    import numpy as np  # only the bootstrap needs numpy: every CLI call would otherwise pay its import

    data = np.asarray(values, dtype=float)
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    means = data[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return round(float(low), 4), round(float(high), 4)


def _lift_verdict(ci: tuple[float, float] | None, words: tuple[str, str, str]) -> str | None:
    if ci is None:
        return None
    return words[0] if ci[0] > 0 else words[1] if ci[1] < 0 else words[2]


ARM_TABLE_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "arm": pl.Utf8(),
    "llm": pl.Utf8(),
    "control": pl.Boolean(),
    "main": pl.Boolean(),
    "scenarios": pl.Int64(),
    "cases": pl.Int64(),
    "score": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
}


def arm_table(results: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """One row per (run, arm, llm): scenarios, cases (cells), score and its bootstrap interval.

    In: results. Out: :data:`ARM_TABLE_SCHEMA` columns — ``main`` marks the run's main arm; ``score`` (4 places)
    is the mean over scenarios of the scenario means (:func:`scenario_scores`), null when no scenario has a
    value; ``ci_low``/``ci_high`` by :func:`bootstrap_ci` over the scenarios in sorted order. Sorted by run, then
    main arm first, then arm and llm.
    """
    lazy = results.lazy() if isinstance(results, pl.DataFrame) else results
    scores = scenario_scores(lazy)
    mains = main_arms(fill_arms(lazy)).with_columns(pl.lit(True).alias("main")).collect()
    grouped = (
        scores.group_by("run_id", "arm", "llm", maintain_order=True)
        .agg(
            pl.col("control").first(),
            pl.len().cast(pl.Int64).alias("scenarios"),
            pl.col("cells").sum().cast(pl.Int64).alias("cases"),
            pl.col("value").drop_nulls().alias("_values"),
        )
        .join(mains, on=["run_id", "arm", "llm"], how="left", nulls_equal=True)
        .with_columns(pl.col("main").fill_null(False))
    )
    rows = []
    for row in grouped.iter_rows(named=True):
        values = row.pop("_values")
        ci = bootstrap_ci(values)
        rows.append(
            {
                **row,
                "score": round(sum(values) / len(values), 4) if values else None,
                "ci_low": None if ci is None else ci[0],
                "ci_high": None if ci is None else ci[1],
            }
        )
    frame = pl.DataFrame(rows, schema=ARM_TABLE_SCHEMA) if rows else pl.DataFrame(schema=ARM_TABLE_SCHEMA)
    return frame.sort(["run_id", "main", "arm", "llm"], descending=[False, True, False, False], nulls_last=False)


def by_category(scores: pl.DataFrame) -> dict[tuple[str, str, str | None], dict[str, float]]:
    """``{(run_id, arm, llm): {category: score}}``: per category the mean of its scenarios' means (4 places),
    categories sorted; scenarios without a category or a value are left out. In: :func:`scenario_scores`."""
    table = (
        scores.filter(pl.col("category").is_not_null() & pl.col("value").is_not_null())
        .group_by("run_id", "arm", "llm", "category")
        .agg(pl.col("value").mean().round(4).alias("score"))
        .sort("run_id", "arm", "llm", "category", nulls_last=False)
    )
    found: dict[tuple[str, str, str | None], dict[str, float]] = {}
    for run_id, arm, llm, category, score in table.iter_rows():
        found.setdefault((run_id, arm, llm), {})[category] = score
    return found


def _paired(before: pl.DataFrame, after: pl.DataFrame) -> list[float]:
    """after − before per scenario in both (values not null), in sorted scenario order."""
    joined = after.select("scenario", pl.col("value").alias("_a")).join(
        before.select("scenario", pl.col("value").alias("_b")), on="scenario", how="inner"
    )
    joined = joined.filter(pl.col("_a").is_not_null() & pl.col("_b").is_not_null()).sort("scenario")
    return (joined["_a"] - joined["_b"]).to_list()


def _paired_summary(diffs: list[float], words: tuple[str, str, str]) -> dict[str, Any] | None:
    if not diffs:
        return None
    ci = bootstrap_ci(diffs)
    return {
        "delta": round(sum(diffs) / len(diffs), 4),
        "ci": None if ci is None else list(ci),
        "verdict": _lift_verdict(ci, words),
        "scenarios": len(diffs),
    }


def control_lift(scores: pl.DataFrame, arms: pl.DataFrame, run_id: str) -> dict[str, Any] | None:
    """The main arm against the control in one run: paired per-scenario (main − control) differences, their mean,
    bootstrap interval and verdict (``helps`` above 0, ``hurts`` below, else ``no significant effect``).

    The control is ``llm_alone`` with the main arm's llm, else the first ``llm_alone`` by llm. None when the run
    has no control or no scenario in both. In: :func:`scenario_scores`, :func:`arm_table`.
    Out: ``{"delta", "ci": [lo, hi], "verdict", "scenarios", "arm", "control", "llm"}``.
    """
    mine = arms.filter(pl.col("run_id") == run_id)
    main = mine.filter(pl.col("main"))
    controls = mine.filter(pl.col("arm") == CONTROL_ARM).sort("llm", nulls_last=False)
    if main.height == 0 or controls.height == 0 or main["arm"][0] == CONTROL_ARM:
        return None
    main_llm = main["llm"][0]
    same = controls.filter(pl.col("llm").eq_missing(main_llm))
    control_llm = (same if same.height else controls)["llm"][0]
    run_scores = scores.filter(pl.col("run_id") == run_id)
    pick = run_scores.filter((pl.col("arm") == main["arm"][0]) & pl.col("llm").eq_missing(main_llm))
    control = run_scores.filter((pl.col("arm") == CONTROL_ARM) & pl.col("llm").eq_missing(control_llm))
    summary = _paired_summary(_paired(control, pick), LIFT_VERDICTS)
    if summary is None:
        return None
    return {**summary, "arm": main["arm"][0], "control": CONTROL_ARM, "llm": main_llm}


def run_arms(
    results: pl.DataFrame,
    runs: pl.DataFrame | None = None,
    *,
    z: float = 1.959964,
    scores: pl.DataFrame | None = None,
    arms: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """``{run_id: {"arms": [...], "control_lift": ...}}`` for ``runs list --json`` and the page.

    An arm: ``{"arm", "llm", "control", "main", "scenarios", "cases", "score", "ci": [lo, hi], "by_category"}``,
    the main arm first. ``control_lift``: :func:`control_lift` (null without a control). A JUnit / JSONL run's one
    arm keeps today's numbers when ``runs`` (:func:`run_summary`) is given: ``score`` = its pass rate and ``ci``
    its Wilson interval (``z``), as the page's chart draws them. In: results (and their :func:`scenario_scores`
    and :func:`arm_table` when already computed).
    """
    scores = scenario_scores(results) if scores is None else scores
    arms = arm_table(results) if arms is None else arms
    categories = by_category(scores)
    plain = (
        {} if runs is None else {r["run_id"]: r for r in runs.iter_rows(named=True) if r["format"] != FRAMEWORK_FORMAT}
    )
    found: dict[str, dict[str, Any]] = {}
    for row in arms.iter_rows(named=True):
        entry = found.setdefault(row["run_id"], {"arms": [], "control_lift": None})
        summary = plain.get(row["run_id"])
        if summary is not None:
            low, high = wilson_interval(summary["passed"], summary["tests"] - summary["skipped"], z)
            row = {**row, "score": summary["pass_rate"], "ci_low": low, "ci_high": high}
        entry["arms"].append(
            {
                "arm": row["arm"],
                "llm": row["llm"],
                "control": row["control"],
                "main": row["main"],
                "scenarios": row["scenarios"],
                "cases": row["cases"],
                "score": row["score"],
                "ci": None if row["ci_low"] is None else [row["ci_low"], row["ci_high"]],
                "by_category": categories.get((row["run_id"], row["arm"], row["llm"]), {}),
            }
        )
    for run_id, entry in found.items():
        entry["control_lift"] = control_lift(scores, arms, run_id)
    return found


SCORE_CHANGE_SCHEMA: dict[str, pl.DataType] = {
    "arm": pl.Utf8(),
    "llm": pl.Utf8(),
    "scenario": pl.Utf8(),
    "before": pl.Float64(),
    "after": pl.Float64(),
    "change": pl.Utf8(),
}


def compare_scores(scores: pl.DataFrame, *, baseline: str, run: str, main: str | None = None) -> pl.DataFrame:
    """Per arm and scenario of either run: the scenario's mean (of a1 for framework runs) before and after.

    ``change``: ``new`` / ``gone`` (in one run only), ``regressed`` (after < before), ``improved`` (after >
    before), else ``unchanged``. In: :func:`scenario_scores`. Out: :data:`SCORE_CHANGE_SCHEMA` columns (values
    rounded to 4 places) — the ``main`` arm (mode) first, then by arm, then regressions first (order of
    :data:`CHANGES`), then scenario.
    """
    keys = ["arm", "llm", "scenario"]
    before = scores.filter(pl.col("run_id") == baseline).select(*keys, pl.col("value").alias("before"))
    after = scores.filter(pl.col("run_id") == run).select(*keys, pl.col("value").alias("after"))
    joined = before.join(after, on=keys, how="full", coalesce=True, nulls_equal=True)
    b, a = pl.col("before"), pl.col("after")
    change = (
        pl.when(b.is_null() & a.is_not_null())
        .then(pl.lit("new"))
        .when(a.is_null() & b.is_not_null())
        .then(pl.lit("gone"))
        .when(a < b)
        .then(pl.lit("regressed"))
        .when(a > b)
        .then(pl.lit("improved"))
        .otherwise(pl.lit("unchanged"))
    )
    return (
        joined.with_columns(change.alias("change"), b.round(4), a.round(4))
        .with_columns(
            pl.col("change").replace_strict({c: i for i, c in enumerate(CHANGES)}).alias("_order"),
            pl.col("arm").ne_missing(pl.lit(main, dtype=pl.Utf8)).alias("_later"),
        )
        .sort("_later", "arm", "llm", "_order", "scenario", nulls_last=False)
        .select(list(SCORE_CHANGE_SCHEMA))
        .cast(SCORE_CHANGE_SCHEMA)  # type: ignore[arg-type]
    )


def score_delta(scores: pl.DataFrame, arms: pl.DataFrame, *, baseline: str, run: str) -> dict[str, Any] | None:
    """The run's main arm against the same arm (mode and llm, else mode) of the baseline: the mean of the paired
    per-scenario differences (run − baseline) over the scenarios in both, its bootstrap interval and a verdict
    (``improved`` above 0, ``regressed`` below, ``no change`` when the interval holds 0). None when nothing pairs.
    Out: ``{"arm", "llm", "value", "ci": [lo, hi], "verdict", "scenarios"}``."""
    main = arms.filter((pl.col("run_id") == run) & pl.col("main"))
    if main.height == 0:
        return None
    arm, llm = main["arm"][0], main["llm"][0]
    mine = scores.filter((pl.col("run_id") == run) & (pl.col("arm") == arm) & pl.col("llm").eq_missing(llm))
    theirs = scores.filter((pl.col("run_id") == baseline) & (pl.col("arm") == arm))
    exact = theirs.filter(pl.col("llm").eq_missing(llm))
    if exact.height == 0 and theirs.height:
        exact = theirs.filter(pl.col("llm").eq_missing(theirs.sort("llm", nulls_last=False)["llm"][0]))
    summary = _paired_summary(_paired(exact, mine), DELTA_VERDICTS)
    if summary is None:
        return None
    return {
        "arm": arm,
        "llm": llm,
        "value": summary["delta"],
        "ci": summary["ci"],
        "verdict": summary["verdict"],
        "scenarios": summary["scenarios"],
    }


def compare_warnings(runs: pl.DataFrame, scores: pl.DataFrame, *, baseline: str, run: str) -> list[str]:
    """What makes two runs less comparable: different benchmarks, config hashes or scenario sets (main arm)."""
    rows = {r["run_id"]: r for r in runs.filter(pl.col("run_id").is_in([baseline, run])).iter_rows(named=True)}
    before, after = rows.get(baseline, {}), rows.get(run, {})
    found: list[str] = []
    if before.get("benchmark") != after.get("benchmark"):
        found.append(
            f"the runs are of different benchmarks ({before.get('benchmark')} and {after.get('benchmark')}): "
            "their scores are not one series"
        )
    if before.get("config_hash") and after.get("config_hash") and before["config_hash"] != after["config_hash"]:
        found.append(
            "the benchmark configuration changed "
            f"(config_hash {before['config_hash'][:12]} → {after['config_hash'][:12]})"
        )
    sets = [set(scores.filter(pl.col("run_id") == r)["scenario"].to_list()) for r in (baseline, run)]
    if sets[0] != sets[1]:
        found.append(
            f"the scenario sets differ ({len(sets[1] - sets[0])} only in the run, {len(sets[0] - sets[1])} only in "
            "the baseline): the delta pairs the scenarios in both"
        )
    return found


def results_runs(runs: pl.DataFrame) -> pl.DataFrame:
    """The runs that are results: aborted runs left out (they are evidence, never a default or baseline)."""
    return runs.filter(~pl.col("aborted")) if "aborted" in runs.columns else runs


def benchmarks(runs: pl.DataFrame) -> list[str]:
    """The benchmarks of the runs, the one with the newest non-aborted run first (the default), then by name."""
    if runs.height == 0:
        return []
    results = results_runs(runs)
    first = results["benchmark"][0] if results.height else runs["benchmark"][0]
    return [first, *sorted({b for b in runs["benchmark"].to_list() if b != first})]


def of_benchmark(runs: pl.DataFrame, benchmark: str | None) -> pl.DataFrame:
    """The runs of one benchmark (all of them when ``benchmark`` is None)."""
    return runs if benchmark is None else runs.filter(pl.col("benchmark") == benchmark)
