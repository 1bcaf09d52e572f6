"""The dashboard's server process: Streamlit's own ``streamlit run``, with a warm-up started beside it.

``triage-lens dashboard`` (and so ``make run``) runs ``python -m dashboard.serve run dashboard/app.py <options>``:
the arguments are Streamlit's, passed through unchanged. Before Streamlit starts, one background thread begins
what the first browser session would otherwise wait for:

the Triage Lens cache of each file input the landing page (the Overview) reads is built, exactly as a session's
load would build it (:func:`triage_lens.sources.cache.load_input`, which lets one load of a file run at a time: a
session that arrives during the build waits for it, then reads the finished cache). On a 1M-miss file that is
about 4 s a user who opens the page a little after ``make run`` no longer waits.

Libraries are not imported in the background: a module another thread is still importing is visible half-built
in ``sys.modules`` (Altair then found a pandas without ``Timestamp``), so the session imports what it uses.

A warm-up that fails changes nothing: the error goes to the log and the session loads as it always did. Nothing
of it is kept in memory (a session still loads its inputs through ``st.cache_resource``); only the files of the
user's own cache folder are written, as any load writes them. ``TRIAGE_LENS_WARM_UP=0`` turns it off.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from analytics.policy import PolicyError
from triage_lens.sources.cache import load_input
from triage_lens.sources.config import load_policy
from triage_lens.sources.resolve import DataSources, SourceError, resolve_sources

LOG = logging.getLogger("triage_lens.dashboard")
ENV_WARM_UP = "TRIAGE_LENS_WARM_UP"


def startup_sources(environ: Mapping[str, str]) -> DataSources:
    """The data source fixed when the server started: ``TRIAGE_LENS_DATA`` (what ``triage-lens dashboard --data``
    sets), else ``./triage-lens.yaml``, ``~/.opensre`` or the bundled sample, with ``TRIAGE_LENS_POLICY``,
    ``TRIAGE_LENS_NOW`` and ``TRIAGE_LENS_WRITE``. Raises :class:`SourceError` for a broken start-up source."""
    return resolve_sources(
        None,
        environ.get("TRIAGE_LENS_POLICY"),
        environ.get("TRIAGE_LENS_NOW"),
        environ.get("TRIAGE_LENS_WRITE", "") in ("1", "true"),
        environ=environ,
    )


def warm_up(environ: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    """Build the cache of each file input in ``names``; the names of the inputs whose cache was built or checked
    (a missing file, a database or a broken source is skipped: the session reports those as it always does)."""
    try:
        sources = startup_sources(environ)
        max_line_bytes = load_policy(sources.policy_path).limits.max_line_bytes
    except (SourceError, PolicyError):
        return []  # the session shows this problem and falls back to the sample
    warmed: list[str] = []
    for name in names:
        path = sources.paths.get(name)
        if path is None or not path.is_file() or (name == "error_ledger" and sources.ledger_uri):
            continue
        if name in ("incidents", "events") and sources.incident_store_uri:
            continue
        load_input(name, path, environ=environ, max_line_bytes=max_line_bytes)
        warmed.append(name)
    return warmed


def _warm_up_in_background(environ: Mapping[str, str], names: tuple[str, ...]) -> None:
    try:
        warm_up(environ, names)
    except Exception:  # never let the warm-up take the server down: the session loads as it always did
        LOG.exception("start-up warm-up failed; the first page loads its data itself")


def start_warm_up(environ: Mapping[str, str]) -> threading.Thread | None:
    """Start the warm-up thread (a daemon: it never holds the server open), unless ``TRIAGE_LENS_WARM_UP=0``."""
    if environ.get(ENV_WARM_UP, "1") in ("0", "false"):
        return None
    from dashboard.registry import PAGES  # the landing page's inputs (no Streamlit import)

    thread = threading.Thread(
        target=_warm_up_in_background, args=(dict(environ), PAGES[0].needs), name="triage-lens-warm-up", daemon=True
    )
    thread.start()
    return thread


def main() -> None:
    """``python -m dashboard.serve run APP [Streamlit options]``: the warm-up, then Streamlit's own command line."""
    start_warm_up(os.environ)
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
