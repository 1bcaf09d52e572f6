"""Recurrence: 7d/30d recurrence by signature, kind and service with warn/high levels, root-cause buckets with
recommendations, and the follow-up preview (applied only in write mode)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.buckets import BucketOptions, bucket_frame, shown_buckets
from analytics.digest import build_digest, default_week, plan_followups
from analytics.recurrence import RecurrenceOptions, recurrence
from dashboard.context import current_context, page_title
from dashboard.exports import csv_bytes, download_name
from dashboard.formatting import code_span, escape_markdown
from dashboard.urlstate import url_segmented
from triage_lens.sources.store import StoreError, append_events, events_target, existing_dedupe_keys

LEVEL_BADGES = {"high": "▲ high", "warn": "● warn"}
context = current_context()
page_title("Recurrence", context, range_note="recurrence counts the last 7 and 30 days by rule (RULES §5)")
if not context.data.inputs["incidents"].available:
    st.info("No incident store in this data source (see Data & policy).")
    st.stop()
incidents = context.data.frame("incidents")
if context.filters.services:
    incidents = incidents.filter(pl.col("service").is_in(list(context.filters.services)))
options = RecurrenceOptions.from_policy(context.policy.recurrence)
t = context.policy.recurrence.thresholds
st.caption(
    f"Incidents started in (now − N days, now]. Signatures: warn at {t.signature.warn}, high at {t.signature.high}; "
    f"kinds: warn at {t.kind.warn}, high at {t.kind.high}; services carry no level."
    + (f" Services: {escape_markdown(', '.join(context.filters.services))}." if context.filters.services else "")
)

windows = [str(d) for d in context.policy.recurrence.windows_days]
chosen_window = url_segmented(st, "Window", windows, "window", windows[0], format_func=lambda d: f"Last {d} days")
days = int(chosen_window)
result = recurrence(incidents, now=context.now, days=days, options=options)
cols = st.columns(3)
for col, (title, key) in zip(
    cols, (("Signatures", "top_signatures"), ("Kinds", "top_kinds"), ("Services", "top_services")), strict=True
):
    col.markdown(f"**{title}**")
    entries = pl.DataFrame(
        [{"key": e.get("prefix") or e["key"], "count": e["count"], "level": e["level"]} for e in result[key]],
        schema={"key": pl.Utf8, "count": pl.Int64, "level": pl.Utf8},
    )
    col.dataframe(
        entries.with_columns(pl.col("level").replace_strict(LEVEL_BADGES, default="")),
        hide_index=True,
        width="stretch",
    )
zone = result["high_recurrence"] + result["warn_recurrence"]
for entry in zone:
    is_signature = entry["type"] == "signature"
    name = f"signature {code_span(entry['prefix'])}" if is_signature else f"kind **{escape_markdown(entry['key'])}**"
    advice = escape_markdown(entry["recommendation"])
    st.markdown(f"- {LEVEL_BADGES[entry['level']]} · {name} · {entry['count']} — {advice}")

st.subheader("Root-cause buckets")
bucket_options = BucketOptions.from_policy(context.policy)
buckets = shown_buckets(bucket_frame(incidents, now=context.now, options=bucket_options), bucket_options)
st.caption(
    f"Grouped by {'service|kind' if bucket_options.mode == 'service_kind' else 'signature prefix'}; shown when "
    f"≥ {bucket_options.min_7d} in 7 days or ≥ {bucket_options.min_30d} in 30 days; ▲ = high (feeds follow-ups)."
)
table = buckets.select(
    "bucket_key",
    pl.when(pl.col("high")).then(pl.lit("▲")).otherwise(pl.lit("")).alias("high"),
    "count_7d",
    "count_30d",
    "open",
    "last_seen",
    "kinds",
    pl.col("recommendations").list.join(" · ").alias("recommendations"),
)
st.dataframe(table, hide_index=True, width="stretch")
st.download_button(
    "Download buckets (CSV)",
    data=csv_bytes(table),
    file_name=download_name("buckets", context.now, "csv", service="+".join(context.filters.services) or None),
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
    st.dataframe(
        pl.DataFrame(
            [
                {
                    "bucket": r["bucket_key"],
                    "incident": r["incident_id"],
                    "status": "would create" if r["reason"] == "read_only" else (r["reason"] or "ready"),
                    "message": r["event"]["message"],
                    "due": r["event"]["meta"]["due_date"],
                }
                for r in results
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if not context.sources.write:
        st.caption("Preview only (read-only). Start with `--write` (or `write: true`) to create them.")
    elif events:
        st.warning("Write mode is on: applying appends follow-up events to the incident store.", icon=":material/edit:")
        if st.button(f"Create {len(events)} follow-up(s)", type="primary"):
            uri, path = events_target(context.sources)
            try:
                written = append_events(events=events, uri=uri, events_path=path)  # re-checked under a lock
            except StoreError as exc:
                st.error(escape_markdown(exc))
            else:
                already = len(events) - len(written)
                st.success(
                    f"Created {len(written)} follow-up(s) for {digest.week}."
                    + (f" {already} already existed (created meanwhile by another run)." if already else "")
                )
