"""Formatting for display: user-supplied text is escaped before it reaches Markdown."""

from __future__ import annotations

from analytics.markdown import escape_markdown

__all__ = ["escape_markdown"]
