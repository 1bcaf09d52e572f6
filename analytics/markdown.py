"""Escaping user-supplied text for Markdown (the digest and every page use this one rule)."""

from __future__ import annotations

import re

# Characters that start Markdown/HTML constructs: emphasis, code, links and images, HTML tags and entities,
# tables, headings, strikethrough, LaTeX and Streamlit's :color[...] directives. Plain punctuation (.,:;/-)
# stays readable in the .md file.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~$&])")


def escape_markdown(text: object) -> str:
    """Backslash-escape the Markdown-significant characters and fold newlines, so paths, titles and messages
    render literally: no links, emphasis, HTML, tables, LaTeX or directives."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")
