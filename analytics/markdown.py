"""Escaping user-supplied text for Markdown (the digest and every page use this one rule)."""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def escape_markdown(text: object) -> str:
    """Backslash-escape every ASCII punctuation character (CommonMark allows it for all of them) and fold
    newlines, so paths, titles and messages render literally: no links, emphasis, HTML, tables, LaTeX (``$``)
    or Streamlit directives (``:red[...]``)."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")
