"""Escaping of user-supplied text before Markdown rendering."""

from __future__ import annotations

from dashboard.formatting import escape_markdown


def test_markdown_html_latex_and_directives_are_escaped() -> None:
    assert escape_markdown("**bold** [x](javascript:alert(1))") == r"\*\*bold\*\* \[x\]\(javascript\:alert\(1\)\)"
    assert escape_markdown("<script>alert(1)</script>") == r"\<script\>alert\(1\)\<\/script\>"
    assert escape_markdown("$x$ :red[boom]") == r"\$x\$ \:red\[boom\]"
    assert escape_markdown("../data\nnext") == r"\.\.\/data next"
    assert escape_markdown("plain words") == "plain words"
