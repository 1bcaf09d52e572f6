"""Digest & gate: the weekly incident digest for a chosen week (rendered safely, .md and .json downloads) and the
release-gate check per service and profile."""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import streamlit as st

from analytics.digest import build_digest, default_week, parse_week, recurrence_watch
from analytics.learning import week_label
from dashboard.context import current_context, set_url_param, url_param
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs

context = current_context()
st.title("Digest & gate")
require_inputs(context, "incidents", purpose="no incidents to digest or gate on")
incidents = context.data.frame("incidents")

st.subheader("Weekly digest")
last = default_week(context.now)
weeks = [week_label(last - timedelta(weeks=k)) for k in range(12)]
chosen = url_param("week", weeks[0]) or weeks[0]
chosen = st.selectbox(
    "Week",
    weeks,
    index=weeks.index(chosen) if chosen in weeks else 0,
    help="ISO weeks; computed as of the Monday 00:00 UTC after the week, so it never changes later.",
)
set_url_param("week", chosen, weeks[0])
digest = build_digest(incidents, week_monday=parse_week(chosen), policy=context.policy)
left, right = st.columns(2)
left.download_button(
    "Download digest (.md)", data=digest.markdown.encode("utf-8"), file_name=f"{digest.week}.md", mime="text/markdown"
)
right.download_button(
    "Download summary (.json)",
    data=(json.dumps(digest.summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    file_name=f"{digest.week}.json",
    mime="application/json",
)
with st.container(border=True, height=640):
    st.markdown(digest.markdown)  # every user-supplied text in it is escaped by the digest builder

st.subheader("Release gate: recurrence_watch")
watch = context.policy.release_gate.recurrence_watch
services = sorted(incidents.select(pl.col("service").drop_nulls().unique()).collect().to_series().to_list())
if not services:
    st.info("No services in the incident store.")
    st.stop()
c1, c2, c3 = st.columns(3)
service = c1.selectbox("Service", services)
profiles = list(watch.profiles)
profile = c2.selectbox("Profile", profiles, index=profiles.index(watch.default_profile))
mode = c3.selectbox("Mode", ["from profile", "off", "warn", "strict"])
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
    st.write(message)
st.caption(
    "Strict blocks when a signature or kind is in the high zone in any window and the worst severity seen is in "
    f"{', '.join(watch.fail_on_severity_in)}; warn never blocks; off skips. CI: "
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
