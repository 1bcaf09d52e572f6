"""URL-backed widgets: every piece of view state lives in ``st.query_params``, so reload, a shared link and the
browser's Back and Forward buttons bring the same view back.

How it works (Streamlit 1.67):
- A widget's value is read from its URL parameter (absent = the default). The widget is keyed ``url:<param>``
  and its Session State is set from the URL whenever the URL holds something other than what this session last
  wrote there — a first visit, a shared link, or Back/Forward (Streamlit reruns the page on ``popstate`` with the
  URL's parameters, but keeps the widgets' previous values unless told otherwise).
- The URL is written only when the user changed the widget (never just because a default was rendered), so the
  first load adds no history entry and Back can leave the app. Assigning ``st.query_params`` makes Streamlit
  ``history.pushState`` the new URL: each change is one Back step. (Streamlit's own ``bind="query-params"`` uses
  ``replaceState``: Back would leave the app instead of undoing the change, so it is not used here.)
- A value equal to the default is removed from the URL, so links stay short; ``range`` and ``service`` keep
  their names and values, so links shared before keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")
LAST_WRITTEN = "_url_last_seen"  # session key: {param: the URL values this session last saw or wrote}


def url_values(param: str) -> list[str]:
    """Every value of a URL parameter (repeated parameters keep their order; empty strings dropped)."""
    return [v for v in st.query_params.get_all(param) if v != ""]


def url_param(name: str, default: str | None = None) -> str | None:
    """A page's URL parameter (the last value when repeated)."""
    values = st.query_params.get_all(name)
    return values[-1] if values else default


def set_url_param(name: str, value: str | None, default: str | None = None) -> None:
    """Keep a value in the URL (removed when it equals its default), so a link reproduces the view."""
    set_url_values(name, [] if value is None or value == default else [value])


def set_url_values(name: str, values: list[str]) -> None:
    """Write a parameter's values (none = remove it) unless the URL already holds exactly these."""
    seen = st.session_state.setdefault(LAST_WRITTEN, {})
    seen[name] = list(values)
    if st.query_params.get_all(name) == values:
        return
    if values:
        st.query_params[name] = values if len(values) > 1 else values[0]
    elif name in st.query_params:
        del st.query_params[name]


def _url_changed(param: str, key: str) -> bool:
    """True when the widget must be (re)initialised from the URL: first render, or the URL moved on its own."""
    seen = st.session_state.setdefault(LAST_WRITTEN, {})
    return key not in st.session_state or seen.get(param) != st.query_params.get_all(param)


def _bind(
    param: str,
    from_url: Callable[[list[str]], T],
    to_url: Callable[[T], list[str]],
    render: Callable[[str], T],
    default: T,
    valid: Callable[[T], bool] = lambda _: True,
) -> T:
    key = f"url:{param}"
    wanted = from_url(url_values(param))
    if not valid(wanted):
        wanted = default
    if _url_changed(param, key) or not valid(st.session_state[key]):
        st.session_state[key] = wanted
        st.session_state.setdefault(LAST_WRITTEN, {})[param] = st.query_params.get_all(param)
    value = render(key)
    if value != wanted:  # the user changed it: one history entry
        set_url_values(param, [] if value == default else to_url(value))
    return value


def url_selectbox(
    container: Any,
    label: str,
    options: Sequence[str],
    param: str,
    default: str,
    *,
    all_label: str | None = None,
    format_func: Callable[[str], str] | None = None,
    help: str | None = None,
) -> str:
    """A selectbox whose choice lives in ``param``. ``all_label`` names the ``"all"`` option."""
    choices = list(options)
    fallback = default if default in choices else (choices[0] if choices else default)
    fmt = format_func or ((lambda v: all_label if v == "all" else v) if all_label else str)
    value = _bind(
        param,
        lambda vs: vs[-1] if vs else fallback,
        lambda v: [v],
        lambda key: container.selectbox(label, choices, key=key, help=help, format_func=fmt),
        fallback,
        lambda v: v in choices,
    )
    return str(value)


def url_multiselect(
    container: Any, label: str, options: Sequence[str], param: str, *, help: str | None = None
) -> list[str]:
    """A multiselect whose choices are the repeated parameter ``param`` (empty = none chosen)."""
    choices = list(options)
    value: list[str] = _bind(
        param,
        lambda vs: [v for v in dict.fromkeys(vs) if v in choices],
        list,
        lambda key: container.multiselect(label, choices, key=key, help=help),
        [],
        lambda v: all(x in choices for x in v),
    )
    return list(value)


def url_segmented(
    container: Any,
    label: str,
    options: Sequence[str],
    param: str,
    default: str,
    *,
    format_func: Callable[[str], str] = str,
    help: str | None = None,
) -> str:
    """A segmented control used as tabs (``st.tabs`` cannot be driven by the URL); always one choice."""
    choices = list(options)
    value = _bind(
        param,
        lambda vs: vs[-1] if vs else default,
        lambda v: [v],
        lambda key: container.segmented_control(
            label, choices, key=key, format_func=format_func, help=help, required=True
        ),
        default,
        lambda v: v in choices,
    )
    return str(value if value in choices else default)


def url_toggle(container: Any, label: str, param: str, default: bool = False, *, help: str | None = None) -> bool:
    """A toggle kept as ``param=on`` / ``param=off`` (absent = the default)."""
    return bool(
        _bind(
            param,
            lambda vs: {"on": True, "off": False}.get(vs[-1], default) if vs else default,
            lambda v: ["on" if v else "off"],
            lambda key: container.toggle(label, key=key, help=help),
            default,
        )
    )


def url_number(
    container: Any,
    label: str,
    param: str,
    default: float,
    *,
    min_value: float,
    max_value: float,
    step: float,
    slider: bool = False,
    help: str | None = None,
) -> float:
    """A number input (or a slider) kept in ``param``; out-of-range or unreadable URL values fall back."""

    def parse(vs: list[str]) -> float:
        try:
            return float(vs[-1]) if vs else default
        except ValueError:
            return default

    integer = all(float(x).is_integer() for x in (default, min_value, max_value, step))
    cast: Callable[[float], Any] = int if integer else float

    def render(key: str) -> float:
        widget = container.slider if slider else container.number_input
        return float(
            widget(label, min_value=cast(min_value), max_value=cast(max_value), step=cast(step), key=key, help=help)
        )

    value = _bind(
        param,
        lambda vs: cast(parse(vs)),
        lambda v: [f"{v:g}"],
        lambda key: cast(render(key)),
        cast(default),
        lambda v: min_value <= v <= max_value,
    )
    return float(value)


def url_select_slider(
    container: Any, label: str, options: Sequence[T], param: str, default: T, *, help: str | None = None
) -> T:
    """A select slider over ``options`` kept in ``param`` (as the option's text)."""
    by_text = {str(o): o for o in options}
    value: T = _bind(
        param,
        lambda vs: by_text.get(vs[-1], default) if vs else default,
        lambda v: [str(v)],
        lambda key: container.select_slider(label, list(options), key=key, help=help),
        default,
        lambda v: str(v) in by_text,
    )
    return value


def url_text(container: Any, label: str, param: str, *, placeholder: str = "", help: str | None = None) -> str:
    """A text input kept in ``param`` (stripped; empty = absent)."""
    value = _bind(
        param,
        lambda vs: vs[-1] if vs else "",
        lambda v: [v.strip()] if v.strip() else [],
        lambda key: container.text_input(label, key=key, placeholder=placeholder, help=help),
        "",
    )
    return str(value).strip()


def url_selection(param: str, selected: str | None) -> str | None:
    """A table row selection kept in ``param``: a row picked in this run goes to the URL (one history entry);
    otherwise the URL decides (a link, reload, or Back/Forward), even while the table still shows an older
    selection. Clearing the selection keeps the URL's value."""
    key = f"url-selection:{param}"
    previous = st.session_state.get(key)
    st.session_state[key] = selected
    if selected is not None and selected != previous:
        set_url_param(param, selected)
        return selected
    return url_param(param)
