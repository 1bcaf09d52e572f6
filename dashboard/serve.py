"""The dashboard's server process: Streamlit's own ``streamlit run``, with a warm-up started beside it.

``triage-lens dashboard`` (and so ``make run``) runs ``python -m dashboard.serve run dashboard/app.py <options>``:
the arguments are Streamlit's, passed through unchanged. Before Streamlit starts, one background thread begins
what the first browser session would otherwise wait for:

the Triage Lens cache of each file input the landing page (the Overview) reads is built, exactly as a session's
load would build it (:func:`triage_lens.sources.cache.load_input`, which lets one load of a file run at a time: a
session that arrives during the build waits for it, then reads the finished cache). On a 1M-miss file that is
about 4 s a user who opens the page a little after ``make run`` no longer waits.

Once Streamlit answers, a second thread imports the libraries the first page draws with (Altair; pandas and
pyarrow, which Streamlit's tables use): about 2 CPU s a first visit would otherwise spend. A module another thread
is still importing is visible half-built in ``sys.modules`` (Altair, which looks there, once found a pandas without
``Timestamp``), so the app script waits for those imports (:func:`wait_for_late_imports`) before it runs: a
session never imports beside them. They start after Streamlit's own start-up because imports hold the GIL.

A warm-up that fails changes nothing: the error goes to the log and the session loads as it always did. Nothing
of it is kept in memory (a session still loads its inputs through ``st.cache_resource``); only the files of the
user's own cache folder are written, as any load writes them. ``TRIAGE_LENS_WARM_UP=0`` turns it off.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping

from analytics.policy import PolicyError
from triage_lens.sources.cache import load_input
from triage_lens.sources.config import load_policy
from triage_lens.sources.loading import in_a_database
from triage_lens.sources.resolve import SourceError, startup_sources

LOG = logging.getLogger("triage_lens.dashboard")
ENV_WARM_UP = "TRIAGE_LENS_WARM_UP"
LATE_IMPORTS = ("altair", "pandas", "pyarrow")
SERVER_UP_TIMEOUT_S = 120.0
_late_imports_planned = threading.Event()  # set (before Streamlit starts) when a warm-up will import them
_late_imports_done = threading.Event()


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
        if path is None or not path.is_file() or in_a_database(sources, name):
            continue  # a database is asked by the page itself (push-down), never read whole
        load_input(name, path, environ=environ, max_line_bytes=max_line_bytes)
        warmed.append(name)
    return warmed


def wait_for_late_imports(timeout: float = SERVER_UP_TIMEOUT_S) -> None:
    """The app script's first call: while the warm-up imports :data:`LATE_IMPORTS`, wait for it (at most
    ``timeout`` s) instead of importing them beside it. Returns at once without a warm-up (``streamlit run``,
    tests) and once they are imported."""
    if _late_imports_planned.is_set():
        _late_imports_done.wait(timeout)


def _streamlit_is_up() -> bool:
    from streamlit.runtime import Runtime, RuntimeState

    return Runtime.exists() and Runtime.instance().state is not RuntimeState.INITIAL


def _import_late_modules(server_up: Callable[[], bool], poll_s: float = 0.05) -> None:
    try:
        deadline = time.monotonic() + SERVER_UP_TIMEOUT_S
        while not server_up() and time.monotonic() < deadline:
            time.sleep(poll_s)  # Streamlit's own start-up first: imports hold the GIL
        for module in LATE_IMPORTS:
            importlib.import_module(module)
    except Exception:  # a failed import here fails again, with its message, where the page imports it
        LOG.exception("start-up imports failed")
    finally:
        _late_imports_done.set()


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


def start_late_imports(server_up: Callable[[], bool] = _streamlit_is_up) -> threading.Thread:
    """Import :data:`LATE_IMPORTS` in a daemon thread once ``server_up()`` is true; until they are imported the
    app script waits for them (:func:`wait_for_late_imports`). Called by :func:`main` only, before Streamlit
    starts: a process without it (tests, a plain ``streamlit run``) never waits."""
    _late_imports_planned.set()
    thread = threading.Thread(target=_import_late_modules, args=(server_up,), name="triage-lens-imports", daemon=True)
    thread.start()
    return thread


def main() -> None:
    """``python -m dashboard.serve run APP [Streamlit options]``: the warm-up, then Streamlit's own command line."""
    if start_warm_up(os.environ) is not None:
        start_late_imports()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    # `python -m dashboard.serve` runs this file as __main__; the app script imports dashboard.serve, a second
    # module object. Everything runs in that one, so the app waits on the same events the warm-up sets.
    from dashboard import serve

    serve.main()
