"""Confidence: when the agent says HIGH, should anyone believe it? A verdict first, then the band mix, calibration
against human ratings, the sufficiency-gate audit, what-if thresholds, single-source highs and one investigation."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.confidence import (
    RESULT_EXPORT_COLUMNS,
    GateOptions,
    calibration,
    calibration_verdict,
    confidence_results,
    false_confidence_rate,
    gate_audit,
    weekly_bands,
    what_if_change,
    window_text,
)
from dashboard.charts import band_mix_chart, calibration_chart
from dashboard.context import current_context, memo, page_title
from dashboard.exports import csv_bytes, download_name
from dashboard.formatting import escape_markdown
from dashboard.gateway_view import gateway_section
from dashboard.guards import require_inputs
from dashboard.tables import format_percent, format_time, show_table
from dashboard.urlstate import url_number, url_selectbox

context = current_context()
page_title("Confidence", context, services_note="investigations and ratings carry no service")
require_inputs(context, "investigations", "feedback", any_of=True, purpose="nothing to calibrate the bands against")
claims_known = context.data.inputs["investigations"].available and context.data.inputs["investigations"].rows > 0
options = GateOptions.from_policy(context.policy.confidence)
# The window is the sidebar range (analytics.windows, (now − range, now]): `triage-lens confidence report --since
# 30d` uses the same window and gives the same numbers for the sidebar's 30d.
span = context.filters.window(context.now)
cutoff = span.start
range_key = context.filters.range_key
window = window_text(None if range_key == "all" else range_key, cutoff)


def build_results() -> pl.DataFrame:
    results = confidence_results(
        context.data.frame("investigations") if claims_known else None, context.data.frame("feedback"), options=options
    )
    return results.filter(span.contains("timestamp")).collect()


frame = memo(context, "confidence-results", range_key, build=build_results)
rated = frame.filter(pl.col("rated"))
if frame.height == 0:
    st.info(f"No results {window}: widen the time range in the sidebar.")
    st.stop()
calibrated = memo(context, "confidence-calibration", range_key, build=lambda: calibration(frame, options=options))
verdict = calibration_verdict(calibrated, window=window)
if "**not calibrated**" in verdict:
    st.error(verdict, icon=":material/warning:")
elif "**calibrated**" in verdict:
    st.success(verdict, icon=":material/check_circle:")
else:
    st.info(verdict)
st.caption(
    f"Window: {window} (the sidebar's time range; `triage-lens confidence report"
    + ("" if cutoff is None else f" --since {range_key}")
    + f"` gives the same numbers). {frame.height:,} results, {rated.height:,} rated by a human (noise left out). "
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
    weekly = memo(context, "confidence-weekly", range_key, build=lambda: weekly_bands(frame, now=context.now))
    st.altair_chart(band_mix_chart(weekly), width="stretch")
    st.caption(f"high ≥ {options.high:g}, medium ≥ {options.medium:g}; a fired gate shows the result as low.")
with right:
    st.subheader("Calibration")
    st.altair_chart(calibration_chart(calibrated), width="stretch")
    st.caption("Dots: accuracy (accurate / rated); bars: 95% Wilson interval; shaded: the band's nominal range.")
unrated = [b for b, n in calibrated.select("band", "n").iter_rows() if n == 0]
show_table(calibrated.filter(pl.col("n") > 0))
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
audit = memo(context, "confidence-audit", range_key, build=lambda: gate_audit(frame)) if claims_known else None
if audit is None:
    st.info("The gate needs validated claims, which only investigations carry.")
else:
    show_table(
        pl.DataFrame(
            {
                "gate": ["passed", "fired"],
                "accurate": [audit["passed_accurate"], audit["fired_accurate"]],
                "not_accurate": [audit["passed_not_accurate"], audit["fired_not_accurate"]],
            }
        ),
        width="content",
    )
    st.caption(
        f"Passed but not accurate = **{audit['passed_not_accurate']}** leaked misses; fired but accurate = "
        f"**{audit['fired_accurate']}** over-abstentions."
    )
    st.markdown("**What if the thresholds were different?**")
    c1, c2, c3, c4 = st.columns(4)
    high = url_number(c1, "high ≥", "high", options.high, min_value=0.0, max_value=1.0, step=0.05, slider=True)
    medium = url_number(
        c2, "medium ≥", "medium", min(options.medium, high), min_value=0.0, max_value=1.0, step=0.05, slider=True
    )
    high_min = url_number(
        c3, "claims for high", "high_claims", options.high_min_validated, min_value=0, max_value=10, step=1
    )
    medium_min = url_number(
        c4, "claims for medium", "medium_claims", options.medium_min_validated, min_value=0, max_value=10, step=1
    )
    changed = what_if_change(
        frame,
        options=options,
        high=high,
        medium=medium,
        high_min_validated=int(high_min),
        medium_min_validated=int(medium_min),
    )
    m1, m2 = st.columns(2)
    m1.metric(
        "Coverage (rated results passing)",
        format_percent(changed["coverage"], 1),
        delta=None if changed["coverage_change"] is None else f"{changed['coverage_change']:+.1f} pts",
        help=f"Of {changed['rated']:,} rated results with claims, {changed['passing']:,} pass the gate.",
    )
    m2.metric(
        "Accuracy of passing results",
        format_percent(changed["accuracy"], 1),
        delta=None if changed["accuracy_change"] is None else f"{changed['accuracy_change']:+.1f} pts",
    )

# --- single-source highs and drill-down ----------------------------------------------------------------------
st.subheader("High confidence resting on one evidence source")
single = memo(
    context,
    "confidence-single-source",
    range_key,
    build=lambda: (
        frame.filter(pl.col("single_source"))
        .sort("timestamp", descending=True, nulls_last=True)
        .select("run_id", "timestamp", "alert_name", "score", "sources", "rating", "root_cause")
    ),
)
st.caption(f"{single.height:,} results shown as high whose validated claims all cite one source.")
show_table(single.head(500))

st.subheader("One investigation")
run_ids = memo(
    context,
    "confidence-recent-runs",
    range_key,
    build=lambda: frame.top_k(2000, by="timestamp")["run_id"].to_list(),
)
chosen = (
    url_selectbox(st, "Run", run_ids, "run", run_ids[0], help="The newest 2,000 results of the window, newest first.")
    if run_ids
    else None
)
if chosen:
    row = frame.filter(pl.col("run_id") == chosen).row(0, named=True)
    with st.container(border=True):
        st.markdown(
            f"**{escape_markdown(row['alert_name'] or 'unknown alert')}** · "
            + ("unscored" if row["score"] is None else f"score {row['score']:.2f}")
            + " · "
            f"{format_time(row['timestamp'])} · "
            f"band **{escape_markdown(row['band'])}** · gate {escape_markdown(row['gate'] or 'not evaluated')} · "
            f"rating {escape_markdown(row['rating'] or 'unrated')}"
        )
        st.markdown("**Root cause as shown**")
        st.text(row["root_cause"] or "—")
        if claims_known:
            st.markdown("**Validated claims**")
            show_table(
                pl.DataFrame(
                    row["validated_claims"] or [], schema={"claim": pl.Utf8, "evidence_keys": pl.List(pl.Utf8)}
                )
            )
            st.markdown("**Ranked hypotheses**")
            st.text("\n".join(f"{i + 1}. {h}" for i, h in enumerate(row["ranked_hypotheses"] or [])) or "—")
            st.markdown("**Missing evidence**")
            st.text(", ".join(row["missing_evidence"] or []) or "—")

export = frame.select(RESULT_EXPORT_COLUMNS)
st.download_button(
    f"Download {export.height:,} results (CSV)",
    data=lambda: csv_bytes(export),
    file_name=download_name("confidence", context.now, "csv", range=range_key),
    mime="text/csv",
)
gateway_section(context)  # OpenSRE gateway thumbs: the helpful rate per week and platform
