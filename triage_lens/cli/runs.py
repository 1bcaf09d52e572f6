"""``triage-lens runs``: benchmark results over the exported scenarios — runs, scenarios, the CI gate, compare.

Results come from ``<data>/runs/`` (or ``runs_dir`` in the config, or ``--runs DIR``): JUnit XML from
``pytest --junitxml`` and JSONL result files. Scenarios are matched to the exported folders of ``scenarios/``
(or ``scenarios_dir``, or ``--scenarios DIR``). A file that cannot be read is named on stderr and skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import polars as pl

from analytics.runs import (
    CHANGES,
    FRAMEWORK_FORMAT,
    changes_by_taxonomy,
    compare_runs,
    compare_scores,
    compare_warnings,
    default_comparison,
    of_benchmark,
    previous_run,
    run_json,
    scenario_summary,
    score_delta,
)
from analytics.timeparse import format_utc
from triage_lens.cli.common import (
    GlobalOptions,
    emit_json,
    fail,
    global_options,
    load_inputs,
    pct,
    prepare,
    render_table,
)
from triage_lens.sources.runs import Benchmark, load_benchmark, runs_report_lines

RUNS_HELP = (
    "Folder of JUnit XML / JSONL results and OpenSRE framework run folders (default: <data>/runs or runs_dir in "
    "the config)."
)
BENCHMARK_HELP = "Only the runs of this benchmark (see the benchmark column of `runs list`)."


def _benchmark_filter(command: Any) -> Any:
    return click.option("--benchmark", "benchmark_name", metavar="NAME", help=BENCHMARK_HELP)(command)


def _only(benchmark: Benchmark, name: str | None) -> pl.DataFrame:
    """The runs of benchmark ``name`` (all when None); an unknown name exits 2 with the known ones."""
    if name is None:
        return benchmark.runs
    known = sorted(set(benchmark.runs["benchmark"].to_list()))
    if name not in known:
        fail(f"--benchmark: no runs of {name!r} (benchmarks: {', '.join(known) or 'none'})")
    return of_benchmark(benchmark.runs, name)


SCENARIOS_HELP = "Exported scenarios folder (default: <data>/scenarios or scenarios_dir in the config)."


def _benchmark_options(json_help: str) -> Callable[[Any], Any]:
    """What every ``runs`` command ends with, in this order: --runs, --scenarios, --json (``json_help``), the
    global options, and the :class:`GlobalOptions` passed first."""

    def decorate(command: Any) -> Any:
        command = global_options(click.pass_obj(command))
        command = click.option("--json", "as_json", is_flag=True, help=json_help)(command)
        command = click.option("--scenarios", "scenarios_dir", type=click.Path(path_type=Path), help=SCENARIOS_HELP)(
            command
        )
        return click.option("--runs", "runs_dir", type=click.Path(path_type=Path), help=RUNS_HELP)(command)

    return decorate


def _answered(benchmark: Benchmark, rows: list[dict[str, Any]], as_json: bool) -> bool:
    """``rows`` printed as JSON (--json), or the note that there are none: True when that is the whole answer."""
    if as_json:
        emit_json(rows)
        return True
    if not rows:
        click.echo(f"No benchmark results in {benchmark.runs_dir}.")
        return True
    return False


def _load(options: GlobalOptions, runs_dir: Path | None, scenarios_dir: Path | None) -> Benchmark:
    """Resolve the folders (exit 2 when there is no runs folder), read them and warn about skipped input."""
    sources, policy = prepare(options)
    folder = runs_dir or sources.runs_dir
    if folder is None:
        fail(
            "no benchmark runs folder: put JUnit XML or JSONL results in <data>/runs, set runs_dir in "
            "triage-lens.yaml, or pass --runs DIR"
        )
    if not folder.is_dir():
        fail(f"--runs: {folder} is not a folder")
    scenarios = scenarios_dir or sources.scenarios_dir
    if scenarios_dir is not None and not scenarios_dir.is_dir():
        fail(f"--scenarios: {scenarios_dir} is not a folder")
    data = load_inputs(sources, policy, ["misses"])
    benchmark = load_benchmark(folder, scenarios, data.frame("misses"), z=policy.confidence.wilson_z)
    for line in runs_report_lines(benchmark.read):
        click.echo(f"warning: {line}", err=True)
    for problem in benchmark.scenario_problems:
        click.echo(f"warning: {problem}", err=True)
    return benchmark


def _when(value: Any) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M}"


@click.group()
def runs() -> None:
    """Benchmark results over the exported scenarios: runs, scenarios, the CI gate and run comparison."""


@runs.command("list")
@_benchmark_filter
@_benchmark_options("[{run_id, started_at, format, benchmark, aborted, tests, passed, pass_rate, arms, ...}]")
def list_command(
    options: GlobalOptions, benchmark_name: str | None, runs_dir: Path | None, scenarios_dir: Path | None, as_json: bool
) -> None:
    """Every run, newest first: its benchmark, pass rate (a framework run: the main arm's score with its 95%
    interval, and the lift over the control), whether it was aborted, and its version and cost."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    summary = _only(benchmark, benchmark_name)
    rows = [run_json(r, benchmark.arms) for r in summary.iter_rows(named=True)]
    if _answered(benchmark, rows, as_json):
        return
    click.echo(render_table(*_list_table(rows, summary)))
    if any(r["format"] == FRAMEWORK_FORMAT for r in rows):
        click.echo(
            "\nFramework runs: tests and passed count the main arm's cells (passed = a1 of 1); the score is the mean "
            "over scenarios of each scenario's mean a1, with a 95% bootstrap interval over scenarios."
        )


def _list_table(rows: list[dict[str, Any]], summary: pl.DataFrame) -> tuple[list[str], list[list[str]], set[int]]:
    """The ``runs list`` table: today's columns, plus benchmark, interval, lift, version, cost and state only
    when some run has them (a JUnit-only folder reads as before)."""
    framework = any(r["format"] == FRAMEWORK_FORMAT for r in rows)
    optional: list[tuple[str, bool, Callable[[dict[str, Any]], str]]] = [
        ("benchmark", len({r["benchmark"] for r in rows}) > 1 or framework, lambda r: r["benchmark"]),
        ("95% CI", framework, lambda r: _interval(_main_arm(r))),
        ("vs control", framework, lambda r: _lift(r["control_lift"])),
        ("version", any(r["version"] or r["opensre_sha"] for r in rows), _version),
        ("cost", any(r["total_cost_usd"] is not None for r in rows), _cost),
        ("state", any(r["aborted"] for r in rows), lambda r: f"aborted: {r['abort_reason']}" if r["aborted"] else ""),
    ]
    shown = [(title, get) for title, wanted, get in optional if wanted]
    headers = ["run", "started (UTC)", "tests", "passed", "failed", "errors", "skipped", "pass rate"]
    table = [
        [
            r["run_id"],
            _when(raw["started_at"]),
            *(str(r[k]) for k in ("tests", "passed", "failed", "errors", "skipped")),
            pct(r["pass_rate"]),
            *(get(r) for _, get in shown),
        ]
        for r, raw in zip(rows, summary.iter_rows(named=True), strict=True)
    ]
    return headers + [t for t, _ in shown], table, {2, 3, 4, 5, 6, 7}


def _version(row: dict[str, Any]) -> str:
    return str(row["version"] or (row["opensre_sha"] or "—")[:12])


def _main_arm(row: dict[str, Any]) -> dict[str, Any] | None:
    return next((a for a in row.get("arms", []) if a.get("main")), None)


def _interval(arm: dict[str, Any] | None) -> str:
    if arm is None or arm["ci"] is None:
        return "—"
    return f"{pct(arm['ci'][0])}–{pct(arm['ci'][1])}"


def _lift(lift: dict[str, Any] | None) -> str:
    if lift is None:
        return "—"
    sign = "+" if lift["delta"] > 0 else ""
    return f"{sign}{lift['delta'] * 100:.0f} pts ({lift['verdict']})"


def _cost(row: dict[str, Any]) -> str:
    if row["total_cost_usd"] is None:
        return "—"
    per = "" if row["cost_per_correct"] is None else f" (${row['cost_per_correct']:.2f}/correct)"
    return f"${row['total_cost_usd']:.2f}{per}"


@runs.command("scenarios")
@_benchmark_filter
@_benchmark_options("[{scenario, exported, runs, passed, last_status, ...}]")
def scenarios_command(
    options: GlobalOptions, benchmark_name: str | None, runs_dir: Path | None, scenarios_dir: Path | None, as_json: bool
) -> None:
    """Per scenario: exported or not, runs, passes, latest status, first pass and the pair it came from (a
    framework run: its main arm, passing when every repetition passes)."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    wanted = _only(benchmark, benchmark_name)["run_id"].to_list()
    summary = scenario_summary(benchmark.grid.filter(pl.col("run_id").is_in(wanted)))
    rows: list[dict[str, Any]] = [
        {**r, "first_passed_at": None if r["first_passed_at"] is None else format_utc(r["first_passed_at"])}
        for r in summary.iter_rows(named=True)
    ]
    if _answered(benchmark, rows, as_json):
        return
    table = [
        [
            r["scenario"],
            "yes" if r["exported"] else "no",
            str(r["runs"]),
            str(r["passed"]),
            r["last_status"],
            _when(raw["first_passed_at"]),
            "—" if r["alert_name"] is None else f"{r['alert_name']} · {r['taxonomy']}",
        ]
        for r, raw in zip(rows, summary.iter_rows(named=True), strict=True)
    ]
    headers = ["scenario", "exported", "runs", "passed", "last status", "first passed (UTC)", "pair"]
    click.echo(render_table(headers, table, right={2, 3}))


@runs.command("gate")
@click.option(
    "--min-pass-rate",
    "min_pass_rate",
    required=True,
    type=click.FloatRange(0.0, 1.0),
    help="Pass when the newest run's pass rate is at least this (0–1, e.g. 0.8).",
)
@click.option(
    "--min-runs",
    "min_runs",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Block (exit 1) while fewer runs than this have been recorded.",
)
@_benchmark_filter
@_benchmark_options("{passed, reason, run_id, started_at, pass_rate, aborted, ...}")
def gate_command(
    options: GlobalOptions,
    min_pass_rate: float,
    min_runs: int,
    benchmark_name: str | None,
    runs_dir: Path | None,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """For CI: exit 0 when the newest run's pass rate is at least --min-pass-rate, else 1.

    Fewer runs than --min-runs (none at all included) blocks with exit 1, as does a newest run whose tests were
    all skipped or that was aborted (whatever its partial score); a missing runs folder is a configuration error
    (exit 2). With several benchmarks, --benchmark picks whose newest run counts."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    summary = _only(benchmark, benchmark_name)
    recorded = summary.height
    newest = summary.row(0, named=True) if recorded else None
    names = sorted(set(summary["benchmark"].to_list()))
    if benchmark_name is None and len(names) > 1 and newest is not None:
        click.echo(
            f"warning: {len(names)} benchmarks in the runs folder; the gate looks at the newest run overall (of "
            f"{newest['benchmark']}): pass --benchmark NAME to gate one of {', '.join(names)}",
            err=True,
        )
    rate = None if newest is None else newest["pass_rate"]
    if newest is not None and newest["aborted"]:
        passed = False
        reason = f"the newest run was aborted ({newest['abort_reason']}): its results are incomplete"
    elif recorded < min_runs:
        passed = False
        reason = f"only {recorded} run{'' if recorded == 1 else 's'} recorded, --min-runs is {min_runs}"
    elif rate is None:
        passed, reason = False, "every test of the newest run was skipped: no pass rate"
    else:
        passed = rate >= min_pass_rate
        relation = "at least" if passed else "below"
        reason = f"pass rate {pct(rate)} is {relation} the minimum {pct(min_pass_rate)}"
    payload = {
        "passed": passed,
        "reason": reason,
        "run_id": None if newest is None else newest["run_id"],
        "started_at": None if newest is None else format_utc(newest["started_at"]),
        "pass_rate": rate,
        "min_pass_rate": min_pass_rate,
        "runs": recorded,
        "min_runs": min_runs,
        "aborted": False if newest is None else newest["aborted"],
        "benchmark": None if newest is None else newest["benchmark"],
    }
    if as_json:
        emit_json(payload)
    else:
        where = "" if newest is None else f" (newest run {newest['run_id']})"
        click.echo(f"{'PASS' if passed else 'BLOCKED'}: {reason}{where}")
    sys.exit(0 if passed else 1)


@runs.command("compare")
@click.option(
    "--baseline", "baseline", metavar="RUN", help="Run id to compare against (default: the one before --run)."
)
@click.option("--run", "run", metavar="RUN", help="Run id to look at (default: the newest run that was not aborted).")
@_benchmark_filter
@_benchmark_options('{"baseline", "run", "scenarios", "by_taxonomy", "delta", "warnings"}')
def compare_command(
    options: GlobalOptions,
    baseline: str | None,
    run: str | None,
    benchmark_name: str | None,
    runs_dir: Path | None,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """Which scenarios changed between two runs of one benchmark: regressions first, then improved, new, gone,
    unchanged. Framework runs compare each scenario's mean a1 per arm, with the main arm's mean paired
    difference and its 95% bootstrap interval. Aborted runs are never a default; runs of different benchmarks
    are refused."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    every = benchmark.runs
    known = every["run_id"].to_list()
    for option, value in (("--baseline", baseline), ("--run", run)):
        if value is not None and value not in known:
            listed = ", ".join(known[:5]) + (" …" if len(known) > 5 else "")
            fail(f"{option}: no run {value!r} (runs: {listed or 'none'}; see `triage-lens runs list`)")
    summary = _only(benchmark, benchmark_name)
    if run is not None and benchmark_name is None:  # --run alone: its own benchmark's runs
        summary = of_benchmark(every, every.filter(pl.col("run_id") == run)["benchmark"][0])
    run = run or default_comparison(summary)[1]
    if run is None:
        fail(f"no completed benchmark run in {benchmark.runs_dir}: nothing to compare (aborted runs are not results)")
    baseline = baseline or previous_run(summary, run)
    if baseline is None:
        fail(f"run {run!r} has no earlier completed run of its benchmark to compare with: pass --baseline RUN")
    pair = {r["run_id"]: r for r in every.filter(pl.col("run_id").is_in([baseline, run])).iter_rows(named=True)}
    if pair[baseline]["benchmark"] != pair[run]["benchmark"]:
        fail(
            f"{baseline!r} is a run of {pair[baseline]['benchmark']!r} and {run!r} of {pair[run]['benchmark']!r}: "
            "runs of different benchmarks are not compared (pick two runs of one benchmark; `runs list` shows them)"
        )
    framework = pair[baseline]["format"] == FRAMEWORK_FORMAT and pair[run]["format"] == FRAMEWORK_FORMAT
    warnings = compare_warnings(every, benchmark.scores, baseline=baseline, run=run)
    for aborted in (r for r in (pair[baseline], pair[run]) if r["aborted"]):
        warnings.append(f"{aborted['run_id']} was aborted ({aborted['abort_reason']}): incomplete evidence")
    comparison = compare_runs(benchmark.grid, baseline=baseline, run=run)
    payload: dict[str, Any] = {
        "baseline": _run_object(every, baseline),
        "run": _run_object(every, run),
        "scenarios": comparison.select("scenario", "before", "after", "change").to_dicts(),
        "by_taxonomy": changes_by_taxonomy(comparison),
        "delta": None,
        "warnings": warnings,
    }
    scores = None
    if framework:
        delta = score_delta(benchmark.scores, benchmark.arm_rows, baseline=baseline, run=run)
        main = None if delta is None else delta["arm"]
        scores = compare_scores(benchmark.scores, baseline=baseline, run=run, main=main)
        payload["scenarios"] = scores.to_dicts()
        payload["delta"] = delta
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    if as_json:
        emit_json(payload)
        return
    before, after = payload["baseline"], payload["run"]
    shown = comparison if scores is None else scores
    counted = shown if payload["delta"] is None else shown.filter(pl.col("arm") == payload["delta"]["arm"])
    arm_note = "" if payload["delta"] is None else f" ({payload['delta']['arm']} scenarios)"
    click.echo(
        f"{after['run_id']} ({pct(after['pass_rate'])}) against {before['run_id']} ({pct(before['pass_rate'])}): "
        + ", ".join(f"{int((counted['change'] == c).sum())} {c}" for c in CHANGES)
        + arm_note
    )
    delta = payload["delta"]
    if delta is not None:
        low, high = delta["ci"]
        click.echo(
            f"{delta['arm']}: mean change {delta['value'] * 100:+.1f} pts over {delta['scenarios']} scenarios "
            f"(95% CI {low * 100:+.1f} to {high * 100:+.1f}) → {delta['verdict']}"
        )
    if shown.height:
        click.echo("")
        if scores is None:
            rows = [
                [r["change"], r["scenario"], r["taxonomy"], r["before"] or "—", r["after"] or "—"]
                for r in comparison.iter_rows(named=True)
            ]
            click.echo(render_table(["change", "scenario", "taxonomy", "before", "after"], rows))
        else:
            rows = [
                [r["change"], r["arm"], r["scenario"], pct(r["before"]), pct(r["after"])]
                for r in scores.iter_rows(named=True)
            ]
            click.echo(render_table(["change", "arm", "scenario", "before (mean a1)", "after (mean a1)"], rows))


def _run_object(summary: pl.DataFrame, run_id: str) -> dict[str, Any]:
    return run_json(summary.filter(pl.col("run_id") == run_id).row(0, named=True))


__all__ = ["runs"]
