"""The JSONL cache keeps each record's byte offsets, not its text a second time (issue 21 item 1): ``_raw`` is
read back from the file when a query selects it, identical to what the reader gave."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from analytics.schemas import MISSES
from triage_lens.sources.cache import cache_dir, load_input
from triage_lens.sources.readers import read_input_file

LINES = [
    '{"miss_id": "a", "root_cause": "caf\\u00e9 \\ud83d\\udea8"}',
    "",
    '   {"miss_id": "b"}  ',  # stripped text: kept in the cache as text (not at a line start)
    '{"miss_id": "c", "validity_score": 0.8568630063847495}',
    "[1]",
]


def test_parts_hold_offsets_and_raw_reads_back_the_stored_lines(tmp_path: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    loaded = load_input("misses", path)
    assert loaded.frame.select("_line", "_raw").collect().rows() == [
        (1, LINES[0]),
        (3, '{"miss_id": "b"}'),
        (4, LINES[3]),
    ]
    (part,) = list(cache_dir().glob("misses-*.parquet"))
    stored = pl.read_parquet(part).select("_line", "_raw", "_offset", "_len").rows()
    # line 1 at byte 0; line 4 after lines 1-3 and their newlines; line 3 keeps its (stripped) text
    offset_4 = sum(len(x.encode()) + 1 for x in LINES[:3])
    assert stored == [
        (1, None, 0, len(LINES[0])),
        (3, '{"miss_id": "b"}', None, None),
        (4, None, offset_4, len(LINES[3])),
    ]
    reader = read_input_file(path, MISSES)
    assert loaded.frame.collect().equals(reader.frame)


def test_an_append_stores_offsets_from_the_old_end(tmp_path: Path) -> None:
    path = tmp_path / "misses.jsonl"
    path.write_text(LINES[0] + "\n", encoding="utf-8")
    load_input("misses", path)
    extra = json.dumps({"miss_id": "z", "alert_name": "Ünïcode"})
    with path.open("a", encoding="utf-8") as handle:
        handle.write(extra + "\n")
    loaded = load_input("misses", path)
    assert loaded.from_cache
    assert loaded.frame.select("_raw").collect().to_series().to_list() == [LINES[0], extra]
