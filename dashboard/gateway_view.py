"""OpenSRE gateway feedback on the pages: the helpful rate (good / rated thumbs) overall, per platform and per
ISO week, with n and the Wilson interval (:mod:`analytics.gateway`, the numbers of ``confidence report``)."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from analytics.gateway import combined, gateway_report, helpful_sentence, weekly
from dashboard.charts import FIT, bottom_legend
from dashboard.context import AppContext, memo
from dashboard.formatting import escape_markdown
from dashboard.registry import PAGES
from dashboard.tables import format_percent, show_table
from triage_lens.sources.gateway import GATEWAY_INPUT_NAMES, gateway_frames


def gateway_loaded(context: AppContext) -> bool:
    """Whether any gateway feedback file is loaded (else the blocks show nothing)."""
    return any(context.data.inputs[name].available for name in GATEWAY_INPUT_NAMES)


def _feedback(context: AppContext) -> pl.LazyFrame:
    return combined(gateway_frames(context.data.frame)).filter(context.filters.window(context.now).contains("ts"))


def gateway_summary(context: AppContext) -> dict[str, Any]:
    """The ``gateway`` object of ``confidence report --json`` for the sidebar's range."""
    z = context.policy.confidence.wilson_z
    return memo(
        context,
        "gateway-report",
        context.filters.range_key,
        build=lambda: gateway_report(_feedback(context), z=z),
    )


def weekly_rate_chart(weeks: pl.DataFrame) -> alt.LayerChart:
    """Helpful rate per ISO week and platform: a dot with its interval bar. In: :func:`analytics.gateway.weekly`
    with ``by_platform``."""
    base = alt.Chart(weeks).encode(
        x=alt.X("week:O", title="ISO week", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        color=alt.Color("platform:N", legend=bottom_legend("platform", 2)),
        xOffset="platform:N",
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("ci_low:Q", title="helpful", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y2="ci_high:Q",
    )
    points = base.mark_point(filled=True, size=60).encode(
        y="rate:Q",
        tooltip=[
            alt.Tooltip("week:O"),
            alt.Tooltip("platform:N"),
            alt.Tooltip("rate:Q", title="helpful", format=".0%"),
            alt.Tooltip("n:Q", title="rated"),
            alt.Tooltip("ci_low:Q", title="interval low", format=".0%"),
            alt.Tooltip("ci_high:Q", title="interval high", format=".0%"),
        ],
    )
    layered: alt.LayerChart = (bars + points).properties(height=240, autosize=FIT)
    return layered


def gateway_section(context: AppContext) -> None:
    """The Confidence page's section: the sentence, the weekly chart by platform and the weekly table."""
    st.subheader("Gateway feedback (Slack and Discord thumbs)")
    if not gateway_loaded(context):
        st.caption(
            "No gateway feedback loaded: OpenSRE writes it to `~/.opensre/gateway/slack_feedback.jsonl` and "
            "`discord_feedback.jsonl`; put those files in your data folder's `gateway/` to count them here."
        )
        return
    report = gateway_summary(context)
    st.markdown(escape_markdown(helpful_sentence(report)))
    if not report["n"]:
        return
    z = context.policy.confidence.wilson_z
    weeks = weekly(_feedback(context), z=z, by_platform=True)
    st.altair_chart(weekly_rate_chart(weeks), width="stretch")
    st.caption(
        f"Helpful = good / (good + bad) of the thumbs people clicked on investigation messages, per ISO week (UTC). "
        f"Bars: Wilson interval (z = {z:g}); a week with few clicks has a wide bar. `triage-lens confidence report "
        "--json` gives the same numbers under `gateway`."
    )
    show_table(
        weeks.select("week", "platform", (pl.col("rate") * 100).alias("rate"), "n", "good", "bad", "ci_low", "ci_high"),
        labels={"n": "Rated", "ci_low": "Interval low", "ci_high": "Interval high"},
        extra_config={"rate": st.column_config.NumberColumn("Helpful", format="%.0f%%")},
    )


def gateway_overview_block(context: AppContext, link_params: dict[str, Any] | None = None) -> None:
    """The Overview's small block: the helpful rate in the range and a link to the Confidence page."""
    if not gateway_loaded(context):
        return
    report = gateway_summary(context)
    with st.container(border=True):
        if report["n"]:
            low, high = report["ci"]
            platforms = " · ".join(
                f"{name} {format_percent(v['rate'])} (n={v['n']})"
                for name, v in report["by_platform"].items()
                if v["n"]
            )
            st.markdown(
                f"**Gateway thumbs:** helpful {format_percent(report['rate'])} of {report['n']:,} rated "
                f"(interval {format_percent(low)}–{format_percent(high)}) · {escape_markdown(platforms)}"
            )
        else:
            st.markdown("**Gateway thumbs:** no Slack or Discord feedback in this range.")
        page = next(p for p in PAGES if p.url_path == "confidence")
        st.page_link(
            page.path.as_posix(),
            label="Open Confidence",
            icon=":material/arrow_forward:",
            query_params=link_params or context.filters.query_params(),
        )
