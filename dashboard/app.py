"""Triage Lens: Streamlit entrypoint — page config, the shared sidebar and the navigation registry.

The entry script lives in ``dashboard/`` so Streamlit's ``pages/`` folder discovery (next to the entry script) does
not apply: ``st.navigation`` alone routes every URL, including a deep link as the first request of a fresh server.
An unknown page name lands on the Overview (with the URL's filters) instead of Streamlit's "page not found" dialog.

A request whose ``Host`` is not on the allow-list (``triage_lens.hosts``: 127.0.0.1, localhost, [::1] and the names
given with ``--allowed-host`` / ``allowed_hosts:``) gets a short refusal and nothing else: the check is the first
thing the script does once the server's start-up imports are in (it only waits for those), before the page config,
the login gate, the sidebar or any page (DNS rebinding, README "Security"). ``triage-lens dashboard`` also sets
Streamlit's ``server.allowedHosts``, so such a request does not even get a WebSocket.

A page that raises shows a short, friendly error box: no traceback, exception text or path reaches the
browser (the full traceback goes to the terminal's log). ``TRIAGE_LENS_DEBUG=1`` lets exceptions through
instead, for tests and development.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import streamlit as st

from dashboard.serve import wait_for_late_imports

# Before anything that imports Altair or pandas: while the server's start-up imports them (dashboard/serve.py),
# this session waits for them rather than importing them beside it. Returns at once without a warm-up.
wait_for_late_imports()

from dashboard.asof_view import asof_notices  # noqa: E402
from dashboard.context import render_sidebar  # noqa: E402
from dashboard.registry import PAGE_ERROR, PAGES  # noqa: E402
from triage_lens.hosts import HOST_REFUSAL, allowed_from_environment, is_allowed  # noqa: E402


def _host_gate() -> None:
    """Refuse a request whose ``Host`` header is not allowed: one short message, then stop. No headers at all
    means no web request (AppTest, ``streamlit run`` in bare mode): nothing to check."""
    headers = st.context.headers
    if not headers:
        return
    if not is_allowed(headers.get("Host"), allowed_from_environment(os.environ)):
        st.markdown(HOST_REFUSAL)
        st.stop()


_host_gate()  # first: nothing of the app runs for a foreign Host

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


def requested_page_name() -> str | None:
    """The last path segment of the browser's URL (``st.context.url``), None at the root."""
    path = urlparse(st.context.url or "").path.rstrip("/")
    name = unquote(path.rsplit("/", 1)[-1]) if path else ""
    return name or None


_login_gate()
# The default page (the Overview) is served at the root; its url_path is "" so that its registry name
# ("/overview") stays free for the landing page below instead of being reserved and answered with a dialog.
pages = [
    st.Page(str(spec.path), title=spec.title, icon=spec.icon, url_path="" if i == 0 else spec.url_path, default=i == 0)
    for i, spec in enumerate(PAGES)
]
served = {spec.url_path for spec in PAGES[1:]}
requested = requested_page_name()
if requested and requested not in served and "/" not in requested and requested == requested.strip():
    # An unknown name shows the Overview under that name for this run (hidden from the menu), so Streamlit
    # resolves it instead of showing its "page not found" dialog. No redirect: a redirect would push a history
    # entry that Back returns to and is redirected from again. At a base URL path (server.baseUrlPath) the root's
    # last segment is the base itself: the browser asks for the default page there, so this page is never reached.
    overview = PAGES[0]
    pages.append(
        st.Page(str(overview.path), title=overview.title, icon=overview.icon, url_path=requested, visibility="hidden")
    )
navigation = st.navigation(pages, position="hidden")
try:
    menu = st.sidebar.container()
    context = render_sidebar()
    with menu:
        for page in pages:
            if page.visibility != "hidden":
                st.page_link(page, label=page.title, icon=page.icon, query_params=context.filters.query_params())
        st.divider()
    asof_notices(context, navigation.title)  # "as of" banner; where the data is when the range is empty
    navigation.run()
except Exception:  # st.stop / st.rerun are BaseExceptions and pass through
    if os.environ.get("TRIAGE_LENS_DEBUG") == "1":
        raise
    LOG.exception("page %r failed", navigation.title)
    st.error(PAGE_ERROR, icon=":material/error:")
