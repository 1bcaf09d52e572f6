"""``triage-lens sample``: write a coherent synthetic data folder."""

from __future__ import annotations

from pathlib import Path

import click

from triage_lens.cli.common import emit_json, fail, render_table

MAX_SCALE = 100.0  # 1M misses, 10M ledger rows


@click.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write.")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=float,
    help="1.0 = 10k misses, 2k incidents, 100k ledger rows.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the written files as JSON.")
def sample(out: Path, seed: int, scale: float, as_json: bool) -> None:
    """Write a coherent synthetic data folder (all inputs + sample.json)."""
    from triage_lens.sample.generator import generate_sample
    from triage_lens.sources.atomic import staged_folder

    if not 0 < scale <= MAX_SCALE:  # also refuses nan
        fail(f"--scale must be greater than 0 and at most {MAX_SCALE:g}, got {scale}")
    try:
        # built beside --out and moved in when complete: a full disk leaves the previous folder as it was
        with staged_folder(out) as staging:
            summary = generate_sample(staging, seed=seed, scale=scale)
    except OSError as exc:
        fail(f"--out: cannot write {out} ({exc.strerror or exc}); nothing changed")
    if as_json:
        emit_json({"out": str(out), "seed": seed, "scale": scale, "rows": summary.rows})
        return
    rows = [[name, f"{count:,}"] for name, count in summary.rows.items()]
    click.echo(f"Wrote sample data (seed {seed}, scale {scale}) to {out}")
    click.echo(render_table(["file", "rows"], rows, right={1}))
