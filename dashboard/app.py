"""Triage Lens: Streamlit entrypoint — page config, the shared sidebar and the navigation registry.

A page that raises shows a short, friendly error box: no traceback, exception text or path reaches the
browser (the full traceback goes to the terminal's log). ``TRIAGE_LENS_DEBUG=1`` lets exceptions through
instead, for tests and development.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st

from dashboard.context import render_sidebar
from dashboard.registry import PAGES

PAGE_ERROR = (
    "This page hit an unexpected problem and stopped. The other pages still work; the details are in the "
    "terminal that runs the dashboard."
)
LOG = logging.getLogger("triage_lens.dashboard")

# A bundled icon: a material-icon favicon would be fetched from Google's font CDN.
st.set_page_config(page_title="Triage Lens", page_icon=str(Path(__file__).with_name("icon.png")), layout="wide")


def _login_gate() -> None:
    """With an ``[auth]`` section in ``.streamlit/secrets.toml`` (Streamlit's OIDC login), no page runs before the
    visitor has logged in; without one the app is local-only and open (see README "Security")."""
    if not (st.secrets.load_if_toml_exists() and "auth" in st.secrets):
        return
    if not st.user.get("is_logged_in", False):
        st.title("Triage Lens")
        st.caption("Log in to see the dashboard.")
        st.button("Log in", on_click=st.login, type="primary")
        st.stop()


_login_gate()
navigation = st.navigation(
    [
        st.Page(str(spec.path), title=spec.title, icon=spec.icon, url_path=spec.url_path, default=i == 0)
        for i, spec in enumerate(PAGES)
    ]
)
try:
    render_sidebar()
    navigation.run()
except Exception:  # st.stop / st.rerun are BaseExceptions and pass through
    if os.environ.get("TRIAGE_LENS_DEBUG") == "1":
        raise
    LOG.exception("page %r failed", navigation.title)
    st.error(PAGE_ERROR, icon=":material/error:")
