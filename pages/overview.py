"""Overview: what needs attention first (at most five items ranked by urgency, each linking to the page and filter
that shows it), then the chosen range against the range before it — misses, pair fix rate, RCA accuracy, open
incidents, high recurrence, the severity header — and the top recurring pairs. Every number follows the sidebar
filters and equals the number on the page it links to under the same filters."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import streamlit as st

from analytics.attention import AttentionItem, needs_attention
from analytics.buckets import BucketOptions, bucket_frame, shown_buckets
from analytics.confidence import GateOptions, calibration, confidence_results
from analytics.learning import weekly_accuracy
from analytics.misses import top_groups
from analytics.periods import accuracy_in, misses_before, misses_in, pair_fix_rate
from analytics.recurrence import RecurrenceOptions, recurrence
from analytics.severity import SeverityOptions, header_text, severity_frame
from analytics.stats import change_label
from analytics.statuses import UNRESOLVED, is_open
from dashboard.charts import SEVERITY_MARKDOWN_COLORS, accuracy_chart, lifecycle_badge_markdown
from dashboard.context import AppContext, current_context, memo, page_title
from dashboard.formatting import escape_markdown
from dashboard.incidents_view import chosen_services, filtered_incidents
from dashboard.misses_view import coverage_for, lifecycle
from dashboard.registry import PAGES
from dashboard.runs_view import fix_held_line

PAGE_BY_URL = {p.url_path: p for p in PAGES}
context = current_context()
page_title("Overview", context, services_note=None, services_scope="incidents only")
window = context.filters.window(context.now)
previous = window.previous()
inputs = context.data.inputs
misses_loaded = inputs["misses"].available
feedback_loaded = inputs["feedback"].available
incidents_loaded = inputs["incidents"].available
ledger_loaded = inputs["error_ledger"].available
claims_known = inputs["investigations"].available and inputs["investigations"].rows > 0
link_params: dict[str, Any] = dict(context.filters.query_params())
filters_key = (context.filters.range_key, context.filters.services)


def link(page: str, label: str, **params: str) -> None:
    """A link to a registered page carrying the sidebar filters (and the page's own filter)."""
    st.page_link(
        PAGE_BY_URL[page].path.as_posix(),
        label=label,
        icon=":material/arrow_forward:",
        query_params={**link_params, **params},
    )


# --- what the sections below need (each only when its input is loaded) ---------------------------------------
def open_incident_rows(ctx: AppContext) -> pl.DataFrame:
    return (
        filtered_incidents(ctx)
        .filter(is_open(ctx.policy.incidents.open_statuses))
        .select("id", "title", "service", "severity", "started_at")
        .collect()
    )


def incidents_for_services(ctx: AppContext) -> pl.LazyFrame:
    """Incidents of the chosen services (any start time): what the Recurrence page counts."""
    return chosen_services(ctx)


def confidence_calibration(ctx: AppContext) -> pl.DataFrame:
    """Calibration of the results in the range, as the Confidence page computes it."""
    options = GateOptions.from_policy(ctx.policy.confidence)
    results = confidence_results(
        ctx.data.frame("investigations") if claims_known else None, ctx.data.frame("feedback"), options=options
    )
    in_range = results.filter(ctx.filters.window(ctx.now).contains("timestamp")).collect()
    return calibration(in_range, options=options)


open_incidents = (
    memo(context, "overview-open", *filters_key, build=lambda: open_incident_rows(context))
    if incidents_loaded
    else None
)
bucket_options = BucketOptions.from_policy(context.policy)
buckets = (
    memo(
        context,
        "overview-buckets",
        context.filters.services,
        build=lambda: shown_buckets(
            bucket_frame(incidents_for_services(context), now=context.now, options=bucket_options), bucket_options
        ),
    )
    if incidents_loaded
    else None
)
providers = (
    memo(
        context,
        "overview-severity",
        build=lambda: severity_frame(
            context.data.frame("error_ledger"),
            now=context.now,
            options=SeverityOptions.from_policy(context.policy.severity),
        ),
    )
    if ledger_loaded
    else None
)
pairs = lifecycle(context, coverage_for(context)[0]) if misses_loaded else None
calibrated = (
    memo(context, "overview-calibration", context.filters.range_key, build=lambda: confidence_calibration(context))
    if feedback_loaded or claims_known
    else None
)

# --- needs attention ---------------------------------------------------------------------------------------------
items = needs_attention(
    now=context.now,
    open_incidents=open_incidents,
    providers=providers,
    buckets=buckets,
    kind_high=context.policy.recurrence.thresholds.kind.high,
    signature_high=context.policy.recurrence.thresholds.signature.high,
    pairs=pairs,
    calibration=calibrated,
)
ATTENTION_ICONS = {
    "p0": ":material/emergency:",
    "p1": ":material/emergency:",
    "provider": ":material/local_fire_department:",
    "bucket": ":material/repeat:",
    "pair": ":material/error:",
    "band": ":material/verified:",
}


def attention_line(item: AttentionItem) -> None:
    text, target = st.columns([5, 1], vertical_alignment="center", gap="small")
    color = "red" if item.kind in ("p0", "provider") else "orange"
    text.markdown(
        f"{ATTENTION_ICONS[item.kind]} :{color}[**{escape_markdown(item.what)}**] — {escape_markdown(item.how_bad)}"
    )
    with target:
        link(item.page, item.link_label or "Open", **item.params)


st.subheader("Needs attention")
with st.container(border=True):
    if items:
        for item in items:
            attention_line(item)
    else:
        services = ", ".join(context.filters.services) if context.filters.services else "all services"
        st.markdown(
            f":green[:material/check_circle:] Nothing needs attention in the {escape_markdown(window.label())} "
            f"({escape_markdown(services)}): no open P0/P1 incident, no critical provider, no high-recurrence "
            "bucket, no regressed or escalating pair, no overconfident band."
        )
st.caption(
    "Ranked: open P0 incidents, critical providers (last 24 h), open P1 incidents, high-recurrence buckets, "
    "regressed or escalating (alert, taxonomy) pairs (last 7 days), an overconfident confidence band; at most five, "
    "one of each kind first."
)

# --- learning tiles: the range against the range before it ---------------------------------------------------
period = window.label()
if misses_loaded or feedback_loaded:
    misses = context.data.frame("misses")
    tiles = st.columns(3)
    with tiles[0].container(border=True):
        count = misses_in(misses, window).select(pl.len()).collect().item() if misses_loaded else 0
        earlier = misses_before(misses, window) if misses_loaded else None
        count_before = None if earlier is None else earlier.select(pl.len()).collect().item()
        st.metric(
            f"Misses, {period}",
            f"{count:,}",
            delta=None if count_before is None else f"{count - count_before:+,}",
            delta_color="inverse",
            help="Rows of misses.jsonl (partial or inaccurate ratings) with timestamp ≥ now − range, as "
            "`opensre misses stats --since`; the delta compares with the range of the same length before it.",
        )
        if not misses_loaded:
            st.caption("No misses.jsonl loaded.")
        elif count_before is not None:
            st.caption(f"{count_before:,} in the {context.filters.range_key} before.")
        link("misses", "Open Misses")
    with tiles[1].container(border=True):
        fix = pair_fix_rate(misses, window) if misses_loaded else None
        rate = None if fix is None else fix.rate
        st.metric(
            f"Pair fix rate, {period}",
            "—" if rate is None else f"{rate:.0%}",
            help="Of the (alert, taxonomy) pairs missed in the range before, the share with no miss in this range "
            "(RULES §2's weekly definition applied to the chosen range).",
        )
        if fix is None:
            st.caption("Needs a bounded range (not 'all') and misses.jsonl.")
        else:
            st.caption(
                f"{fix.pairs_fixed} of {fix.pairs_prev} pairs missed in the {context.filters.range_key} before did "
                "not recur."
            )
        link("misses", "Open Misses")
    with tiles[2].container(border=True):
        z = context.policy.confidence.wilson_z
        feedback = context.data.frame("feedback")
        now_acc = accuracy_in(feedback, window, z=z)
        before_acc = None if previous is None else accuracy_in(feedback, previous, z=z)
        delta = None
        label: str | None = None
        if before_acc is not None and now_acc.accuracy is not None and before_acc.accuracy is not None:
            label = change_label(
                (before_acc.ci_low, before_acc.ci_high),
                (now_acc.ci_low, now_acc.ci_high),
                before_acc.rated,
                now_acc.rated,
            )
            delta = f"{(now_acc.accuracy - before_acc.accuracy) * 100:+.1f} pts" + (f" · {label}" if label else "")
        st.metric(
            f"RCA accuracy, {period}",
            "—" if now_acc.accuracy is None else f"{now_acc.accuracy:.1%}",
            delta=delta,
            delta_color="off" if label else "normal",
            help="Accurate / rated human ratings in feedback.jsonl (noise left out) in (now − range, now], with a "
            "95% Wilson interval.",
        )
        if now_acc.accuracy is not None and now_acc.ci_low is not None and now_acc.ci_high is not None:
            lenient = now_acc.accuracy_lenient or 0.0
            st.caption(
                f"95% CI {now_acc.ci_low:.1%}–{now_acc.ci_high:.1%} · n={now_acc.rated:,} rated · lenient "
                f"(accurate + partial) {lenient:.1%}"
            )
        else:
            st.caption("No rated investigations in this range.")
        link("confidence", "Open Confidence")
    if pairs is not None:
        st.caption(fix_held_line(context, pairs))
else:
    st.info(
        "No OpenSRE learning files (`misses.jsonl`, `feedback.jsonl`) in this data source, so there is no "
        "learning view yet. See **Data & policy** for what was found."
    )

# --- incidents and severity ------------------------------------------------------------------------------------
if incidents_loaded and open_incidents is not None and buckets is not None:
    rec = memo(
        context,
        "overview-recurrence",
        context.filters.services,
        build=lambda: recurrence(
            incidents_for_services(context),
            now=context.now,
            days=7,
            options=RecurrenceOptions.from_policy(context.policy.recurrence),
        ),
    )
    high_buckets = buckets.filter(pl.col("high"))["bucket_key"].to_list()
    incident_tiles = st.columns(2)
    with incident_tiles[0].container(border=True):
        statuses = ", ".join(context.policy.incidents.open_statuses)
        st.metric(
            f"Open incidents, started {period}",
            f"{open_incidents.height:,}",
            help=f"Status in {statuses}; started in (now − range, now]; the chosen services.",
        )
        severities = sorted(str(s) for s in open_incidents["severity"].drop_nulls().to_list())
        worst = severities[0] if severities else None
        st.caption(f"Worst open severity: {escape_markdown(worst or '—')} · status {escape_markdown(statuses)}")
        link("incidents", "Open Incidents", status=UNRESOLVED)
    with incident_tiles[1].container(border=True):
        st.metric(
            "High recurrence, last 7 days",
            f"{len(rec['high_recurrence'])}",
            help="Signatures and kinds in the high zone of RULES §5 over the last 7 days (the chosen services).",
        )
        shown = escape_markdown(", ".join(high_buckets[:4])) if high_buckets else "none"
        st.caption("High buckets: " + shown + (" …" if len(high_buckets) > 4 else ""))
        link("recurrence", "Open Recurrence", window="7")
if providers is not None:
    header, overall = header_text(providers["severity"].to_list())
    with st.container(border=True):
        st.markdown(f"**Error severity now:** :{SEVERITY_MARKDOWN_COLORS[overall]}[{escape_markdown(header)}]")
        st.caption("Errors in the last 24 hours against each provider's own 7 days — not a trailing average.")
        link("severity", "Open Error severity")

# --- charts ----------------------------------------------------------------------------------------------------
if misses_loaded or feedback_loaded:
    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"Top recurring pairs, {period}")
        top = top_groups(misses_in(context.data.frame("misses"), window), top=5) if misses_loaded else None
        states = (
            {}
            if pairs is None
            else {(r["group_alert"], r["group_taxonomy"]): r["state"] for r in pairs.iter_rows(named=True)}
        )
        if top is None or top.height == 0:
            st.info(f"No misses in the {period}.")
        else:
            for row in top.iter_rows(named=True):
                state = states.get((row["group_alert"], row["group_taxonomy"]), "")
                cols = st.columns([5, 2, 2])
                with cols[0]:
                    link(
                        "misses",
                        escape_markdown(f"{row['group_alert']} · {row['group_taxonomy']}"),
                        alert=row["group_alert"],
                        taxonomy=row["group_taxonomy"],
                    )
                cols[1].write(f"{row['count']}×")
                cols[2].markdown(lifecycle_badge_markdown(state) if state else "")
    with right:
        days = None if window.length is None else window.length.days
        weeks = 26 if days is None else max(2, min(26, math.ceil(days / 7) + 1))
        st.subheader("Accuracy by week")
        weekly = weekly_accuracy(
            context.data.frame("feedback"), now=context.now, weeks=weeks, z=context.policy.confidence.wilson_z
        )
        weekly = weekly.with_columns(pl.col("week").dt.strftime("%G-W%V").alias("label"))
        if weekly.filter(pl.col("rated") > 0).height:
            st.altair_chart(accuracy_chart(weekly), width="stretch")
            st.caption(
                f"The {weeks} ISO weeks the range touches (the current one so far). Dots: accurate / rated; bars: "
                "95% Wilson interval. Overlapping bars are not a real change."
            )
        else:
            st.info(f"No rated investigations in the last {weeks} weeks.")
