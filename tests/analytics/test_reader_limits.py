"""Reader caps (issue 24 items 3-4, DEFINITIONS.md §5): a line over ``limits.max_line_bytes`` is quarantined with
its size before it is read, integers beyond 64 bits are "number too large", nesting past 256 is "nested too deep",
the same on the vectorised and the per-line path, and never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from analytics.policy import Policy, policy_from_mapping
from analytics.schemas import INCIDENTS, MISSES
from triage_lens.sources.limits import long_lines
from triage_lens.sources.loading import load_all, resolve_sources
from triage_lens.sources.readers import read_input_file, read_jsonl_bytes


def test_long_lines_finds_the_ranges_by_hand() -> None:
    data = b"ab\n" + b"x" * 10 + b"\ncd\n" + b"y" * 11
    assert long_lines(data, 0, len(data), 9) == [(3, 13), (17, 28)]
    assert long_lines(data, 0, len(data), 11) == []
    assert long_lines(b"x" * 10, 0, 10, 10) == []


def test_a_too_long_line_is_quarantined_with_its_size_and_the_others_keep_their_numbers(tmp_path: Path) -> None:
    long_title = json.dumps({"miss_id": "big", "root_cause": "z" * 3000})
    lines = ['{"miss_id": "a"}', long_title, "", '{"miss_id": "b"}', long_title]
    path = tmp_path / "misses.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_input_file(path, MISSES, "misses.jsonl", max_line_bytes=2048)
    assert result.frame.select("_line", "miss_id").rows() == [(1, "a"), (4, "b")]
    size = len(long_title)  # 3,035 bytes
    assert [(i.line, i.reason, i.action) for i in result.items] == [
        (2, f"line too long ({size:,} bytes; the limit is 2,048, policy limits.max_line_bytes)", "quarantined"),
        (5, f"line too long ({size:,} bytes; the limit is 2,048, policy limits.max_line_bytes)", "quarantined"),
    ]
    assert result.items[0].excerpt == long_title[:200]
    assert (result.blank_lines, result.lines) == (1, 5)
    same = read_jsonl_bytes(path.read_bytes(), MISSES, "misses.jsonl", max_line_bytes=2048)
    assert_frame_equal(same.frame, result.frame)
    assert same.items == result.items
    # the default cap (8 MiB) reads the same file whole
    assert read_input_file(path, MISSES, "misses.jsonl").frame["miss_id"].to_list() == ["a", "big", "b", "big"]


def test_the_policy_cap_reaches_the_loader(tmp_path: Path) -> None:
    (tmp_path / "misses.jsonl").write_text('{"miss_id": "a"}\n' + json.dumps({"miss_id": "x" * 2000}) + "\n")
    policy = policy_from_mapping({"limits": {"max_line_bytes": 1024}})
    sources = resolve_sources(str(tmp_path), now="2026-06-01T00:00:00Z")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
        capped = load_all(sources, policy, names=["misses"]).inputs["misses"]
        default = load_all(sources, Policy(), names=["misses"]).inputs["misses"]
    assert (capped.rows, capped.quarantined) == (1, 1)
    assert capped.items[0].reason.startswith("line too long (2,015 bytes; the limit is 1,024")
    assert (default.rows, default.quarantined) == (2, 0)  # another cap is another cache entry


@pytest.mark.parametrize("vectorised", [True, False])
def test_big_integers_and_deep_nesting_are_per_record_problems(vectorised: bool) -> None:
    lines = [
        '{"miss_id": "a", "extra": ' + "1" * 5000 + "}",  # past Python's 4,300-digit limit: no ValueError
        '{"miss_id": "b", "extra": 18446744073709551615}',  # fits 64 bits unsigned, not signed
        '{"miss_id": "c", "extra": -9223372036854775808, "id": "1234567890123456789012"}',  # in range; digits in text
        '{"miss_id": "d", "extra": ' + "[" * 257 + "]" * 257 + "}",  # 258 levels with the record
        '{"miss_id": "e", "extra": ' + "[" * 255 + "]" * 255 + "}",  # 256 levels: allowed
        '{"miss_id": "f", "extra": ' + '{"a": ' * 1500 + "1" + "}" * 1500 + "}",
    ]
    result = read_jsonl_bytes(("\n".join(lines) + "\n").encode(), MISSES, "m", vectorised=vectorised)
    assert result.frame["miss_id"].to_list() == ["c", "e"]
    assert [(i.line, i.reason) for i in result.items] == [
        (1, "number too large (an integer beyond 64 bits)"),
        (2, "number too large (an integer beyond 64 bits)"),
        (4, "nested too deep (more than 256 levels)"),
        (6, "nested too deep (more than 256 levels)"),
    ]


def test_an_incident_store_line_nested_1500_deep_is_quarantined(tmp_path: Path) -> None:
    deep = '{"id": "i1", "service": "api", "started_at": "2026-06-01T00:00:00Z", "labels": ' + "[" * 1500
    deep += "]" * 1500 + "}"
    ok = '{"id": "i2", "service": "api", "started_at": "2026-06-01T00:00:00Z", "labels": {"n": ' + "9" * 30 + "}}"
    path = tmp_path / "incidents.jsonl"
    path.write_text(deep + "\n" + ok + "\n", encoding="utf-8")
    result = read_input_file(path, INCIDENTS)
    assert result.frame.height == 0
    assert [i.reason for i in result.items] == [
        "nested too deep (more than 256 levels)",
        "number too large (an integer beyond 64 bits)",
    ]


def test_only_integer_tokens_count_as_possibly_too_large() -> None:
    from triage_lens.sources.limits import may_hold_big_integer

    assert may_hold_big_integer('{"x": 9223372036854775808}')
    assert may_hold_big_integer('{"x": [-123456789012345678901]}')
    assert may_hold_big_integer('{"x":12345678901234567890}')
    assert not may_hold_big_integer('{"x": 0.00019429135802373487}')  # a float's fraction
    assert not may_hold_big_integer('{"x": 8999999999999999999}')  # 19 digits below 9e18 fit
    assert not may_hold_big_integer('{"x": 12345678901234567890.5}')
    assert not may_hold_big_integer('{"x": 12345678901234567890e3}')
    assert not may_hold_big_integer('{"id": "00000000000000000000"}')  # digits in a string


def test_the_cached_loader_quarantines_a_long_line_without_reading_it(tmp_path: Path) -> None:
    from triage_lens.sources.cache import load_input

    path = tmp_path / "misses.jsonl"
    long_line = json.dumps({"miss_id": "big", "root_cause": "z" * 5000})
    path.write_text('{"miss_id": "a"}\n' + long_line + '\n{"miss_id": "b"}\n', encoding="utf-8")
    loaded = load_input("misses", path, max_line_bytes=2048)
    assert loaded.frame.select("_line", "miss_id", "_raw").collect().rows() == [
        (1, "a", '{"miss_id": "a"}'),
        (3, "b", '{"miss_id": "b"}'),
    ]
    assert [(i.line, i.reason[:40]) for i in loaded.items] == [
        (2, f"line too long ({len(long_line):,} bytes; the limit is")
    ]
    again = load_input("misses", path, max_line_bytes=2048)
    assert again.from_cache and again.items == loaded.items
