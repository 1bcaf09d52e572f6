"""Files as real writers write them take the vectorised path and give the per-line answers (issue 21 item 1).

Python's ``json.dumps`` writes floats with 16-17 significant digits, non-ASCII as ``\\uXXXX`` escapes (emoji
as surrogate pairs), escaped quotes and newlines, nulls, and writers leave optional fields out, add fields
of their own and order keys as they like. Every such line must be decoded by Polars (no per-line Python),
with exactly the frame and report of the per-line reference path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import triage_lens.sources.jsonl as jsonl_reader
from analytics.schemas import ALL_INPUTS, ERROR_LEDGER, FEEDBACK, MISSES, FieldType, InputSchema
from triage_lens.sources.readers import read_input_file, read_jsonl_bytes

# Text as people and agents write it: any printable character (emoji, accents, CJK), quotes, backslashes
# and newlines; no lone surrogates (Python's json.dumps never writes one from valid text).
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from('"\\\n\t/'), max_size=30)
floats = st.floats(allow_nan=False, allow_infinity=False) | st.floats(0, 1)
JOINED = re.compile(r"\}[ \t]*\{")
stamps = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(lambda d: d.isoformat())

FLAT = [
    s
    for s in ALL_INPUTS
    if all(
        f.type in (FieldType.STR, FieldType.FLOAT, FieldType.INT, FieldType.BOOL, FieldType.TIMESTAMP) for f in s.fields
    )
]


def value_for(kind: FieldType) -> st.SearchStrategy[Any]:
    strategy: st.SearchStrategy[Any] = {
        FieldType.STR: texts,
        FieldType.FLOAT: floats,
        FieldType.INT: st.integers(-(9 * 10**18) + 1, 9 * 10**18 - 1),  # 19 digits from 9e18 on: caps' check
        FieldType.BOOL: st.booleans(),
        FieldType.TIMESTAMP: stamps,
    }[kind]
    return st.none() | strategy


@st.composite
def real_records(draw: st.DrawFn, schema: InputSchema) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for f in schema.fields:
        if f.required:
            record[f.name] = draw(stamps if f.type is FieldType.TIMESTAMP else texts.filter(bool))
        elif draw(st.booleans()):  # optional fields absent half of the time
            record[f.name] = draw(value_for(f.type))
    extras = [n for n in ("x_writer_note", "x_trace", "x_extra_score") if n not in {f.name for f in schema.fields}]
    for name in draw(st.lists(st.sampled_from(extras), max_size=2, unique=True)):
        record[name] = draw(texts | floats | st.none())
    keys = draw(st.permutations(list(record)))
    return {k: record[k] for k in keys}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_real_writer_lines_take_the_vectorised_path_and_match_the_per_line_path(data: st.DataObject) -> None:
    seen: list[int] = []
    per_line = jsonl_reader._read_lines_one_by_one

    def counting(rows: Any, *args: Any) -> Any:
        seen.append(rows.height)
        return per_line(rows, *args)

    for schema in FLAT:
        records = data.draw(st.lists(real_records(schema), min_size=1, max_size=12))
        ascii_only = data.draw(st.booleans())
        document = "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records).encode()
        slow = read_jsonl_bytes(document, schema, schema.name, vectorised=False)
        seen.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(jsonl_reader, "_read_lines_one_by_one", counting)
            fast = read_jsonl_bytes(document, schema, schema.name)
        # "}{" in a line is read as two joined objects and left to Python's exact check (same answer, slower);
        # text holding those two characters is the one real-writer shape allowed to take the per-line path.
        if not JOINED.search(document.decode()):
            assert sum(seen) == 0, "a real writer's line fell back to the per-line path"
        assert_frame_equal(fast.frame, slow.frame)
        assert fast.items == slow.items


def test_full_precision_floats_and_emoji_by_hand(tmp_path: Path) -> None:
    lines = [
        {"miss_id": "a", "validity_score": 0.8568630063847495, "root_cause": "tiempo de espera 🚨"},
        {"validity_score": 5e-324, "miss_id": "b", "taxonomy_detail": 'said "ok"\nthen left'},
        {"miss_id": "c", "validity_score": 1.7976931348623157e308, "agent": "x"},
    ]
    path = tmp_path / "misses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    result = read_input_file(path, MISSES)
    assert result.frame["validity_score"].to_list() == [0.8568630063847495, 5e-324, 1.7976931348623157e308]
    assert result.frame["root_cause"].to_list()[0] == "tiempo de espera 🚨"
    assert result.frame["taxonomy_detail"].to_list()[1] == 'said "ok"\nthen left'
    assert result.items == []


def test_a_lone_surrogate_beside_a_valid_pair_is_still_flagged_by_hand() -> None:
    data = b'{"feedback_id": "f1", "note": "\\ud83d\\udea8 ok"}\n{"feedback_id": "f2", "note": "\\ud83d alone"}\n'
    fast = read_jsonl_bytes(data, FEEDBACK, "f")
    slow = read_jsonl_bytes(data, FEEDBACK, "f", vectorised=False)
    assert_frame_equal(fast.frame, slow.frame)
    assert fast.items == slow.items
    assert fast.frame["note"].to_list() == ["🚨 ok", None]
    assert [i.reason for i in fast.items] == ["field 'note' holds a lone surrogate escape (not valid Unicode)"]


def test_error_ledger_epoch_floats_are_unchanged_by_hand() -> None:
    data = (
        b'{"timestamp": 1780394400.123456, "provider": "p"}\n{"timestamp": "2026-06-02T10:00:00Z", "provider": "q"}\n'
    )
    fast = read_jsonl_bytes(data, ERROR_LEDGER, "e")
    slow = read_jsonl_bytes(data, ERROR_LEDGER, "e", vectorised=False)
    assert_frame_equal(fast.frame, slow.frame)


def test_an_escaped_backslash_before_u_is_not_a_surrogate_by_hand() -> None:
    data = (
        b'{"feedback_id": "f1", "note": "C:\\\\ud83d path"}\n'  # backslash + "ud83d": plain text
        b'{"feedback_id": "f2", "note": "\\\\\\ud83d"}\n'  # backslash + a lone surrogate escape
    )
    fast = read_jsonl_bytes(data, FEEDBACK, "f")
    slow = read_jsonl_bytes(data, FEEDBACK, "f", vectorised=False)
    assert_frame_equal(fast.frame, slow.frame)
    assert fast.items == slow.items
    assert fast.frame["note"].to_list() == ["C:\\ud83d path", None]


LONE_SURROGATE_LAYOUTS = [
    r"\ud800",  # a high one alone: Polars writes U+0000 in its place
    r"\udbff",
    r"x\ud83dabc",
    r"\ud83d\\",  # before an escaped backslash
    r"\ud83d\n",
    r"\ud83d\udea8\ud83d",  # a valid pair, then a high one alone
    r"\ud83d\u0041",  # before another escape: Polars refuses the chunk
    r"\ud83d\ud83d\udea8",
    r"\udc00",  # a low one first: Polars refuses the chunk
    r"\udfff\ud800",
    r"\ud800\udbff",
    r"\\ud800",  # an escaped backslash, then text: no surrogate at all
    r"\ud83d\udea8",  # a valid pair
]


@pytest.mark.parametrize("escape", LONE_SURROGATE_LAYOUTS)
def test_every_layout_of_surrogate_escapes_gives_the_per_line_answer(escape: str) -> None:
    """In a declared text field a lone surrogate is flagged; in a field of the writer's own it is left alone;
    either way exactly as the per-line path says, with clean lines around it."""
    data = (
        '{"feedback_id": "f0", "note": "ok"}\n'
        f'{{"feedback_id": "f1", "note": "{escape}"}}\n'
        f'{{"feedback_id": "f2", "x_own": "{escape}", "note": "fine"}}\n'
        '{"feedback_id": "f3", "note": "\\u00e9t\\u00e9"}\n'
    ).encode()
    fast = read_jsonl_bytes(data, FEEDBACK, "f")
    slow = read_jsonl_bytes(data, FEEDBACK, "f", vectorised=False)
    assert_frame_equal(fast.frame, slow.frame)
    assert fast.items == slow.items
    lone = escape not in (r"\\ud800", r"\ud83d\udea8")
    assert [i.line for i in fast.items] == ([2] if lone else [])
    assert fast.frame["note"].to_list()[2:] == ["fine", "été"]
