"""Formatting for display: user-supplied text is escaped before it reaches Markdown."""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def escape_markdown(text: object) -> str:
    """Backslash-escape every ASCII punctuation character (CommonMark allows it for all of them), so
    paths, titles and messages from the data render literally: no links, emphasis, HTML, LaTeX (``$``) or
    Streamlit directives (``:red[...]``, ``:material/...:``)."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\n", " ")
