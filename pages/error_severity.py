"""Error severity: is anything on fire right now? Current state (24h vs 7d) per provider, the digest header
as the headline, spikes, trends, samples, and the backtest of the legacy 7-day-average rule."""

from __future__ import annotations

import streamlit as st

from analytics.severity import (
    SeverityOptions,
    backtest_frame_from,
    backtest_totals,
    header_text,
    samples_from,
    severity_frame_from,
)
from dashboard.charts import SEVERITY_MARKDOWN_COLORS, backtest_chart, severity_chart
from dashboard.context import current_context, ledger_backtest_counts, ledger_counts, page_title
from dashboard.exports import csv_bytes, download_button, download_name, json_bytes
from dashboard.formatting import escape_markdown
from dashboard.guards import require_inputs
from dashboard.severity_view import listed_providers, provider_table, samples_as_text
from dashboard.tables import format_time, show_table
from dashboard.urlstate import url_param, url_select_slider, url_text, url_toggle

BACKTEST_CHOICES = [7, 14, 30, 60]

context = current_context()
page_title(
    "Error severity",
    context,
    range_note="the current state is always the last 24 hours against 7 days",
    services_note="the ledger names providers, not services",
)
require_inputs(context, "error_ledger", purpose="no provider errors to rate")

excluded_text = url_param("exclude", "") or ""
extra_tenants = [t.strip() for t in excluded_text.split(",") if t.strip()]
options = SeverityOptions.from_policy(context.policy.severity, extra_tenants)
counts = ledger_counts(context, options)  # pushed down to the ledger's database, or from Polars
frame = severity_frame_from(counts, options=options)
header, overall = header_text(frame["severity"].to_list())
st.markdown(f"### :{SEVERITY_MARKDOWN_COLORS[overall]}[{header}]")
excluded = [
    label + " " + escape_markdown(", ".join(values))
    for label, values in (("categories", options.excluded_categories), ("tenants", options.excluded_tenants))
    if values
]
st.caption(
    f"As of {format_time(context.now)} · critical: ≥ {options.critical_24h} errors in the last 24 hours, or a "
    f"spike (≥ {options.spike_min_24h} and > {options.spike_factor:g}× the 7-day daily average); warning: ≥ "
    f"{options.warning_24h} in 24 hours. A provider that was loud this week but is quiet today is *historical*, not a "
    f"page. " + ("Never counted: " + "; ".join(excluded) + "." if excluded else "Every category and tenant is counted.")
)
with st.expander("Exclude tenants"):
    typed = url_text(st, "Tenants to leave out (comma-separated)", "exclude")
    if typed != excluded_text:
        st.rerun()

show_nominal = url_toggle(st, "Show nominal providers too", "nominal")
listed = listed_providers(frame, show_nominal)
samples = samples_from(counts, options=options, providers=listed["provider"].to_list())
table = provider_table(listed, samples)
if table.height == 0:
    st.success("No provider needs attention: every provider is nominal.")
else:
    show_table(
        samples_as_text(table),
        extra_config={
            "daily": st.column_config.BarChartColumn("7 × 24 h (oldest → now)", y_min=0),
            "samples": st.column_config.ListColumn(
                "Top errors, last 24 h",
                help="Top error types by 24h count (in brackets) with their most frequent message.",
            ),
        },
        help={
            "trend": "Last 24h vs the mean of the six 24h windows before it.",
            "spike": "At least a few errors and far above the provider's own recent daily average.",
        },
    )
    left, right = st.columns(2)
    download_button(
        f"Download {table.height} providers (CSV)",
        where=left,
        data=csv_bytes(table),
        file_name=download_name("severity", context.now, "csv", exclude=excluded_text or None),
        mime="text/csv",
    )
    download_button(
        f"Download {table.height} providers (JSON)",
        where=right,
        data=json_bytes(table),
        file_name=download_name("severity", context.now, "json", exclude=excluded_text or None),
        mime="application/json",
    )
    st.subheader("Last 24 hours vs the 7-day daily average")
    st.altair_chart(severity_chart(listed), width="stretch")
    st.caption("▲ marks a spike: at least a few errors and far above the provider's own recent average.")

st.subheader("Backtest: legacy 7-day average vs current state")
days = url_select_slider(st, "Days", BACKTEST_CHOICES, "days", 30)
backtest = backtest_frame_from(
    ledger_backtest_counts(context, days, options), now=context.now, days=days, options=options
)
legacy_pages, current_pages = backtest_totals(backtest)
st.altair_chart(backtest_chart(backtest), width="stretch")
st.caption(
    f"Each complete UTC day evaluated at its end. Over {days} days the legacy rule (7-day average > "
    f"{options.legacy_warning_avg_daily:g}/day warning, > {options.legacy_critical_avg_daily:g}/day critical) pages "
    f"**{legacy_pages}** times; the current rule **{current_pages}**."
)
download_button(
    "Download backtest (CSV)",
    data=csv_bytes(backtest),
    file_name=download_name("severity-backtest", context.now, "csv", days=str(days)),
    mime="text/csv",
)
