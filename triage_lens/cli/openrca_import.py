"""``triage-lens import openrca FILE... --out DIR``: OpenRCA agent result CSVs into ``DIR/runs/`` as benchmark runs
(called from :mod:`triage_lens.cli.importer`; also what ``import auto`` does when every file is such a CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from triage_lens.cli.common import emit_json, fail, pct


def is_openrca(inputs: Sequence[tuple[str, bytes]]) -> bool:
    """Every input is an OpenRCA agent result CSV (``import auto`` sends them here); a mix is an error (exit 1)."""
    from triage_lens.importers.mapping import ImportFailure
    from triage_lens.importers.openrca import all_openrca

    try:
        return all_openrca(inputs)
    except ImportFailure as exc:
        fail(str(exc), 1)


def import_openrca(
    inputs: Sequence[tuple[str, bytes]], target: str, started_at: str | None, *, dry_run: bool, as_json: bool
) -> None:
    """Convert, check everything, then write (or with --dry-run only count) and summarise per system."""
    from analytics.timeparse import parse_timestamp
    from triage_lens.importers.mapping import ImportFailure
    from triage_lens.importers.openrca import plan, refuse_store, write_runs

    start = None
    if started_at is not None:
        start = parse_timestamp(started_at)
        if start is None:
            fail(f"--started-at: {started_at!r} is not an ISO-8601 time (e.g. 2024-05-01T00:00:00Z)")
    mtimes: dict[str, float] = {}
    for name, _ in inputs:
        try:
            mtimes[name] = Path(name).expanduser().stat().st_mtime
        except OSError:
            mtimes[name] = 0.0
    try:
        refuse_store(target)
        runs = plan(inputs, start, mtimes)
        written, unchanged = (0, 0) if dry_run else write_runs(Path(target), runs)
    except ImportFailure as exc:
        fail(str(exc), 1)
    folder = Path(target).expanduser() / "runs"
    if as_json:
        emit_json(
            {
                "source": "openrca",
                "runs": [r.to_json() for r in runs],
                "written": written,
                "unchanged": unchanged,
                "dry_run": dry_run,
                "out": str(folder),
            }
        )
        return
    verb = "would write" if dry_run else "wrote"
    click.echo(
        f"openrca: {len(runs)} file(s); {verb} {written if not dry_run else len(runs)} run(s), "
        f"{unchanged} unchanged → {folder}"
    )
    for run in runs:
        rate = pct(run.exact_match_rate)  # the same figure (and rounding) as `runs list`
        click.echo(
            f"  {run.run_id}: {run.cases} cases, {run.passed} exact matches ({rate}), mean partial score "
            f"{run.mean_score:.3f}, started_at {run.started_at:%Y-%m-%d %H:%M} UTC"
        )
