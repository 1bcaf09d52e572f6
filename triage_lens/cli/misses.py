"""``triage-lens misses``: the ``opensre misses`` commands (same options, defaults and JSON), plus ``trend``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import polars as pl

from analytics.learning import learning_trend, lifecycle_options
from analytics.misses import (
    DEFAULT_EXPORT_SINCE,
    DEFAULT_LIST_LIMIT,
    DEFAULT_TOP,
    UsageError,
    filter_misses,
    find_miss,
    list_misses,
    miss_stats,
    parse_since,
    parse_taxonomy,
    stored_records,
    top_groups,
)
from analytics.scenarios import alert_bytes, build_cases, manifest_bytes
from analytics.schemas import TAXONOMIES
from triage_lens.cli.common import (
    GlobalOptions,
    emit_json,
    fail,
    global_options,
    load_data,
    load_inputs,
    pct,
    prepare,
    render_table,
    show_personal_option,
)
from triage_lens.sources.atomic import write_file
from triage_lens.sources.redaction import mask_record
from triage_lens.sources.scenario_files import write_cases

SINCE_HELP = '7d, 24h, 2w or an ISO-8601 timestamp (inclusive); "" = all time (as OpenSRE).'
TAXONOMY_HELP = "One of " + ", ".join(TAXONOMIES) + " (case-insensitive; exact match on the stored value)."


def _window(since: str | None, taxonomy: str | None, now: datetime) -> tuple[datetime | None, str | None]:
    try:
        return (parse_since(since, now) if since is not None else None), parse_taxonomy(taxonomy)
    except UsageError as exc:
        fail(str(exc))


def _short(value: object, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


@click.group()
def misses() -> None:
    """Closed-loop learning misses (mirrors `opensre misses`)."""


@misses.command("list")
@click.option("--since", metavar="SPEC", help=SINCE_HELP)
@click.option("--taxonomy", metavar="T", help=TAXONOMY_HELP)
@click.option("--limit", default=DEFAULT_LIST_LIMIT, show_default=True, type=click.IntRange(min=0))
@click.option("--json", "as_json", is_flag=True, help="The stored records as a JSON array, newest first.")
@show_personal_option("--json records")
@global_options
@click.pass_obj
def list_command(
    options: GlobalOptions, since: str | None, taxonomy: str | None, limit: int, as_json: bool, show: tuple[str, ...]
) -> None:
    """Recent misses, newest first. Personal fields (user_email, user_id) are masked unless --show names them."""
    sources, policy = prepare(options)
    cutoff, chosen = _window(since, taxonomy, sources.now)
    data = load_inputs(sources, policy, ["misses"])
    rows = list_misses(filter_misses(data.frame("misses"), since=cutoff, taxonomy=chosen), limit=limit)
    if as_json:
        emit_json([mask_record(record, show) for record in stored_records(rows)])
        return
    frame = rows.select("timestamp_text", "group_alert", "group_taxonomy", "rating", "root_cause").collect()
    if frame.height == 0:
        click.echo("No misses in this window.")
        return
    table = [[_short(t, 32), _short(a, 40), g, _short(r, 10), _short(c, 60)] for t, a, g, r, c in frame.iter_rows()]
    click.echo(render_table(["timestamp", "alert", "taxonomy", "rating", "root cause"], table))


@misses.command("stats")
@click.option("--since", metavar="SPEC", help=SINCE_HELP)
@click.option("--json", "as_json", is_flag=True, help='{"total", "by_taxonomy", "recurring", "unique_alerts"}')
@global_options
@click.pass_obj
def stats_command(options: GlobalOptions, since: str | None, as_json: bool) -> None:
    """Taxonomy breakdown plus recurring (alert, taxonomy) pairs."""
    sources, policy = prepare(options)
    cutoff, _ = _window(since, None, sources.now)
    data = load_inputs(sources, policy, ["misses"])
    stats = miss_stats(filter_misses(data.frame("misses"), since=cutoff))
    if as_json:
        emit_json(stats.to_json())
        return
    click.echo(f"{stats.total} misses, {stats.unique_alerts} distinct alerts" + (f" since {since}" if since else ""))
    if stats.by_taxonomy:
        click.echo("")
        rows = [[t, str(n)] for t, n in stats.by_taxonomy.items()]
        click.echo(render_table(["taxonomy", "misses"], rows, right={1}))
    click.echo("")
    if stats.recurring:
        rows = [[_short(a, 50), t, str(n)] for a, t, n in stats.recurring]
        click.echo("Recurring pairs (seen more than once):")
        click.echo(render_table(["alert", "taxonomy", "count"], rows, right={2}))
    else:
        click.echo("No recurring pairs.")


@misses.command("export")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Folder for the case folders.")
@click.option("--since", default=DEFAULT_EXPORT_SINCE, show_default=True, metavar="SPEC", help=SINCE_HELP)
@click.option("--top", default=DEFAULT_TOP, show_default=True, type=int, help="How many pairs (<= 0: none).")
@click.option("--taxonomy", metavar="T", help=TAXONOMY_HELP)
@click.option(
    "--zip", "zip_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the tree as a ZIP."
)
@click.option("--json", "as_json", is_flag=True, help='{"written": [paths], "in_scope": m, "pairs": k}')
@global_options
@click.pass_obj
def export_command(
    options: GlobalOptions, out: Path, since: str, top: int, taxonomy: str | None, zip_path: Path | None, as_json: bool
) -> None:
    """Write one benchmark scenario (alert.json) per top recurring pair."""
    from analytics.scenarios import zip_bytes

    sources, policy = prepare(options)
    cutoff, chosen = _window(since, taxonomy, sources.now)
    data = load_inputs(sources, policy, ["misses"])
    in_scope = filter_misses(data.frame("misses"), since=cutoff, taxonomy=chosen)
    counts = in_scope.select(
        pl.len().alias("rows"), pl.struct("group_alert", "group_taxonomy").n_unique().alias("pairs")
    ).collect()
    n_rows, n_pairs = (int(counts["rows"][0]), int(counts["pairs"][0])) if counts.height else (0, 0)
    if n_rows == 0:
        n_pairs = 0
    cases = build_cases(top_groups(in_scope, top=top))
    manifest = manifest_bytes(cases, exported_at=sources.now, since=since, top=top, taxonomy=chosen)
    if out.exists() and not out.is_dir():
        fail(f"--out: {out} exists and is not a folder")
    try:
        written = write_cases(out, cases, manifest)
    except (OSError, ValueError) as exc:
        fail(f"--out: cannot write to {out} ({getattr(exc, 'strerror', None) or exc})")
    if zip_path is not None:
        try:
            write_file(zip_path, zip_bytes(cases, manifest))
        except OSError as exc:
            fail(f"--zip: cannot write {zip_path} ({exc.strerror or exc})")
    if as_json:
        emit_json({"written": [str(p) for p in written], "in_scope": n_rows, "pairs": n_pairs})
        return
    window = f"since {since}" if since else "all time"
    click.echo(f"{n_rows} misses in scope ({window}), {n_pairs} distinct pairs; wrote {len(written)} scenario(s):")
    for case in cases:
        click.echo(
            f"  {out / case.dir / 'alert.json'}  ({case.count}× {_short(case.alert_name, 40)} / {case.taxonomy})"
        )
    if zip_path is not None:
        click.echo(f"ZIP: {zip_path}")


@misses.command("convert")
@click.argument("miss_id")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write alert.json here.")
@global_options
@click.pass_obj
def convert_command(options: GlobalOptions, miss_id: str, out: Path | None) -> None:
    """Convert one miss into a scenario payload (alert.json bytes, stdout or --out FILE)."""
    _, _, data = load_data(options, ["misses"])
    frame = data.frame("misses")
    record = find_miss(frame, miss_id)
    if record is None:
        click.echo(f"error: miss {miss_id!r} not found", err=True)
        sys.exit(1)
    raw = frame.filter(pl.col("miss_id") == miss_id).sort("_line").select("_raw").head(1).collect().item()
    content = alert_bytes(record, raw)
    if out is None:
        # OpenSRE prints the alert.json text (which ends in a newline) with print(): one more newline.
        sys.stdout.buffer.write(content + b"\n")
        sys.stdout.flush()
        return
    try:
        write_file(out, content)
    except OSError as exc:
        fail(f"--out: cannot write {out} ({exc.strerror or exc})")
    click.echo(f"Wrote {out}", err=True)


def _fix_inputs(sources: Any, data: Any, scenarios_dir: Path | None) -> Any:
    """Coverage, runs and releases for the fix-held rule (warnings on stderr; a wrong releases.yml stops)."""
    from triage_lens.sources.fix_inputs import read_fix_inputs
    from triage_lens.sources.releases import ReleasesError

    folder = scenarios_dir or sources.scenarios_dir
    if scenarios_dir is not None and not scenarios_dir.is_dir():
        fail(f"--scenarios: {scenarios_dir} is not a folder")
    try:
        inputs = read_fix_inputs(
            data.frame("misses"),
            scenarios_dir=folder,
            runs_dir=sources.runs_dir,
            root=sources.root,
            paths=dict(sources.paths),
        )
    except ReleasesError as exc:
        fail(str(exc))
    for problem in inputs.problems:
        click.echo(f"warning: {problem}", err=True)
    return inputs


@misses.command("trend")
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(min=1, max=520))
@click.option("--scenarios", "scenarios_dir", type=click.Path(path_type=Path), help="Scenarios folder for coverage.")
@click.option("--json", "as_json", is_flag=True, help='{"weeks": [...], "pairs": [...], "fix_basis"}')
@global_options
@click.pass_obj
def trend_command(options: GlobalOptions, weeks: int, scenarios_dir: Path | None, as_json: bool) -> None:
    """Week over week: taxonomy mix, accuracy with 95% intervals, pair fix rate, pair lifecycle, coverage."""
    sources, policy, data = load_data(options, ["misses", "feedback"])
    inputs = _fix_inputs(sources, data, scenarios_dir)
    trend = learning_trend(
        data.frame("misses"),
        data.frame("feedback"),
        now=sources.now,
        weeks=weeks,
        z=policy.confidence.wilson_z,
        coverage=inputs.coverage,
        lifecycle_options=lifecycle_options(policy.misses),
        fixes=inputs.fixes(data.frame("misses"), now=sources.now),
    )
    if as_json:
        emit_json(trend.to_json())
        return
    _print_trend(trend.to_json(), inputs.coverage is not None)


@misses.command("pairs")
@click.option("--since", default="30d", show_default=True, metavar="SPEC", help=SINCE_HELP)
@click.option("--scenarios", "scenarios_dir", type=click.Path(path_type=Path), help="Scenarios folder for coverage.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='[{"alert_name", "taxonomy", "count", "first_seen", "last_seen", "lifecycle", "fixed_at", "fixed_in", '
    '"regressed_at", "regressed_in"}]',
)
@global_options
@click.pass_obj
def pairs_command(options: GlobalOptions, since: str, scenarios_dir: Path | None, as_json: bool) -> None:
    """Pairs missed in the range: lifecycle, when they were fixed (and in which version) and when they came back."""
    from analytics.fixes import BASIS_TEXT, FIX_HELD_HELP
    from analytics.learning import pair_lifecycle
    from analytics.pairs import pairs_in_window, pairs_json

    sources, policy, data = load_data(options, ["misses"])
    cutoff, _ = _window(since, None, sources.now)
    inputs = _fix_inputs(sources, data, scenarios_dir)
    misses_frame = data.frame("misses")
    lifecycle = pair_lifecycle(
        misses_frame, now=sources.now, coverage=inputs.coverage, **lifecycle_options(policy.misses)
    )
    fixes = inputs.fixes(misses_frame, now=sources.now)
    pairs = pairs_in_window(misses_frame, lifecycle, fixes, since=cutoff, now=sources.now)
    if as_json:
        emit_json(pairs_json(pairs))
        return
    if pairs.height == 0:
        if not data.inputs["misses"].available:
            click.echo("No misses.jsonl in this data source, so there are no pairs.")
        else:
            click.echo("No misses in this window." + ("" if since == "" else " Widen --since, or pin --now."))
        return
    rows = [
        [
            _short(r["group_alert"], 36),
            r["group_taxonomy"],
            str(r["count"]),
            r["lifecycle"] or "—",
            r["status"] or "—",
            r["fixed_back"] or "—",
        ]
        for r in pairs.iter_rows(named=True)
    ]
    click.echo(render_table(["alert", "taxonomy", "count", "lifecycle", "fix", "fixed / back"], rows, right={2}))
    basis = str(fixes["basis"][0]) if fixes.height else "coverage"
    click.echo("")
    click.echo(f"Fix judged {BASIS_TEXT[basis]}.")
    click.echo(FIX_HELD_HELP)


@misses.command("durability")
@click.option("--since", default="90d", show_default=True, metavar="SPEC", help=SINCE_HELP + " Pairs fixed since.")
@click.option("--scenarios", "scenarios_dir", type=click.Path(path_type=Path), help="Scenarios folder for coverage.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='{"basis", "curve": [{"days", "surviving", "at_risk"}], "median_days", "median_ci", "events", "censored", '
    '"pairs": [...], "by_taxonomy": {...}}',
)
@global_options
@click.pass_obj
def durability_command(options: GlobalOptions, since: str, scenarios_dir: Path | None, as_json: bool) -> None:
    """How long fixes last: Kaplan–Meier from each pair's fix to its first recurrence (pairs still holding censored)."""
    from analytics.durability import durability

    sources, policy, data = load_data(options, ["misses"])
    cutoff, _ = _window(since, None, sources.now)
    inputs = _fix_inputs(sources, data, scenarios_dir)
    fixes = inputs.fixes(data.frame("misses"), now=sources.now)
    result = durability(fixes, now=sources.now, since=cutoff, z=policy.confidence.wilson_z)
    if as_json:
        emit_json(result)
        return
    _print_durability(result)


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g} days"


def _print_durability(result: dict[str, Any]) -> None:
    if not result["pairs"]:
        click.echo("No pair was fixed in this window (a fix = the first benchmark run that passed its scenario).")
        return
    low, high = result["median_ci"]
    click.echo(
        f"{len(result['pairs'])} fixed pairs: {result['events']} came back, {result['censored']} still holding "
        f"(censored). Median time to recurrence {_days(result['median_days'])} "
        f"(95% CI {_days(low)} – {'not reached' if high is None else _days(high)})."
    )
    click.echo("")
    curve = [[f"{p['days']:g}", f"{p['surviving'] * 100:.1f}%", str(p["at_risk"])] for p in result["curve"]]
    click.echo(render_table(["days", "still fixed", "at risk"], curve, right={0, 1, 2}))
    click.echo("")
    per = [[t, str(v["pairs"]), str(v["events"]), _days(v["median_days"])] for t, v in result["by_taxonomy"].items()]
    click.echo(render_table(["taxonomy", "pairs", "came back", "median"], per, right={1, 2}))


def _print_trend(trend: dict[str, Any], with_coverage: bool) -> None:
    rows = []
    for w in trend["weeks"]:
        interval = "" if w["ci_low"] is None else f" [{pct(w['ci_low'])}–{pct(w['ci_high'])}]"
        rows.append(
            [
                w["week"] + (" (partial)" if w["partial"] else ""),
                str(w["total"]),
                str(w["rated"]),
                pct(w["accuracy"]) + interval,
                f"{pct(w['pair_fix_rate'])} ({w['pairs_fixed']}/{w['pairs_prev']})",
            ]
        )
    click.echo(render_table(["week", "misses", "rated", "accuracy [95% CI]", "pair fix rate"], rows, right={1, 2}))
    click.echo("")
    headers = ["alert", "taxonomy", "count", "last seen", "state"] + (["covered", "fix held"] if with_coverage else [])
    pair_rows = []
    for p in trend["pairs"][:25]:
        row = [_short(p["alert_name"], 40), p["taxonomy"], str(p["count"]), (p["last_seen"] or "—")[:16], p["state"]]
        if with_coverage:
            held = "—" if p["fix_held"] is None else ("yes" if p["fix_held"] else "no")
            row += [(p["covered_at"] or "no")[:10], held]
        pair_rows.append(row)
    click.echo(render_table(headers, pair_rows, right={2}))
    if len(trend["pairs"]) > 25:
        click.echo(f"… and {len(trend['pairs']) - 25} more pairs (--json for all)")
    if with_coverage and trend.get("fix_basis"):
        from analytics.fixes import BASIS_TEXT

        click.echo(f"Fix held judged {BASIS_TEXT[trend['fix_basis']]}.")


__all__ = ["misses"]
