"""Reader caps (policy ``limits``, DEFINITIONS.md §5): per-record problems found before or while a line is parsed.

- A line longer than ``max_line_bytes`` (default 8 MiB) is quarantined with its size as the reason, found by
  scanning the file for newlines without reading the line into memory.
- An integer beyond 64 bits (outside the signed 64-bit range) anywhere in a record: "number too large".
- Nesting deeper than 256 levels anywhere in a record: "nested too deep".
"""

from __future__ import annotations

import re
from typing import Any, Protocol

DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 256
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

NUMBER_TOO_LARGE = "number too large (an integer beyond 64 bits)"
NESTED_TOO_DEEP = f"nested too deep (more than {MAX_DEPTH} levels)"

# An integer token of 20+ digits, or of 19 starting with 9 (from 9,000,000,000,000,000,000 up), may be past
# 64 bits (2**63 has 19 digits and starts with 9); shorter ones never are. A JSON number follows ":", ",", "["
# or whitespace and ends before anything but a digit, a point or an exponent, so neither a float's long fraction
# (0.00019429135802373487, as json.dumps writes it) nor digits inside a string ("00000000000000000000") is one.
LONG_DIGIT_RUN = r"(?:^|[:,\[ \t\r\n])-?(?:[0-9]{20,}|9[0-9]{18})(?:[^0-9.eE]|$)"
_LONG_DIGITS = re.compile(LONG_DIGIT_RUN)


def line_too_long(size: int, limit: int) -> str:
    return f"line too long ({size:,} bytes; the limit is {limit:,}, policy limits.max_line_bytes)"


class _Buffer(Protocol):
    def rfind(self, sub: bytes, start: int = ..., end: int = ...) -> int: ...

    def find(self, sub: bytes, start: int = ..., end: int = ...) -> int: ...


def long_lines(buffer: _Buffer, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Byte ranges ``[line start, line end)`` (terminator excluded) of the lines in ``buffer[start:end]`` longer
    than ``limit`` bytes. ``start`` must be a line start. One ``rfind`` per ``limit`` bytes of file: a window of
    ``limit + 1`` bytes from a line start that holds no newline means that line is too long."""
    found: list[tuple[int, int]] = []
    position = start
    while end - position > limit:
        newline = buffer.rfind(b"\n", position, position + limit + 1)
        if newline >= 0:
            position = newline + 1
            continue
        line_end = buffer.find(b"\n", position + limit + 1, end)
        line_end = end if line_end < 0 else line_end
        found.append((position, line_end))
        position = line_end + 1
    return found


def may_hold_big_integer(text: str) -> bool:
    """True when ``text`` has a run of digits that may exceed 64 bits: parse it with Python's exact integers
    (orjson turns an integer past 64 bits into a float, which would hide it from :func:`record_problem`)."""
    return _LONG_DIGITS.search(text) is not None


def record_problem(record: Any, text: str) -> str | None:
    """ "number too large" or "nested too deep" for a parsed record, else None. The walk (no recursion) runs only
    when the text could hold either: more than :data:`MAX_DEPTH` brackets, or a long run of digits."""
    if text.count("[") + text.count("{") <= MAX_DEPTH and not _LONG_DIGITS.search(text):
        return None
    stack: list[tuple[Any, int]] = [(record, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return NESTED_TOO_DEEP
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | int))
        elif isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
            return NUMBER_TOO_LARGE
    return None
