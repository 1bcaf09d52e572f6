"""What the Benchmark runs page (and the fix-held hooks of Overview and Misses) share: the cached benchmark
load, the benchmark picker and run labels, the score chart, the chosen run's arms and provenance, the two-run
comparison, the scenario x run grid as shown and exported, the funnel, and the fix-held definition in use.

Everything the page shows is prepared here as display frames of text (no "None" cell: "—" where a value is
unknown), so that the page only lays out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from analytics.fixes import benchmark_pairs_held
from analytics.runs import (
    CHANGES,
    FRAMEWORK_FORMAT,
    NOT_EXPORTED,
    benchmarks,
    changes_by_taxonomy,
    compare_runs,
    compare_scores,
    compare_warnings,
    default_comparison,
    of_benchmark,
    pair_benchmark,
    pair_funnel,
    pass_rate_intervals,
    previous_run,
    results_runs,
    runs_in_window,
    score_delta,
    verdict,
)
from dashboard.context import AppContext, folder_stamp, relative_path
from dashboard.exports import csv_bytes
from dashboard.formatting import escape_markdown
from dashboard.misses_view import range_since
from dashboard.tables import cut_names
from triage_lens.sources.runs import Benchmark, load_benchmark

NO_RUNS_HELP = (
    "No benchmark results in this data source. Run the exported scenarios with pytest "
    "(`pytest --junitxml runs/<date>.xml`), write JSONL results (`run_id`, `started_at`, `scenario`, `status`, "
    "optional `score`), copy OpenSRE's `.bench-results/` folder, or import OpenRCA results (`triage-lens import "
    "openrca`), into a `runs/` folder of the data folder, or set `runs_dir` in `triage-lens.yaml`."
)
DASH = "—"
GRID_CAPTION = (
    "One column per run, oldest on the left; scenarios not passing in the newest run come first. A scenario "
    "is the text in the last `[...]` of a test name (a framework run: its case id, passing when every repetition of "
    "the main arm does), matched to an exported folder by `miss_id` or name."
)
FUNNEL_HELP = "Framework cases count only when their case id names an exported scenario folder."

STATUS_LABELS: dict[str, str] = {"passed": "✓ passed", "failed": "✗ failed", "error": "⚠ error", "skipped": "– skipped"}
# Cell tints that read on light and dark themes alike (semi-transparent over the table background).
STATUS_TINTS: dict[str, str] = {
    "✓ passed": "rgba(84, 162, 75, 0.28)",
    "✗ failed": "rgba(228, 87, 86, 0.30)",
    "⚠ error": "rgba(245, 133, 24, 0.34)",
    "– skipped": "rgba(157, 157, 157, 0.22)",
}
CHANGE_LABELS: dict[str, str] = {
    "regressed": "↓ regressed",
    "improved": "↑ improved",
    "new": "✦ new",
    "gone": "○ gone",
    "unchanged": "= unchanged",
}
SHOW_CHOICES: dict[str, str] = {
    "all": "all scenarios",
    "failing": "not passing in the newest run",
    "changed": "changed between the compared runs",
    "unexported": "never exported",
}


@st.cache_resource(max_entries=4, show_spinner="Reading benchmark runs…")
def _load(
    runs_dir: str,
    scenarios_dir: str | None,
    fingerprint: tuple[Any, ...],
    data_key: str,
    z: float,
    _context: AppContext,
) -> Benchmark:
    return load_benchmark(
        Path(runs_dir),
        Path(scenarios_dir) if scenarios_dir else None,
        _context.data.frame("misses"),
        z=z,
    )


def benchmark_for(context: AppContext) -> Benchmark | None:
    """The runs folder of the data source read and matched to its scenarios (None when there is no runs folder).
    Cached per file fingerprint of both folders and the loaded data; shared read-only."""
    runs_dir, scenarios_dir = context.sources.runs_dir, context.sources.scenarios_dir
    if runs_dir is None:
        return None
    if "benchmark" in context.this_run:  # the folders are walked once per run, however many sections ask
        return context.this_run["benchmark"]  # type: ignore[no-any-return]
    fingerprint = (folder_stamp(context, runs_dir), folder_stamp(context, scenarios_dir))
    z = context.policy.confidence.wilson_z
    benchmark = _load(
        str(runs_dir), str(scenarios_dir) if scenarios_dir else None, fingerprint, context.data_key, z, context
    )
    context.this_run["benchmark"] = benchmark
    return benchmark


def run_summary_for(context: AppContext) -> pl.DataFrame | None:
    """The runs of the data source (:func:`analytics.runs.run_summary`), None when there are none."""
    benchmark = benchmark_for(context)
    return benchmark.runs if benchmark is not None and benchmark.has_runs else None


def run_labels(runs: pl.DataFrame) -> dict[str, str]:
    """run_id -> a short unique label for columns and axes: ``MM-DD HH:MM`` (with the id when two share it, and
    `` aborted`` after an aborted run's)."""
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    aborted = runs["aborted"].to_list() if "aborted" in runs.columns else [False] * runs.height
    for (run_id, started), stopped in zip(runs.select("run_id", "started_at").iter_rows(), aborted, strict=True):
        label = f"{started:%m-%d %H:%M}"
        seen[label] = seen.get(label, 0) + 1
        label = label if seen[label] == 1 else f"{label} ({run_id})"
        labels[run_id] = label + (" aborted" if stopped else "")  # evidence, not a result: say so in the column
    return labels


def trend_frame(runs: pl.DataFrame, arm_rows: pl.DataFrame, *, z: float) -> pl.DataFrame:
    """The points of the score chart, oldest first: completed runs only (aborted runs are not results).

    In: :func:`analytics.runs.run_summary` rows of one benchmark, :func:`analytics.runs.arm_table`. Out:
    ``run_id``, ``started`` (naive UTC, for Vega), ``pass_rate``, ``ci_low``/``ci_high`` (a framework run: the main
    arm's bootstrap interval; else the Wilson interval of the pass rate), ``passed``, ``n``.
    """
    mains = arm_rows.filter(pl.col("main")).select(
        "run_id", pl.col("ci_low").alias("_lo"), pl.col("ci_high").alias("_hi")
    )
    framework = pl.col("format") == FRAMEWORK_FORMAT
    return (
        pass_rate_intervals(results_runs(runs), z=z)
        .join(mains, on="run_id", how="left")
        .filter(pl.col("pass_rate").is_not_null())
        .select(
            "run_id",
            pl.col("started_at").dt.replace_time_zone(None).alias("started"),
            "pass_rate",
            pl.when(framework).then(pl.col("_lo")).otherwise(pl.col("ci_low")).alias("ci_low"),
            pl.when(framework).then(pl.col("_hi")).otherwise(pl.col("ci_high")).alias("ci_high"),
            "passed",
            "n",
        )
    )


def time_axis(started: list[datetime]) -> alt.Axis:
    """Ticks at the runs themselves (never a repeated "Jan 01" between them), with the hour when two runs share
    a day; at most 12 ticks (every k-th run beyond that)."""
    days = {s.date() for s in started}
    fmt = "%b %d" if len(days) == len(started) else "%b %d %H:%M"
    step = max(1, -(-len(started) // 12))
    values = [s.isoformat() for s in started[::step]]
    return alt.Axis(format=fmt, values=values, labelAngle=0 if len(values) <= 6 else -30, labelOverlap=True)


def trend_chart(runs: pl.DataFrame, arm_rows: pl.DataFrame, *, z: float) -> alt.LayerChart:
    """Score per run over time with its 95% interval (one benchmark). In: see :func:`trend_frame`."""
    data = trend_frame(runs, arm_rows, z=z)
    axis = time_axis(data["started"].to_list())
    base = alt.Chart(data).encode(x=alt.X("started:T", title="run started (UTC)", axis=axis))
    interval = base.mark_rule(strokeWidth=2, color="#4C78A8", opacity=0.45).encode(
        y=alt.Y("ci_low:Q", title="score", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y2="ci_high:Q",
    )
    tooltip = [
        alt.Tooltip("run_id:N", title="run"),
        alt.Tooltip("started:T", title="started (UTC)", format="%Y-%m-%d %H:%M"),
        alt.Tooltip("pass_rate:Q", title="score", format=".1%"),
        alt.Tooltip("passed:Q", title="passed"),
        alt.Tooltip("n:Q", title="cases (not skipped)"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
    ]
    line = base.mark_line(color="#4C78A8", point=alt.OverlayMarkDef(filled=True, size=70)).encode(
        y="pass_rate:Q", tooltip=tooltip
    )
    layered: alt.LayerChart = (interval + line).properties(height=260)
    return layered


def pass_rate_chart(runs: pl.DataFrame, *, z: float) -> alt.LayerChart:
    """The pass rate per run with its Wilson interval (JUnit / JSONL runs; :func:`trend_chart` for any)."""
    return trend_chart(
        runs,
        pl.DataFrame(schema={"run_id": pl.Utf8, "main": pl.Boolean, "ci_low": pl.Float64, "ci_high": pl.Float64}),
        z=z,
    )


def filter_grid(
    grid: pl.DataFrame,
    *,
    runs: pl.DataFrame,
    taxonomy: str,
    show: str,
    changed: set[str] | None = None,
) -> pl.DataFrame:
    """The long grid rows the page shows: runs in ``runs`` only, one taxonomy (or "all"; :data:`NOT_EXPORTED`
    for scenarios without a folder), and the ``show`` choice of :data:`SHOW_CHOICES`.

    In: :func:`analytics.runs.scenario_grid`. Out: the same columns, fewer rows.
    """
    frame = grid.filter(pl.col("run_id").is_in(runs["run_id"].to_list()))
    if taxonomy != "all":
        frame = frame.filter(pl.col("group_taxonomy").fill_null(NOT_EXPORTED) == taxonomy)
    if show == "failing" and runs.height:
        newest = runs["run_id"][0]
        passing = frame.filter((pl.col("run_id") == newest) & (pl.col("status") == "passed"))["scenario"]
        frame = frame.filter(~pl.col("scenario").is_in(passing.to_list()))
    elif show == "changed":
        frame = frame.filter(pl.col("scenario").is_in(sorted(changed or set())))
    elif show == "unexported":
        frame = frame.filter(~pl.col("exported"))
    return frame


def grid_wide(grid: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    """Scenario x run: one row per scenario (``scenario``, ``alert``, ``taxonomy``, ``exported``) and one column
    per run, oldest on the left, holding the status (null when the scenario was not in that run).

    In: (filtered) :func:`analytics.runs.scenario_grid` rows, the runs to show as columns. Rows: scenarios not
    passing in the newest shown run first, then by scenario.
    """
    labels = run_labels(runs)
    ordered = [labels[r] for r in reversed(runs["run_id"].to_list())]
    scenarios = (
        grid.group_by("scenario")
        .agg(
            pl.col("group_alert").first().alias("alert"),
            pl.col("group_taxonomy").first().fill_null(NOT_EXPORTED).alias("taxonomy"),
            pl.col("exported").first(),
        )
        .sort("scenario")
    )
    if grid.height == 0:
        return scenarios.with_columns(pl.lit(None, pl.Utf8).alias(label) for label in ordered)
    cells = grid.select(
        "scenario", pl.col("run_id").replace_strict(labels, return_dtype=pl.Utf8).alias("run"), "status"
    ).pivot(on="run", index="scenario", values="status")
    wide = scenarios.join(cells, on="scenario", how="left").with_columns(
        pl.lit(None, pl.Utf8).alias(label) for label in ordered if label not in cells.columns
    )
    newest = ordered[-1] if ordered else None
    passing_last = (pl.col(newest) == "passed").fill_null(False) if newest else pl.lit(False)
    return (
        wide.with_columns(passing_last.alias("_passing"))
        .sort("_passing", "scenario")
        .select("scenario", "alert", "taxonomy", "exported", *ordered)
    )


def grid_csv(wide: pl.DataFrame) -> bytes:
    """The grid exactly as filtered on the page, as CSV (statuses as words, empty where a run lacks it)."""
    return csv_bytes(wide)


NOT_RUN = "—"


def grid_display(wide: pl.DataFrame) -> Any:
    """The wide grid for ``st.dataframe``: scenario, taxonomy (which says "(not exported)" too) and the runs, statuses
    with symbols, "—" where the scenario was not in the run, cells tinted by status (a pandas Styler)."""
    run_columns = wide.columns[4:]
    shown = cut_names(wide).select(
        "scenario",
        "taxonomy",
        *(
            pl.col(c).replace_strict(STATUS_LABELS, default=None, return_dtype=pl.Utf8).fill_null(NOT_RUN)
            for c in run_columns
        ),
    )

    def tint(value: object) -> str:
        return f"background-color: {STATUS_TINTS[value]}" if isinstance(value, str) and value in STATUS_TINTS else ""

    return shown.to_pandas().style.map(tint, subset=list(run_columns))


FUNNEL_COLORS = ("#9D9D9D", "#4C78A8", "#72B7B2", "#54A24B")


def funnel_chart(stages: pl.DataFrame) -> alt.LayerChart:
    """Horizontal funnel with the count at the end of each bar. In: ``stage``, ``pairs`` in funnel order."""
    order = stages["stage"].to_list()
    base = alt.Chart(stages).encode(
        y=alt.Y("stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("pairs:Q", title="pairs"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("stage:N", sort=order, scale=alt.Scale(domain=order, range=list(FUNNEL_COLORS)), legend=None),
        tooltip=[alt.Tooltip("stage:N"), alt.Tooltip("pairs:Q")],
    )
    text = base.mark_text(align="left", dx=4).encode(text="pairs:Q")
    layered: alt.LayerChart = (bars + text).properties(height=alt.Step(34))
    return layered


def when(value: datetime | None) -> str:
    """A UTC instant for people: ``2026-11-16 02:00``, or "—"."""
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M}"


def pct(value: float | None) -> str:
    """A share for people: ``36%``, or "—"."""
    return DASH if value is None else f"{value:.0%}"


def url_choice(
    container: Any,
    label: str,
    options: list[str],
    param: str,
    default: str,
    format_func: Callable[[str], str] = str,
    help: str | None = None,
    scope: str = "",
) -> str:
    """A selectbox kept in the URL parameter ``param`` (absent when it equals ``default``). ``scope`` gives the
    widget a fresh identity when what its default depends on changes."""
    wanted = st.query_params.get(param, default)
    index = options.index(wanted) if wanted in options else (options.index(default) if default in options else 0)
    # A key keeps the widget's identity when the URL moves its index (else the next choice would be lost).
    chosen = str(
        container.selectbox(label, options, index=index, format_func=format_func, help=help, key=f"runs_{param}{scope}")
    )
    if chosen == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != chosen:
        st.query_params[param] = chosen
    return chosen


def benchmark_view(benchmark: Benchmark) -> tuple[list[str], dict[str, str]]:
    """The benchmarks to pick from (the one with the newest completed run first) and their labels:
    ``name · N runs · newest YYYY-MM-DD`` (the default JUnit / JSONL series reads "exported scenarios")."""
    names = benchmarks(benchmark.runs)
    labels = {}
    for name in names:
        runs = of_benchmark(benchmark.runs, name)
        shown = "exported scenarios" if name == "default" else name  # short: it must fit a phone
        labels[name] = (
            f"{shown} · {runs.height} run{'' if runs.height == 1 else 's'} · newest {runs['started_at'][0]:%Y-%m-%d}"
        )
    return names, labels


def run_choice_labels(runs: pl.DataFrame) -> dict[str, str]:
    """run_id -> ``benchmark · YYYY-MM-DD HH:MM`` (``· aborted`` when it was; the id only when two share a minute)."""
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in runs.iter_rows(named=True):
        name = "exported scenarios" if row["benchmark"] == "default" else row["benchmark"]
        label = f"{name} · {row['started_at']:%Y-%m-%d %H:%M}"
        seen[label] = seen.get(label, 0) + 1
        label = label if seen[label] == 1 else f"{label} · {row['run_id']}"
        labels[row["run_id"]] = label + (" · aborted" if row["aborted"] else "")
    return labels


@dataclass
class Compared:
    """Two runs side by side as the page shows them."""

    counts: dict[str, int]
    table: pl.DataFrame
    by_taxonomy: pl.DataFrame | None
    changed: set[str]
    warnings: list[str]
    delta_line: str | None
    caption: str


@dataclass
class ComparisonView:
    """One benchmark's runs in the time range, the verdict and the defaults of the pickers."""

    benchmark: Benchmark
    runs: pl.DataFrame
    verdict: str
    caption: str
    aborted_lines: list[str]
    trend_title: str
    trend_caption: str
    labels: dict[str, str]
    default_run: str
    framework: bool
    taxonomies: list[str] = field(default_factory=list)

    @property
    def results(self) -> pl.DataFrame:
        """The runs that are results (aborted ones left out): the trend's points and its time span."""
        return results_runs(self.runs)

    @property
    def comparable(self) -> bool:
        """Two runs or more: a comparison means something."""
        return self.runs.height > 1

    @property
    def run_ids(self) -> list[str]:
        return list(self.runs["run_id"].to_list())

    def baseline_for(self, run_id: str) -> str:
        return previous_run(self.runs, run_id) or run_id

    def compare(self, baseline: str, run: str) -> Compared:
        return compare_view(self.benchmark, self.runs, baseline=baseline, run=run)


def comparison_view(benchmark: Benchmark, context: AppContext, name: str) -> ComparisonView | None:
    """The runs of benchmark ``name`` in the sidebar range and everything the top of the page says about them
    (None when none started in the range)."""
    since, since_label = range_since(context)
    runs = runs_in_window(of_benchmark(benchmark.runs, name), start=since, end=context.now)
    if runs.height == 0:
        return None
    baseline, newest = default_comparison(runs)
    framework = FRAMEWORK_FORMAT in runs["format"].to_list()
    comparison = delta = None
    if baseline is not None and newest is not None:
        comparison = compare_view(benchmark, runs, baseline=baseline, run=newest).table_frame
        if framework:
            delta = score_delta(benchmark.scores, benchmark.arm_rows, baseline=baseline, run=newest)
    aborted = runs.filter(pl.col("aborted"))
    lines = [
        f"Aborted run {label.removesuffix(' · aborted')} — {reason}: shown as evidence, never a default, baseline "
        "or point of the trend."
        for label, reason in zip(
            run_choice_labels(aborted).values(), aborted["abort_reason"].fill_null("no reason recorded"), strict=True
        )
    ]
    rule = (
        "score = mean over scenarios of each scenario's mean a1 over repetitions (main arm), interval = 95% bootstrap "
        "over scenarios"
        if framework
        else "pass rate = passed / (tests − skipped); errors count as not passed"
    )
    plural = "" if runs.height == 1 else "s"
    caption = f"{runs.height} run{plural} of this benchmark in the time range ({since_label}) · {rule}."
    trend_caption = (
        "Dots: the main arm's score; bars: its 95% bootstrap interval over scenarios — a step inside the bars is not "
        "a real change."
        if framework
        else "Dots: passed / tests not skipped; bars: 95% Wilson interval — with few tests, a step inside the bars "
        "is not a real change."
    )
    taxonomies = sorted({t or NOT_EXPORTED for t in benchmark.grid["group_taxonomy"].to_list()})
    return ComparisonView(
        benchmark,
        runs,
        verdict(runs, comparison, delta),
        caption,
        lines,
        "Score per run" if framework else "Pass rate per run",
        trend_caption,
        run_choice_labels(runs),
        newest or runs["run_id"][0],
        framework,
        taxonomies,
    )


@dataclass
class _Comparison(Compared):
    table_frame: pl.DataFrame = field(default_factory=pl.DataFrame)


def compare_view(benchmark: Benchmark, runs: pl.DataFrame, *, baseline: str, run: str) -> _Comparison:
    """The comparison of two runs as shown: framework runs by each scenario's mean a1 of the main arm (with the
    statistical delta; a change inside its interval reads "no change"), others by status."""
    rows = {
        r["run_id"]: r for r in benchmark.runs.filter(pl.col("run_id").is_in([baseline, run])).iter_rows(named=True)
    }
    framework = rows[baseline]["format"] == FRAMEWORK_FORMAT and rows[run]["format"] == FRAMEWORK_FORMAT
    warnings = [] if baseline == run else compare_warnings(benchmark.runs, benchmark.scores, baseline=baseline, run=run)
    warnings += [
        f"{r['run_id']} was aborted ({r['abort_reason']}): incomplete evidence." for r in rows.values() if r["aborted"]
    ]
    statuses = compare_runs(benchmark.grid, baseline=baseline, run=run)
    if not framework:
        table = cut_names(statuses).select(
            pl.col("change").replace_strict(CHANGE_LABELS, return_dtype=pl.Utf8),
            "scenario",
            pl.col("alert_name").fill_null(DASH).alias("alert"),
            "taxonomy",
            pl.col("before").replace_strict(STATUS_LABELS, default=DASH, return_dtype=pl.Utf8),
            pl.col("after").replace_strict(STATUS_LABELS, default=DASH, return_dtype=pl.Utf8),
        )
        by_taxonomy = changes_by_taxonomy(statuses)
        return _Comparison(
            {c: int((statuses["change"] == c).sum()) for c in CHANGES},
            table,
            pl.DataFrame([{"taxonomy": t, **c} for t, c in by_taxonomy.items()]) if by_taxonomy else None,
            set(statuses.filter(pl.col("change") != "unchanged")["scenario"].to_list()),
            warnings,
            None,
            "Regressed: passed in the baseline, not in the run; improved: the reverse; skipped counts as not passed.",
            statuses,
        )
    delta = score_delta(benchmark.scores, benchmark.arm_rows, baseline=baseline, run=run)
    main = benchmark.arm_rows.filter((pl.col("run_id") == run) & pl.col("main"))
    scores = compare_scores(benchmark.scores, baseline=baseline, run=run)
    if main.height:
        scores = scores.filter((pl.col("arm") == main["arm"][0]) & pl.col("llm").eq_missing(main["llm"][0]))
    table = cut_names(scores).select(  # the main arm only (named in the delta line): change, scenario, before, after
        pl.col("change").replace_strict(CHANGE_LABELS, return_dtype=pl.Utf8),
        "scenario",
        *(
            ((pl.col(c) * 100).round(0).cast(pl.Int64).cast(pl.Utf8) + "%").fill_null(DASH).alias(f"{c} (mean a1)")
            for c in ("before", "after")
        ),
    )
    line = None
    if delta is not None:
        low, high = delta["ci"]
        reading = {"no change": "no change (the interval holds 0)", "improved": "improved", "regressed": "regressed"}
        line = (
            f"**{delta['arm']}: {delta['value'] * 100:+.1f} points** over the {delta['scenarios']} scenarios in both "
            f"runs (95% CI {low * 100:+.1f} to {high * 100:+.1f}) → **{reading[delta['verdict']]}**."
        )
    return _Comparison(
        {c: int((scores["change"] == c).sum()) for c in CHANGES},
        table,
        None,
        set(scores.filter(pl.col("change") != "unchanged")["scenario"].to_list()),
        warnings,
        line,
        "Per scenario: the main arm's mean a1 over repetitions in each run; regressed = lower in the run, improved = "
        "higher. The delta pairs scenarios and bootstraps them: individual moves inside its interval are noise.",
        scores,
    )


@dataclass
class RunDetail:
    """The chosen run's arms, categories and provenance as shown (arms None for JUnit / JSONL runs)."""

    headline: str
    arms: pl.DataFrame | None
    categories: pl.DataFrame | None
    provenance: str


def _number(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else DASH


def _money(value: float | None) -> str:
    return DASH if value is None else f"${value:,.2f}"


def run_detail(benchmark: Benchmark, run_id: str) -> RunDetail:
    """Arms (score with its 95% interval, scenarios, cases), the control lift, the score per fault category per
    arm, and the provenance line: commit, models, cost and cost per correct case, config hash, source."""
    row = benchmark.runs.filter(pl.col("run_id") == run_id).row(0, named=True)
    entry = benchmark.arms.get(run_id, {"arms": [], "control_lift": None})
    parts = [f"Run `{escape_markdown(run_id)}`", f"format {row['format']}"]
    if row["opensre_sha"]:
        parts.append(f"OpenSRE {row['opensre_sha'][:12]}")
    if row["version"]:
        parts.append(f"version {escape_markdown(row['version'])}")
    if row["models"]:
        parts.append("models " + ", ".join(escape_markdown(m) for m in row["models"]))
    if row["total_cost_usd"] is not None:
        parts.append(f"cost {_money(row['total_cost_usd'])} ({_money(row['cost_per_correct'])} per correct case)")
    if row["config_hash"]:
        parts.append(f"config {row['config_hash'][:19]}")
    if row["format"] == "openrca":
        partial = benchmark.matched.filter(pl.col("run_id") == run_id)["score"].mean()
        parts.append(f"exact match {pct(row['pass_rate'])}, mean partial score {_number(partial)}")
    provenance = " · ".join(parts) + "."
    if row["format"] != FRAMEWORK_FORMAT:
        arm = entry["arms"][0] if entry["arms"] else {"by_category": {}}
        rates = arm["by_category"]
        what = "task" if row["format"] == "openrca" else "category"
        column = "exact match" if row["format"] == "openrca" else "passed"
        table = pl.DataFrame([{what: c, column: pct(v)} for c, v in rates.items()]) if rates else None
        return RunDetail("", None, table, provenance)
    arms = pl.DataFrame(
        [
            {
                "arm": a["arm"] + (" (control)" if a["control"] else ""),
                "model": a["llm"] or DASH,
                "score": pct(a["score"]),
                "95% CI": DASH if a["ci"] is None else f"{pct(a['ci'][0])}–{pct(a['ci'][1])}",
                "scenarios": a["scenarios"],
                "cases": a["cases"],
            }
            for a in entry["arms"]
        ]
    )
    categories = sorted({c for a in entry["arms"] for c in a["by_category"]})
    by_category = (
        pl.DataFrame(
            [
                {"fault category": c, **{a["arm"]: pct(a["by_category"].get(c)) for a in entry["arms"]}}
                for c in categories
            ]
        )
        if categories
        else None
    )
    lift = entry["control_lift"]
    if lift is None:
        headline = "No control arm in this run: no lift to measure."
    else:
        low, high = lift["ci"]
        headline = (
            f"{lift['arm']} against {lift['control']}: {lift['delta'] * 100:+.1f} points over {lift['scenarios']} "
            f"paired scenarios (95% CI {low * 100:+.1f} to {high * 100:+.1f}) → {lift['verdict']}."
        )
    if row["aborted"]:
        headline = f"Aborted ({row['abort_reason']}): incomplete evidence. " + headline
    return RunDetail(headline, cut_names(arms), None if by_category is None else cut_names(by_category), provenance)


def grid_file_name(context: AppContext, taxonomy: str, show: str) -> str:
    """The grid CSV's download name: the range and the filters in it."""
    from dashboard.exports import download_name

    return download_name(
        "benchmark_grid",
        context.now,
        "csv",
        range=context.filters.range_key,
        taxonomy=None if taxonomy == "all" else taxonomy,
        show=None if show == "all" else show,
    )


def grid_view(benchmark: Benchmark, runs: pl.DataFrame, *, taxonomy: str, show: str, changed: set[str]) -> pl.DataFrame:
    """The wide grid of the runs shown (:func:`filter_grid` then :func:`grid_wide`)."""
    return grid_wide(filter_grid(benchmark.grid, runs=runs, taxonomy=taxonomy, show=show, changed=changed), runs)


@dataclass
class FunnelView:
    stages: pl.DataFrame
    held: str
    table: pl.DataFrame
    caption: str
    empty: bool = False  # no recurring pair at all (no misses): the caption says so instead of an empty chart


def funnel_view(benchmark: Benchmark, context: AppContext, fixes: pl.DataFrame) -> FunnelView:
    """The funnel per recurring pair and its table as text ("—" where unknown); its held stage from ``fixes``
    (:func:`analytics.fixes.fix_table`, the one fix-held rule every surface uses)."""
    misses = context.data.frame("misses")
    pairs = benchmark_pairs_held(pair_benchmark(benchmark.grid, benchmark.runs, misses), fixes)
    stages, per_pair = pair_funnel(misses, benchmark.index, pairs)
    table = cut_names(per_pair).select(
        pl.col("group_alert").alias("alert"),
        pl.col("group_taxonomy").alias("taxonomy"),
        pl.col("misses").alias("misses (all time)"),
        pl.col("stage").alias("furthest stage"),
        pl.col("newest_status").replace_strict(STATUS_LABELS, default=DASH, return_dtype=pl.Utf8).alias("newest run"),
        pl.col("first_passed_at").dt.strftime("%Y-%m-%d %H:%M").fill_null(DASH).alias("first passed (UTC)"),
        pl.col("missed_since_pass").cast(pl.Utf8).fill_null(DASH).alias("misses since"),
    )
    completed = results_runs(benchmark.runs)
    newest = when(completed["started_at"][0]) if completed.height else DASH
    caption = (
        f"Recurring pair: (alert, taxonomy) missed at least twice, all time. Runs from "
        f"`{escape_markdown(relative_path(benchmark.runs_dir))}` ({len(benchmark.read.files)} files or run folders); "
        f"newest completed run {newest} UTC."
    )
    if per_pair.height == 0:
        caption = (
            "No recurring miss in this data source (none missed twice), so the funnel from a miss to a fix that "
            "held has nothing to follow: it needs `misses.jsonl` and exported scenarios."
        )
    held = f"{stages['pairs'][3]} of {stages['pairs'][1]} exported pairs"
    return FunnelView(stages, held, table, caption, per_pair.height == 0)


def render_detail(detail: RunDetail) -> None:
    """The chosen run's lift line, arms and categories (when it has them) and its provenance caption."""
    if detail.headline:
        st.markdown(f"**{detail.headline}**")
    for frame in (detail.arms, detail.categories):
        if frame is not None:
            st.dataframe(frame, hide_index=True, width="stretch")
    st.caption(detail.provenance)


def render_comparison(compared: Compared, *, same: bool) -> set[str]:
    """Warnings, the delta line, the change counts, the table and the per-taxonomy counts; returns the scenarios
    that changed (for the grid's "changed" filter)."""
    if same:
        st.info("Pick a different baseline: a run compared with itself changes nothing.")
    for warning in compared.warnings:
        st.warning(warning)
    if compared.delta_line:
        st.markdown(compared.delta_line)
    for column, change in zip(st.columns(len(CHANGE_LABELS)), CHANGE_LABELS, strict=True):
        column.metric(CHANGE_LABELS[change], compared.counts[change])
    st.dataframe(compared.table, hide_index=True, width="stretch")
    if compared.by_taxonomy is not None:
        st.markdown("**Changes per taxonomy**")
        st.dataframe(compared.by_taxonomy, hide_index=True, width="stretch")
    st.caption(compared.caption)
    return compared.changed
