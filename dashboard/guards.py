"""The one guard for a missing input: a page that cannot work without an input says which file it needs, where it
comes from and why it could not be read, then stops (the sidebar and navigation stay)."""

from __future__ import annotations

import streamlit as st

from dashboard.context import AppContext
from dashboard.formatting import escape_markdown
from triage_lens.sources.redaction import redact

# What each input is and where it comes from, said the same way on every page (after "No ": no article).
INPUT_HINTS: dict[str, str] = {
    "misses": "`misses.jsonl` (OpenSRE writes it to `~/.opensre/misses.jsonl` when an investigation is rated "
    "partial or inaccurate)",
    "feedback": "`feedback.jsonl` (human ratings of RCA results; OpenSRE keeps it in `~/.opensre/`)",
    "investigations": "`investigations.jsonl` (RCA results with their validated claims)",
    "incidents": "incident store: `incidents.jsonl` (+ `events.jsonl`) in the data folder, or "
    "`incidents: postgresql://…` in `triage-lens.yaml`",
    "events": "`events.jsonl` (incident notes and follow-ups)",
    "error_ledger": "error ledger: `error_ledger.jsonl`, `.csv`, `.parquet`, or a SQLite/D1 file with a table "
    "`error_ledger`",
}


def missing_inputs(context: AppContext, *names: str) -> list[str]:
    """The inputs among ``names`` that are absent, unreadable or empty of rows for lack of a file."""
    missing = []
    for name in names:
        loaded = context.data.inputs[name]
        if not loaded.available or loaded.error:
            missing.append(name)
    return missing


def require_inputs(context: AppContext, *names: str, any_of: bool = False, purpose: str = "") -> None:
    """Stop the page with one message when its inputs are missing: all of ``names`` are needed, or at least one
    of them with ``any_of``. ``purpose`` says what the page would show with them."""
    missing = missing_inputs(context, *names)
    if not missing or (any_of and len(missing) < len(names)):
        return
    needed = (" or " if any_of else " and ").join(INPUT_HINTS.get(n, f"`{n}`") for n in missing)
    lines = [f"No {needed} in this data source" + (f": {purpose}." if purpose else ".")]
    for name in missing:
        error = context.data.inputs[name].error
        if error:
            lines.append(f"**{name}**: {escape_markdown(redact(error))}")
    lines.append("See **Data & policy** for what was found, and the README for pointing Triage Lens at your data.")
    st.info("\n\n".join(lines), icon=":material/info:")
    st.stop()
