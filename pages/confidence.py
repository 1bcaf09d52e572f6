"""Confidence: when the agent says HIGH, should anyone believe it? A verdict first, then the band mix (sliceable
by agent version and model), calibration against human ratings, the sufficiency-gate audit, what-if thresholds,
why confidence is low, single-source highs and one investigation."""

from __future__ import annotations

import streamlit as st

from analytics.confidence import (
    GateOptions,
    calibration,
    confidence_results,
    false_confidence_rate,
    gate_audit,
    verdict_of,
    weekly_bands,
    window_text,
)
from dashboard.charts import band_mix_chart, calibration_chart
from dashboard.confidence_view import (
    SlicedResults,
    export_frame,
    gate_section,
    investigation_detail,
    low_confidence_section,
    pick_slice,
    rated_bands,
    rated_count,
    recent_run_ids,
    results_in_window,
    row_of,
    single_source_table,
    unrated_bands,
    verdict_box,
)
from dashboard.context import current_context, memo, page_title
from dashboard.exports import csv_bytes, download_button, download_name
from dashboard.fixes_view import releases_for
from dashboard.gateway_view import gateway_section
from dashboard.guards import require_inputs
from dashboard.tables import format_percent, show_table
from dashboard.urlstate import url_selectbox

context = current_context()
page_title("Confidence", context, services_note="investigations and ratings carry no service")
require_inputs(context, "investigations", "feedback", any_of=True, purpose="nothing to calibrate the bands against")
claims_known = context.data.inputs["investigations"].available and context.data.inputs["investigations"].rows > 0
options = GateOptions.from_policy(context.policy.confidence)
# The window is the sidebar range (analytics.windows, (now − range, now]): `triage-lens confidence report --since
# 30d` uses the same window and gives the same numbers for the sidebar's 30d.
span = context.filters.window(context.now)
range_key = context.filters.range_key
window = window_text(None if range_key == "all" else range_key, span.start)


def build_results() -> SlicedResults:
    results = confidence_results(
        context.data.frame("investigations") if claims_known else None, context.data.frame("feedback"), options=options
    )
    return results_in_window(results, span, releases_for(context)[0])


all_results, versions, models = memo(context, "confidence-results", range_key, build=build_results)
frame, slice_label = pick_slice(all_results, versions, models)
if frame.height == 0:
    st.info(f"No results {window}{' for ' + slice_label if slice_label else ''}: widen the time range in the sidebar.")
    st.stop()
rated_n = rated_count(frame)
slice_key = (range_key, slice_label)
calibrated = memo(context, "confidence-calibration", *slice_key, build=lambda: calibration(frame, options=options))
verdict_box(verdict_of(calibrated, window=window + (f" ({slice_label})" if slice_label else "")))
st.caption(
    f"Window: {window} (the sidebar's time range; `triage-lens confidence report"
    + ("" if span.start is None else f" --since {range_key}")
    + f"` gives the same numbers for all versions and models). {frame.height:,} results, {rated_n:,} rated by a "
    "human (noise left out). "
    + (
        "Bands are the ones **shown** after the sufficiency gate (investigations with their claims)."
        if claims_known
        else "No investigations: bands come from feedback scores alone; the gate is not evaluated."
    )
)

# --- bands over weeks and calibration --------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("Band mix by week")
    weekly = memo(context, "confidence-weekly", *slice_key, build=lambda: weekly_bands(frame, now=context.now))
    st.altair_chart(band_mix_chart(weekly), width="stretch")
    st.caption(f"high ≥ {options.high:g}, medium ≥ {options.medium:g}; a fired gate shows the result as low.")
with right:
    st.subheader("Calibration")
    st.altair_chart(calibration_chart(calibrated), width="stretch")
    st.caption("Dots: accuracy (accurate / rated); bars: 95% Wilson interval; shaded: the band's nominal range.")
show_table(rated_bands(calibrated))
unrated = unrated_bands(calibrated)
if unrated:
    st.caption(f"No rated results {window} in: {', '.join(unrated)}.")
false_rate = false_confidence_rate(frame)
if false_rate is not None:
    st.metric(
        "False-confidence rate",
        format_percent(false_rate, 1),
        help="Share of rated results shown as high that a human rated inaccurate.",
    )

# --- the gate ------------------------------------------------------------------------------------------------
st.subheader("Sufficiency gate")
audit = memo(context, "confidence-audit", *slice_key, build=lambda: gate_audit(frame)) if claims_known else None
if audit is None:
    st.info("The gate needs validated claims, which only investigations carry.")
else:
    gate_section(frame, audit, options)

# --- why confidence is low -------------------------------------------------------------------------------------
st.subheader("Why confidence is low")
if claims_known:
    low_confidence_section(frame, weak_score=context.policy.confidence.weak_source_score)
else:
    st.info("Which evidence was missing needs investigations (their validated claims name the evidence).")

# --- single-source highs and drill-down ----------------------------------------------------------------------
st.subheader("High confidence resting on one evidence source")
single = single_source_table(frame)
st.caption(f"{single.height:,} results shown as high whose validated claims all cite one source.")
show_table(single.head(500))

st.subheader("One investigation")
run_ids = recent_run_ids(frame)
chosen = (
    url_selectbox(st, "Run", run_ids, "run", run_ids[0], help="The newest 2,000 results of the window, newest first.")
    if run_ids
    else None
)
if chosen:
    investigation_detail(row_of(frame, chosen), claims_known=claims_known)

export = export_frame(frame)
download_button(
    f"Download {export.height:,} results (CSV)",
    data=lambda: csv_bytes(export),
    file_name=download_name("confidence", context.now, "csv", range=range_key),
    mime="text/csv",
)
gateway_section(context)  # OpenSRE gateway thumbs: the helpful rate per week and platform
