"""Incident statuses, defined once (DATA.md: ``open``, ``mitigating``, ``resolved``, ``closed``).

"Open" means a status in the policy's ``incidents.open_statuses`` (default :data:`DEFAULT_OPEN_STATUSES`):
the Overview's count, the Incidents page's ``unresolved`` filter, the digest and the buckets' ``open`` count
all use :func:`is_open`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

INCIDENT_STATUSES: tuple[str, ...] = ("open", "mitigating", "resolved", "closed")
DEFAULT_OPEN_STATUSES: tuple[str, ...] = ("open", "mitigating")
UNRESOLVED = "unresolved"
"""The status filter value that means "any open status" (what the Overview links to)."""


def is_open(open_statuses: Iterable[str], column: str = "status") -> pl.Expr:
    """True where the status is one of ``open_statuses`` (a null status is not open)."""
    return pl.col(column).is_in(list(open_statuses)).fill_null(False)


def status_filter(choice: str, open_statuses: Iterable[str], column: str = "status") -> pl.Expr | None:
    """The Incidents page's status filter: ``all`` → None, ``unresolved`` → any open status, else that status."""
    if choice == "all":
        return None
    if choice == UNRESOLVED:
        return is_open(open_statuses, column)
    return pl.col(column) == choice
