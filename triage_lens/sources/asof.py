"""Pin "now" of resolved sources to an instant: the dashboard's ``asof=<ISO>`` (DEFINITIONS §2 "as of").

The pinned sources differ from the resolved ones only in ``now`` and ``now_source``, exactly as ``--now`` would
make them: the files, the policy and write mode stay the ones the server started with.
"""

from __future__ import annotations

from dataclasses import replace

from analytics.clock import ClockRangeError, check_now
from analytics.timeparse import parse_cli_time
from triage_lens.sources.loading import DataSources

ASOF_SOURCE = "asof in the URL"  # ``now_source`` of sources pinned by asof= starts with this


def asof_error(text: str | None) -> str | None:
    """Why an ``asof`` value cannot pin the clock (None when it can or when there is none)."""
    if not text:
        return None
    try:
        check_now(parse_cli_time(text, "asof"), "asof")
    except (ValueError, ClockRangeError) as exc:
        return str(exc)
    return None


def pinned_to(sources: DataSources, text: str | None) -> DataSources:
    """``sources`` with now = ``text`` (an ISO-8601 instant); unchanged when ``text`` is empty or not a time
    (:func:`asof_error` says why)."""
    if not text or asof_error(text) is not None:
        return sources
    pinned = parse_cli_time(text, "asof")
    return replace(sources, now=pinned, now_source=f"{ASOF_SOURCE}, instead of {sources.now_source}")


def is_pinned(sources: DataSources) -> bool:
    """Whether ``asof`` pinned the clock of ``sources``."""
    return sources.now_source.startswith(ASOF_SOURCE)


def clock_before(sources: DataSources) -> str:
    """What the clock was before ``asof`` pinned it (``wall clock``, ``--now``, ``sample.json``, ``config``)."""
    return sources.now_source.removeprefix(f"{ASOF_SOURCE}, instead of ") if is_pinned(sources) else sources.now_source
