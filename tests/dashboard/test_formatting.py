"""Escaping of user-supplied text before Markdown rendering."""

from __future__ import annotations

from analytics.markdown import escape_markdown


def test_markdown_html_latex_and_directives_are_escaped() -> None:
    assert escape_markdown("**bold** [x](javascript:alert(1))") == r"\*\*bold\*\* \[x\]\(javascript:alert\(1\)\)"
    assert escape_markdown("<script>alert(1)</script>") == r"\<script\>alert\(1\)\</script\>"
    assert escape_markdown("$x$ :red[boom] &lt;") == r"\$x\$ :red\[boom\] \&lt;"
    assert escape_markdown("a | b # c ~~d~~ `e` _f_") == r"a \| b \# c \~\~d\~\~ \`e\` \_f\_"
    assert escape_markdown("../data\nnext") == "../data next"
    assert escape_markdown("plain words, with: punctuation.") == "plain words, with: punctuation."
