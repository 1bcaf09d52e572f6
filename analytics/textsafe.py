"""Text from the data made safe for a terminal and for written reports (Markdown, Slack, ``.txt``).

One function, :func:`safe_text`, used by every CLI text output (``triage_lens.cli.common`` wraps stdout/stderr
with it) and every written report (the digest's Markdown and Slack text go through ``analytics.markdown``, which
applies it first; the ``.md`` bytes are passed through it once more when written). What it changes
(DEFINITIONS.md §5):

* C0 controls other than newline and tab (carriage return included), DEL and the C1 controls become a visible
  ``\\x1b``-style escape: ``ESC c`` would reset the reader's terminal, BEL rings, backspace hides text and a C1
  CSI (U+009B) starts an escape sequence on some terminals.
* The bidi controls U+202A–U+202E and U+2066–U+2069 become ``U+202E``-style text: they reorder what the reader
  sees (a "Trojan Source" title that reads differently from what it holds).

Everything else, including a literal backslash, is unchanged, and the function is idempotent (its output holds no
character it changes). JSON outputs are not passed through it: they keep standard JSON.
"""

from __future__ import annotations

_C0 = [c for c in range(0x20) if c not in (0x09, 0x0A)]
_DEL_C1 = [0x7F, *range(0x80, 0xA0)]
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]

# str.translate with a dict: one pass in C, no regex
_TABLE: dict[int, str] = {c: f"\\x{c:02x}" for c in (*_C0, *_DEL_C1)} | {c: f"U+{c:04X}" for c in _BIDI}
UNSAFE_CODEPOINTS: frozenset[int] = frozenset(_TABLE)


def safe_text(text: str) -> str:
    """``text`` with every terminal control and bidi control shown as visible text.

    >>> safe_text("a\\x1bc\\u202eb\\tc\\n")
    'a\\\\x1bcU+202Eb\\tc\\n'
    """
    return text.translate(_TABLE)


def json_safe(text: str) -> str:
    """JSON text (``json.dumps`` output) with DEL, the C1 and the bidi controls written as ``\\uXXXX`` escapes:
    still standard JSON that decodes to the same values, but nothing raw reaches a terminal. (``json.dumps``
    already escapes C0; these characters can only stand inside JSON strings, so the escape is always valid.)"""
    return text.translate(_JSON_TABLE)


_JSON_TABLE: dict[int, str] = {c: f"\\u{c:04x}" for c in (*_DEL_C1, *_BIDI)}

NAME_WIDTH = 120  # names printed in tables (CLI and dashboard) are cut here, DEFINITIONS.md §5
ELLIPSIS = "…"


def cut_name(text: str, width: int = NAME_WIDTH) -> str:
    """``text`` cut to ``width`` characters, the last one an ellipsis when anything was cut (a 50 MB JUnit test
    name prints as 120 characters, not 200 MB of padded table)."""
    return text if len(text) <= width else text[: width - 1] + ELLIPSIS


__all__ = ["ELLIPSIS", "NAME_WIDTH", "UNSAFE_CODEPOINTS", "cut_name", "json_safe", "safe_text"]
