"""Escaping user-supplied text by context: Markdown prose, Markdown code spans and Slack mrkdwn.

One module for every renderer (the digest, every page heading, caption, message and widget label): text from the
data never becomes a link, an image, HTML, emphasis, a table cell break, a heading, LaTeX or a Streamlit
directive. Escaping is minimal where CommonMark allows it, so the ``.md`` file stays readable:

* prose: backslash before ``\\ ` * [ ] < > | ~ $``, before ``_`` unless it sits inside a word (``error_rate``
  stays as is: an intraword underscore never opens emphasis), before ``&`` that would form an entity, and before a
  leading ``#``, ``+``, ``-`` or ``1.`` (headings and list items). Newlines fold to spaces.
* auto-links: GitHub-flavoured Markdown (and Slack) link bare ``http://``, ``www.`` and ``name@host`` even after
  backslash escapes (the link finder runs on the unescaped text), so a WORD JOINER (U+2060, invisible) goes into
  ``://``, after ``www`` and after ``@``: the text reads the same and nothing is linked or fetched.
* code spans: a backtick fence one longer than the longest backtick run inside (CommonMark), no backslashes.
* Slack mrkdwn: only ``&``, ``<`` and ``>`` are escaped (as entities), plus the same auto-link breaks.
* every context first shows terminal controls (ESC, BEL, backspace, C1) and bidi overrides as visible escapes
  (``\\x1b``, ``U+202E``): :func:`analytics.textsafe.safe_text`.
"""

from __future__ import annotations

import re

from analytics.textsafe import safe_text

WORD_JOINER = "\u2060"

_ALWAYS = re.compile(r"([\\`*\[\]<>|~$])")
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # an underscore not between two letters or digits
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LEADING_MARK = re.compile(r"^(\s*)([#+\-])")
_LEADING_NUMBER = re.compile(r"^(\s*\d+)([.)])")
_SCHEME = re.compile(r"://")
_WWW = re.compile(r"(?i)(?<![^\W_])(www)(?=\.)")
_AT = re.compile(r"@")
_FENCE = re.compile(r"`+")


def _fold(text: object) -> str:
    """One line, with terminal and bidi controls shown as visible escapes (:func:`analytics.textsafe.safe_text`)."""
    return safe_text(str(text).replace("\r\n", " ").replace("\r", " ").replace("\n", " "))


def break_autolinks(text: str) -> str:
    """Put an invisible WORD JOINER into ``://``, after ``www`` and after ``@`` so no renderer auto-links the
    text (GFM's link finder, Slack's, a mail client's)."""
    text = _SCHEME.sub(f"{WORD_JOINER}://", text)
    text = _WWW.sub(rf"\1{WORD_JOINER}", text)
    return _AT.sub(f"@{WORD_JOINER}", text)


def escape_markdown(text: object) -> str:
    """Prose for Markdown (``st.markdown``, headings, captions, labels, the digest ``.md``): renders literally,
    with no link, image, HTML, emphasis, table break, heading, list, LaTeX or auto-link; newlines folded."""
    out = _ALWAYS.sub(r"\\\1", _fold(text))
    out = _UNDERSCORE.sub(r"\\_", out)
    out = _ENTITY.sub(r"\\&", out)
    out = _LEADING_MARK.sub(r"\1\\\2", out)
    out = _LEADING_NUMBER.sub(r"\1\\\2", out)
    return break_autolinks(out)


def code_span(text: object) -> str:
    """``text`` as one CommonMark code span: ids, keys and service names shown verbatim (no backslashes inside);
    the fence is longer than any backtick run in the text, padded with a space when the text starts or ends
    with a backtick. An empty text gives an em dash."""
    body = _fold(text)
    if not body.strip():
        return "—"
    fence = "`" * (max((len(run) for run in _FENCE.findall(body)), default=0) + 1)
    pad = " " if body[0] == "`" or body[-1] == "`" or (body[0] == " " and body[-1] == " ") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def escape_slack(text: object) -> str:
    """Prose for Slack mrkdwn: ``&``, ``<`` and ``>`` as entities (Slack's only escapes), auto-links broken,
    newlines folded."""
    out = _fold(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return break_autolinks(out)


def slack_code(text: object) -> str:
    """``text`` as Slack inline code. Slack has no way to put a backtick inside inline code, so a text holding
    one is shown as escaped prose instead (verbatim, only not in a code font)."""
    body = _fold(text)
    if not body.strip():
        return "—"
    if "`" in body:
        return escape_slack(body)
    return f"`{body.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}`"
