"""Start the Streamlit server for ``app.py`` with ``st.navigation`` owning routing from the first request.

Streamlit decides once per server whether a ``pages/`` folder means the old automatic multipage mode; it
only switches to ``st.navigation`` after the first script run has called it. A deep link opened first on
a fresh server (``/misses?range=7d``) would then run ``pages/misses.py`` alone, without the sidebar.
Setting the flag before the server starts closes that window. ``triage-lens dashboard`` (and so
``make run``) start the app through here: ``python -m dashboard.serve run app.py [streamlit options]``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``streamlit`` with ``argv`` (default: this process's arguments) after pinning navigation mode."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    PagesManager.uses_pages_directory = False  # the app registers every page with st.navigation
    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
