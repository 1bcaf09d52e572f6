"""Escaping of user-supplied text by context (analytics.markdown): hand-written cases and a round-trip property
through a CommonMark + GFM-tables renderer (markdown-it-py)."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from analytics.markdown import WORD_JOINER as WJ
from analytics.markdown import code_span, escape_markdown, escape_slack, slack_code

RENDERER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def test_markdown_html_latex_and_directives_are_escaped() -> None:
    assert escape_markdown("**bold** [x](javascript:alert(1))") == r"\*\*bold\*\* \[x\](javascript:alert(1))"
    assert escape_markdown("<script>alert(1)</script>") == r"\<script\>alert(1)\</script\>"
    assert escape_markdown("$x$ :red[boom] &lt; R&D") == r"\$x\$ :red\[boom\] \&lt; R&D"
    assert escape_markdown("a | b # c ~~d~~ `e` _f_") == r"a \| b # c \~\~d\~\~ \`e\` \_f\_"
    assert escape_markdown("../data\nnext") == "../data next"
    assert escape_markdown("plain words, with: punctuation.") == "plain words, with: punctuation."


def test_prose_stays_readable_where_commonmark_allows() -> None:
    # An intraword underscore never opens emphasis: service and kind names keep their look in the .md file.
    assert escape_markdown("kind=error_rate on checkout_api") == "kind=error_rate on checkout_api"
    assert escape_markdown("add regression test + SLO guard (7d=5)") == "add regression test + SLO guard (7d=5)"
    # Only at the start does a mark make a heading or a list item.
    assert escape_markdown("# not a heading") == r"\# not a heading"
    assert escape_markdown("- not a bullet") == r"\- not a bullet"
    assert escape_markdown("+ not a bullet") == r"\+ not a bullet"
    assert escape_markdown("1. not a list") == r"1\. not a list"


def test_images_links_html_and_bare_urls_are_neutralised() -> None:
    assert escape_markdown("![b](http://127.0.0.2:9/x.png)") == rf"!\[b\](http{WJ}://127.0.0.2:9/x.png)"
    assert escape_markdown("<img src=http://127.0.0.2:9/y>") == rf"\<img src=http{WJ}://127.0.0.2:9/y\>"
    assert escape_markdown("see http://127.0.0.2:9/z") == f"see http{WJ}://127.0.0.2:9/z"
    assert escape_markdown("[link](http://127.0.0.2:9/w)") == rf"\[link\](http{WJ}://127.0.0.2:9/w)"
    assert escape_markdown("www.evil.com, WWW.Evil.com") == f"www{WJ}.evil.com, WWW{WJ}.Evil.com"
    assert escape_markdown("ops@evil.com") == f"ops@{WJ}evil.com"
    assert escape_markdown("<http://127.0.0.2:9/a>") == rf"\<http{WJ}://127.0.0.2:9/a\>"


def test_code_spans_use_a_longer_fence_instead_of_backslashes() -> None:
    assert code_span("gateway|error_rate") == "`gateway|error_rate`"
    assert code_span("svc`x") == "``svc`x``"
    assert code_span("a``b`c") == "```a``b`c```"
    assert code_span("`edge`") == "`` `edge` ``"
    assert code_span("two\nlines") == "`two lines`"
    assert code_span("") == "—"


def test_slack_escapes_only_entities_and_breaks_links() -> None:
    assert escape_slack("P&L <b>spike</b> *x*") == "P&amp;L &lt;b&gt;spike&lt;/b&gt; *x*"
    assert escape_slack("<http://127.0.0.2:9/z|click>") == f"&lt;http{WJ}://127.0.0.2:9/z|click&gt;"
    assert slack_code("gateway|error_rate") == "`gateway|error_rate`"
    assert slack_code("a<b") == "`a&lt;b`"
    assert slack_code("svc`x") == "svc`x"  # Slack cannot put a backtick in inline code: plain text instead


def _visible_text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))
def test_escaped_prose_renders_back_to_the_same_text_and_nothing_else(text: str) -> None:
    rendered = RENDERER.render(f"x {escape_markdown(text)}")
    for tag in ("<a ", "<img", "<em>", "<strong>", "<code>", "<s>", "<h", "<table", "<li", "<script"):
        assert tag not in rendered, (text, rendered)
    expected = ("x " + text).replace(WJ, "")
    assert " ".join(_visible_text(rendered).replace(WJ, "").split()) == " ".join(expected.split())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_code_span_renders_verbatim(text: str) -> None:
    if not text.strip():
        return
    rendered = RENDERER.render(f"x {code_span(text)}")
    inner = re.search(r"<code>(.*)</code>", rendered, re.S)
    assert inner is not None, rendered
    assert html.unescape(inner.group(1)) == text
