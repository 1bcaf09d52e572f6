"""#12 item 8 (command line): every command and subcommand on a hostile corpus and with extreme flags ends in
output or a one-line message (exit 2 for usage errors), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.analytics.hostile_corpus import BIG, build_hostile_corpus, command_matrix
from tests.conftest import SAMPLE_DIR
from triage_lens.cli.main import cli


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, prog_name="triage-lens")


def raw_controls(result: Result, *, stdout: bool = True) -> set[str]:
    """The terminal and bidi controls printed as they are (none may be: analytics.textsafe shows them)."""
    from analytics.textsafe import UNSAFE_CODEPOINTS

    text = (result.stdout if stdout else "") + result.stderr
    return {f"U+{ord(c):04X}" for c in text if ord(c) in UNSAFE_CODEPOINTS}


def _problems(runs: list[list[str]]) -> list[str]:
    """Every run that escaped with an exception, printed a traceback, or ended in exit 2 without exactly one
    ``error:`` line on stderr."""
    found = []
    for args in runs:
        result = _run(args)
        shown = " ".join(a if len(a) < 50 else a[:20] + "…" for a in args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            found.append(f"{shown}: {type(result.exception).__name__}: {result.exception}")
        elif "Traceback" in result.output:
            found.append(f"{shown}: traceback in the output")
        elif raw := raw_controls(result, stdout="convert" not in args or "--out" in args):
            # #24: a control from the data reached the terminal (misses convert prints alert.json's own bytes)
            found.append(f"{shown}: raw control characters {sorted(raw)[:5]}")
        elif result.exit_code not in (0, 1, 2):
            found.append(f"{shown}: exit {result.exit_code}")
        elif result.exit_code == 2 and [ln[:6] for ln in result.stderr.splitlines() if ln.startswith("error")] != [
            "error:"
        ]:
            found.append(f"{shown}: exit 2 without one error line: {result.stderr!r}")
    return found


def test_every_command_on_the_hostile_corpus_and_extreme_flags_never_tracebacks(tmp_path: Path) -> None:
    folder = build_hostile_corpus(tmp_path / "corpus", reader_classes=False)
    runs = command_matrix(folder, tmp_path / "out")
    assert len(runs) > 200
    assert _problems(runs) == []


def test_extreme_flags_on_the_sample_never_traceback(tmp_path: Path) -> None:
    assert _problems(command_matrix(SAMPLE_DIR, tmp_path / "out")) == []


def test_every_command_on_the_reader_crash_classes_never_tracebacks(tmp_path: Path) -> None:
    folder = build_hostile_corpus(tmp_path / "corpus", reader_classes=True)
    assert _problems(command_matrix(folder, tmp_path / "out")) == []


def _data(*args: str) -> Result:
    return _run(["--data", str(SAMPLE_DIR), *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--now", "9999-12-31T23:59:59-05:00", "misses", "stats"],
            "error: --now: '9999-12-31T23:59:59-05:00' is outside the supported range 1900-01-01 … 9000-12-31",
        ),
        (
            ["--now", "0001-01-01", "check"],
            "error: --now: 0001-01-01 is outside the supported range 1900-01-01 … 9000-12-31",
        ),
        (
            ["incidents", "digest", "--week", "9999-W52"],
            "error: --week: 9999-12-27 is outside the supported range 1900-01-01 … 9000-12-31",
        ),
        (
            ["incidents", "digest", "--week", "0001-W01"],
            "error: --week: 0001-01-01 is outside the supported range 1900-01-01 … 9000-12-31",
        ),
        (
            ["misses", "list", "--limit", "-1"],
            "error: Invalid value for '--limit': -1 is not in the range x>=0. (see 'triage-lens misses list -h')",
        ),
        (
            ["incidents", "recurrence", "--window-days", "99999999"],
            "error: Invalid value for '--window-days': 99999999 is not in the range 1<=x<=36500. "
            "(see 'triage-lens incidents recurrence -h')",
        ),
        (
            ["misses", "list", "--since", "9999-12-31T23:59:59-05:00"],
            "error: --since: '9999-12-31T23:59:59-05:00' is outside the dates this tool can represent",
        ),
        (["nope"], "error: No such command 'nope'. (see 'triage-lens -h')"),
    ],
)
def test_extreme_values_are_one_line_usage_errors(args: list[str], message: str) -> None:
    result = _data(*args)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert result.stdout == ""


def test_sample_scale_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    for scale in ("1e30", "nan", "-1", "0"):
        result = _run(["sample", "--out", str(tmp_path / "s"), "--scale", scale])
        assert result.exit_code == 2
        assert result.stderr.startswith("error: --scale must be greater than 0 and at most 100, got ")


def test_huge_windows_mean_everything() -> None:
    everything = json.loads(_data("misses", "stats", "--json").stdout)
    for since in ("99999999d", "99999999w", "99999999h"):
        result = _data("misses", "stats", "--since", since, "--json")
        assert result.exit_code == 0
        assert json.loads(result.stdout) == everything
    listed = json.loads(_data("misses", "list", "--limit", BIG, "--json").stdout)
    assert len(listed) == everything["total"] == 1000


def test_huge_top_exports_every_pair(tmp_path: Path) -> None:
    result = _data("misses", "export", "--out", str(tmp_path / "x"), "--since", "99999999d", "--top", BIG, "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["in_scope"] == 1000 and len(payload["written"]) == payload["pairs"]


def test_undecodable_text_arguments_are_escaped_not_crashed() -> None:
    result = _data("incidents", "gate", "--service", "\ud800", "--json")
    assert result.exit_code in (0, 1)
    assert json.loads(result.stdout)["service"] == "\ud800"
    result = _data("confidence", "classify", "--score", "0.5", "--root-cause", "\udcff", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["root_cause"] == "Most likely: \ufffd"
