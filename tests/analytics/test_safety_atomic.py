"""#24 item 2: whole or nothing. A full disk (simulated: ``os.write`` refuses past a byte budget, or a writer fails
half-way) leaves the previous files untouched and no partial file behind, for ``misses export``, ``--zip``,
``digest --out``, ``sample --out`` and ``import``; stale temp files of killed runs are removed by the next run."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result

from tests.conftest import REPO, SAMPLE_DIR
from triage_lens.cli.main import cli
from triage_lens.sources.atomic import remove_stale_temps, temp_name, temp_owner, write_file, write_tree

FIXTURES = REPO / "tests" / "fixtures" / "importers"


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="triage-lens")


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _temps(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*.tmp")]


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def disk_full(monkeypatch: pytest.MonkeyPatch, budget: int, where: Callable[[str], bool]) -> None:
    """``os.write`` to a file whose path satisfies ``where`` accepts ``budget`` bytes in all, then fails with
    ENOSPC (a short write first, as a real full disk does)."""
    real_write = os.write
    left = [budget]

    def write(fd: int, data: Any) -> int:
        if not where(_fd_path(fd)):
            return real_write(fd, data)
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        chunk = bytes(data[: left[0]])
        left[0] -= len(chunk)
        return real_write(fd, chunk)

    monkeypatch.setattr(os, "write", write)


# --- the helper itself --------------------------------------------------------------------------------


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(done.stdout)


def test_temp_names_carry_the_pid_and_stale_ones_are_removed(tmp_path: Path) -> None:
    name = temp_name("alert.json")
    assert name.startswith(f".alert.json.{os.getpid()}.") and name.endswith(".tmp") and temp_owner(name) == os.getpid()
    dead = _dead_pid()
    (tmp_path / f".incidents.jsonl.{dead}.0badc0de.tmp").write_bytes(b"torn")
    (tmp_path / f".0001_case.{dead}.deadbeef.tmp").mkdir()
    (tmp_path / f".0001_case.{dead}.deadbeef.tmp" / "alert.json").write_bytes(b"{")
    (tmp_path / f".mine.{os.getpid()}.0badc0de.tmp").write_bytes(b"being written")  # this process: alive
    (tmp_path / ".other.tmp").write_bytes(b"not ours")
    (tmp_path / ".init.1.0badc0de.tmp").write_bytes(b"pid 1 runs")
    removed = remove_stale_temps(tmp_path)
    assert sorted(removed) == [f".0001_case.{dead}.deadbeef.tmp", f".incidents.jsonl.{dead}.0badc0de.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".init.1.0badc0de.tmp",
        f".mine.{os.getpid()}.0badc0de.tmp",
        ".other.tmp",
    ]


def test_write_file_and_write_tree_clean_stale_temps_where_they_write(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = tmp_path / f".out.zip.{dead}.0badc0de.tmp"
    stale.write_bytes(b"PK")
    write_file(tmp_path / "out.zip", b"new")
    assert not stale.exists() and (tmp_path / "out.zip").read_bytes() == b"new"
    tree = tmp_path / "tree"
    (tree / "case").mkdir(parents=True)
    (tree / "case" / f".alert.json.{dead}.0badc0de.tmp").write_bytes(b"{")
    write_tree(tree, [("case/alert.json", b"{}"), ("manifest.json", b"[]")])
    assert _snapshot(tree) == {"case/alert.json": b"{}", "manifest.json": b"[]"}


def test_a_failed_tree_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    write_tree(tree, [("a/alert.json", b"old a"), ("manifest.json", b"old m")])
    before = _snapshot(tree)
    disk_full(monkeypatch, 8, lambda path: str(tmp_path) in path)
    with pytest.raises(OSError, match="No space"):
        write_tree(tree, [("a/alert.json", b"new a"), ("b/alert.json", b"new b"), ("manifest.json", b"new m")])
    assert _snapshot(tree) == before and _temps(tmp_path) == []
    with pytest.raises(OSError, match="No space"):
        write_tree(tmp_path / "fresh", [("b/alert.json", b"new b" * 10)])
    assert not (tmp_path / "fresh").exists()


# --- the commands ---------------------------------------------------------------------------------------

EXPORT = ["--data", str(SAMPLE_DIR), "misses", "export", "--since", "", "--top", "3"]


def test_misses_export_on_a_full_disk_leaves_no_empty_alert_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    disk_full(monkeypatch, 100, lambda path: str(tmp_path) in path)
    result = _run(*EXPORT, "--out", str(out))
    assert result.exit_code == 2 and result.stderr.startswith("error: --out: cannot write"), result.output
    assert not out.exists() and _temps(tmp_path) == []


def test_misses_export_over_a_good_export_keeps_it_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert _run(*EXPORT, "--out", str(out)).exit_code == 0
    before = _snapshot(out)
    assert len(before) == 4  # three cases and the manifest
    disk_full(monkeypatch, 3000, lambda path: str(tmp_path) in path)
    result = _run(*EXPORT[:-1], "5", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert _snapshot(out) == before and _temps(tmp_path) == []


def test_a_failed_zip_keeps_the_good_zip_at_that_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zip_path = tmp_path / "good.zip"
    assert _run(*EXPORT, "--out", str(tmp_path / "out"), "--zip", str(zip_path)).exit_code == 0
    good = zip_path.read_bytes()
    disk_full(monkeypatch, 200, lambda path: "good.zip" in path)
    result = _run(*EXPORT[:-1], "5", "--out", str(tmp_path / "out2"), "--zip", str(zip_path))
    assert result.exit_code == 2 and "error: --zip: cannot write" in result.stderr, result.output
    assert zip_path.read_bytes() == good and zipfile.ZipFile(zip_path).testzip() is None
    assert _temps(tmp_path) == []


def test_digest_out_on_a_full_disk_leaves_the_previous_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["--data", str(SAMPLE_DIR), "incidents", "digest", "--out", str(tmp_path)]
    monkeypatch.setattr(os, "write", os.write)  # restored after the test
    disk_full(monkeypatch, 500, lambda path: str(tmp_path) in path)
    assert _run(*args).exit_code == 2
    assert not (tmp_path / "weekly").exists() and _temps(tmp_path) == []
    monkeypatch.undo()
    assert _run(*args).exit_code == 0
    before = _snapshot(tmp_path)
    assert sorted(before) == [f"weekly/{p.name}" for p in sorted((tmp_path / "weekly").iterdir())]
    (tmp_path / "weekly" / next(iter(before)).split("/")[1]).write_bytes(b"old digest")
    before = _snapshot(tmp_path)
    disk_full(monkeypatch, 500, lambda path: str(tmp_path) in path)
    result = _run(*args)
    assert result.exit_code == 2 and "error: --out: cannot write" in result.stderr
    assert _snapshot(tmp_path) == before and _temps(tmp_path) == []


def test_sample_out_never_leaves_a_torn_last_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sample"
    assert _run("sample", "--out", str(out), "--scale", "0.01").exit_code == 0
    before = _snapshot(out)
    real = pl.DataFrame.write_ndjson

    def half_then_full(self: pl.DataFrame, file: Any = None, **kwargs: Any) -> Any:
        real(self, file, **kwargs)
        if isinstance(file, Path) and file.name == "incidents.jsonl":
            data = file.read_bytes()
            file.write_bytes(data[: len(data) // 2])  # what a full disk leaves: a torn line
            raise OSError(errno.ENOSPC, "No space left on device")
        return None

    monkeypatch.setattr(pl.DataFrame, "write_ndjson", half_then_full)
    result = _run("sample", "--out", str(out), "--scale", "0.02", "--seed", "8")
    assert result.exit_code == 2 and "No space left on device" in result.stderr, result.output
    assert _snapshot(out) == before and _temps(tmp_path) == []
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    monkeypatch.setattr(pl.DataFrame, "write_ndjson", half_then_full)
    assert _run("sample", "--out", str(fresh), "--scale", "0.01").exit_code == 2
    assert not fresh.exists() and _temps(tmp_path) == []


def test_import_on_a_full_disk_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run("import", "auto", str(FIXTURES / "statuspage_incidents.json"), "--out", str(tmp_path)).exit_code == 0
    before = (tmp_path / "incidents.jsonl").read_bytes()
    disk_full(monkeypatch, 100, lambda path: ".incidents.jsonl." in path)
    result = _run("import", "auto", str(FIXTURES / "gcp_status_incidents.json"), "--out", str(tmp_path))
    assert result.exit_code == 1 and "nothing changed" in result.stderr
    assert (tmp_path / "incidents.jsonl").read_bytes() == before and _temps(tmp_path) == []


KILLED_IMPORT = """
import os, signal, sys
real_fsync = os.fsync
def die(fd):
    if ".incidents.jsonl." in os.readlink(f"/proc/self/fd/{fd}"):
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 after the temp file is written, before the rename
    return real_fsync(fd)
os.fsync = die
from triage_lens.cli.main import cli
cli(sys.argv[1:], prog_name="triage-lens")
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to find the temp file's fd")
def test_the_temp_file_of_a_killed_import_is_removed_by_the_next_import(tmp_path: Path) -> None:
    export = FIXTURES / "statuspage_incidents.json"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, "import", "auto", str(export), "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    (left,) = (p for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
    assert left.name.startswith(".incidents.jsonl.") and temp_owner(left.name) == killed_pid(left.name)
    assert not (tmp_path / "incidents.jsonl").exists()
    result = _run("import", "auto", str(export), "--out", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    assert _temps(tmp_path) == []
    assert json.loads(result.stdout)["written"] == len((tmp_path / "incidents.jsonl").read_text().splitlines())


def killed_pid(name: str) -> int | None:
    """The PID in the name, which must no longer run."""
    pid = temp_owner(name)
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    return pid


def test_a_case_folder_created_meanwhile_by_another_export_is_merged_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    real_rename = os.rename

    def other_export_wins(src: Any, dst: Any, **kwargs: Any) -> None:
        if str(dst) == "case" and not (tree / "case").exists():
            (tree / "case").mkdir()
            (tree / "case" / "alert.json").write_bytes(b"theirs")
            (tree / "case" / "notes.md").write_bytes(b"kept")
        real_rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "rename", other_export_wins)
    write_tree(tree, [("case/alert.json", b"ours"), ("manifest.json", b"m")])
    assert _snapshot(tree) == {"case/alert.json": b"ours", "case/notes.md": b"kept", "manifest.json": b"m"}
    assert _temps(tmp_path) == []


def test_coverage_never_reads_a_case_folder_that_is_still_a_temp(tmp_path: Path) -> None:
    from triage_lens.sources.scenario_files import read_scenarios

    meta = b'{"_meta": {"miss_id": "m1", "taxonomy": "retrieval_gap"}, "alert_name": "A"}'
    write_tree(tmp_path, [("0001_a/alert.json", meta)])
    staged = tmp_path / temp_name("0002_a")
    staged.mkdir()
    (staged / "alert.json").write_bytes(meta)
    found, problems = read_scenarios(tmp_path)
    assert [s.path for s in found] == [tmp_path / "0001_a" / "alert.json"] and problems == []
