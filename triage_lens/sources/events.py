"""The one way Triage Lens writes to the incident timeline: notes, follow-ups, assignments and status changes all go
through :func:`write_events` (pages and CLI alike), on top of the store's locked, de-duplicating appender
(:func:`triage_lens.sources.store.append_events`). Events are only ever appended; history is never rewritten."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from triage_lens.sources.store import StoreError, append_events, events_target

if TYPE_CHECKING:
    from triage_lens.sources.loading import DataSources

READ_ONLY = "this writes to the incident store: enable write mode with --write (or write: true in the config)"


class ReadOnlyError(StoreError):
    """Write mode is off: nothing was written."""


def write_events(sources: DataSources, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append ``events`` to the data source's timeline (PostgreSQL or ``events.jsonl``) and return those actually
    written (an event whose ``event_id`` or ``meta.dedupe_key`` is already stored is skipped).

    Raises :class:`ReadOnlyError` when write mode is off and :class:`StoreError` when the store cannot be written.
    """
    if not events:
        return []
    if not sources.write:
        raise ReadOnlyError(READ_ONLY)
    uri, path = events_target(sources)
    return append_events(events=events, uri=uri, events_path=path)


__all__ = ["READ_ONLY", "ReadOnlyError", "StoreError", "write_events"]
