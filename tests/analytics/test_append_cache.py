"""Append-only re-ingest (issue 13 item 2): a JSONL file that only grew is read from its cached parts plus
the new lines; a rewrite or truncation rebuilds; an unterminated last line is never cached."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from triage_lens.sources.loading import load_input


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data)


def fresh(path: Path):  # type: ignore[no-untyped-def]
    return load_input("misses", path, use_cache=False)


def assert_same_as_fresh(path: Path) -> bool:
    cached = load_input("misses", path)
    expected = fresh(path)
    assert_frame_equal(cached.frame.collect(), expected.frame.collect())
    assert cached.items == expected.items
    assert (cached.rows, cached.blank_lines) == (expected.rows, expected.blank_lines)
    return cached.from_cache


def test_appended_lines_are_added_to_the_cache(tmp_path: Path, isolated_environment: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b'{"miss_id": "a"}\noops\n')
    assert not load_input("misses", path).from_cache
    append(path, b'{"miss_id": "b"}\n\n{"miss_id": "c", "validity_score": "x"}\n')
    loaded = load_input("misses", path)
    assert loaded.from_cache
    assert loaded.frame.collect().select("_line", "miss_id").rows() == [(1, "a"), (3, "b"), (5, "c")]
    assert [(i.line, i.action) for i in loaded.items] == [(2, "quarantined"), (5, "flagged")]
    assert loaded.blank_lines == 1
    assert len(list((isolated_environment / "triage-lens").glob("misses-*.parquet"))) == 2
    assert assert_same_as_fresh(path)


def test_a_half_written_last_line_is_not_quarantined_for_good(tmp_path: Path, isolated_environment: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b'{"miss_id": "a"}\n{"miss_id": "b')
    first = load_input("misses", path)
    assert [(i.line, i.action) for i in first.items] == [(2, "quarantined")]
    append(path, b'"}\n')
    second = load_input("misses", path)
    assert second.from_cache and second.items == []
    assert second.frame.collect()["miss_id"].to_list() == ["a", "b"]


def test_a_trailing_bare_cr_then_lf_is_one_line_end(tmp_path: Path, isolated_environment: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b'{"miss_id": "a"}\r')
    load_input("misses", path)
    append(path, b'\n{"miss_id": "b"}\n')
    loaded = load_input("misses", path)
    assert loaded.blank_lines == 0
    assert loaded.frame.collect().select("_line", "miss_id").rows() == [(1, "a"), (2, "b")]


def test_truncation_and_rewrite_rebuild(tmp_path: Path, isolated_environment: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b'{"miss_id": "a"}\n{"miss_id": "b"}\n')
    load_input("misses", path)
    path.write_bytes(b'{"miss_id": "a"}\n')
    truncated = load_input("misses", path)
    assert not truncated.from_cache and truncated.rows == 1
    path.write_bytes(b'{"miss_id": "z"}\n{"miss_id": "y"}\n')  # same inode, other bytes before the offset
    rewritten = load_input("misses", path)
    assert not rewritten.from_cache
    assert rewritten.frame.collect()["miss_id"].to_list() == ["z", "y"]


def test_a_replaced_file_with_the_same_prefix_rebuilds(tmp_path: Path, isolated_environment: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b'{"miss_id": "a"}\n')
    load_input("misses", path)
    other = tmp_path / "new.jsonl"
    other.write_bytes(b'{"miss_id": "a"}\n{"miss_id": "b"}\n')
    other.replace(path)  # a new inode (log rotation, atomic rewrite)
    assert not load_input("misses", path).from_cache


chunks = st.lists(
    st.sampled_from(
        [b'{"miss_id": "m"}\n', b"\n", b"bad\n", b'{"miss_id": "p', b'"}\n', b"\r", b"\r\n", b'{"validity_score": 1}']
    ),
    max_size=4,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(chunks, min_size=1, max_size=4))
def test_any_sequence_of_appends_reads_like_a_fresh_parse(
    tmp_path_factory, isolated_environment: Path, steps: list[list[bytes]]
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("append") / "misses.jsonl"
    path.write_bytes(b"")
    for step in steps:
        append(path, b"".join(step))
        assert_same_as_fresh(path)


def test_a_killed_runs_cache_temp_is_removed_by_the_next_cache_write(
    tmp_path: Path, isolated_environment: Path
) -> None:
    """Cache temps carry the writer's PID (``.NAME.<pid>.<rand>.tmp``); one whose writer is gone is removed."""
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    dead_pid = int(gone.stdout)  # that process has exited
    directory = isolated_environment / "triage-lens"
    directory.mkdir(parents=True, exist_ok=True)
    stale = directory / f".misses-0123.parquet.{dead_pid}.abcd1234.tmp"
    stale.write_bytes(b"half a parquet file")
    live = directory / f".misses-0123.parquet.{__import__('os').getpid()}.abcd1234.tmp"
    live.write_bytes(b"a write still going on")
    path = tmp_path / "misses.jsonl"
    path.write_bytes(b'{"miss_id": "a"}\n')
    assert not load_input("misses", path).from_cache
    assert not stale.exists()
    assert live.exists()  # its writer (this process) still runs
    assert not [p.name for p in directory.iterdir() if p.name.endswith(".tmp") and p != live]
