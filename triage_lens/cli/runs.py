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
    changes_by_taxonomy,
    compare_runs,
    default_comparison,
    previous_run,
    run_json,
    scenario_summary,
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

RUNS_HELP = "Folder of JUnit XML / JSONL results (default: <data>/runs or runs_dir in the config)."
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
    benchmark = load_benchmark(folder, scenarios, data.frame("misses"))
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
@_benchmark_options("[{run_id, started_at, tests, passed, failed, errors, ...}]")
def list_command(options: GlobalOptions, runs_dir: Path | None, scenarios_dir: Path | None, as_json: bool) -> None:
    """Every run, newest first, with its pass rate (passed / (tests - skipped))."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    rows = [run_json(r) for r in benchmark.runs.iter_rows(named=True)]
    if _answered(benchmark, rows, as_json):
        return
    table = [
        [
            r["run_id"],
            _when(raw["started_at"]),
            str(r["tests"]),
            str(r["passed"]),
            str(r["failed"]),
            str(r["errors"]),
            str(r["skipped"]),
            pct(r["pass_rate"]),
        ]
        for r, raw in zip(rows, benchmark.runs.iter_rows(named=True), strict=True)
    ]
    headers = ["run", "started (UTC)", "tests", "passed", "failed", "errors", "skipped", "pass rate"]
    click.echo(render_table(headers, table, right={2, 3, 4, 5, 6, 7}))


@runs.command("scenarios")
@_benchmark_options("[{scenario, exported, runs, passed, last_status, ...}]")
def scenarios_command(options: GlobalOptions, runs_dir: Path | None, scenarios_dir: Path | None, as_json: bool) -> None:
    """Per scenario: exported or not, runs, passes, latest status, first pass and the pair it came from."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    summary = scenario_summary(benchmark.grid)
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
@_benchmark_options("{passed, reason, run_id, started_at, pass_rate, ...}")
def gate_command(
    options: GlobalOptions,
    min_pass_rate: float,
    min_runs: int,
    runs_dir: Path | None,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """For CI: exit 0 when the newest run's pass rate is at least --min-pass-rate, else 1.

    Fewer runs than --min-runs (none at all included) blocks with exit 1, as does a newest run whose tests were
    all skipped; a missing runs folder is a configuration error (exit 2)."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    recorded = benchmark.runs.height
    newest = benchmark.runs.row(0, named=True) if recorded else None
    rate = None if newest is None else newest["pass_rate"]
    if recorded < min_runs:
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
@click.option("--run", "run", metavar="RUN", help="Run id to look at (default: the newest).")
@_benchmark_options('{"baseline", "run", "scenarios", "by_taxonomy"}')
def compare_command(
    options: GlobalOptions,
    baseline: str | None,
    run: str | None,
    runs_dir: Path | None,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """Which scenarios changed between two runs: regressions first, then improved, new, gone, unchanged."""
    benchmark = _load(options, runs_dir, scenarios_dir)
    summary = benchmark.runs
    known = summary["run_id"].to_list()
    for option, value in (("--baseline", baseline), ("--run", run)):
        if value is not None and value not in known:
            listed = ", ".join(known[:5]) + (" …" if len(known) > 5 else "")
            fail(f"{option}: no run {value!r} (runs: {listed or 'none'}; see `triage-lens runs list`)")
    run = run or default_comparison(summary)[1]
    if run is None:
        fail(f"no benchmark results in {benchmark.runs_dir}: nothing to compare")
    baseline = baseline or previous_run(summary, run)
    if baseline is None:
        fail(f"run {run!r} has no earlier run to compare with: pass --baseline RUN")
    comparison = compare_runs(benchmark.grid, baseline=baseline, run=run)
    payload: dict[str, Any] = {
        "baseline": _run_object(summary, baseline),
        "run": _run_object(summary, run),
        "scenarios": comparison.select("scenario", "before", "after", "change").to_dicts(),
        "by_taxonomy": changes_by_taxonomy(comparison),
    }
    if as_json:
        emit_json(payload)
        return
    before, after = payload["baseline"], payload["run"]
    click.echo(
        f"{after['run_id']} ({pct(after['pass_rate'])}) against {before['run_id']} ({pct(before['pass_rate'])}): "
        + ", ".join(f"{int((comparison['change'] == c).sum())} {c}" for c in CHANGES)
    )
    if comparison.height:
        click.echo("")
        rows = [
            [r["change"], r["scenario"], r["taxonomy"], r["before"] or "—", r["after"] or "—"]
            for r in comparison.iter_rows(named=True)
        ]
        click.echo(render_table(["change", "scenario", "taxonomy", "before", "after"], rows))


def _run_object(summary: pl.DataFrame, run_id: str) -> dict[str, Any]:
    return run_json(summary.filter(pl.col("run_id") == run_id).row(0, named=True))


__all__ = ["runs"]
