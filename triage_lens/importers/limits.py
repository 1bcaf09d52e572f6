"""Reading JSON and JSON Lines within the caps (DEFINITIONS.md §5, the same words as the store reader): an integer
beyond 64 bits (outside the signed 64-bit range) is "number too large", nesting deeper than 256 levels is
"nested too deep". Either is a problem of
the one record that holds it (a :class:`Rejected` in its place), never of the file and never a traceback:
Python's own limits (4300 digits, the recursion limit) would otherwise fail the whole parse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_INT_BITS = 64
INT_MIN, INT_MAX = -(2 ** (MAX_INT_BITS - 1)), 2 ** (MAX_INT_BITS - 1) - 1
MAX_DEPTH = 256
TOO_LARGE = f"number too large (an integer beyond {MAX_INT_BITS} bits)"
TOO_DEEP = f"nested too deep (more than {MAX_DEPTH} levels)"
# A JSON string (escapes included) or one bracket: what skipping a value that cannot be parsed has to see.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class Rejected:
    """A record the reader could not keep, in its place among the records, with the reason."""

    reason: str


class _TooLarge:
    """Stands for an integer whose text is too long to convert (the value is never built)."""


def _int(text: str) -> int | _TooLarge:
    # 2**64 has 20 digits: anything longer is beyond the cap without converting it.
    return _TooLarge() if len(text.lstrip("-")) > 20 else int(text)


_PLAIN = json.JSONDecoder()
_CAPPED = json.JSONDecoder(parse_int=_int)


def screen(value: Any) -> Any:
    """``value`` when it is within the caps, else a :class:`Rejected` saying which cap it passes."""
    if isinstance(value, Rejected):
        return value
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return Rejected(TOO_DEEP)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | int | _TooLarge))
        elif isinstance(item, _TooLarge) or (
            isinstance(item, int) and not isinstance(item, bool) and not INT_MIN <= item <= INT_MAX
        ):
            return Rejected(TOO_LARGE)
    return value


def _skip_value(data: str, start: int) -> int:
    """The index just after the object or list that starts at ``start`` (strings skipped whole)."""
    depth = 0
    for match in _TOKENS.finditer(data, start):
        piece = match.group()
        if piece in ("[", "{"):
            depth += 1
        elif piece in ("]", "}"):
            depth -= 1
            if depth == 0:
                return match.end()
    raise json.JSONDecodeError("Unterminated value", data, start)


def _value(data: str, pos: int, decoder: json.JSONDecoder) -> tuple[Any, int]:
    """One value at ``pos``; one nested past the recursion limit is a :class:`Rejected`, skipped whole."""
    try:
        return decoder.raw_decode(data, pos)
    except RecursionError:
        return Rejected(TOO_DEEP), _skip_value(data, pos)


def _ws(data: str, pos: int) -> int:
    match = _WHITESPACE.match(data, pos)
    return match.end() if match else pos


def _expect(data: str, pos: int, chars: str, what: str) -> int:
    if pos >= len(data) or data[pos] not in chars:
        raise json.JSONDecodeError(f"Expecting {what}", data, pos)
    return pos


def _container(data: str, pos: int, decoder: json.JSONDecoder, *, inner: bool) -> tuple[Any, int]:
    """The list or object at ``pos``, its items decoded one by one (``inner``: lists one level down too, so
    the records of an envelope are one by one)."""
    opening = data[pos]
    closing = "]" if opening == "[" else "}"
    items: list[Any] = []
    pairs: dict[str, Any] = {}
    pos = _ws(data, pos + 1)
    if pos < len(data) and data[pos] == closing:
        return (items if opening == "[" else pairs), pos + 1
    while True:
        if opening == "{":
            _expect(data, pos, '"', "property name enclosed in double quotes")
            key, pos = decoder.raw_decode(data, pos)
            pos = _ws(data, _expect(data, _ws(data, pos), ":", "':' delimiter") + 1)
        if inner and pos < len(data) and data[pos] in "[{":
            value, pos = _container(data, pos, decoder, inner=False)
        else:
            value, pos = _value(data, pos, decoder)
        if opening == "{":
            pairs[key] = value
        else:
            items.append(value)
        pos = _ws(data, pos)
        _expect(data, pos, "," + closing, f"',' delimiter or '{closing}'")
        if data[pos] == closing:
            return (items if opening == "[" else pairs), pos + 1
        pos = _ws(data, pos + 1)


def decode_json(data: str) -> Any:
    """One JSON document. Fast path: :mod:`json` as is. An integer too long to convert or nesting past the
    recursion limit would fail the whole parse: then the integers are read capped and the records one by one,
    so only the record holding it is rejected (by :func:`screen`, or here when it cannot be parsed at all).
    Raises :class:`json.JSONDecodeError` for text that is not JSON."""
    try:
        return _PLAIN.decode(data)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError):
        pass
    start = _ws(data, 0)
    if start < len(data) and data[start] in "[{":
        top, end = _container(data, start, _CAPPED, inner=data[start] == "{")
        if _ws(data, end) != len(data):
            raise json.JSONDecodeError("Extra data", data, _ws(data, end))
        return top
    return _value(data, start, _CAPPED)[0]


def ends_early(data: str, exc: json.JSONDecodeError) -> bool:
    """The text ran out: the error is at its end, a string never closes (it can only end at the end), or the
    text stops inside ``true``/``false``/``null``."""
    rest = data[exc.pos :].strip()
    return (
        exc.pos >= len(data.rstrip())
        or exc.msg.startswith("Unterminated string")
        or any(word.startswith(rest) for word in ("true", "false", "null"))
    )


def _line(text: str, decode: Callable[[str], Any]) -> Any:
    try:
        return screen(decode(text))
    except json.JSONDecodeError as exc:
        why = "the line ends early (truncated?)" if ends_early(text, exc) else exc.msg
        return Rejected(f"not valid JSON at column {exc.colno}: {why}")
    except RecursionError:
        return Rejected(TOO_DEEP)
    except ValueError:  # an integer past Python's digit limit
        return screen(_CAPPED.decode(text))


def decode_lines(data: str, *, force: bool = False) -> list[tuple[int, Any]] | None:
    """JSON Lines: ``(line number, record or Rejected)`` for every non-blank line; None when ``data`` is not
    JSON Lines (its first non-blank line is not a whole JSON object, or it is the only line), unless ``force``."""
    lines = data.split("\n")
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not force:
        if len(numbered) < 2 or not numbered[0][1].lstrip().startswith("{"):
            return None
        first = _line(numbered[0][1], _PLAIN.decode)
        if not isinstance(first, dict | Rejected) or (
            isinstance(first, Rejected) and first.reason.startswith("not valid JSON")
        ):
            return None
    return [(number, _line(line, _PLAIN.decode)) for number, line in numbered]
