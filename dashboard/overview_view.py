"""The Overview's sections (presentation; every rule is in :mod:`analytics`): what needs attention first (overdue
items first), the follow-up funnel, the range against the range before it, incidents and severity, the top
recurring pairs and the accuracy trend with release markers. Every number follows the sidebar filters and equals
the number on the page it links to under the same filters."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from analytics.attention import AttentionItem, needs_attention
from analytics.buckets import BucketOptions, bucket_frame, shown_buckets
from analytics.confidence import GateOptions, calibration, confidence_results
from analytics.learning import weekly_accuracy
from analytics.misses import scope_count, top_groups
from analytics.overview import trend_weeks, worst_severity
from analytics.periods import accuracy_in, misses_before, misses_in, pair_fix_rate
from analytics.recurrence import RecurrenceOptions, recurrence
from analytics.severity import SeverityOptions, header_text, severity_frame_from
from analytics.stats import change_label
from analytics.statuses import UNRESOLVED, is_open
from dashboard.charts import SEVERITY_MARKDOWN_COLORS, lifecycle_badge_markdown
from dashboard.context import AppContext, ledger_counts, memo
from dashboard.fixes_view import fix_held_for, releases_for
from dashboard.formatting import escape_markdown
from dashboard.incidents_view import chosen_services, filtered_incidents
from dashboard.misses_view import coverage_for, lifecycle
from dashboard.owners_view import followup_funnel_for, my_board
from dashboard.registry import PAGES
from dashboard.versions_view import accuracy_chart_with_releases

PAGE_BY_URL = {p.url_path: p for p in PAGES}
ATTENTION_ICONS = {
    "overdue": ":material/alarm:",
    "p0": ":material/emergency:",
    "p1": ":material/emergency:",
    "provider": ":material/local_fire_department:",
    "bucket": ":material/repeat:",
    "pair": ":material/error:",
    "band": ":material/verified:",
}


def link(context: AppContext, page: str, label: str, **params: str) -> None:
    """A link to a registered page carrying the sidebar filters (and the page's own filter)."""
    st.page_link(
        PAGE_BY_URL[page].path.as_posix(),
        label=label,
        icon=":material/arrow_forward:",
        query_params={**context.filters.query_params(), **params},
    )


def _inputs(context: AppContext) -> dict[str, bool]:
    inputs = context.data.inputs
    return {
        "misses": inputs["misses"].available,
        "feedback": inputs["feedback"].available,
        "incidents": inputs["incidents"].available,
        "ledger": inputs["error_ledger"].available,
        "claims": inputs["investigations"].available and inputs["investigations"].rows > 0,
    }


def incidents_for_services(context: AppContext) -> pl.LazyFrame:
    """Incidents of the chosen services (any start time): what the Recurrence page counts."""
    return chosen_services(context)


def _open_incidents(context: AppContext) -> pl.DataFrame:
    return (
        filtered_incidents(context)
        .filter(is_open(context.policy.incidents.open_statuses))
        .select("id", "title", "service", "severity", "started_at")
        .collect()
    )


def _calibration(context: AppContext, claims: bool) -> pl.DataFrame:
    options = GateOptions.from_policy(context.policy.confidence)
    results = confidence_results(
        context.data.frame("investigations") if claims else None, context.data.frame("feedback"), options=options
    )
    return calibration(
        results.filter(context.filters.window(context.now).contains("timestamp")).collect(), options=options
    )


def overview_data(context: AppContext) -> dict[str, Any]:
    """What the sections need, each only when its input is loaded (None otherwise); cached per filters."""
    has = _inputs(context)
    key = (context.filters.range_key, context.filters.services)
    options = BucketOptions.from_policy(context.policy)
    data: dict[str, Any] = {"has": has, "bucket_options": options}
    data["open_incidents"] = (
        memo(context, "overview-open", *key, build=lambda: _open_incidents(context)) if has["incidents"] else None
    )
    data["buckets"] = (
        memo(
            context,
            "overview-buckets",
            context.filters.services,
            build=lambda: shown_buckets(
                bucket_frame(incidents_for_services(context), now=context.now, options=options), options
            ),
        )
        if has["incidents"]
        else None
    )
    severity_options = SeverityOptions.from_policy(context.policy.severity)
    data["providers"] = (
        # the same aggregates as the Error severity page (pushed down to a database ledger, never read whole)
        severity_frame_from(ledger_counts(context, severity_options), options=severity_options)
        if has["ledger"]
        else None
    )
    data["pairs"] = lifecycle(context, coverage_for(context)[0]) if has["misses"] else None
    data["calibration"] = (
        memo(
            context,
            "overview-calibration",
            context.filters.range_key,
            build=lambda: _calibration(context, has["claims"]),
        )
        if has["feedback"] or has["claims"]
        else None
    )
    return data


def attention_section(context: AppContext, data: dict[str, Any], board: pl.DataFrame, who: str) -> None:
    """Needs attention: at most five items, overdue follow-ups and pairs first."""
    items = needs_attention(
        now=context.now,
        overdue=board,
        open_incidents=data["open_incidents"],
        providers=data["providers"],
        buckets=data["buckets"],
        kind_high=context.policy.recurrence.thresholds.kind.high,
        signature_high=context.policy.recurrence.thresholds.signature.high,
        pairs=data["pairs"],
        calibration=data["calibration"],
    )
    st.subheader("Needs attention")
    with st.container(border=True):
        for item in items:
            _attention_line(context, item)
        if not items:
            services = ", ".join(context.filters.services) if context.filters.services else "all services"
            st.markdown(
                f":green[:material/check_circle:] Nothing needs attention "
                f"{escape_markdown(context.filters.window(context.now).within())} ({escape_markdown(services)}, "
                f"{escape_markdown(who)}): nothing overdue, no open P0/P1 incident, no critical provider, no "
                "high-recurrence bucket, no regressed or escalating pair, no overconfident band."
            )
    st.caption(
        "Ranked: overdue follow-ups and pairs (most days overdue first), open P0 incidents, critical providers (last "
        "24 h), open P1 incidents, high-recurrence buckets, regressed or escalating (alert, taxonomy) pairs (last 7 "
        f"days), an overconfident confidence band; at most five, one of each kind first. Owners: {who}."
    )


def _attention_line(context: AppContext, item: AttentionItem) -> None:
    text, target = st.columns([5, 1], vertical_alignment="center", gap="small")
    color = "red" if item.kind in ("p0", "provider", "overdue") else "orange"
    text.markdown(
        f"{ATTENTION_ICONS[item.kind]} :{color}[**{escape_markdown(item.what)}**] — {escape_markdown(item.how_bad)}"
    )
    with target:
        link(context, item.page, item.link_label or "Open", **item.params)


def followups_section(context: AppContext, board: pl.DataFrame) -> None:
    """The follow-up funnel: opened → done → held (no new incident in the bucket for followups.held_days)."""
    funnel = followup_funnel_for(context, board)
    if funnel.opened == 0:
        return
    cols = st.columns(4)
    cols[0].metric("Follow-ups opened", f"{funnel.opened:,}")
    cols[1].metric("Done", f"{funnel.done:,}")
    cols[2].metric(
        "Held",
        f"{funnel.held:,}",
        help=f"Done, and no new incident in the follow-up's bucket for {funnel.held_days} days after "
        "(policy followups.held_days).",
    )
    cols[3].metric("Overdue", f"{funnel.overdue:,}", help="Open and past the due date.")
    st.caption(
        f"{funnel.recurred:,} done follow-ups saw their bucket recur within {funnel.held_days} days; "
        f"{funnel.too_early:,} were done too recently to tell."
    )


def learning_tiles(context: AppContext, data: dict[str, Any]) -> None:
    """Misses, pair fix rate and RCA accuracy in the range against the range before it, and the fix-held line."""
    has, window = data["has"], context.filters.window(context.now)
    previous, period, range_key = window.previous(), window.label(), context.filters.range_key
    if not (has["misses"] or has["feedback"]):
        st.info(
            "No OpenSRE learning files (`misses.jsonl`, `feedback.jsonl`) in this data source, so there is no "
            "learning view yet. See **Data & policy** for what was found."
        )
        return
    misses = context.data.frame("misses")
    count, before, fix = (
        memo(context, "overview-miss-tiles", range_key, build=lambda: _miss_tiles(misses, window))
        if has["misses"]
        else (0, None, None)
    )
    tiles = st.columns(3)
    with tiles[0].container(border=True):
        st.metric(
            f"Misses, {period}",
            f"{count:,}",
            delta=None if before is None else f"{count - before:+,}",
            delta_color="inverse",
            help="Rows of misses.jsonl (partial or inaccurate ratings) with timestamp ≥ now − range, as "
            "`opensre misses stats --since`; the delta compares with the range of the same length before it.",
        )
        st.caption(
            "No misses.jsonl loaded."
            if not has["misses"]
            else "No range before all time to compare with."
            if before is None
            else f"{before:,} in the {range_key} before."
        )
        link(context, "misses", "Open Misses")
    with tiles[1].container(border=True):
        st.metric(
            f"Pair fix rate, {period}",
            "—" if fix is None or fix.rate is None else f"{fix.rate:.0%}",
            help="Of the (alert, taxonomy) pairs missed in the range before, the share with no miss in this range "
            "(the weekly pair fix rate applied to the chosen range).",
        )
        st.caption(
            "Needs a bounded range (not 'all') and misses.jsonl."
            if fix is None
            else f"{fix.pairs_fixed} of {fix.pairs_prev} pairs missed in the {range_key} before did not recur."
        )
        link(context, "misses", "Open Misses")
    with tiles[2].container(border=True):
        _accuracy_tile(context, window, previous, period)
        link(context, "confidence", "Open Confidence")
    if data["pairs"] is not None:
        st.caption(fix_held_for(context).line())


def _miss_tiles(misses: pl.LazyFrame, window: Any) -> tuple[int, int | None, Any]:
    """Misses in the range, in the range before it (None when there is none) and the pair fix rate."""
    earlier = misses_before(misses, window)
    return (
        scope_count(misses_in(misses, window)),
        None if earlier is None else scope_count(earlier),
        pair_fix_rate(misses, window),
    )


def _accuracy_tile(context: AppContext, window: Any, previous: Any, period: str) -> None:
    z = context.policy.confidence.wilson_z
    feedback = context.data.frame("feedback")
    now_acc, before_acc = memo(
        context,
        "overview-accuracy",
        context.filters.range_key,
        build=lambda: (
            accuracy_in(feedback, window, z=z),
            None if previous is None else accuracy_in(feedback, previous, z=z),
        ),
    )
    delta, label = None, None
    if before_acc is not None and now_acc.accuracy is not None and before_acc.accuracy is not None:
        label = change_label(
            (before_acc.ci_low, before_acc.ci_high), (now_acc.ci_low, now_acc.ci_high), before_acc.rated, now_acc.rated
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
        st.caption(
            f"95% CI {now_acc.ci_low:.1%}–{now_acc.ci_high:.1%} · n={now_acc.rated:,} rated · lenient "
            f"(accurate + partial) {now_acc.accuracy_lenient or 0.0:.1%}"
        )
    else:
        st.caption("No rated investigations in this range.")


def incident_tiles(context: AppContext, data: dict[str, Any]) -> None:
    """Open incidents and high recurrence (last 7 days), then the severity header."""
    period = context.filters.window(context.now).label()
    open_incidents, buckets = data["open_incidents"], data["buckets"]
    if open_incidents is not None and buckets is not None:
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
        high_buckets = [str(k) for k, high in buckets.select("bucket_key", "high").iter_rows() if high]
        tiles = st.columns(2)
        with tiles[0].container(border=True):
            statuses = ", ".join(context.policy.incidents.open_statuses)
            st.metric(
                f"Open incidents, started {period}",
                f"{open_incidents.height:,}",
                help=f"Status in {statuses}; started in (now − range, now]; the chosen services.",
            )
            worst = worst_severity(open_incidents["severity"].to_list())
            st.caption(f"Worst open severity: {escape_markdown(worst or '—')} · status {escape_markdown(statuses)}")
            link(context, "incidents", "Open Incidents", status=UNRESOLVED)
        with tiles[1].container(border=True):
            st.metric(
                "High recurrence, last 7 days",
                f"{len(rec['high_recurrence'])}",
                help="Signatures and kinds in the recurrence policy's high zone over the last 7 days (the chosen "
                "services).",
            )
            shown = escape_markdown(", ".join(high_buckets[:4])) if high_buckets else "none"
            st.caption("High buckets: " + shown + (" …" if len(high_buckets) > 4 else ""))
            link(context, "recurrence", "Open Recurrence", window="7")
    if data["providers"] is not None:
        header, overall = header_text(data["providers"]["severity"].to_list())
        with st.container(border=True):
            st.markdown(f"**Error severity now:** :{SEVERITY_MARKDOWN_COLORS[overall]}[{escape_markdown(header)}]")
            st.caption("Errors in the last 24 hours against each provider's own 7 days — not a trailing average.")
            link(context, "severity", "Open Error severity")


def charts_section(context: AppContext, data: dict[str, Any]) -> None:
    """Top recurring pairs of the range with their lifecycle badge, and accuracy by week with release markers."""
    has, window = data["has"], context.filters.window(context.now)
    if not (has["misses"] or has["feedback"]):
        return
    period = window.label()
    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"Top recurring pairs, {period}")
        top = (
            memo(
                context,
                "overview-top-pairs",
                context.filters.range_key,
                build=lambda: top_groups(misses_in(context.data.frame("misses"), window), top=5),
            )
            if has["misses"]
            else None
        )
        pairs = data["pairs"]
        states = (
            {}
            if pairs is None
            else {(a, t): s for a, t, s in pairs.select("group_alert", "group_taxonomy", "state").iter_rows()}
        )
        if top is None or top.height == 0:
            st.info(f"No misses {window.within()}.")
        else:
            for row in top.iter_rows(named=True):
                state = states.get((row["group_alert"], row["group_taxonomy"]), "")
                cols = st.columns([5, 2, 2])
                with cols[0]:
                    link(
                        context,
                        "misses",
                        escape_markdown(f"{row['group_alert']} · {row['group_taxonomy']}"),
                        alert=row["group_alert"],
                        taxonomy=row["group_taxonomy"],
                    )
                cols[1].write(f"{row['count']}×")
                cols[2].markdown(lifecycle_badge_markdown(state) if state else "")
    with right:
        weeks = trend_weeks(window)
        st.subheader("Accuracy by week")
        weekly = memo(
            context,
            "overview-weekly-accuracy",
            weeks,
            build=lambda: weekly_accuracy(
                context.data.frame("feedback"), now=context.now, weeks=weeks, z=context.policy.confidence.wilson_z
            ),
        )
        if int(weekly["rated"].sum()) > 0:
            chart, markers = accuracy_chart_with_releases(weekly, releases_for(context)[0], now=context.now)
            st.altair_chart(chart, width="stretch")
            st.caption(
                f"The {weeks} ISO weeks the range touches (the current one so far). Dots: accurate / rated; bars: "
                f"95% Wilson interval. Overlapping bars are not a real change. {markers}"
            )
        else:
            st.info(f"No rated investigations in the last {weeks} weeks.")


def owners_board(context: AppContext, me: str | None, team: str | None) -> pl.DataFrame:
    """The board under the "mine" choice."""
    return my_board(context, me, team)
