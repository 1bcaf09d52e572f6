"""The policy: every threshold of RULES.md as a pydantic model mirroring POLICY.md key for key.

A user's ``policy.yml`` may set any subset; the rest keeps the defaults. An unknown key or a value of
the wrong type is a :class:`PolicyError` whose message names the file and the dotted key.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analytics.statuses import DEFAULT_OPEN_STATUSES, INCIDENT_STATUSES


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MissesPolicy(_Strict):
    regression_gap_days: int = Field(14, ge=0)
    quiet_after_days: int = Field(14, ge=0)
    new_within_days: int = Field(7, ge=0)
    escalating_min: int = Field(3, ge=0)
    escalating_factor: float = Field(2.0, ge=0)


class GatePolicy(_Strict):
    bypass_categories: list[str] = ["healthy", "unknown"]
    high_min_validated: int = Field(1, ge=0)
    medium_min_validated: int = Field(2, ge=0)
    prefix: str = "Most likely:"


class ConfidencePolicy(_Strict):
    high: float = Field(0.75, ge=0, le=1)
    medium: float = Field(0.40, ge=0, le=1)
    gate: GatePolicy = GatePolicy()
    wilson_z: float = Field(1.959964, gt=0)
    weak_source_score: float = Field(0.3, ge=0, le=1)  # a cited source contributing less than this is "weak"

    @model_validator(mode="after")
    def _ordered(self) -> ConfidencePolicy:
        if self.medium > self.high:
            raise ValueError("confidence.medium must not exceed confidence.high")
        return self


DEFAULT_KIND_KEYWORDS: dict[str, list[str]] = {
    "oom": ["oom", "out of memory", "memory"],
    "crashloop": ["crashloop", "crash loop", "restart"],
    "disk": ["disk", "volume", "no space"],
    "security": ["security", "cve", "unauthorized", "breach"],
    "queue": ["queue", "backlog", "consumer lag", "delay"],
    "network": ["network", "dns", "packet", "connectivity"],
    "latency": ["latency", "slow", "timeout", "p95", "p99", "degraded performance"],
    "error_rate": ["5xx", "error rate", "errors", "failure", "failing"],
    "slo_breach": ["slo"],
    "deploy": ["deploy", "rollout", "release"],
}


class IncidentsPolicy(_Strict):
    kind_keywords: dict[str, list[str]] = DEFAULT_KIND_KEYWORDS
    default_kind: str = "custom"
    open_statuses: list[str] = list(DEFAULT_OPEN_STATUSES)


class MatchPolicy(_Strict):
    signature: bool = False
    same_service: bool = False
    same_kind: bool = False
    within_minutes: int | None = Field(None, ge=0)


class CorrelationRule(_Strict):
    name: str
    weight: int
    match: MatchPolicy


class CorrelationPolicy(_Strict):
    lookback_days: int = Field(30, ge=0)
    max_related: int = Field(10, ge=0)
    min_score: int = 20
    rules: list[CorrelationRule] = [
        CorrelationRule(name="same_signature", weight=100, match=MatchPolicy(signature=True)),
        CorrelationRule(name="same_service_and_kind", weight=60, match=MatchPolicy(same_service=True, same_kind=True)),
        CorrelationRule(
            name="same_service_time_cluster",
            weight=40,
            match=MatchPolicy(same_service=True, within_minutes=180),
        ),
        CorrelationRule(
            name="same_kind_cross_service", weight=30, match=MatchPolicy(same_kind=True, within_minutes=120)
        ),
    ]


class LevelThresholds(_Strict):
    warn: int = Field(ge=0)
    high: int = Field(ge=0)


class RecurrenceThresholds(_Strict):
    signature: LevelThresholds = LevelThresholds(warn=3, high=6)
    kind: LevelThresholds = LevelThresholds(warn=5, high=10)


class RecurrenceRecommendations(_Strict):
    signature_high: str = "Create permanent fix: add regression test + SLO guard for this failure type"
    signature_warn: str = "Review root cause history; consider adding monitoring threshold"
    kind_high: str = "Systemic issue with kind={kind}: review architecture / add circuit breaker"
    kind_warn: str = "Recurring kind={kind}: validate if alert thresholds are tuned correctly"


class RecurrencePolicy(_Strict):
    windows_days: list[int] = [7, 30]
    top_n: int = Field(15, ge=0)
    thresholds: RecurrenceThresholds = RecurrenceThresholds()
    recommendations: RecurrenceRecommendations = RecurrenceRecommendations()


_FIX_API = [
    "Add regression test for API contract & error mapping",
    "Review recent deploys",
    "Add/adjust SLO thresholds & alert routing",
]
_FIX_MEMORY = ["Memory profiling", "Review container limits", "Fix leaks"]
DEFAULT_RECOMMENDATIONS_BY_KIND: dict[str, list[str]] = {
    "error_rate": _FIX_API,
    "slo_breach": _FIX_API,
    "latency": ["Check p95 vs saturation", "Investigate DB/queue contention"],
    "oom": _FIX_MEMORY,
    "crashloop": _FIX_MEMORY,
    "disk": ["Retention/cleanup automation", "Verify volumes"],
    "security": ["Run dependency scanner + rotate secrets", "Verify allowlists"],
    "queue": ["Check consumer lag", "Add dead-letter queue"],
    "network": ["DNS audit", "Review network policies"],
}


class BucketsPolicy(_Strict):
    mode: Literal["service_kind", "signature_prefix"] = "service_kind"
    signature_prefix_len: int = Field(12, ge=1)
    top_n: int = Field(10, ge=0)
    min_count: dict[int, int] = {7: 3, 30: 6}
    include_statuses: list[str] = list(INCIDENT_STATUSES)
    recommendations_by_kind: dict[str, list[str]] = DEFAULT_RECOMMENDATIONS_BY_KIND
    open_incident_advice: str = "Do not deploy risky changes until mitigated"


class DigestPolicy(_Strict):
    weekly_day: Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] = "Mon"
    include_closed: bool = True
    include_open: bool = True
    output_dir: str = "reports/incidents"
    markdown_max_chars: int = Field(8000, ge=200)
    top_incidents: int = Field(20, ge=0)


class AutoFollowupsPolicy(_Strict):
    enabled: bool = True
    only_when_high: bool = True
    owner: str = "oncall"
    priority: str = "P1"
    due_days: int = Field(7, ge=0)
    dedupe_key_prefix: str = "intel_recur"


class FollowupsPolicy(_Strict):
    held_days: int = Field(14, ge=1)  # a done follow-up held when its bucket had no new incident for this long


GateMode = Literal["off", "warn", "strict"]


class RecurrenceWatchPolicy(_Strict):
    profiles: dict[str, GateMode] = {"dev": "warn", "staging": "strict", "prod": "warn"}
    default_profile: str = "prod"
    windows_days: list[int] = [7, 30]
    fail_on_severity_in: list[str] = ["P0", "P1"]
    max_listed: int = Field(5, ge=0)

    @model_validator(mode="after")
    def _default_profile_exists(self) -> RecurrenceWatchPolicy:
        if self.default_profile not in self.profiles:
            raise ValueError(f"default_profile '{self.default_profile}' is not one of the profiles")
        return self


class ReleaseGatePolicy(_Strict):
    recurrence_watch: RecurrenceWatchPolicy = RecurrenceWatchPolicy()


class LegacySeverityPolicy(_Strict):
    critical_avg_daily: float = 50
    warning_avg_daily: float = 10


class SeverityPolicy(_Strict):
    critical_24h: int = Field(10, ge=0)
    warning_24h: int = Field(3, ge=0)
    spike_factor: float = Field(3.0, ge=0)
    spike_min_24h: int = Field(3, ge=0)
    historical_7d: int = Field(50, ge=0)
    recurring_error_type_7d: int = Field(5, ge=0)
    samples_top: int = Field(3, ge=0)
    sample_chars: int = Field(120, ge=1)
    excluded_categories: list[str] = ["config_cleanup"]
    excluded_tenants: list[str] = []
    trend_rising: float = Field(1.5, ge=0)
    trend_falling: float = Field(0.5, ge=0)
    legacy: LegacySeverityPolicy = LegacySeverityPolicy()


class LimitsPolicy(_Strict):
    """Reader caps (DEFINITIONS.md §5): a longer line is quarantined with its size before it is parsed.
    Integers beyond 64 bits and nesting deeper than 256 levels are fixed per-record problems, not settings."""

    max_line_bytes: int = Field(8 * 1024 * 1024, ge=1024)


# --- import: mapping of other tools' exports to incident records (issue 15, docs/importers.md) -------------
Severity = Literal["P0", "P1", "P2", "P3", "INFO"]
IncidentStatus = Literal["open", "mitigating", "resolved", "closed"]

DEFAULT_IMPORT_STATUSES: dict[str, dict[str, IncidentStatus]] = {
    "statuspage": {
        "investigating": "open",
        "identified": "open",
        "monitoring": "mitigating",
        "resolved": "resolved",
        "postmortem": "resolved",
    },
    "pagerduty": {"triggered": "open", "acknowledged": "mitigating", "resolved": "resolved"},
    "incidentio": {"triage": "open", "live": "open", "paused": "open", "learning": "resolved", "closed": "closed"},
    "opsgenie": {"open": "open", "acknowledged": "mitigating", "closed": "closed", "resolved": "resolved"},
    "grafana-oncall": {
        "new": "open",
        "firing": "open",
        "acknowledged": "mitigating",
        "silenced": "mitigating",
        "resolved": "resolved",
    },
    "gcp-status": {"available": "resolved"},  # most_recent_update.status
    "aws-health": {"resolved": "resolved"},  # a summary starting with [RESOLVED]
}


class ImportPolicy(_Strict):
    """How ``triage-lens import`` maps other tools' fields (names are matched lower-case)."""

    severity_names: dict[str, Severity] = {
        "critical": "P0",
        "major": "P1",
        "high": "P1",
        "minor": "P2",
        "medium": "P2",
        "low": "P3",
        "none": "P3",
        "info": "INFO",
    }
    # Numbered names (P1, SEV-2, Sev 1, priority 3): a number above the largest key takes its severity.
    severity_numbers: dict[int, Severity] = {0: "P0", 1: "P0", 2: "P1", 3: "P2", 4: "P3"}
    pagerduty_urgency: dict[str, Severity] = {"high": "P1", "low": "P3"}
    aws_status: dict[str, Severity] = {"3": "P1", "2": "P2", "1": "P3"}
    statuses: dict[str, dict[str, IncidentStatus]] = DEFAULT_IMPORT_STATUSES
    incidentio_skip_modes: list[str] = ["test", "tutorial"]
    incidentio_skip_categories: list[str] = ["declined", "merged", "canceled"]
    incidentio_service_field: str = "service"

    @model_validator(mode="after")
    def _numbers_present(self) -> ImportPolicy:
        if not self.severity_numbers:
            raise ValueError("import.severity_numbers must map at least one number")
        return self


class Policy(_Strict):
    """The whole policy tree (POLICY.md)."""

    misses: MissesPolicy = MissesPolicy()
    confidence: ConfidencePolicy = ConfidencePolicy()
    incidents: IncidentsPolicy = IncidentsPolicy()
    correlation: CorrelationPolicy = CorrelationPolicy()
    recurrence: RecurrencePolicy = RecurrencePolicy()
    buckets: BucketsPolicy = BucketsPolicy()
    digest: DigestPolicy = DigestPolicy()
    autofollowups: AutoFollowupsPolicy = AutoFollowupsPolicy()
    followups: FollowupsPolicy = FollowupsPolicy()
    release_gate: ReleaseGatePolicy = ReleaseGatePolicy()
    severity: SeverityPolicy = SeverityPolicy()
    limits: LimitsPolicy = LimitsPolicy()
    import_: ImportPolicy = Field(ImportPolicy(), alias="import")  # `import` is a Python keyword

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )


def _format_error(error: Any, source: str) -> str:
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{source}: unknown key '{location}'"
    message = error["msg"]
    if location:
        return f"{source}: invalid value for '{location}': {message} (got {error.get('input')!r})"
    return f"{source}: {message}"


def policy_from_mapping(data: object, source: str = "<policy>") -> Policy:
    """Validate a parsed YAML mapping; raises :class:`PolicyError` naming ``source`` and the first bad key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: the policy must be a mapping of keys, got {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        messages = [_format_error(e, source) for e in exc.errors()]
        raise PolicyError("; ".join(messages)) from exc
