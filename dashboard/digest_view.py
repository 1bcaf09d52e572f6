"""The Digest & gate page's sections: the weekly digest (rendered as text, with its downloads) and the release
gate per service and profile. Rules: :mod:`analytics.digest`."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

import analytics.digest as digest_rules  # build_digest looked up per call, so a test can replace it
from analytics.digest import (
    digest_weeks,
    is_cut,
    parse_week,
    recurrence_watch,
    slack_bytes,
    week_has_incidents,
)
from dashboard.context import AppContext, memo
from dashboard.exports import download_button
from dashboard.formatting import escape_markdown
from dashboard.runs_view import run_summary_for
from dashboard.urlstate import url_selectbox


def demoted(markdown: str, levels: int = 2) -> str:
    """The digest's headings ``levels`` deeper, so it reads as a section of the page (on a phone its own "#" title
    took the whole screen). Only lines that start with "#" change; the downloads keep the original."""
    return "\n".join("#" * levels + line if line.startswith("#") else line for line in markdown.split("\n"))


def digest_section(context: AppContext) -> None:
    """The week picker (every week of the data), the downloads and the digest itself as Markdown."""
    st.subheader("Weekly digest")
    incidents = context.data.frame("incidents")
    weeks = memo(context, "digest-weeks", build=lambda: digest_weeks(incidents, now=context.now))
    chosen = url_selectbox(
        st,
        "Week",
        weeks,
        "week",
        weeks[0],
        help=f"ISO weeks from the last complete one back to the oldest incident ({len(weeks):,} weeks); computed "
        "as of the Monday 00:00 UTC after the week, so it never changes later.",
    )
    monday = parse_week(chosen)
    digest = digest_rules.build_digest(
        incidents, week_monday=monday, policy=context.policy, runs=run_summary_for(context)
    )
    max_chars = context.policy.digest.markdown_max_chars
    left, middle, right = st.columns(3)
    download_button(
        "Download digest (.md)",
        where=left,
        data=digest.markdown.encode("utf-8"),
        file_name=f"{digest.week}.md",
        mime="text/markdown",
    )
    download_button(
        "Download for Slack (.txt)",
        where=middle,
        data=slack_bytes(digest, max_chars=max_chars),
        file_name=f"{digest.week}.slack.txt",
        mime="text/plain",
        help="Slack mrkdwn: paste into a message as is.",
    )
    download_button(
        "Download summary (.json)",
        where=right,
        data=(json.dumps(digest.summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        file_name=f"{digest.week}.json",
        mime="application/json",
    )
    if is_cut(digest.markdown):
        st.caption(
            f"This digest is longer than the policy's `markdown_max_chars` ({max_chars:,}): the preview, the .md "
            "and the Slack text are cut at a line and say so at the end; the JSON summary is complete."
        )
    if not week_has_incidents(incidents, monday):
        st.caption(f"No incident started in {digest.week}; pick another week above.")
    with st.container(border=True):  # the whole digest as text: no inner scroll box (phones showed headings only)
        st.markdown(demoted(digest.markdown))  # ids in code spans, every other user-supplied text escaped


def gate_section(context: AppContext) -> None:
    """recurrence_watch for one service and profile, with the CLI that gives the same answer."""
    st.subheader("Release gate: recurrence_watch")
    incidents = context.data.frame("incidents")
    watch = context.policy.release_gate.recurrence_watch
    services = sorted(incidents.select(pl.col("service").drop_nulls().unique()).collect().to_series().to_list())
    services = [s for s in services if s in context.filters.services] or services  # the sidebar's services first
    if not services:
        st.info("No services in the incident store.")
        return
    c1, c2, c3 = st.columns(3)
    service = url_selectbox(c1, "Service", services, "gate_service", services[0])
    profile = url_selectbox(c2, "Profile", list(watch.profiles), "profile", watch.default_profile)
    mode = url_selectbox(c3, "Mode", ["from profile", "off", "warn", "strict"], "strictness", "from profile")
    result = recurrence_watch(
        incidents,
        service=service,
        now=context.now,
        policy=context.policy,
        profile=profile,
        mode=None if mode == "from profile" else mode,
    )
    verdict = "SKIPPED" if result["skipped"] else ("PASS" if result["pass"] else "BLOCKED")
    color = {"PASS": "green", "BLOCKED": "red", "SKIPPED": "gray"}[verdict]
    st.markdown(f"### :{color}[{verdict}] · mode {result['mode']}")
    for message in result["messages"]:
        st.markdown(escape_markdown(message))
    st.caption(
        "Strict blocks when a signature or kind is in the high zone in any window and the worst severity seen is "
        f"in {', '.join(watch.fail_on_severity_in)}; warn never blocks; off skips. CI: "
        f"`triage-lens incidents gate --service {service} --profile {profile}` (exit 0 pass, 1 blocked)."
    )
    st.markdown(
        f"{result['total_incidents']:,} incidents of {escape_markdown(service)} in the last "
        f"{max(context.policy.recurrence.windows_days)} days, "
        f"worst severity {result['max_severity_seen'] or 'none'}; high recurrence: "
        f"{'yes' if result['has_high_recurrence'] else 'no'}, warn: {'yes' if result['has_warn_recurrence'] else 'no'}."
    )
    with st.expander("The gate's result as JSON (what `--json` prints)"):
        st.code(json.dumps(result, indent=2), language="json")
