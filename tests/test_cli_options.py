"""Options only where they act: `--write` is offered by the commands that write (or enable writing), refused
before any other command instead of silently meaning nothing; `triage-lens --write ...` keeps working where it
acts."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_DIR
from triage_lens.cli.common import takes_write
from triage_lens.cli.main import cli, command_tree, writing_commands

WRITING = ["assign", "dashboard", "incidents correlate", "incidents digest"]


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), *args])


def test_only_the_writing_commands_take_write() -> None:
    with click.Context(cli) as ctx:
        assert writing_commands(ctx) == WRITING
        leaves = [(p, c) for p, c in command_tree(ctx) if not isinstance(c, click.Group)]
    assert [p for p, c in leaves if takes_write(c)] == WRITING
    assert "check" in [p for p, _ in leaves] and "import" in [p for p, _ in leaves]


@pytest.mark.parametrize("args", [["check"], ["import", "auto", "x.json", "--out", "y"], ["misses", "list"]])
def test_global_write_before_a_command_that_writes_nothing_is_refused(args: list[str]) -> None:
    result = run("--write", *args)
    assert result.exit_code == 2
    path = " ".join(a for a in args[:2] if a in ("check", "import", "misses", "list"))
    assert (
        f"--write means nothing for '{path}'; write mode is for assign, dashboard, incidents correlate" in result.output
    )


def test_write_after_a_command_that_writes_nothing_is_no_option() -> None:
    result = run("check", "--write")
    assert result.exit_code == 2
    assert "No such option '--write'" in result.output


def test_write_still_acts_before_and_after_the_commands_that_write() -> None:
    base = ["--now", "2026-11-16T09:00:00Z"]
    before = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "--write", *base, "incidents", "digest", "--json"])
    after = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), *base, "incidents", "digest", "--write", "--json"])
    assert before.exit_code == after.exit_code == 0, before.output + after.output
    assert before.stdout == after.stdout
    assert CliRunner().invoke(cli, ["--write", "dashboard", "--help"]).exit_code == 0
    help_text = CliRunner().invoke(cli, ["incidents", "correlate", "--help"]).output
    assert "--write" in help_text and "--write" not in CliRunner().invoke(cli, ["check", "--help"]).output
