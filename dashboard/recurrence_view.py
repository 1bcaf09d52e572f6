"""The Recurrence page's sections: the verdict, signatures (by title), kinds and services, root-cause buckets with
recommendations, and the follow-up preview. The rules are in :mod:`analytics.recurrence`, :mod:`analytics.buckets`
and :mod:`analytics.digest`; this module only lays them out."""

from __future__ import annotations

import polars as pl
import streamlit as st

import analytics.digest as digest_rules  # build_digest looked up per call, so a test can replace it
from analytics.buckets import (
    BucketOptions,
    advice_by_recommendation,
    bucket_frame,
    grouping_name,
    high_reason_expr,
    no_bucket_sentence,
    shown_buckets,
)
from analytics.digest import default_week, plan_followups
from analytics.recurrence import RecurrenceOptions, no_signature_recurs, recurrence_tables, signature_names
from dashboard.context import AppContext
from dashboard.exports import buckets_csv, download_button, download_name
from dashboard.formatting import escape_markdown
from dashboard.incidents_view import chosen_services, followup_rows
from dashboard.tables import show_table
from triage_lens.sources.events import write_events
from triage_lens.sources.store import StoreError, existing_dedupe_keys


def service_incidents(context: AppContext) -> pl.LazyFrame:
    """The incidents of the sidebar's services (every incident when none is chosen); no time filter: recurrence
    counts its own windows ending now."""
    return chosen_services(context)


def thresholds_caption(context: AppContext) -> str:
    t = context.policy.recurrence.thresholds
    services = context.filters.services
    return (
        f"Incidents started in (now − N days, now]. Signatures (incidents of one service and kind whose titles "
        f"match once numbers and ids are set aside) warn at {t.signature.warn} and are high at {t.signature.high}; "
        f"kinds warn at {t.kind.warn} and are high at {t.kind.high}; services carry no level. Each signature is "
        "named by the title of its newest incident."
        + (f" Services: {escape_markdown(', '.join(services))}." if services else "")
    )


def _named(frame: pl.DataFrame, column: str, level: str) -> list[str]:
    return [escape_markdown(v) for v in frame.filter(pl.col("level") == level)[column].to_list()]


def verdict(tables: dict[str, pl.DataFrame], days: int) -> str:
    """One sentence: what is in the high zone, what at warn, or that nothing recurs."""
    kinds = tables["kinds"]
    sig = tables["signatures"].with_columns(pl.Series("name", signature_names(tables["signatures"]), pl.Utf8))
    high = _named(sig, "name", "high") + [f"kind {k}" for k in _named(kinds, "kind", "high")]
    warn = _named(sig, "name", "warn") + [f"kind {k}" for k in _named(kinds, "kind", "warn")]
    if high:
        more = f" and {len(high) - 4} more" if len(high) > 4 else ""
        return f"**{len(high)} recurring in the high zone in the last {days} days:** {'; '.join(high[:4])}{more}" + (
            f" · {len(warn)} more at warn." if warn else "."
        )
    if warn:
        return f"**Nothing in the high zone in the last {days} days;** {len(warn)} at warn: {'; '.join(warn[:4])}."
    return f"**Nothing recurs above the warn thresholds in the last {days} days.**"


def _signatures_table(tables: dict[str, pl.DataFrame]) -> None:
    show_table(
        tables["signatures"].select("title", "service", "kind", "count", "why"),
        labels={"title": "Signature (newest title)", "why": "Level"},
        extra_config={"title": st.column_config.TextColumn("Signature (newest title)", width="medium")},
        help={"why": "The count against the warn and high thresholds in this window."},
    )


def _kinds_and_services(tables: dict[str, pl.DataFrame]) -> None:
    st.markdown("**Kinds**")
    show_table(tables["kinds"].select("kind", "count", "why"), labels={"why": "Level"})
    st.markdown("**Services**")
    show_table(tables["services"])


def recurrence_section(context: AppContext, days: int) -> None:
    """The verdict and the three lists of one window. Where every title is different (status-page prose), the
    kinds and services that do recur come first and the signatures list is folded away."""
    options = RecurrenceOptions.from_policy(context.policy.recurrence)
    tables = recurrence_tables(service_incidents(context), now=context.now, days=days, options=options)
    st.markdown(verdict(tables, days))
    if no_signature_recurs(tables["signatures"]):
        st.info(
            f"Every incident in the last {days} days has its own title ({tables['signatures'].height:,} "
            "signatures, each seen once: typical of status-page prose), so no signature recurs. What does recur "
            "is the service and the kind, below, and the root-cause buckets (service|kind).",
            icon=":material/info:",
        )
        left, right = st.columns(2)
        with left:
            st.markdown("**Services**")
            show_table(tables["services"])
        with right:
            st.markdown("**Kinds**")
            show_table(tables["kinds"].select("kind", "count", "why"), labels={"why": "Level"})
        with st.expander(f"Signatures ({tables['signatures'].height:,}, each once)"):
            _signatures_table(tables)
    else:
        left, right = st.columns([3, 2])
        with left:
            st.markdown("**Signatures**")
            _signatures_table(tables)
        with right:
            _kinds_and_services(tables)
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


def buckets_section(context: AppContext) -> None:
    """Root-cause buckets shown by the policy's thresholds, their recommendations and the CSV."""
    st.subheader("Root-cause buckets")
    options = BucketOptions.from_policy(context.policy)
    buckets = shown_buckets(bucket_frame(service_incidents(context), now=context.now, options=options), options)
    st.caption(
        f"Grouped by {grouping_name(options)}; shown when "
        f"≥ {options.min_7d} in 7 days or ≥ {options.min_30d} in 30 days. A bucket is high (and gets a "
        f"follow-up) when its count reaches {options.kind_high} or one of its signatures reaches "
        f"{options.signature_high}, in either window."
    )
    if buckets.height == 0:  # a sentence, not an empty table and a download of nothing
        st.info(no_bucket_sentence(options) + ".", icon=":material/info:")
        return
    table = buckets.select(
        "bucket_key",
        "count_7d",
        "count_30d",
        high_reason_expr(options).fill_null("—").alias("level"),
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
    download_button(
        f"Download {buckets.height} buckets (CSV)",
        data=buckets_csv(buckets, options),
        file_name=download_name("buckets", context.now, "csv", service=",".join(context.filters.services) or None),
        mime="text/csv",
    )


def followups_section(context: AppContext) -> None:
    """The follow-ups of the last complete week's high buckets: a preview, created only in write mode."""
    st.subheader("Follow-ups")
    digest = digest_rules.build_digest(
        context.data.frame("incidents"), week_monday=default_week(context.now), policy=context.policy
    )
    results, events = plan_followups(
        context.data.frame("incidents"),
        digest,
        policy=context.policy,
        existing_keys=existing_dedupe_keys(context.data.frame("events")),
        now=context.now,
        write=context.sources.write,
    )
    if not results:
        st.caption(f"No follow-up due for {digest.week}: no high bucket (or auto follow-ups are off in the policy).")
        return
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
