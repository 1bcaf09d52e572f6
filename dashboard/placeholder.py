"""What a page shows before its analytics land: its purpose and the inputs it will read (no numbers invented)."""

from __future__ import annotations

import streamlit as st

from dashboard.context import AppContext, relative_path
from dashboard.registry import PAGES_BY_SCRIPT


def render_planned_page(script: str, context: AppContext) -> None:
    """Title, what the page will show, and whether its inputs are loaded (real row counts only)."""
    spec = PAGES_BY_SCRIPT[script]
    st.title(spec.title)
    st.info(f"**Coming soon.** This page will show: {spec.purpose}", icon=":material/construction:")
    st.subheader("Inputs this page reads")
    rows = []
    for name in spec.needs:
        loaded = context.data.inputs[name]
        status = "not found" if loaded.path is None else ("unreadable" if loaded.error else "loaded")
        rows.append({"input": name, "status": status, "rows": loaded.rows, "file": relative_path(loaded.path)})
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption("Row counts are read from the current data source; see Data & policy for details.")
