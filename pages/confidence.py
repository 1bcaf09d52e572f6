"""Confidence: when the agent says HIGH, should anyone believe it? Band mix, calibration against human
ratings, the sufficiency-gate audit, what-if thresholds, single-source highs and one investigation."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.confidence import (
    RESULT_EXPORT_COLUMNS,
    GateOptions,
    calibration,
    confidence_results,
    gate_audit,
    what_if,
)
from dashboard.charts import band_mix_chart, calibration_chart
from dashboard.context import current_context, memo, page_title
from dashboard.exports import csv_bytes, download_name
from dashboard.formatting import escape_markdown
from dashboard.urlstate import url_number, url_selectbox

context = current_context()
page_title("Confidence", context, services_note="investigations and ratings carry no service")
investigations = context.data.inputs["investigations"]
feedback = context.data.inputs["feedback"]
claims_known = investigations.available and investigations.rows > 0
if not claims_known and not feedback.available:
    st.info("Needs `investigations.jsonl` (RCA results with claims) and/or `feedback.jsonl` (human ratings).")
    st.stop()

options = GateOptions.from_policy(context.policy.confidence)
window = context.filters.window(context.now)


def build_results() -> pl.DataFrame:
    results = confidence_results(
        context.data.frame("investigations") if claims_known else None, context.data.frame("feedback"), options=options
    )
    return results.filter(window.contains("timestamp")).collect()


frame = memo(context, "confidence-results", context.filters.range_key, build=build_results)
rated = frame.filter(pl.col("rated"))
st.caption(
    f"{frame.height:,} results ({context.filters.range_key}), {rated.height:,} rated by a human (noise left out). "
    + (
        "Bands are the ones **shown** after the sufficiency gate (investigations with their claims)."
        if claims_known
        else "No investigations: bands come from feedback scores alone; the gate is not evaluated."
    )
)
if frame.height == 0:
    st.info("No results in this time range.")
    st.stop()

# --- bands over weeks and calibration --------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("Band mix by week")
    weekly = memo(
        context,
        "confidence-weekly",
        context.filters.range_key,
        build=lambda: (
            frame.filter(pl.col("timestamp").is_not_null())
            .with_columns(pl.col("timestamp").dt.truncate("1w").alias("week"))
            .group_by("week", "band")
            .len("count")
            .sort("week")
            .with_columns(pl.col("week").dt.strftime("%G-W%V").alias("label"))
        ),
    )
    st.altair_chart(band_mix_chart(weekly), width="stretch")
    st.caption(f"high ≥ {options.high:g}, medium ≥ {options.medium:g}; a fired gate shows the result as low.")
with right:
    st.subheader("Calibration")
    calibrated = memo(
        context, "confidence-calibration", context.filters.range_key, build=lambda: calibration(frame, options=options)
    )
    st.altair_chart(calibration_chart(calibrated), width="stretch")
    over = calibrated.filter(pl.col("overconfident"))["band"].to_list()
    if over:
        st.error(f"Overconfident: **{', '.join(over)}** — accuracy's 95% interval lies below the band's range.")
    else:
        st.caption("Dots: accuracy (accurate / rated); bars: 95% Wilson interval; shaded: the band's nominal range.")
st.dataframe(calibrated, hide_index=True, width="stretch")
high_rated = rated.filter(pl.col("band") == "high")
if high_rated.height:
    false_rate = high_rated.filter(pl.col("rating") == "inaccurate").height / high_rated.height
    st.metric(
        "False-confidence rate",
        f"{false_rate:.1%}",
        help="Share of results shown as high that a human rated inaccurate.",
    )

# --- the gate ------------------------------------------------------------------------------------------------
st.subheader("Sufficiency gate")
audit = (
    memo(context, "confidence-audit", context.filters.range_key, build=lambda: gate_audit(frame))
    if claims_known
    else None
)
if audit is None:
    st.info("The gate needs validated claims, which only investigations carry.")
else:
    st.dataframe(
        pl.DataFrame(
            {
                "gate": ["passed", "fired"],
                "accurate": [audit["passed_accurate"], audit["fired_accurate"]],
                "not accurate": [audit["passed_not_accurate"], audit["fired_not_accurate"]],
            }
        ),
        hide_index=True,
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
    now_result = what_if(frame, options=options)
    changed = what_if(
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
        f"{(changed['coverage'] or 0):.1%}",
        delta=f"{((changed['coverage'] or 0) - (now_result['coverage'] or 0)) * 100:+.1f} pts",
    )
    m2.metric(
        "Accuracy of passing results",
        "—" if changed["accuracy"] is None else f"{changed['accuracy']:.1%}",
        delta=None
        if changed["accuracy"] is None or now_result["accuracy"] is None
        else f"{(changed['accuracy'] - now_result['accuracy']) * 100:+.1f} pts",
    )

# --- single-source highs and drill-down ----------------------------------------------------------------------
st.subheader("High confidence resting on one evidence source")
single = memo(
    context,
    "confidence-single-source",
    context.filters.range_key,
    build=lambda: (
        frame.filter(pl.col("single_source"))
        .sort("timestamp", descending=True, nulls_last=True)
        .select("run_id", "timestamp", "alert_name", "score", "sources", "rating", "root_cause")
    ),
)
st.caption(f"{single.height:,} results shown as high whose validated claims all cite one source.")
st.dataframe(single.head(500), hide_index=True, width="stretch")

st.subheader("One investigation")
run_ids = memo(
    context,
    "confidence-recent-runs",
    context.filters.range_key,
    build=lambda: frame.top_k(2000, by="timestamp")["run_id"].to_list(),
)
chosen = url_selectbox(st, "Run", run_ids, "run", run_ids[0]) if run_ids else None
if chosen:
    row = frame.filter(pl.col("run_id") == chosen).row(0, named=True)
    with st.container(border=True):
        st.markdown(
            f"**{escape_markdown(row['alert_name'] or 'unknown alert')}** · score {row['score']} · "
            f"band **{escape_markdown(row['band'])}** · gate {escape_markdown(row['gate'] or 'not evaluated')} · "
            f"rating {escape_markdown(row['rating'] or 'unrated')}"
        )
        st.markdown("**Root cause as shown**")
        st.text(row["root_cause"] or "—")
        if claims_known:
            st.markdown("**Validated claims**")
            st.dataframe(
                pl.DataFrame(
                    row["validated_claims"] or [], schema={"claim": pl.Utf8, "evidence_keys": pl.List(pl.Utf8)}
                ),
                hide_index=True,
                width="stretch",
            )
            st.markdown("**Ranked hypotheses**")
            st.text("\n".join(f"{i + 1}. {h}" for i, h in enumerate(row["ranked_hypotheses"] or [])) or "—")
            st.markdown("**Missing evidence**")
            st.text(", ".join(row["missing_evidence"] or []) or "—")

export = frame.select(RESULT_EXPORT_COLUMNS)
st.download_button(
    f"Download {export.height:,} results (CSV)",
    data=lambda: csv_bytes(export),
    file_name=download_name("confidence", context.now, "csv", range=context.filters.range_key),
    mime="text/csv",
)
