"""Overview: is the RCA agent learning? Last complete week vs the one before — misses, pair fix rate,
accuracy with intervals — and the top recurring pairs; every tile links to its page with the filters."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.buckets import BucketOptions, bucket_frame, shown_buckets
from analytics.learning import learning_trend, lifecycle_options, weekly_accuracy
from analytics.misses import filter_misses, parse_since, top_groups
from analytics.recurrence import RecurrenceOptions, recurrence
from analytics.severity import SeverityOptions, header_text, severity_frame
from analytics.stats import change_label
from dashboard.charts import SEVERITY_MARKDOWN_COLORS, accuracy_chart, lifecycle_badge_markdown
from dashboard.context import current_context
from dashboard.formatting import escape_markdown
from dashboard.misses_view import coverage_for, lifecycle
from dashboard.registry import PAGES_BY_SCRIPT
from dashboard.runs_view import fix_held_line

context = current_context()
st.title("Overview")
misses_loaded = context.data.inputs["misses"].available
feedback_loaded = context.data.inputs["feedback"].available
link_params = context.filters.query_params()

if not misses_loaded and not feedback_loaded:
    st.info(
        "No OpenSRE learning files (`misses.jsonl`, `feedback.jsonl`) in this data source, so there is no "
        "week-over-week view yet. See **Data & policy** for what was found."
    )
else:
    coverage = coverage_for(context)[0]
    trend = learning_trend(
        context.data.frame("misses"),
        context.data.frame("feedback"),
        now=context.now,
        weeks=3,
        z=context.policy.confidence.wilson_z,
        coverage=coverage,
        lifecycle_options=lifecycle_options(context.policy.misses),
    )
    before, last, current = trend.weeks
    st.caption(
        f"Last complete ISO week **{last['week']}** against **{before['week']}**; {current['week']} so far "
        f"(up to now) has {current['total']:,} misses. Weeks start Monday 00:00 UTC."
    )
    tiles = st.columns(3)
    with tiles[0].container(border=True):
        st.metric(
            f"Misses in {last['week']}",
            f"{last['total']:,}",
            delta=last["total"] - before["total"],
            delta_color="inverse",
            help="Rows of misses.jsonl (partial or inaccurate ratings) timestamped in the week.",
        )
        st.page_link(
            PAGES_BY_SCRIPT["misses.py"].path.as_posix(),
            label="Open Misses",
            icon=":material/arrow_forward:",
            query_params=link_params,
        )
    with tiles[1].container(border=True):
        rate = last["pair_fix_rate"]
        previous_rate = before["pair_fix_rate"]
        st.metric(
            f"Pair fix rate {last['week']}",
            "—" if rate is None else f"{rate:.0%}",
            delta=None if rate is None or previous_rate is None else f"{(rate - previous_rate) * 100:+.0f} pts",
            help="Of the (alert, taxonomy) pairs missed in the week before, the share with no miss this week.",
        )
        st.caption(f"{last['pairs_fixed']} of {last['pairs_prev']} pairs from {before['week']} did not recur.")
        st.page_link(
            PAGES_BY_SCRIPT["scenarios.py"].path.as_posix(),
            label="Open Scenarios",
            icon=":material/arrow_forward:",
            query_params=link_params,
        )
    with tiles[2].container(border=True):
        accuracy = last["accuracy"]
        label = change_label(
            (before["ci_low"], before["ci_high"]), (last["ci_low"], last["ci_high"]), before["rated"], last["rated"]
        )
        delta = None
        if accuracy is not None and before["accuracy"] is not None:
            delta = f"{(accuracy - before['accuracy']) * 100:+.1f} pts" + (f" · {label}" if label else "")
        st.metric(
            f"RCA accuracy {last['week']}",
            "—" if accuracy is None else f"{accuracy:.1%}",
            delta=delta,
            delta_color="off" if label else "normal",
            help="Accurate / rated human ratings in feedback.jsonl (noise left out), with a 95% Wilson interval.",
        )
        if accuracy is not None:
            st.caption(
                f"95% CI {last['ci_low']:.1%}–{last['ci_high']:.1%} · n={last['rated']} rated · lenient "
                f"(accurate + partial) {last['accuracy_lenient']:.1%}"
            )
        st.page_link(
            PAGES_BY_SCRIPT["confidence.py"].path.as_posix(),
            label="Open Confidence",
            icon=":material/arrow_forward:",
            query_params=link_params,
        )

    st.caption(fix_held_line(context, lifecycle(context, coverage)))
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Top recurring pairs, last 7 days")
        recent = filter_misses(context.data.frame("misses"), since=parse_since("7d", context.now))
        top = top_groups(recent, top=5)
        states = {(p["alert_name"], p["taxonomy"]): p["state"] for p in trend.pairs}
        if top.height == 0:
            st.info("No misses in the last 7 days.")
        for row in top.iter_rows(named=True):
            state = states.get((row["group_alert"], row["group_taxonomy"]), "")
            cols = st.columns([5, 2, 2])
            cols[0].page_link(
                PAGES_BY_SCRIPT["misses.py"].path.as_posix(),
                label=escape_markdown(f"{row['group_alert']} · {row['group_taxonomy']}"),
                query_params={**link_params, "alert": row["group_alert"], "taxonomy": row["group_taxonomy"]},
            )
            cols[1].write(f"{row['count']}×")
            cols[2].markdown(lifecycle_badge_markdown(state) if state else "")
    with right:
        st.subheader("Accuracy by week")
        weekly = weekly_accuracy(
            context.data.frame("feedback"), now=context.now, weeks=8, z=context.policy.confidence.wilson_z
        )
        weekly = weekly.with_columns(pl.col("week").dt.strftime("%G-W%V").alias("label"))
        if weekly.filter(pl.col("rated") > 0).height:
            st.altair_chart(accuracy_chart(weekly), width="stretch")
            st.caption("Dots: accurate / rated; bars: 95% Wilson interval. Overlapping bars are not a real change.")
        else:
            st.info("No rated investigations in the last 8 weeks.")

st.divider()
ledger_input = context.data.inputs["error_ledger"]
if ledger_input.available:
    options = SeverityOptions.from_policy(context.policy.severity)
    severities = severity_frame(context.data.frame("error_ledger"), now=context.now, options=options)
    header, overall = header_text(severities["severity"].to_list())
    with st.container(border=True):
        st.markdown(f"**Error severity now:** :{SEVERITY_MARKDOWN_COLORS[overall]}[{header}]")
        st.caption("Errors in the last 24 hours against each provider's own 7 days — not a trailing average.")
        st.page_link(
            PAGES_BY_SCRIPT["error_severity.py"].path.as_posix(),
            label="Open Error severity",
            icon=":material/arrow_forward:",
            query_params=link_params,
        )
incidents_input = context.data.inputs["incidents"]
if incidents_input.available:
    incidents = context.data.frame("incidents")
    open_statuses = list(context.policy.incidents.open_statuses)
    open_frame = incidents.filter(pl.col("status").is_in(open_statuses))
    open_count = open_frame.select(pl.len()).collect().item()
    worst = open_frame.select(pl.col("severity").drop_nulls().sort().first()).collect().item()
    rec = recurrence(
        incidents, now=context.now, days=7, options=RecurrenceOptions.from_policy(context.policy.recurrence)
    )
    bucket_options = BucketOptions.from_policy(context.policy)
    buckets = shown_buckets(bucket_frame(incidents, now=context.now, options=bucket_options), bucket_options)
    high_buckets = buckets.filter(pl.col("high"))["bucket_key"].to_list()
    incident_tiles = st.columns(2)
    with incident_tiles[0].container(border=True):
        st.metric("Open incidents", f"{open_count:,}", help=f"Status in {', '.join(open_statuses)}, any start time.")
        st.caption(f"Worst open severity: {escape_markdown(worst or '—')}")
        st.page_link(
            PAGES_BY_SCRIPT["incidents.py"].path.as_posix(),
            label="Open Incidents",
            icon=":material/arrow_forward:",
            query_params={**link_params, "status": "open"},
        )
    with tiles[1].container(border=True):
        st.metric(
            "High recurrence, last 7 days",
            f"{len(rec['high_recurrence'])}",
            help="Signatures and kinds in the high zone of RULES §5 over the last 7 days.",
        )
        shown = escape_markdown(", ".join(high_buckets[:4])) if high_buckets else "none"
        st.caption("High buckets: " + shown + (" …" if len(high_buckets) > 4 else ""))
        st.page_link(
            PAGES_BY_SCRIPT["recurrence.py"].path.as_posix(),
            label="Open Recurrence",
            icon=":material/arrow_forward:",
            query_params=link_params,
        )
