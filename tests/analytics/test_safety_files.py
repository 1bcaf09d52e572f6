"""#12 item 5: exports never write through a symlink; scenario readers take regular files under a cap."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.scenarios import MANIFEST_NAME
from tests.conftest import SAMPLE_DIR
from triage_lens.cli.main import cli
from triage_lens.sources.atomic import write_file, write_tree
from triage_lens.sources.files import RefusedPathError, read_regular_file
from triage_lens.sources.scenario_files import ALERT_MAX_BYTES, read_scenarios

ALERT = json.dumps({"_meta": {"miss_id": "m1", "taxonomy": "tool_failure"}, "alert_name": "A"})


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_write_tree_refuses_a_symlinked_folder_file_or_root(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "weekly").symlink_to(victim)
    with pytest.raises(RefusedPathError, match=r"refused: .*out/weekly is a symbolic link"):
        write_tree(out, [("weekly/2026-W46.md", b"x")])
    (out / "note.md").symlink_to(victim / "note.md")
    with pytest.raises(RefusedPathError, match=r"out/note.md is a symbolic link"):
        write_tree(out, [("note.md", b"x")])
    os.mkfifo(out / "pipe.md")
    with pytest.raises(RefusedPathError, match=r"out/pipe.md is not a regular file"):
        write_tree(out, [("pipe.md", b"x")])
    link = tmp_path / "link"
    link.symlink_to(victim)
    with pytest.raises(RefusedPathError, match=r"link is a symbolic link"):
        write_tree(link, [("a.md", b"x")])
    with pytest.raises(ValueError, match="unsafe path"):
        write_tree(out, [("../escape.md", b"x")])
    assert list(victim.iterdir()) == []
    assert write_tree(out, [("sub/dir/a.md", b"ok")]) == [out / "sub" / "dir" / "a.md"]
    assert (out / "sub" / "dir" / "a.md").read_bytes() == b"ok"
    target = tmp_path / "z.zip"
    target.symlink_to(victim / "z.zip")
    with pytest.raises(RefusedPathError, match="z.zip is a symbolic link"):
        write_file(target, b"PK")


def test_misses_export_refuses_a_planted_manifest_symlink_and_zip_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).symlink_to(victim)
    code, output = _invoke("misses", "export", "--out", str(out), "--since", "30d")
    assert code == 2
    assert output.strip().splitlines()[-1] == (
        f"error: --out: cannot write to {out} (refused: {out / MANIFEST_NAME} is a symbolic link)"
    )
    assert victim.read_text(encoding="utf-8") == "keep me"
    (out / MANIFEST_NAME).unlink()
    zip_link = tmp_path / "cases.zip"
    zip_link.symlink_to(victim)
    code, output = _invoke("misses", "export", "--out", str(out), "--since", "30d", "--zip", str(zip_link))
    assert code == 2 and f"--zip: cannot write {zip_link} (refused: {zip_link} is a symbolic link)" in output
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_digest_out_refuses_a_symlinked_weekly_folder(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "weekly").symlink_to(victim)
    code, output = _invoke("incidents", "digest", "--out", str(out))
    assert code == 2
    assert (
        output.strip().splitlines()[-1] == f"error: --out: cannot write (refused: {out / 'weekly'} is a symbolic link)"
    )
    assert list(victim.iterdir()) == []


def test_read_regular_file_refuses_devices_fifos_links_and_large_files(tmp_path: Path) -> None:
    with pytest.raises(RefusedPathError, match="is not a regular file"):
        read_regular_file(Path("/dev/zero"), 10)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(RefusedPathError, match="is not a regular file"):
        read_regular_file(fifo, 10)  # never blocks waiting for a writer
    big = tmp_path / "big"
    big.write_bytes(b"x" * 11)
    with pytest.raises(RefusedPathError, match="is larger than 10 bytes"):
        read_regular_file(big, 10)
    link = tmp_path / "link"
    link.symlink_to(big)
    with pytest.raises(RefusedPathError, match="is a symbolic link"):
        read_regular_file(link, 100)


def test_scenario_reader_skips_and_reports_hostile_entries(tmp_path: Path) -> None:
    root = tmp_path / "scenarios"
    (root / "good").mkdir(parents=True)
    (root / "good" / "alert.json").write_text(ALERT, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "alert.json").write_text(ALERT, encoding="utf-8")
    (root / "linked-case").symlink_to(elsewhere)
    (root / "zero").mkdir()
    (root / "zero" / "alert.json").symlink_to("/dev/zero")
    (root / "dev").mkdir()
    os.mkfifo(root / "dev" / "alert.json")
    (root / "huge").mkdir()
    (root / "huge" / "alert.json").write_bytes(b" " * (ALERT_MAX_BYTES + 1))
    (root / "deep").mkdir()
    (root / "deep" / "alert.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    (root / "bigint").mkdir()
    (root / "bigint" / "alert.json").write_text('{"_meta": {"miss_id": ' + "9" * 5000 + "}}", encoding="utf-8")
    found, problems = read_scenarios(root)
    assert [s.path for s in found] == [root / "good" / "alert.json"]
    assert problems[2].startswith(f"{root / 'bigint' / 'alert.json'}: not readable JSON (Exceeds the limit")
    assert problems[:2] + problems[3:] == [
        f"{root / 'linked-case'}: skipped, a symbolic link (not followed)",
        f"{root / 'zero' / 'alert.json'}: skipped, a symbolic link (not followed)",
        f"{root / 'deep' / 'alert.json'}: not readable JSON (nested too deeply)",
        f"{root / 'dev' / 'alert.json'}: skipped, is not a regular file",
        f"{root / 'huge' / 'alert.json'}: skipped, is larger than 1,048,576 bytes",
    ]


def test_trend_with_a_hostile_scenarios_folder_warns_and_finishes(tmp_path: Path) -> None:
    root = tmp_path / "scenarios"
    (root / "dev").mkdir(parents=True)
    os.mkfifo(root / "dev" / "alert.json")
    (root / "loop").symlink_to(root)
    code, output = _invoke("misses", "trend", "--scenarios", str(root), "--json")
    assert code == 0
    assert f"warning: {root / 'dev' / 'alert.json'}: skipped, is not a regular file" in output
    assert f"warning: {root / 'loop'}: skipped, a symbolic link (not followed)" in output
