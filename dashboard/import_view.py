"""The Data page's "Import" block: upload an export, pick the source (auto by default), preview the mapped
records and what is skipped, then write them to the incident store — only in write mode. An OpenRCA agent result
CSV is recognised and previewed as the benchmark run it is, and written where the source reads its runs (as
``triage-lens import openrca`` writes them)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard.context import AppContext
from dashboard.formatting import escape_markdown
from dashboard.tables import cut_names
from triage_lens.importers import SOURCE_CHOICES, ImportFailure, ImportPlan, Rules, plan_import
from triage_lens.importers.openrca import OpenRcaRun, all_openrca, convert, plan, started_at_of, write_runs_into
from triage_lens.importers.writing import INCIDENTS_FILE, write_records
from triage_lens.sources.resolve import in_the_bundled_sample

PREVIEW_ROWS = 500
READ_ONLY_NOTE = "Read-only: writing needs write mode (`triage-lens dashboard --write`, or `write: true`)."
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
    root = sources.root
    if incidents is not None:
        folder = incidents.parent
    elif root is not None:
        folder = root if root.is_dir() else root.parent
    else:
        return None
    return None if in_the_bundled_sample(folder) else str(folder)  # a config may point into the sample too


def runs_target(context: AppContext) -> Path | None:
    """Where an uploaded OpenRCA result goes: the folder the source reads its runs from (``<data>/runs``, or the
    config's ``runs_dir`` or ``<data_dir>/runs``), created when missing; None for the bundled sample, or a config
    that names no such folder (a PostgreSQL store holds incidents only)."""
    sources = context.sources
    if sources.origin in ("sample", "opensre") or sources.sample_inputs or sources.runs_home is None:
        return None
    return None if in_the_bundled_sample(sources.runs_home) else sources.runs_home


def plan_runs_upload(inputs: list[tuple[str, bytes]], folder: Path | None, now: datetime) -> list[OpenRcaRun] | str:
    """Uploaded OpenRCA CSVs as their runs (nothing written), or the one-line reason they cannot be (two files of
    one system included). An upload has no file time: each run starts at ``now``, except that a file uploaded
    again keeps the start it was written with (so nothing changes); a different result for the same system is a
    new run, started ``now``."""
    try:
        runs = plan(inputs, now, {})
        for index, ((name, payload), run) in enumerate(zip(inputs, runs, strict=True)):
            before = started_at_of(folder, run.run_id) if folder is not None else None
            if before is None or folder is None:
                continue
            again = convert(name, payload, before)
            stored = folder / f"{run.run_id}.jsonl"
            if stored.is_file() and stored.read_bytes() == again.payload:
                runs[index] = again
        return runs
    except ImportFailure as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read the runs folder ({exc.strerror or exc}); nothing imported"


def run_summary(run: OpenRcaRun) -> str:
    """One line for people, with the Benchmark runs page's rounding."""
    from dashboard.runs_view import pct

    score = "—" if run.mean_score is None else f"{run.mean_score:.3f}"
    return (
        f"**{escape_markdown(run.run_id)}** (from {escape_markdown(run.source)}): {run.cases:,} "
        f"case{'' if run.cases == 1 else 's'}, {run.passed:,} exact match{'' if run.passed == 1 else 'es'} "
        f"({pct(run.exact_match_rate)}), mean partial score {score}; started {run.started_at:%Y-%m-%d %H:%M} UTC"
    )


def upload_clock(inputs: list[tuple[str, bytes]]) -> datetime:
    """The start of an upload's runs: the wall clock when this session first saw these files, so the preview and
    the write (a later rerun) give the same start."""
    digest = hashlib.sha256()
    for name, payload in inputs:
        digest.update(name.encode() + b"\0" + hashlib.sha256(payload).digest())
    key = "import_openrca_start:" + digest.hexdigest()
    if key not in st.session_state:
        st.session_state[key] = datetime.now(UTC).replace(microsecond=0)
    started: datetime = st.session_state[key]
    return started


def runs_upload_section(context: AppContext, inputs: list[tuple[str, bytes]]) -> None:
    """Preview OpenRCA uploads as benchmark runs, then (write mode) write them to :func:`runs_target`."""
    folder = runs_target(context)
    runs = plan_runs_upload(inputs, folder, upload_clock(inputs))
    if isinstance(runs, str):
        st.error(escape_markdown(runs))
        return
    st.write("**openrca** (detected): OpenRCA agent results are benchmark runs, not incidents.")
    st.markdown("\n".join(f"- {run_summary(run)}" for run in runs))
    st.caption(
        "One run per system, named by the file's `agent-<system>.csv`; the start is the upload's time (a file "
        "uploaded again keeps its start). `triage-lens import openrca` does the same from the command line."
    )
    if not context.sources.write:
        st.caption(READ_ONLY_NOTE)
        return
    if folder is None:
        st.info(
            "Runs are files in a data folder's `runs/`: point the dashboard at your own data folder, or set "
            "`data_dir` or `runs_dir` in `triage-lens.yaml` (the bundled sample is never written to; a PostgreSQL "
            "store holds incidents only)."
        )
        return
    where = folder / f"{runs[0].run_id}.jsonl" if len(runs) == 1 else folder
    st.warning(f"Write mode: this writes {escape_markdown(str(where))}.", icon=":material/edit:")
    label = f"Write the run {runs[0].run_id}" if len(runs) == 1 else f"Write the {len(runs)} runs"
    if st.button(label, type="primary", key="import_write_run"):
        try:
            written, unchanged = write_runs_into(folder, runs)
        except ImportFailure as exc:
            st.error(escape_markdown(exc))
        else:
            st.success(
                f"Written: {written} run{'' if written == 1 else 's'}, {unchanged} unchanged. **Benchmark runs** "
                "shows them."
                if written
                else "Unchanged: every run is already there, byte for byte."
            )


def preview_frame(plan: ImportPlan) -> pl.DataFrame:
    """The mapped records as rows for the preview table (columns of :data:`PREVIEW_COLUMNS`)."""
    return pl.DataFrame(
        [{c: r.get(c) for c in PREVIEW_COLUMNS} for r in plan.records[:PREVIEW_ROWS]],
        schema=dict.fromkeys(PREVIEW_COLUMNS, pl.Utf8),
    ).with_columns(pl.col("severity", "ended_at").fill_null("—"))


def plan_upload(inputs: list[tuple[str, bytes]], source: str, rules: Rules) -> ImportPlan | str:
    """The uploaded files mapped (nothing written), or the one-line reason they cannot be: the importer's own
    reading, so a number too large or nesting too deep is a skipped record naming the file, never a traceback."""
    try:
        return plan_import(inputs, source, rules)
    except ImportFailure as exc:
        return str(exc)


def import_section(context: AppContext) -> None:
    """Upload → source → preview (mapped and skipped) → write button (write mode only, labelled as a write)."""
    st.subheader("Import incidents or benchmark results")
    st.caption(
        "From Statuspage (also a status history, one incident a line), PagerDuty (JSON or CSV), incident.io, "
        "Opsgenie / Jira Service Management, Grafana OnCall, Google Cloud status or AWS status exports, as JSON, "
        "JSON Lines or CSV — the mapping is in docs/importers.md and the policy's `import:` section. "
        "Re-importing updates records in place, never duplicates them. An OpenRCA agent result CSV "
        "(`agent-<system>.csv`) is imported as a benchmark run."
    )
    uploads = st.file_uploader(
        "Export files", type=["json", "jsonl", "ndjson", "csv"], accept_multiple_files=True, key="import_file"
    )
    left, right = st.columns(2)
    source = left.selectbox("Source", SOURCE_CHOICES, index=0, key="import_source")
    service_field = right.text_input(
        "incident.io service field (optional)", key="import_service_field", help="The custom field naming the service."
    )
    inputs = [(upload.name, upload.getvalue()) for upload in uploads or []]
    if not inputs:
        return
    if source in (None, "auto"):
        try:
            runs_only = all_openrca(inputs)
        except ImportFailure as exc:  # runs and incidents in one upload
            st.error(escape_markdown(exc))
            return
        if runs_only:
            runs_upload_section(context, inputs)
            return
    rules = Rules(context.policy.import_, service_field.strip() or None)
    plan = plan_upload(inputs, source or "auto", rules)
    if isinstance(plan, str):
        st.error(escape_markdown(plan))
        return
    detected = " (detected)" if all(f.detected for f in plan.files) else ""
    files = f" from {len(plan.files)} files" if len(plan.files) > 1 else ""
    st.write(
        f"**{escape_markdown(plan.source)}**{detected}: {plan.read:,} records read{files}, {len(plan.records):,} "
        f"mapped, {len(plan.skipped):,} skipped"
        + (f", {plan.no_severity:,} without a severity" if plan.no_severity else "")
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
        st.caption(READ_ONLY_NOTE)
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
