"""What every importer shares: the severity-name rule, the status maps, UTC timestamps and the record builder.

An importer turns one exported record (a dict) into either a :class:`Mapped` incident record of DATA.md §4
(id ``<source>:<native id>``) or a :class:`Skip` with a reason. The rules come from the policy's ``import:``
section (:class:`analytics.policy.ImportPolicy`); docs/importers.md has the tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from analytics.policy import ImportPolicy
from analytics.timeparse import format_utc, parse_timestamp

SOURCE_NAMES: tuple[str, ...] = (
    "statuspage",
    "pagerduty",
    "incidentio",
    "opsgenie",
    "grafana-oncall",
    "gcp-status",
    "aws-health",
)

_NUMBERED_FULL = re.compile(r"(?:p|sev|severity|priority|prio)?[\s_.-]*(\d+)")
_NUMBERED_PART = re.compile(r"\b(?:p|sev|severity|priority|prio)[\s_.-]*(\d+)\b")
_WORD = re.compile(r"[a-z]+")


class ImportFailure(Exception):
    """A file or target that cannot be imported; the message names the file (or target) and why."""


@dataclass(frozen=True)
class Skip:
    """A record left out, with the reason (shown in the summary, never silent)."""

    id: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Mapped:
    """One incident record ready to store; ``severity_missing`` when the export had no usable severity."""

    record: dict[str, Any]
    severity_missing: bool = False

    @property
    def id(self) -> str:
        return str(self.record["id"])


@dataclass(frozen=True)
class Rules:
    """The mapping rules of one import: the policy section and the ``--service-field`` choice."""

    policy: ImportPolicy = field(default_factory=ImportPolicy)
    service_field: str | None = None

    def severity(self, value: object) -> str | None:
        """:func:`severity_from_name` with this policy's tables."""
        return severity_from_name(value, self.policy.severity_names, self.policy.severity_numbers)

    def status(self, source: str, value: object, *, ended: bool) -> str:
        """The source's status map; an unknown or absent status is ``resolved`` when the record has an end
        time, else ``open``."""
        table = self.policy.statuses.get(source, {})
        if isinstance(value, str) and value.strip().lower() in table:
            return table[value.strip().lower()]
        return "resolved" if ended else "open"


def _numbered(number: int, numbers: Mapping[int, str]) -> str:
    if number in numbers:
        return numbers[number]
    largest = max(numbers)
    if number > largest:
        return numbers[largest]
    smaller = [n for n in numbers if n < number]
    return numbers[max(smaller)] if smaller else numbers[min(numbers)]


def severity_from_name(value: object, names: Mapping[str, str], numbers: Mapping[int, str]) -> str | None:
    """One rule for every tool's severity or priority name (case-insensitive):

    1. the whole name in ``names`` (critical → P0, major/high → P1, minor/medium → P2, low/none → P3,
       info → INFO by default);
    2. a numbered name — ``P1``, ``SEV-2``, ``Sev 1``, ``priority 3`` or a bare number — through ``numbers``
       (0 or 1 → P0, 2 → P1, 3 → P2, 4 and above → P3 by default);
    3. else the first word of the name found in ``names`` ("Critical impact" → P0).

    None when nothing matches (the record then has no severity, counted in the summary).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _numbered(value, numbers) if value >= 0 else None
    text = str(value).strip().lower()
    if not text:
        return None
    if text in names:
        return names[text]
    full = _NUMBERED_FULL.fullmatch(text)
    if full:
        return _numbered(int(full.group(1)), numbers)
    part = _NUMBERED_PART.search(text)
    if part:
        return _numbered(int(part.group(1)), numbers)
    for word in _WORD.findall(text):
        if word in names:
            return names[word]
    return None


def utc_text(value: object) -> str | None:
    """An ISO-8601 timestamp with any offset (or none = UTC) as UTC ISO text; None when it does not parse."""
    parsed = parse_timestamp(value)
    return None if parsed is None else format_utc(parsed)


def epoch_text(value: object) -> str | None:
    """Epoch seconds (number or numeric text; milliseconds above 1e11) as UTC ISO text."""
    parsed = parse_timestamp(value, allow_epoch=True)
    return None if parsed is None else format_utc(parsed)


def plus_seconds(start: str | None, seconds: object) -> str | None:
    """``start`` (UTC ISO text) plus a duration in seconds; None when either is missing or not a number."""
    if start is None or seconds is None or isinstance(seconds, bool):
        return None
    try:
        amount = float(str(seconds).strip()) if isinstance(seconds, str) else float(seconds)  # type: ignore[arg-type]
    except ValueError:
        return None
    if amount != amount or amount < 0:
        return None
    return format_utc(datetime.fromisoformat(start).astimezone(UTC) + timedelta(seconds=amount))


def text(value: object) -> str | None:
    """A non-empty string (numbers as their text), else None."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    result = str(value).strip()
    return result or None


def native_id(value: object) -> str | None:
    """An exported id as text (numbers allowed); None when absent or empty."""
    return text(value)


def build_record(
    source: str,
    native: str,
    *,
    service: str,
    started_at: str,
    severity: str | None,
    status: str,
    title: str | None = None,
    summary: str | None = None,
    ended_at: str | None = None,
    labels: Mapping[str, Any] | None = None,
) -> Mapped:
    """The incident record: id ``<source>:<native>``; kind and signature left empty so the policy derives
    them as for any incident; ``labels`` keep ``source``, ``native_id`` and whatever else is not null."""
    record: dict[str, Any] = {
        "id": f"{source}:{native}",
        "service": service,
        "severity": severity,
        "status": status,
        "title": title,
        "summary": summary,
        "started_at": started_at,
        "ended_at": ended_at,
    }
    record = {k: v for k, v in record.items() if v is not None or k == "ended_at"}
    merged: dict[str, Any] = {"source": source, "native_id": native}
    merged.update({k: v for k, v in (labels or {}).items() if v not in (None, "", [], {})})
    record["labels"] = merged
    return Mapped(record, severity_missing=severity is None)


def first_text(record: Mapping[str, Any], *keys: str) -> str | None:
    """The first key of ``keys`` holding a non-empty text."""
    for key in keys:
        value = text(record.get(key))
        if value is not None:
            return value
    return None


def listed(record: Mapping[str, Any], key: str, field: str, read: Callable[[object], str | None] = text) -> list[str]:
    """``read(item[field])`` of every object in the list ``record[key]``, where that is not None, in order."""
    return [
        value
        for item in record.get(key) or []
        if isinstance(item, dict) and (value := read(item.get(field))) is not None
    ]


def strip_html(value: str | None) -> str | None:
    """Tags removed and whitespace collapsed (AWS descriptions are HTML)."""
    if value is None:
        return None
    plain = re.sub(r"<[^>]+>", " ", value).replace("&nbsp;", " ").replace("&amp;", "&")
    plain = re.sub(r"\s+", " ", plain).strip()
    return plain or None


def obj(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``record[key]`` when it is an object, else an empty one."""
    value = record.get(key)
    return value if isinstance(value, dict) else {}
