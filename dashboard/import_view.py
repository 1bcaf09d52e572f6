"""The Data page's "Import incidents" block: upload an export, pick the source (auto by default), preview the
mapped records and what is skipped, then write them to the incident store — only in write mode."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from dashboard.context import AppContext
from dashboard.formatting import escape_markdown
from dashboard.tables import cut_names
from triage_lens.importers import SOURCE_CHOICES, ImportFailure, ImportPlan, Rules, plan_import
from triage_lens.importers.writing import INCIDENTS_FILE, write_records

PREVIEW_ROWS = 500
PREVIEW_COLUMNS = ["id", "service", "severity", "status", "started_at", "ended_at", "title"]


def import_target(context: AppContext) -> str | None:
    """Where an import from the page goes: the PostgreSQL store, or the data folder of ``incidents.jsonl``;
    None for the bundled sample (never written to)."""
    sources = context.sources
    if sources.incident_store_uri:
        return sources.incident_store_uri
    if sources.origin in ("sample", "opensre") or "incidents" in sources.sample_inputs:
        return None
    incidents = sources.paths.get("incidents")
    if incidents is not None:
        return str(incidents.parent)
    root = sources.root
    if root is None:
        return None
    return str(root if root.is_dir() else root.parent)


def preview_frame(plan: ImportPlan) -> pl.DataFrame:
    """The mapped records as rows for the preview table (columns of :data:`PREVIEW_COLUMNS`)."""
    return pl.DataFrame(
        [{c: r.get(c) for c in PREVIEW_COLUMNS} for r in plan.records[:PREVIEW_ROWS]],
        schema=dict.fromkeys(PREVIEW_COLUMNS, pl.Utf8),
    ).with_columns(pl.col("severity", "ended_at").fill_null("—"))


def plan_upload(name: str, payload: bytes, source: str, rules: Rules) -> ImportPlan | str:
    """The uploaded file mapped (nothing written), or the one-line reason it cannot be: the importer's own
    reading, so a number too large or nesting too deep is a skipped record naming the file, never a traceback."""
    try:
        return plan_import([(name, payload)], source, rules)
    except ImportFailure as exc:
        return str(exc)


def import_section(context: AppContext) -> None:
    """Upload → source → preview (mapped and skipped) → write button (write mode only, labelled as a write)."""
    st.subheader("Import incidents")
    st.caption(
        "From Statuspage (also a status history, one incident a line), PagerDuty (JSON or CSV), incident.io, "
        "Opsgenie / Jira Service Management, Grafana OnCall, Google Cloud status or AWS status exports, as JSON, "
        "JSON Lines or CSV — the mapping is in docs/importers.md and the policy's `import:` section. "
        "Re-importing updates records in place, never duplicates them."
    )
    upload = st.file_uploader("Export file", type=["json", "jsonl", "ndjson", "csv"], key="import_file")
    left, right = st.columns(2)
    source = left.selectbox("Source", SOURCE_CHOICES, index=0, key="import_source")
    service_field = right.text_input(
        "incident.io service field (optional)", key="import_service_field", help="The custom field naming the service."
    )
    if upload is None:
        return
    rules = Rules(context.policy.import_, service_field.strip() or None)
    plan = plan_upload(upload.name, upload.getvalue(), source or "auto", rules)
    if isinstance(plan, str):
        st.error(escape_markdown(plan))
        return
    detected = " (detected)" if plan.files[0].detected else ""
    st.write(
        f"**{escape_markdown(plan.source)}**{detected}: {plan.read:,} records read, {len(plan.records):,} mapped, "
        f"{len(plan.skipped):,} skipped" + (f", {plan.no_severity:,} without a severity" if plan.no_severity else "")
    )
    if len(plan.records) > PREVIEW_ROWS:
        st.caption(f"Previewing the first {PREVIEW_ROWS:,} of {len(plan.records):,} records.")
    st.dataframe(cut_names(preview_frame(plan)), hide_index=True, width="stretch")
    if plan.skipped:
        st.caption("Skipped, with the reason:")
        st.dataframe(
            pl.DataFrame([s.to_dict() for s in plan.skipped], schema={"id": pl.Utf8, "reason": pl.Utf8}),
            hide_index=True,
            width="stretch",
        )
    target = import_target(context)
    if not context.sources.write:
        st.caption("Read-only: writing needs write mode (`triage-lens dashboard --write`, or `write: true`).")
        return
    if target is None:
        st.info("The bundled sample is never written to: point the dashboard at your own data folder to import.")
        return
    shown = target if "://" in target else str(Path(target) / INCIDENTS_FILE)
    st.warning(f"Write mode: this writes to {escape_markdown(shown)}.", icon=":material/edit:")
    if st.button(
        f"Write {len(plan.records):,} incidents to the store",
        type="primary",
        disabled=not plan.records,
        key="import_write",
    ):
        try:
            result = write_records(target, plan.records)
        except ImportFailure as exc:
            st.error(escape_markdown(exc))
        else:
            st.success(f"Written: {result.written:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged.")
