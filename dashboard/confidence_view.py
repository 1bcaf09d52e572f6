"""The Confidence page's sections (presentation only; the rules are in :mod:`analytics.confidence`): the verdict
box, the gate audit with what-if thresholds, why confidence is low, single-source highs and one investigation."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from analytics.confidence import (
    GateOptions,
    Verdict,
    evidence_gap_line,
    evidence_gap_ranking,
    evidence_gaps,
    what_if_change,
)
from analytics.versions import with_version
from dashboard.formatting import escape_markdown
from dashboard.tables import format_percent, format_time, show_table
from dashboard.urlstate import url_number, url_selectbox

VERDICT_BOXES = {
    "not_calibrated": (st.error, ":material/warning:"),
    "calibrated": (st.success, ":material/check_circle:"),
}

SlicedResults = tuple[pl.DataFrame, list[str], list[str]]


def verdict_box(verdict: Verdict) -> None:
    """The verdict in the box its kind calls for (error / success / info)."""
    box, icon = VERDICT_BOXES.get(verdict.kind, (st.info, None))
    box(verdict.text, icon=icon)


def sliced(results: pl.DataFrame, releases: pl.DataFrame | None) -> SlicedResults:
    """Results with ``version`` (record or releases.yml) and the version and model choices for the pickers."""
    frame = with_version(results.lazy(), releases, time_column="timestamp").collect()
    versions = sorted(v for v in frame["version"].drop_nulls().unique().to_list())
    models = sorted(v for v in frame["model"].drop_nulls().unique().to_list()) if "model" in frame.columns else []
    return frame, versions, models


def pick_slice(frame: pl.DataFrame, versions: list[str], models: list[str]) -> tuple[pl.DataFrame, str]:
    """Version and model pickers (kept in the URL as ``version`` and ``model``); the chosen rows and a label."""
    if not versions and not models:
        return frame, ""
    left, right = st.columns(2)
    version = url_selectbox(left, "Agent version", ["all", *versions], "version", "all", all_label="all versions")
    model = url_selectbox(right, "Model", ["all", *models], "model", "all", all_label="all models") if models else "all"
    chosen = frame
    if version != "all":
        chosen = chosen.filter(pl.col("version") == version)
    if model != "all":
        chosen = chosen.filter(pl.col("model") == model)
    parts = [p for p in (None if version == "all" else version, None if model == "all" else model) if p]
    return chosen, " · ".join(parts)


def gate_section(frame: pl.DataFrame, audit: dict[str, int], options: GateOptions) -> None:
    """The gate's 2×2 table and the what-if thresholds (kept in the URL)."""
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


def low_confidence_section(frame: pl.DataFrame, *, weak_score: float) -> None:
    """Why confidence is low: per source, how many low-band or gated investigations lacked it or had it weak."""
    gaps = evidence_gaps(frame, weak_score=weak_score)
    if gaps.height == 0:
        st.caption("No low-confidence or gated investigation in this window.")
        return
    ranking = evidence_gap_ranking(gaps)
    line = evidence_gap_line(ranking)
    if line:
        st.markdown(f"**{escape_markdown(line)}**")
    show_table(
        ranking,
        labels={"missing": "No evidence from it", "weak": "Weak (< threshold)", "of": "Low-confidence results"},
        help={"weak": f"A per-source contribution below confidence.weak_source_score ({weak_score:g})."},
    )
    st.caption(
        "Missing: no validated claim cites evidence from the source. Weak: the record's per-source contribution is "
        f"below {weak_score:g} (only where investigations carry `source_contributions`)."
    )


def single_source_table(frame: pl.DataFrame) -> pl.DataFrame:
    """High-band results whose validated claims all cite one source, newest first."""
    return (
        frame.filter(pl.col("single_source"))
        .sort("timestamp", descending=True, nulls_last=True)
        .select("run_id", "timestamp", "alert_name", "score", "sources", "rating", "root_cause")
    )


def investigation_detail(row: dict[str, Any], *, claims_known: bool) -> None:
    """One investigation: the headline, root cause, claims, hypotheses and missing evidence."""
    with st.container(border=True):
        st.markdown(
            f"**{escape_markdown(row['alert_name'] or 'unknown alert')}** · "
            + ("unscored" if row["score"] is None else f"score {row['score']:.2f}")
            + f" · {format_time(row['timestamp'])} · band **{escape_markdown(row['band'])}** · gate "
            f"{escape_markdown(row['gate'] or 'not evaluated')} · rating {escape_markdown(row['rating'] or 'unrated')}"
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


def recent_run_ids(frame: pl.DataFrame, limit: int = 2000) -> list[str]:
    """The newest ``limit`` results' run ids, newest first."""
    return [str(v) for v in frame.top_k(limit, by="timestamp")["run_id"].to_list()]


def row_of(frame: pl.DataFrame, run_id: str) -> dict[str, Any]:
    """The result row of ``run_id``."""
    return frame.filter(pl.col("run_id") == run_id).row(0, named=True)


def rated_bands(calibrated: pl.DataFrame) -> pl.DataFrame:
    """The calibration rows of bands with at least one rated result."""
    return calibrated.filter(pl.col("n") > 0)


def rated_count(frame: pl.DataFrame) -> int:
    """How many results a human rated (noise left out)."""
    return int(frame["rated"].sum())


def results_in_window(results: pl.LazyFrame, span: Any, releases: pl.DataFrame | None) -> SlicedResults:
    """The results whose timestamp is in the sidebar window, with versions and the slice choices."""
    return sliced(results.filter(span.contains("timestamp")).collect(), releases)


def unrated_bands(calibrated: pl.DataFrame) -> list[str]:
    """The bands with no rated result."""
    return [str(b) for b, n in calibrated.select("band", "n").iter_rows() if n == 0]


def export_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """What the results download holds (:data:`analytics.confidence.RESULT_EXPORT_COLUMNS`)."""
    from analytics.confidence import RESULT_EXPORT_COLUMNS

    return frame.select(RESULT_EXPORT_COLUMNS)
