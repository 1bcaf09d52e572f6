"""Data & policy: which sources are loaded, the quarantine report, and the effective policy (with what-if edits)."""

from __future__ import annotations

import streamlit as st

from analytics.policy import PolicyError
from dashboard.context import POLICY_OVERRIDE_KEY, current_context, page_title, relative_path
from dashboard.data_view import (
    report_counts_line,
    report_files,
    report_of_file,
    report_table,
    shown_report,
    sources_table,
)
from dashboard.exports import csv_bytes, download_button, download_name
from dashboard.formatting import escape_markdown
from dashboard.import_view import import_section
from dashboard.tables import format_time, show_table
from triage_lens.sources.config import policy_from_yaml, policy_to_yaml
from triage_lens.sources.loading import summarise_sources
from triage_lens.sources.redaction import redact

REPORT_ROWS_SHOWN = 5_000

context = current_context()
sources = context.sources
page_title(
    "Data & policy",
    context,
    range_note="this page describes whole sources",
    services_note="this page describes whole sources",
)
st.caption(
    f"Source: {escape_markdown(sources.describe())} · now {format_time(sources.now)} ({sources.now_source}) · "
    f"{'write mode' if sources.write else 'read-only'}"
)

# --- sources ----------------------------------------------------------------------------------------
st.subheader("Sources")
summaries = summarise_sources(context.data)
source_rows = sources_table(summaries)
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
        st.error(f"**{summary.input}** cannot be read: {escape_markdown(redact(summary.error))}")
if sources.incident_store_uri:
    st.caption(f"Incidents and events come from PostgreSQL: {escape_markdown(redact(sources.incident_store_uri))}.")
missing = [s.input for s in summaries if s.status == "missing"]
if missing:
    st.caption(f"Not found in this source: {', '.join(missing)} — the pages that need them say so.")

# --- quarantine report ------------------------------------------------------------------------------
st.subheader("Quarantine report")
items = context.data.items
if not items:
    st.success("Nothing quarantined or flagged: every line was read.")
else:
    show_personal = st.checkbox(
        "Show personal data in excerpts (user_email, user_id)",
        value=False,
        help="Masked as *** by default, on screen and in the CSV.",
    )
    report = report_table(items, show_personal)
    st.write(
        report_counts_line(report)
        + " — quarantined lines are left out, flagged fields are null in the analytics; the files are never changed."
    )
    chosen = st.selectbox("File", ["all files", *report_files(report)])
    shown = report_of_file(report, None if chosen == "all files" else chosen)
    if shown.height > REPORT_ROWS_SHOWN:
        st.caption(f"Showing the first {REPORT_ROWS_SHOWN:,} of {shown.height:,} items; the download has them all.")
    show_table(
        shown_report(shown, REPORT_ROWS_SHOWN),
        help={
            "action": "quarantined: the line is left out; flagged: the row is kept, the field reads as null.",
            "excerpt": "The start of the line as stored.",
        },
    )
    download_button(
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

import_section(context)

# --- policy -----------------------------------------------------------------------------------------
st.subheader("Effective policy")
origin = "a what-if edit (this session only)" if context.policy_overridden else relative_path(sources.policy_path)
st.caption(f"From {escape_markdown(origin)}. Every threshold of the analytics lives here.")
if context.policy_error:
    st.error(escape_markdown(context.policy_error))
policy_yaml = policy_to_yaml(context.policy)
with st.expander(f"The policy as YAML ({policy_yaml.count(chr(10)):,} lines)", expanded=False):
    st.code(policy_yaml, language="yaml")
download_button(
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
