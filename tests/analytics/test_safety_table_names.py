"""#24 item 4 (tables): names printed in tables are cut at 120 characters with "…" — a huge JUnit test name
does not make ``runs scenarios`` print megabytes; the dashboard's tables cut the same way."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner

from analytics.textsafe import NAME_WIDTH, cut_name
from dashboard.tables import PROSE_WIDTH, cut_names
from tests.analytics.test_cli_runs import junit
from triage_lens.cli.common import render_table
from triage_lens.cli.main import cli

HUGE = "n" * 100_000


def test_cut_name_by_hand() -> None:
    assert cut_name("abc", 3) == "abc"
    assert cut_name("abcd", 3) == "ab…"
    assert len(cut_name(HUGE)) == NAME_WIDTH == 120 and cut_name(HUGE).endswith("…")


def test_render_table_cuts_every_cell_and_keeps_one_line_per_row() -> None:
    text = render_table(["name", "n"], [[HUGE, "1"], ["a\nb\tc", "2"]], right={1})
    lines = text.splitlines()
    assert len(lines) == 4 and lines[2] == "n" * 119 + "…  1" and lines[3].startswith("a b c ")


def test_runs_scenarios_prints_a_huge_test_name_cut(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "r1_junit.xml").write_text(junit("2026-11-05T02:00:00", (HUGE, "passed"), ("short", "failed")))
    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "runs", "scenarios"])
    assert result.exit_code == 0, result.output[:500]
    assert len(result.stdout) < 2_000
    assert "n" * 119 + "…" in result.stdout and "short" in result.stdout


def test_dashboard_tables_cut_names_at_120_and_prose_later() -> None:
    frame = pl.DataFrame({"scenario": [HUGE, "ok"], "root_cause": [HUGE, None], "n": [1, 2]})
    out = cut_names(frame)
    assert out["scenario"].to_list() == ["n" * 119 + "…", "ok"]
    assert out["root_cause"].to_list() == ["n" * (PROSE_WIDTH - 1) + "…", None]
    assert out["n"].to_list() == [1, 2] and out.columns == frame.columns
