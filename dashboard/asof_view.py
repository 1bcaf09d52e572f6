""" "View as of the newest record" on every page (DEFINITIONS §2): where the data is when the range is empty, the
one click that pins now to the newest record (``asof=<ISO>`` in the URL), and the banner while it is pinned.

Rendered by ``app.py`` above each page, for the inputs that page reads (the registry's ``needs``).
"""

from __future__ import annotations

import streamlit as st

from analytics.asof import InputSpan, empty_range_sentence, iso, newest_record, spans_of, stamp
from analytics.schemas import INPUTS_BY_NAME
from analytics.windows import Window, window
from dashboard.context import AppContext, memo
from dashboard.formatting import escape_markdown
from dashboard.registry import PAGES
from triage_lens.sources.asof import asof_error, clock_before, is_pinned

# Pages whose content does not follow the range (they list every source and the policy).
NO_RANGE_PAGES = frozenset({"Data & policy"})


def own_window(context: AppContext, page_title: str) -> str | None:
    """The range spec of a page that counts its own windows ending at now, whatever the sidebar's range: the widest
    of them (Recurrence: the policy's ``recurrence.windows_days``; Error severity: 24 hours against 7 days), so the
    notice finds old data even with range=all. None for a page that follows the range."""
    if page_title == "Recurrence":
        return f"{max(context.policy.recurrence.windows_days, default=30)}d"
    if page_title == "Error severity":
        return "7d"
    return None


def _set_asof(value: str | None) -> None:
    if value:
        st.query_params["asof"] = value
    elif "asof" in st.query_params:
        del st.query_params["asof"]


def page_window(context: AppContext, own: str | None = None) -> Window:
    """The window a page shows: its ``own`` range spec (see :func:`own_window`) ending at now, else the sidebar's."""
    return context.filters.window(context.now) if own is None else window(own, context.now)


def page_spans(context: AppContext, names: list[str], own: str | None = None) -> list[InputSpan]:
    """Oldest/newest/in-window of each loaded input in ``names`` (cached per data, clock and window)."""

    def build() -> list[InputSpan]:
        frames = {
            n: (context.data.frame(n), field)
            for n in names
            if (field := INPUTS_BY_NAME[n].time_field) is not None and context.data.inputs[n].available
        }
        return spans_of(frames, page_window(context, own), names)

    key = context.filters.range_key if own is None else f"own:{own}"
    return memo(context, "asof-spans", key, tuple(names), build=build)


def newest_of_all(context: AppContext) -> InputSpan | None:
    """The input holding the newest record over every loaded input (what the click pins now to)."""
    spans = page_spans(context, list(INPUTS_BY_NAME))
    newest = newest_record(spans)
    return next((s for s in spans if s.newest == newest), None) if newest is not None else None


def asof_banner(context: AppContext) -> None:
    """While ``asof`` pins the clock: say so, with the way back to the source's own clock."""
    error = asof_error(context.filters.asof)
    if error:
        st.warning(f"Ignoring the link's `asof`: {escape_markdown(error)}.", icon=":material/schedule:")
        st.button("Remove it", key="asof_remove", on_click=_set_asof, args=(None,))
        return
    if not is_pinned(context.sources):
        return
    before = clock_before(context.sources)
    back_label = "Back to the live clock" if before == "wall clock" else f"Back to the usual now ({before})"
    text, back = st.columns([5, 2], vertical_alignment="center")
    text.info(
        # No "(the newest record)": a shared link may pin any time, and knowing the newest would load every input.
        f"**Viewing as of {stamp(context.now)}**: ranges, severity and lifecycle end there, as `--now` would "
        "make them.",
        icon=":material/history:",
    )
    back.button(back_label, key="asof_back", on_click=_set_asof, args=(None,))


def empty_range_notice(context: AppContext, names: list[str], own: str | None = None) -> None:
    """When the page's window holds none of ``names`` but they hold data: where the data is, and the one click."""
    spans = page_spans(context, names, own)
    sentence = empty_range_sentence(spans, page_window(context, own))
    if sentence is None:
        return
    newest = newest_of_all(context)
    with st.container(border=True):
        st.markdown(f":material/travel_explore: {escape_markdown(sentence)}")
        if newest is None or newest.newest is None or newest.newest == context.now:
            if own is None:
                st.caption("Widen the time range in the sidebar to see it.")
            return
        target = iso(newest.newest)
        st.button(
            f"View as of the newest record ({stamp(newest.newest)})",
            key="asof_go",
            type="primary",
            on_click=_set_asof,
            args=(target,),
            help=f"Pins now to {target}, as `--now {target}` does on the command line; kept in the URL as asof=.",
        )


def asof_notices(context: AppContext, page_title: str) -> None:
    """The banner (while pinned) and the empty-range notice of the page titled ``page_title``."""
    asof_banner(context)
    spec = next((p for p in PAGES if p.title == page_title), None)
    if spec is None or page_title in NO_RANGE_PAGES:
        return
    empty_range_notice(context, [n for n in spec.needs if n in INPUTS_BY_NAME], own_window(context, page_title))
