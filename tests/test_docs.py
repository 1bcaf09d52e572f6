"""Every CLI command and option is documented (in the style of sqlite-utils' tests/test_docs.py): the click tree
is walked, so a command added anywhere is checked too. A command is documented when README.md or a docs/*.md
file shows it run (``triage-lens [global options] <command path>``); an option when it appears in a file that
documents its command; every command has a help text."""

from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path

import click
import pytest

from triage_lens.cli.main import cli, command_tree

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
GLOBAL = {"--data", "--policy", "--now", "--write", "--help", "-h"}  # root options, repeated after a command


def _tree() -> list[tuple[str, click.Command]]:
    with click.Context(cli) as ctx:
        return command_tree(ctx)


COMMANDS = _tree()
VALUED = {opt for p in cli.params if isinstance(p, click.Option) and not p.is_flag for opt in p.opts}


def _paths_in(text: str) -> set[str]:
    """The command paths a text shows run: the words after ``triage-lens`` and its global options."""
    known = {path for path, _ in COMMANDS}
    found: set[str] = set()
    for match in re.finditer(r"triage-lens((?:[ \t]+[^\s`|]+)+)", text):
        try:
            words = shlex.split(match.group(1), comments=True)
        except ValueError:
            words = match.group(1).split()
        while words and words[0].startswith("-"):
            words = words[2:] if words[0] in VALUED and "=" not in words[0] else words[1:]
        path = ""
        for word in words:
            candidate = f"{path} {word}".strip()
            if candidate not in known:
                break
            path = candidate
        while path:  # a group is documented by any command of it
            found.add(path)
            path = path.rpartition(" ")[0]
    return found


@cache
def _documenting(path: str) -> tuple[str, ...]:
    """The texts of the documents that show ``path`` run."""
    return tuple(text for doc in DOCS if path in _paths_in(text := doc.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS])
def test_every_command_is_documented(path: str) -> None:
    assert _documenting(path), f"`triage-lens {path}` appears in neither README.md nor docs/*.md"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_has_help(path: str, command: click.Command) -> None:
    assert (command.help or command.short_help or "").strip(), f"`triage-lens {path}` has no help text"


OPTIONS = [
    (path, opt)
    for path, command in COMMANDS
    for param in command.params
    if isinstance(param, click.Option)
    for opt in param.opts
    if opt.startswith("--") and opt not in GLOBAL
]


@pytest.mark.parametrize(("path", "option"), OPTIONS, ids=[f"{p} {o}" for p, o in OPTIONS])
def test_every_option_is_documented_with_its_command(path: str, option: str) -> None:
    pattern = re.compile(re.escape(option) + r"(?![\w-])")
    assert any(pattern.search(text) for text in _documenting(path)), (
        f"`triage-lens {path} {option}` is not documented where `{path}` is (README.md, docs/*.md)"
    )


def test_the_global_options_are_documented() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for option in ("--data", "--policy", "--now", "--write"):
        assert re.search(re.escape(option) + r"(?![\w-])", readme), option


def test_the_walk_sees_nested_commands() -> None:
    """Not vacuous: the tree holds the groups and their subcommands."""
    paths = [path for path, _ in COMMANDS]
    assert "incidents digest" in paths and "misses list" in paths and "import" in paths
