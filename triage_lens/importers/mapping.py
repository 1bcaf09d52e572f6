"""What every importer shares: the mapping table (:class:`Vendor`), the one mapper that reads a record through
it, the severity-name rule, the status rule, UTC timestamps and the record builder.

A vendor is a table of where each incident field comes from; :meth:`Vendor.map_record` turns one exported
record (a dict) into either a :class:`Mapped` incident record of DATA.md §4 (id ``<source>:<native id>``) or a
:class:`Skip` with a reason, reading the fields in one order (id, leave-out reason, start, service, native
status, end) so a later field may use an earlier one. The status is always the policy's map for the vendor
(:meth:`Rules.status`). The rules come from the policy's ``import:`` section
(:class:`analytics.policy.ImportPolicy`); docs/importers.md has the tables.
"""

from __future__ import annotations

import math
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


@dataclass
class Found:
    """What the mapper has read of one record so far: a later field of the table may use an earlier one
    (PagerDuty's end is its start plus ``seconds_to_resolve``)."""

    rules: Rules
    envelope: Mapping[str, Any]
    native: str = ""
    started: str = ""
    service: str = ""
    status_raw: str | None = None
    ended: str | None = None


Getter = Callable[[Mapping[str, Any], Found], Any]


def _nothing(record: Mapping[str, Any], found: Found) -> None:
    return None


@dataclass(frozen=True)
class Required:
    """A field the record cannot go without: ``get`` gives text or None; ``missing`` says where it was looked for
    (the skip reason is ``no <what> (<missing>)``; a getter when it depends on the record or the rules)."""

    get: Getter
    missing: str | Getter

    def why(self, what: str, record: Mapping[str, Any], found: Found) -> str:
        where = self.missing(record, found) if callable(self.missing) else self.missing
        return f"no {what} ({where})" if where else f"no {what}"


def keys(*names: str, read: Callable[[object], str | None] | None = None) -> Getter:
    """The first of ``names`` whose value ``read`` (default :func:`text`) turns into text."""
    reader = read or text

    def get(record: Mapping[str, Any], found: Found) -> str | None:
        for name in names:
            value = reader(record.get(name))
            if value is not None:
                return value
        return None

    return get


@dataclass(frozen=True)
class Vendor:
    """One tool's mapping table: where each incident field comes from (docs/importers.md, "Per tool").

    ``shape`` says in a few words how its export is recognised (the message for a file no tool fits);
    ``status`` gives the native status word, which the policy's ``import.statuses[<name>]`` map turns into ours;
    ``leave_out`` gives a reason to skip the record (maintenance, test mode) or None.
    """

    name: str
    shape: str
    looks_like: Callable[[Mapping[str, Any]], bool]
    native_id: Required
    started: Required
    service: Required
    status: Getter
    ended: Getter
    severity: Getter
    title: Getter
    summary: Getter = _nothing
    labels: Callable[[Mapping[str, Any], Found], Mapping[str, Any]] = lambda record, found: {}
    leave_out: Getter = _nothing

    def map_record(
        self, record: Mapping[str, Any], rules: Rules, where: str, envelope: Mapping[str, Any]
    ) -> Mapped | Skip:
        """The record through this table; ``where`` (``file#n``) names a record that has no id."""
        found = Found(rules, envelope)
        native = self.native_id.get(record, found)
        if native is None:
            return Skip(where, self.native_id.why("id", record, found))
        found.native = native
        rid = f"{self.name}:{native}"
        reason = self.leave_out(record, found)
        if reason:
            return Skip(rid, reason)
        started = self.started.get(record, found)
        if started is None:
            return Skip(rid, self.started.why("start time", record, found))
        found.started = started
        service = self.service.get(record, found)
        if service is None:
            return Skip(rid, self.service.why("service", record, found))
        found.service = service
        found.status_raw = self.status(record, found)
        found.ended = self.ended(record, found)
        return build_record(
            self.name,
            native,
            service=service,
            started_at=started,
            ended_at=found.ended,
            severity=self.severity(record, found),
            status=rules.status(self.name, found.status_raw, ended=found.ended is not None),
            title=self.title(record, found),
            summary=self.summary(record, found),
            labels=self.labels(record, found),
        )


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
    if not math.isfinite(amount) or amount < 0:
        return None
    try:
        return format_utc(datetime.fromisoformat(start).astimezone(UTC) + timedelta(seconds=amount))
    except OverflowError:  # a duration past the year 9999 is no duration
        return None


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
