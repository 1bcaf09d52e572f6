"""Formatting for display: every user-supplied text is escaped by its context before it reaches Markdown
(prose, code spans; Slack text for downloads). The rules live in ``analytics.markdown``."""

from __future__ import annotations

from analytics.markdown import code_span, escape_markdown, escape_slack, slack_code

__all__ = ["code_span", "escape_markdown", "escape_slack", "slack_code"]
