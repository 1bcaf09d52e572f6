"""The dashboard's Host allow-list (DEFINITIONS.md §6): which ``Host`` header names it serves.

A web page the user visits can rebind its own name to 127.0.0.1 (DNS rebinding) and then talk to the local
dashboard as "same origin". Refusing every ``Host`` that is not on the list stops that: the browser still
sends the attacker's name. Defaults: ``127.0.0.1``, ``localhost`` and ``[::1]``, with any port; more names come
from ``allowed_hosts:`` in ``triage-lens.yaml`` and ``triage-lens dashboard --allowed-host NAME``.

The list reaches the Streamlit process twice: as Streamlit's public ``server.allowedHosts`` option (the WebSocket
of a foreign Host is refused, so no script runs for it) and as ``$TRIAGE_LENS_ALLOWED_HOSTS`` (comma-separated),
which the entry script checks against ``st.context.headers`` before anything else runs. Names are exact (no
wildcards), compared case-insensitively without a trailing dot; IPv6 addresses may be given with or without
brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlparse

DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
ENV_ALLOWED_HOSTS = "TRIAGE_LENS_ALLOWED_HOSTS"
_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$|^[0-9a-f:.]+$")
HOST_REFUSAL = (
    "This dashboard does not answer to this host name. Open it as `127.0.0.1` or `localhost` on the same port, "
    "or start it with `triage-lens dashboard --allowed-host NAME`."
)
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (names to recognise, not to bind)


class HostError(ValueError):
    """A name that cannot be an allowed host; the message says which and why."""


def normalise_host(name: str) -> str:
    """A host name as compared: lower case, no trailing dot, IPv6 without brackets. Raises :class:`HostError`
    for anything that is not a plain host name or address (a port, a path, a wildcard, spaces)."""
    text = name.strip().lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text or not _NAME.match(text) or (":" in text and not _is_ipv6(text)):
        raise HostError(f"{name!r} is not a host name (a name or an address, without port or wildcard)")
    return text


def _is_ipv6(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def host_name(header: str | None) -> str | None:
    """The host name of a ``Host`` header (``evil.example:8501`` → ``evil.example``, ``[::1]:8501`` → ``::1``);
    None when it is missing or malformed (user info, a path, a bad port)."""
    if not header:
        return None
    try:
        parsed = urlparse(f"//{header.strip()}")
        hostname = parsed.hostname
        _ = parsed.port  # validates the port
    except ValueError:
        return None
    if hostname is None or parsed.username is not None or parsed.path or parsed.query or parsed.fragment:
        return None
    return hostname.lower().rstrip(".")


def allowed_hosts(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The defaults plus ``extra``, normalised, without repeats (order kept)."""
    seen: dict[str, None] = {}
    for name in (*DEFAULT_ALLOWED_HOSTS, *extra):
        seen.setdefault(normalise_host(name), None)
    return tuple(seen)


def allowed_from_environment(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The list the dashboard command passed (``$TRIAGE_LENS_ALLOWED_HOSTS``), else the defaults. A malformed
    entry is ignored (the command validated the list; a hand-set variable must not open the gate)."""
    names = []
    for part in environ.get(ENV_ALLOWED_HOSTS, "").split(","):
        try:
            names.append(normalise_host(part))
        except HostError:
            continue
    return allowed_hosts(names)


def is_allowed(header: str | None, allowed: Iterable[str]) -> bool:
    """Whether a request with this ``Host`` header is served."""
    name = host_name(header)
    return name is not None and name in set(allowed)


__all__ = [
    "DEFAULT_ALLOWED_HOSTS",
    "ENV_ALLOWED_HOSTS",
    "HOST_REFUSAL",
    "WILDCARD_ADDRESSES",
    "HostError",
    "allowed_from_environment",
    "allowed_hosts",
    "host_name",
    "is_allowed",
    "normalise_host",
]
