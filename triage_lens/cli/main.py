"""``triage-lens``: the command line over the same analytics the dashboard shows (CLI.md).

A thin click layer: it resolves the sources, loads the policy, calls ``analytics`` functions and prints
either the documented JSON (``--json``, nothing else on stdout) or an aligned table for people.
Exit codes: 0 success, 1 the command's documented "no", 2 usage or configuration error (one line).

Command groups are imported only when they run (:class:`LazyGroup`): ``triage-lens --help`` loads click and
nothing else. A new command is one line in :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from triage_lens.cli.common import GlobalOptions, takes_write, tolerant_output

# name -> (module, attribute, one-line help shown by `triage-lens --help` without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "misses": ("triage_lens.cli.misses", "misses", "The `opensre misses` commands, plus `trend`."),
    "confidence": ("triage_lens.cli.confidence", "confidence", "Confidence bands, the sufficiency gate, calibration."),
    "incidents": ("triage_lens.cli.incidents", "incidents", "Correlation, recurrence, buckets, digest, release gate."),
    "store": ("triage_lens.cli.incidents", "store", "Incident store administration (PostgreSQL)."),
    "runs": ("triage_lens.cli.runs", "runs", "Benchmark runs: pass rates, the CI gate, compare two runs."),
    "severity": ("triage_lens.cli.severity", "severity", "Current-state error severity per provider (24h vs 7d)."),
    "sample": ("triage_lens.cli.sample", "sample", "Write a coherent synthetic data folder."),
    "import": ("triage_lens.cli.importer", "import_command", "Import incidents exported by other tools."),
    "assign": ("triage_lens.cli.assign", "assign", "Give a follow-up or a pair an owner and a due date (write mode)."),
    "check": ("triage_lens.cli.check", "check", "Validate every input and the policy; print the quarantine report."),
    "dashboard": ("triage_lens.cli.dashboard", "dashboard", "Run the Streamlit dashboard on the same data."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attribute, _ = entry
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attribute} is not a click command")
        return command

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's main, except that a usage error is one line on stderr (``error: …``) with exit 2, as CLI.md
        asks, instead of click's usage block."""
        tolerant_output()  # before parsing: a usage error quoting an argument is printed safely too
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            where = f" (see '{exc.ctx.command_path} -h')" if isinstance(exc, click.UsageError) and exc.ctx else ""
            click.echo(f"error: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, and the global ``--write`` is refused before a command that writes nothing (it would
        be silently ignored there): write mode is for the commands that take ``--write``."""
        name, command, rest = super().resolve_command(ctx, args)
        if ctx.params.get("write") and command is not None:
            path, leaf, after = [name or ""], command, rest
            while isinstance(leaf, click.Group) and after and (sub := leaf.get_command(ctx, after[0])) is not None:
                path, leaf, after = [*path, after[0]], sub, after[1:]
            if not isinstance(leaf, click.Group) and not takes_write(leaf):
                raise click.UsageError(
                    f"--write means nothing for '{' '.join(path)}'; write mode is for "
                    f"{', '.join(writing_commands(ctx))}",
                    ctx,
                )
        return name, command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data", metavar="PATH", help="Data folder or triage-lens.yaml config (default: see README).")
@click.option("--policy", "policy", metavar="FILE", help="Policy YAML (default: the data folder's policy.yml).")
@click.option("--now", "now", metavar="ISO", help="Pin the clock (default: sample.json's now, else the wall clock).")
@click.option(
    "--write",
    is_flag=True,
    help="Enable write mode (notes, follow-ups) for the commands that write; read-only by default.",
)
@click.pass_context
def cli(ctx: click.Context, data: str | None, policy: str | None, now: str | None, write: bool) -> None:
    """Triage Lens: learn from RCA misses and incidents."""
    tolerant_output()
    ctx.obj = GlobalOptions(data, policy, now, write)


def command_tree(
    ctx: click.Context, group: click.Group | None = None, prefix: str = ""
) -> list[tuple[str, click.Command]]:
    """Every command below ``group`` (default: the whole CLI) as ``(path, command)``, groups included."""
    group = group or cli
    found: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(command_tree(ctx, command, f"{path} "))
    return found


def writing_commands(ctx: click.Context) -> list[str]:
    """The commands that take ``--write``."""
    tree = command_tree(ctx)
    return [path for path, command in tree if not isinstance(command, click.Group) and takes_write(command)]


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="triage-lens")


if __name__ == "__main__":
    main()
