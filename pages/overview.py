"""Overview: what needs attention first (at most five items ranked by urgency, overdue follow-ups and pairs first,
each linking to the page and filter that shows it), the follow-up funnel, then the chosen range against the range
before it — misses, pair fix rate, RCA accuracy, fix held, open incidents, high recurrence, the severity header — and
the top recurring pairs. The sections live in :mod:`dashboard.overview_view`."""

from __future__ import annotations

import streamlit as st

from dashboard.context import current_context, page_title
from dashboard.overview_view import (
    attention_section,
    charts_section,
    followups_section,
    incident_tiles,
    learning_tiles,
    overview_data,
    owners_board,
)
from dashboard.owners_view import exclusion_caption, mine_filter

context = current_context()
page_title("Overview", context, services_note=None, services_scope="incidents only")
me, team, who = mine_filter(st, context)  # "mine / my team" (me: / team: in the config, or --me), in the URL
data = overview_data(context)
board = owners_board(context, me, team)
attention_section(context, data, board, who)
followups_section(context, board)
learning_tiles(context, data)
incident_tiles(context, data)
exclusion_caption(context)
charts_section(context, data)
