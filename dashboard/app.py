"""Triage Lens: Streamlit entrypoint — page config, the shared sidebar and the navigation registry."""

from __future__ import annotations

import streamlit as st

from dashboard.context import render_sidebar
from dashboard.registry import PAGES

st.set_page_config(page_title="Triage Lens", page_icon=":material/troubleshoot:", layout="wide")
navigation = st.navigation(
    [
        st.Page(str(spec.path), title=spec.title, icon=spec.icon, url_path=spec.url_path, default=i == 0)
        for i, spec in enumerate(PAGES)
    ]
)
render_sidebar()
navigation.run()
