"""Data & policy: which sources are loaded, the quarantine report, and the effective policy (with what-if edits)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from analytics.policy import PolicyError
from dashboard.context import POLICY_OVERRIDE_KEY, current_context, relative_path
from dashboard.exports import csv_bytes, download_name
from dashboard.formatting import escape_markdown
from dashboard.tables import format_time, show_table
from triage_lens.sources.config import policy_from_yaml, policy_to_yaml
from triage_lens.sources.loading import summarise_sources

REPORT_ROWS_SHOWN = 5_000

context = current_context()
sources = context.sources
st.title("Data & policy")
st.caption(
    f"Source: {escape_markdown(sources.describe())} · now {format_time(sources.now)} ({sources.now_source}) · "
    f"{'write mode' if sources.write else 'read-only'}"
)

# --- sources ----------------------------------------------------------------------------------------
st.subheader("Sources")
summaries = summarise_sources(context.data)
source_rows = pl.DataFrame(
    {
        "input": [s.input for s in summaries],
        "status": [s.status for s in summaries],
        "rows": [s.rows for s in summaries],
        "quarantined": [s.quarantined for s in summaries],
        "flagged": [s.flagged for s in summaries],
        "blank_lines": [s.blank_lines for s in summaries],
        "first": [s.first for s in summaries],
        "last": [s.last for s in summaries],
        "file": [relative_path(Path(s.path)) if s.path and "://" not in s.path else (s.path or "—") for s in summaries],
    },
    schema_overrides={"first": pl.Datetime("us", "UTC"), "last": pl.Datetime("us", "UTC")},
)
show_table(
    source_rows,
    labels={"first": "First record", "last": "Last record"},
    help={
        "rows": "Rows kept (quarantined lines are not counted).",
        "quarantined": "Lines left out: not JSON, not an object, or a required field missing.",
        "flagged": "Fields of the wrong type or unparseable timestamps: the row is kept, the field is null.",
    },
)
for summary in summaries:
    if summary.error:
        st.error(f"**{summary.input}** cannot be read: {escape_markdown(summary.error)}")
if sources.incident_store_uri:
    st.warning(
        f"The incident store is PostgreSQL ({sources.incident_store_uri}); this version reads JSONL stores only."
    )
missing = [s.input for s in summaries if s.status == "missing"]
if missing:
    st.caption(f"Not found in this source: {', '.join(missing)} — the pages that need them say so.")

# --- quarantine report ------------------------------------------------------------------------------
st.subheader("Quarantine report")
items = context.data.items
if not items:
    st.success("Nothing quarantined or flagged: every line was read.")
else:
    report = pl.DataFrame(
        [i.to_dict() for i in items],
        schema={"file": pl.Utf8, "line": pl.Int64, "reason": pl.Utf8, "excerpt": pl.Utf8, "action": pl.Utf8},
    ).select("file", "line", "reason", "excerpt", "action")
    counts = report.group_by("action").len().sort("action")
    st.write(
        " · ".join(f"**{n:,}** {a}" for a, n in counts.iter_rows())
        + " — quarantined lines are left out, flagged fields are null in the analytics; the files are never changed."
    )
    files = sorted(report["file"].unique().to_list())
    chosen = st.selectbox("File", ["all files", *files])
    shown = report if chosen == "all files" else report.filter(pl.col("file") == chosen)
    if shown.height > REPORT_ROWS_SHOWN:
        st.caption(f"Showing the first {REPORT_ROWS_SHOWN:,} of {shown.height:,} items; the download has them all.")
    show_table(
        shown.head(REPORT_ROWS_SHOWN).with_columns(
            pl.col("file").map_elements(lambda f: relative_path(Path(f)), return_dtype=pl.Utf8).alias("file")
        ),
        help={
            "action": "quarantined: the line is left out; flagged: the row is kept, the field reads as null.",
            "excerpt": "The start of the line as stored.",
        },
    )
    st.download_button(
        "Download report (CSV)",
        data=lambda: csv_bytes(shown),
        file_name=download_name(
            "quarantine-report",
            sources.now,
            "csv",
            file=None if chosen == "all files" else chosen.rsplit("/", 1)[-1],
        ),
        mime="text/csv",
    )

# --- policy -----------------------------------------------------------------------------------------
st.subheader("Effective policy")
origin = "a what-if edit (this session only)" if context.policy_overridden else relative_path(sources.policy_path)
st.caption(f"From {escape_markdown(origin)}. Every threshold of the analytics lives here.")
if context.policy_error:
    st.error(escape_markdown(context.policy_error))
policy_yaml = policy_to_yaml(context.policy)
with st.expander(f"The policy as YAML ({policy_yaml.count(chr(10)):,} lines)", expanded=False):
    st.code(policy_yaml, language="yaml")
st.download_button(
    "Download policy.yml",
    data=policy_yaml.encode("utf-8"),
    file_name="policy.yml",
    mime="application/x-yaml",
)
with st.expander("What-if edit", expanded=context.policy_overridden, icon=":material/tune:"):
    st.caption("Edit any key and apply: every page recomputes with it for this session. Nothing is written to disk.")
    edited = st.text_area("policy.yml", value=st.session_state.get(POLICY_OVERRIDE_KEY) or policy_yaml, height=400)
    apply_col, reset_col = st.columns(2)
    if apply_col.button("Apply what-if policy", type="primary"):
        try:
            policy_from_yaml(edited, "what-if policy")
        except PolicyError as exc:
            st.error(escape_markdown(exc))
        else:
            st.session_state[POLICY_OVERRIDE_KEY] = edited
            st.rerun()
    if reset_col.button("Reset to the file's policy", disabled=not context.policy_overridden):
        st.session_state.pop(POLICY_OVERRIDE_KEY, None)
        st.rerun()
