"""Recurrence: 7d/30d recurrence by signature (named by title), kind and service with warn/high levels, root-cause
buckets with recommendations, and the follow-up preview (applied only in write mode)."""

from __future__ import annotations

import streamlit as st

from dashboard.context import current_context, page_title
from dashboard.guards import require_inputs
from dashboard.owners_view import exclusion_caption
from dashboard.recurrence_view import buckets_section, followups_section, recurrence_section, thresholds_caption
from dashboard.urlstate import url_segmented

context = current_context()
page_title("Recurrence", context, range_note="recurrence counts its own windows of 7 and 30 days ending now")
require_inputs(context, "incidents", purpose="nothing can recur without incidents")
exclusion_caption(context)  # drills and maintenance are left out of every figure (issue 23)
st.caption(thresholds_caption(context))

windows = [str(d) for d in context.policy.recurrence.windows_days]
chosen_window = url_segmented(st, "Window", windows, "window", windows[0], format_func=lambda d: f"Last {d} days")
recurrence_section(context, int(chosen_window))
buckets_section(context)
followups_section(context)
