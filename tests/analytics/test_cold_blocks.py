"""A cold JSONL build reads the file in blocks, several at once in threads (issue 21 item 1): whatever the block
size and the number of workers, the frame, the report (reasons and line numbers) and the counts are those of
one read of the whole file without a cache, and each block is one cache part."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.schemas import MISSES
from triage_lens.sources import cache
from triage_lens.sources.cache import cache_dir, load_input
from triage_lens.sources.jsonl import line_count, split_lines
from triage_lens.sources.readers import ReadResult, ReportItem, read_input_file


def _miss(n: int, **extra: object) -> str:
    record: dict[str, object] = {
        "miss_id": f"m{n}",
        "timestamp": f"2026-06-{1 + n % 28:02d}T10:00:00.{n:06d}+00:00",
        "alert_name": "Ålert ✓",
        "taxonomy": "reasoning_gap",
        "validity_score": n / 7,
    }
    record.update(extra)
    return json.dumps(record)


LINES = [
    _miss(1),
    "not json",
    "",
    _miss(2, validity_score="high"),  # wrong type: flagged, kept
    _miss(3),
    '{"timestamp": "2026-06-01T00:00:00+00:00"}',  # no miss_id: kept (misses require no field)
    _miss(4, timestamp="yesterday"),
    "   ",
    _miss(5, note="caf\u00e9 \U0001f6a8"),
    "[1, 2]",
    _miss(6),
]


def _report(items: list[ReportItem]) -> list[tuple[int, str, str, str]]:
    return [(i.line, i.reason, i.excerpt, i.action) for i in items]


@pytest.mark.parametrize("block_bytes", [1, 40, 300, 10_000_000])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_blocks_and_threads_give_the_whole_file_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int, workers: int
) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    monkeypatch.setattr(cache, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(cache, "MAX_PARTS", 40)  # one part per block, never merged in this test
    monkeypatch.setattr(cache, "cold_workers", lambda: workers)
    loaded = load_input("misses", path)
    whole = read_input_file(path, MISSES)
    assert loaded.frame.collect().equals(whole.frame)
    assert _report(loaded.items) == _report(whole.items)
    assert (loaded.rows, loaded.blank_lines) == (whole.frame.height, whole.blank_lines)
    # hand-checked: 7 records kept, lines 2 and 10 quarantined, lines 4 and 7 flagged, lines 3 and 8 blank
    assert loaded.frame.select("_line", "miss_id").collect().rows() == [
        (1, "m1"),
        (4, "m2"),
        (5, "m3"),
        (6, None),
        (7, "m4"),
        (9, "m5"),
        (11, "m6"),
    ]
    assert [(line, action) for line, _, _, action in _report(loaded.items)] == [
        (2, "quarantined"),
        (4, "flagged"),
        (7, "flagged"),
        (10, "quarantined"),
    ]
    assert loaded.blank_lines == 2
    parts = list(cache_dir().glob("misses-*.parquet"))
    assert len(parts) >= (2 if block_bytes <= 300 else 1)
    again = load_input("misses", path)  # the cache as the cold build left it
    assert again.from_cache and again.frame.collect().equals(whole.frame)


def test_a_block_that_cannot_be_stored_is_served_from_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    monkeypatch.setattr(cache, "BLOCK_BYTES", 100)
    monkeypatch.setattr(cache, "cold_workers", lambda: 2)
    calls = {"n": 0}
    real_write = cache._write_part

    def every_other(directory: Path, prefix: str, frame: pl.DataFrame) -> str | None:
        calls["n"] += 1
        return None if calls["n"] % 2 == 0 else real_write(directory, prefix, frame)

    monkeypatch.setattr(cache, "_write_part", every_other)
    loaded = load_input("misses", path)
    assert loaded.frame.collect().sort("_line").equals(read_input_file(path, MISSES).frame)


def test_a_failing_block_fails_the_build_without_leaving_later_blocks_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    monkeypatch.setattr(cache, "BLOCK_BYTES", 50)
    monkeypatch.setattr(cache, "cold_workers", lambda: 2)
    real_read = cache.read_jsonl_bytes  # type: ignore[attr-defined]
    seen = {"n": 0}

    def broken(data: bytes, *args: Any, **kwargs: Any) -> ReadResult:
        seen["n"] += 1
        if seen["n"] == 2:  # before its lines are numbered: the blocks after it wait on that number
            raise OSError("disk went away")
        return real_read(data, *args, **kwargs)

    monkeypatch.setattr(cache, "read_jsonl_bytes", broken)
    with pytest.raises(OSError, match="disk went away"):
        load_input("misses", path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["a", "", " ", "\r", "\n", "\r\n", "{}", "é"]), max_size=12).map("".join))
def test_line_count_is_the_readers_line_count(text: str) -> None:
    data = text.encode()
    assert line_count(data) == len(split_lines(data))


def test_appends_past_the_part_cap_merge_into_one_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each append adds a part; past MAX_PARTS every part is merged into one, and the answer never changes."""
    path = tmp_path / "misses.jsonl"
    path.write_text("\n".join(LINES[:5]) + "\n", encoding="utf-8")
    monkeypatch.setattr(cache, "BLOCK_BYTES", 100)
    monkeypatch.setattr(cache, "MAX_PARTS", 4)
    load_input("misses", path)  # cold: about MAX_PARTS - 2 blocks
    counts = [len(list(cache_dir().glob("misses-*.parquet")))]
    for extra in LINES[5:]:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(extra + "\n")
        loaded = load_input("misses", path)
        assert loaded.from_cache
        assert loaded.frame.collect().equals(read_input_file(path, MISSES).frame)
        counts.append(len(list(cache_dir().glob("misses-*.parquet"))))
    assert counts[0] >= 2  # the cold build wrote several parts
    assert max(counts) <= 4
    assert 1 in counts[1:]  # a merge happened


def test_too_long_lines_between_blocks_read_in_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines over the cap are quarantined with their size and their own first bytes as the excerpt, whichever
    worker reaches them (their excerpts are read at their offsets, never through a shared file position)."""
    long_a = json.dumps({"miss_id": "long-a", "taxonomy_detail": "a" * 400})
    long_b = json.dumps({"miss_id": "long-b", "taxonomy_detail": "b" * 400})
    lines = [_miss(1), long_a, _miss(2), long_b, _miss(3), long_a, _miss(4)]
    path = tmp_path / "misses.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(cache, "BLOCK_BYTES", 1)
    monkeypatch.setattr(cache, "MAX_PARTS", 40)
    monkeypatch.setattr(cache, "cold_workers", lambda: 2)
    loaded = load_input("misses", path, max_line_bytes=300)
    whole = read_input_file(path, MISSES, max_line_bytes=300)
    assert _report(loaded.items) == _report(whole.items)
    assert [(i.line, i.excerpt[:22]) for i in loaded.items] == [
        (2, '{"miss_id": "long-a", '),
        (4, '{"miss_id": "long-b", '),
        (6, '{"miss_id": "long-a", '),
    ]
    assert loaded.frame.select("_line").collect().to_series().to_list() == [1, 3, 5, 7]
