"""Recurrence: 7d/30d recurrence by signature, kind and service with warn/high levels, root-cause buckets with
recommendations, and the follow-up preview (applied only in write mode)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.buckets import BucketOptions, advice_by_recommendation, bucket_frame, high_reason_expr, shown_buckets
from analytics.digest import build_digest, default_week, plan_followups
from analytics.recurrence import RecurrenceOptions, recurrence_tables
from dashboard.context import current_context, page_title
from dashboard.exports import buckets_csv, download_name
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.incidents_view import chosen_services, followup_rows
from dashboard.owners_view import exclusion_caption
from dashboard.tables import show_table
from dashboard.urlstate import url_segmented
from triage_lens.sources.events import write_events
from triage_lens.sources.store import StoreError, existing_dedupe_keys

context = current_context()
page_title("Recurrence", context, range_note="recurrence counts the last 7 and 30 days by rule (RULES §5)")
require_inputs(context, "incidents", purpose="nothing can recur without incidents")
exclusion_caption(context)  # drills and maintenance are left out of every figure (issue 23)
incidents = chosen_services(context)
options = RecurrenceOptions.from_policy(context.policy.recurrence)
t = context.policy.recurrence.thresholds
st.caption(
    f"Incidents started in (now − N days, now]. Signatures: warn at {t.signature.warn}, high at {t.signature.high}; "
    f"kinds: warn at {t.kind.warn}, high at {t.kind.high}; services carry no level. Signatures are shown by the "
    "title their incidents most often carry."
    + (f" Services: {escape_markdown(', '.join(context.filters.services))}." if context.filters.services else "")
)

windows = [str(d) for d in context.policy.recurrence.windows_days]
chosen_window = url_segmented(st, "Window", windows, "window", windows[0], format_func=lambda d: f"Last {d} days")
days = int(chosen_window)
tables = recurrence_tables(incidents, now=context.now, days=days, options=options)


def named(frame: pl.DataFrame, column: str, level: str) -> list[str]:
    return [escape_markdown(v) for v in frame.filter(pl.col("level") == level)[column].to_list()]


high = named(tables["signatures"], "title", "high") + [f"kind {k}" for k in named(tables["kinds"], "kind", "high")]
warn = named(tables["signatures"], "title", "warn") + [f"kind {k}" for k in named(tables["kinds"], "kind", "warn")]
if high:
    st.markdown(
        f"**{len(high)} recurring in the high zone in the last {days} days:** {'; '.join(high[:4])}"
        + (f" and {len(high) - 4} more" if len(high) > 4 else "")
        + (f" · {len(warn)} more at warn." if warn else ".")
    )
elif warn:
    st.markdown(f"**Nothing in the high zone in the last {days} days;** {len(warn)} at warn: {'; '.join(warn[:4])}.")
else:
    st.markdown(f"**Nothing recurs above the warn thresholds in the last {days} days.**")
left, right = st.columns([3, 2])
with left:
    st.markdown("**Signatures**")
    show_table(
        tables["signatures"].select("title", "count", "why"),
        labels={"title": "Signature (most frequent title)", "why": "Level"},
        help={"why": "The count against the warn and high thresholds in this window."},
    )
with right:
    st.markdown("**Kinds**")
    show_table(tables["kinds"].select("kind", "count", "why"), labels={"why": "Level"})
    st.markdown("**Services**")
    show_table(tables["services"])
advice = tables["advice"]
if advice.height:
    st.markdown("**What to do** (each recommendation once, with what it applies to and how often)")
    st.markdown(
        "\n".join(
            f"- **{level}** · {escape_markdown(text)} — " + "; ".join(escape_markdown(name) for name in names)
            for level, text, names in advice.iter_rows()
        )
    )
else:
    st.caption(f"Nothing in the warn or high zone in the last {days} days.")

st.subheader("Root-cause buckets")
bucket_options = BucketOptions.from_policy(context.policy)
buckets = shown_buckets(bucket_frame(incidents, now=context.now, options=bucket_options), bucket_options)
st.caption(
    f"Grouped by {'service|kind' if bucket_options.mode == 'service_kind' else 'signature prefix'}; shown when "
    f"≥ {bucket_options.min_7d} in 7 days or ≥ {bucket_options.min_30d} in 30 days. A bucket is high (and gets a "
    f"follow-up) when its count reaches {bucket_options.kind_high} or one of its signatures reaches "
    f"{bucket_options.signature_high}, in either window."
)
table = buckets.select(
    "bucket_key",
    high_reason_expr(bucket_options).alias("level"),
    "count_7d",
    "count_30d",
    "open",
    "last_seen",
    "kinds",
)
show_table(table, labels={"level": "Level"})
advice = advice_by_recommendation(buckets)
if advice.height:
    st.markdown("**Recommendations** (each once, with the buckets it applies to)")
    st.markdown(
        "\n".join(
            f"- {escape_markdown(text)} — {escape_markdown(', '.join(keys))}"
            for text, keys in advice.select("recommendation", "buckets").iter_rows()
        )
    )
st.download_button(
    f"Download {buckets.height} buckets (CSV)",
    data=buckets_csv(buckets, bucket_options),
    file_name=download_name("buckets", context.now, "csv", service=",".join(context.filters.services) or None),
    mime="text/csv",
)

st.subheader("Follow-ups")
week = default_week(context.now)
digest = build_digest(context.data.frame("incidents"), week_monday=week, policy=context.policy)
existing = existing_dedupe_keys(context.data.frame("events"))
results, events = plan_followups(
    context.data.frame("incidents"),
    digest,
    policy=context.policy,
    existing_keys=existing,
    now=context.now,
    write=context.sources.write,
)
if not results:
    st.caption(f"No follow-up due for {digest.week}: no high bucket (or auto follow-ups are off in the policy).")
else:
    show_table(
        followup_rows(results),
        hide=("title",),
        extra_config={"incident": st.column_config.TextColumn("Incident", width="medium")},
    )
    if not context.sources.write:
        st.caption("Preview only (read-only). Start with `--write` (or `write: true`) to create them.")
    elif events:
        st.warning("Write mode is on: applying appends follow-up events to the incident store.", icon=":material/edit:")
        if st.button(f"Create {len(events)} follow-up(s)", type="primary"):
            try:
                written = write_events(context.sources, events)  # re-checked under a lock
            except StoreError as exc:
                st.error(escape_markdown(exc))
            else:
                already = len(events) - len(written)
                st.success(
                    f"Created {len(written)} follow-up(s) for {digest.week}."
                    + (f" {already} already existed (created meanwhile by another run)." if already else "")
                )
