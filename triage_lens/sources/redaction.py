"""What never leaves the process in clear: connection-string secrets and personal data.

- :func:`redact` masks the credentials of every connection string in a text: everything between ``://`` and
  the LAST ``@`` of the token (``postgresql://user:secret@host`` → ``postgresql://***@host``; a malformed
  ``alice:S3cr@tPW@host`` is masked whole), and the keyword forms (``?password=secret``, libpq's
  ``password=secret`` / ``password='se cret'``). Fragments of those credentials quoted elsewhere in the same
  text (a driver's ``failed to resolve host 'tPW@127.0.0.1'``) are masked too. Every printer (``check``, the
  Data & policy page, log lines, error messages) shows a source through it: this module is the one place.
- :func:`redact_error` is for a driver's exception text: on top of :func:`redact` it masks every fragment
  of the given DSNs' credentials that the message may quote (libpq splits ``user:p@ss@host`` at the first
  ``@`` and reports host ``ss@host``), and keeps one line.
- :func:`mask_personal` masks the values of ``user_email`` / ``user_id`` in a quarantine excerpt (the first
  200 characters of a raw line, often broken JSON), so excerpts are safe to show and export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from triage_lens.sources.readers import ReportItem

MASK = "***"
PERSONAL_FIELDS: tuple[str, ...] = ("user_email", "user_id")

# scheme://userinfo@host — the userinfo runs to the LAST "@" of the whitespace-free token, so user name,
# password and any raw "@" inside it (which libpq accepts, and splits at the first one) are masked together.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<secret>[^\s]*)@(?P<host>[^\s@]*)")
# password=value in a query string or a libpq keyword/value string; quoted values may hold spaces.
_KEYWORD = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|sslpassword)\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'?|\"[^\"]*\"?|[^\s&;,'\"]*)",
    re.IGNORECASE,
)
_FRAGMENT_SPLIT = re.compile(r"[@:/?#&=\s'\"]+")
MIN_FRAGMENT = 2  # shorter fragments are too common to mask without mangling the message


def redact(text: str) -> str:
    """``text`` with the credentials of every connection string in it replaced by ``***``.

    >>> redact("postgresql://bob:p@ss@db.local/app?sslmode=require&password=x")
    'postgresql://***@db.local/app?sslmode=require&password=***'
    >>> redact("postgresql://alice:S3cr@tPW@127.0.0.1:1/db: failed to resolve host 'tPW@127.0.0.1'")
    "postgresql://***@127.0.0.1:1/db: failed to resolve host '***@127.0.0.1'"
    """
    if not text:
        return text
    found = _secrets_in(text)
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}@{m['host']}", text)
    text = _KEYWORD.sub(lambda m: f"{m['key']}{MASK}", text)
    return _mask_fragments(text, _pieces(found))


def _secrets_in(text: str) -> set[str]:
    found = {match["secret"] for match in _USERINFO.finditer(text)}
    found.update(match["secret"].strip("'\"") for match in _KEYWORD.finditer(text))
    return {s for s in found if s}


def _pieces(found: Iterable[str]) -> list[str]:
    pieces: set[str] = set()
    for secret in found:
        for form in (secret, unquote(secret)):
            pieces.add(form)
            pieces.update(_FRAGMENT_SPLIT.split(form))
    # longest first, then by text: a set's order depends on the hash seed, the answer must not
    return sorted((p for p in pieces if len(p) >= MIN_FRAGMENT and p != MASK), key=lambda p: (-len(p), p))


def _mask_fragments(text: str, pieces: Iterable[str]) -> str:
    for piece in pieces:
        # whole fragments only (not inside a longer word), so "ss" does not mangle "address"
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(piece)}(?![A-Za-z0-9])", MASK, text)
    return text


def dsn_secrets(dsn: str) -> list[str]:
    """The credentials of a connection string and the pieces a driver message may quote, longest first."""
    return _pieces(_secrets_in(dsn))


def redact_error(message: object, dsns: Iterable[str | None] = ()) -> str:
    """A driver error as one safe line: every fragment of the given DSNs' credentials masked, then :func:`redact`."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = " ".join(lines) if lines else type(message).__name__
    for dsn in dsns:
        text = _mask_fragments(text, dsn_secrets(dsn or ""))
    return redact(text)


def _personal_pattern(fields: Iterable[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(f) for f in fields)
    # "key": "value" (escapes allowed, closing quote optional: the excerpt may stop mid-value),
    # or "key": bare-value (a number, true/false, up to a delimiter or the end of the excerpt).
    return re.compile(
        rf"(?P<key>[\"'](?:{names})[\"']\s*:\s*)(?P<value>\"(?:[^\"\\]|\\.)*(?:\"|\\?$)|[^,}}\]\s]+)",
        re.IGNORECASE,
    )


_PERSONAL = _personal_pattern(PERSONAL_FIELDS)


def mask_personal(excerpt: str, show: Iterable[str] = ()) -> str:
    """``excerpt`` with the values of ``user_email`` and ``user_id`` replaced by ``"***"`` (also in broken
    JSON: a value cut by the 200-character excerpt is masked to its end). Fields in ``show`` stay visible."""
    hidden = [f for f in PERSONAL_FIELDS if f not in set(show)]
    if not excerpt or not hidden:
        return excerpt
    pattern = _PERSONAL if len(hidden) == len(PERSONAL_FIELDS) else _personal_pattern(hidden)
    masked = pattern.sub(lambda m: f'{m["key"]}"{MASK}"', excerpt)
    return _EMAIL.sub(MASK, masked) if "user_email" in hidden else masked


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def mask_record(record: dict[str, Any], show: Iterable[str] = ()) -> dict[str, Any]:
    """A stored record as printed or exported: the values of the personal fields it carries replaced by
    ``"***"`` (null stays null), unless named in ``show``; key order and every other value unchanged."""
    hidden = set(PERSONAL_FIELDS) - set(show)
    return {k: (MASK if k in hidden and v is not None else v) for k, v in record.items()}


def safe_excerpt(excerpt: str, show: Iterable[str] = ()) -> str:
    """A quarantine excerpt as it may be shown or exported: passwords redacted, personal data masked."""
    return mask_personal(redact(excerpt), show)


def report_records(items: Iterable[ReportItem], show: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The quarantine report as plain rows (``file``, ``line``, ``reason``, ``excerpt``, ``action``) with
    :func:`safe_excerpt` applied: what ``check`` prints and the Data & policy page shows and exports."""
    shown = tuple(show)
    return [
        {
            "file": redact(item.file),
            "line": item.line,
            "reason": redact(item.reason),
            "excerpt": safe_excerpt(item.excerpt, shown),
            "action": item.action,
        }
        for item in items
    ]


__all__ = [
    "MASK",
    "PERSONAL_FIELDS",
    "dsn_secrets",
    "mask_personal",
    "mask_record",
    "redact",
    "redact_error",
    "report_records",
    "safe_excerpt",
]
