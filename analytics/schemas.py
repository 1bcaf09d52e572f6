"""Declared fields and Polars types of every input (DATA.md §1–5).

A schema lists the known fields of one input; unknown extra fields are kept in the raw record
(``_raw``) but get no typed column. Every typed frame also carries:

- ``_line``  (Int64): 1-based line (JSONL, CSV data row) or row number — the first-appearance order;
- ``_raw``   (Utf8): the record exactly as stored (JSONL inputs only), so null vs absent survives;
- ``_flags`` (Utf8): comma-separated names of fields that had the wrong type or did not parse, else null;
- ``<ts>_text`` (Utf8) for every timestamp field: the stored value as text, next to the parsed ``<ts>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from analytics.timeparse import UTC_DATETIME


class FieldType(StrEnum):
    """How a stored value is checked and typed."""

    STR = "str"
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    TIMESTAMP = "timestamp"
    OBJECT = "object"  # kept as canonical JSON text
    STR_LIST = "str_list"
    CLAIMS = "claims"  # [{claim: str, evidence_keys: [str]}]


CLAIM_DTYPE = pl.Struct({"claim": pl.Utf8, "evidence_keys": pl.List(pl.Utf8)})

POLARS_TYPES: dict[FieldType, pl.DataType] = {
    FieldType.STR: pl.Utf8(),
    FieldType.FLOAT: pl.Float64(),
    FieldType.INT: pl.Int64(),
    FieldType.BOOL: pl.Boolean(),
    FieldType.TIMESTAMP: UTC_DATETIME,
    FieldType.OBJECT: pl.Utf8(),
    FieldType.STR_LIST: pl.List(pl.Utf8),
    FieldType.CLAIMS: pl.List(CLAIM_DTYPE),
}

TYPE_WORDS: dict[FieldType, str] = {
    FieldType.STR: "a string",
    FieldType.FLOAT: "a number",
    FieldType.INT: "an integer",
    FieldType.BOOL: "true or false",
    FieldType.TIMESTAMP: "an ISO-8601 timestamp",
    FieldType.OBJECT: "an object",
    FieldType.STR_LIST: "a list of strings",
    FieldType.CLAIMS: "a list of {claim, evidence_keys} objects",
}


@dataclass(frozen=True)
class Field:
    """One declared field of an input."""

    name: str
    type: FieldType
    required: bool = False


@dataclass(frozen=True)
class InputSchema:
    """An input of DATA.md: its name, default file names in a data folder and its fields."""

    name: str
    filenames: tuple[str, ...]
    fields: tuple[Field, ...]
    time_field: str | None
    keep_raw: bool = True
    allow_epoch: bool = False  # epoch-number timestamps (the error ledger only)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def polars_schema(self) -> dict[str, pl.DataType]:
        """Typed columns in declared order, each timestamp followed by its ``_text`` twin."""
        columns: dict[str, pl.DataType] = {"_line": pl.Int64()}
        if self.keep_raw:
            columns["_raw"] = pl.Utf8()
        for f in self.fields:
            columns[f.name] = POLARS_TYPES[f.type]
            if f.type is FieldType.TIMESTAMP:
                columns[f"{f.name}_text"] = pl.Utf8()
        columns["_flags"] = pl.Utf8()
        return columns


def _fields(spec: str, types: dict[str, FieldType] | None = None, required: tuple[str, ...] = ()) -> tuple[Field, ...]:
    types = types or {}
    return tuple(Field(n, types.get(n, FieldType.STR), n in required) for n in spec.split())


TAXONOMIES: tuple[str, ...] = ("retrieval_gap", "reasoning_gap", "tool_failure", "routing_failure", "unknown")
TAXONOMY_LABELS: dict[str, str] = {
    "retrieval_gap": "Retrieval gap — the agent did not fetch the evidence it needed",
    "reasoning_gap": "Reasoning gap — had the evidence, drew the wrong conclusion",
    "tool_failure": "Tool failure — a tool errored, timed out or returned bad data",
    "routing_failure": "Routing/prompt failure — wrong tools or plan",
    "unknown": "Unknown",
}
RATINGS: tuple[str, ...] = ("accurate", "partial", "inaccurate")
SEVERITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3", "INFO")

MISSES = InputSchema(
    name="misses",
    filenames=("misses.jsonl",),
    fields=_fields(
        "miss_id feedback_id timestamp run_id alert_name pipeline_name severity rating taxonomy taxonomy_detail "
        "root_cause root_cause_category validity_score investigation_loop_count user_id org_id "
        "agent_version opensre_version opensre_sha",
        {
            "timestamp": FieldType.TIMESTAMP,
            "validity_score": FieldType.FLOAT,
            "investigation_loop_count": FieldType.INT,
        },
    ),
    time_field="timestamp",
)

FEEDBACK = InputSchema(
    name="feedback",
    filenames=("feedback.jsonl",),
    fields=_fields(
        "feedback_id timestamp run_id alert_name root_cause root_cause_category validity_score is_noise "
        "investigation_loop_count user_id user_email org_id rating note",
        {
            "timestamp": FieldType.TIMESTAMP,
            "validity_score": FieldType.FLOAT,
            "is_noise": FieldType.BOOL,
            "investigation_loop_count": FieldType.INT,
        },
    ),
    time_field="timestamp",
)

INVESTIGATIONS = InputSchema(
    name="investigations",
    filenames=("investigations.jsonl",),
    fields=_fields(
        "run_id timestamp alert_name pipeline_name root_cause root_cause_category validity_score "
        "validated_claims non_validated_claims ranked_hypotheses missing_evidence "
        "agent_version opensre_version opensre_sha model source_contributions",
        {
            "source_contributions": FieldType.OBJECT,
            "timestamp": FieldType.TIMESTAMP,
            "validity_score": FieldType.FLOAT,
            "validated_claims": FieldType.CLAIMS,
            "non_validated_claims": FieldType.CLAIMS,
            "ranked_hypotheses": FieldType.STR_LIST,
            "missing_evidence": FieldType.STR_LIST,
        },
        required=("run_id",),
    ),
    time_field="timestamp",
)

INCIDENTS = InputSchema(
    name="incidents",
    filenames=("incidents.jsonl",),
    fields=_fields(
        "id service env kind severity status title summary started_at ended_at signature labels",
        {"started_at": FieldType.TIMESTAMP, "ended_at": FieldType.TIMESTAMP, "labels": FieldType.OBJECT},
        required=("id", "service", "started_at"),
    ),
    time_field="started_at",
)

EVENTS = InputSchema(
    name="events",
    filenames=("events.jsonl",),
    fields=_fields(
        "event_id incident_id ts type message meta",
        {"ts": FieldType.TIMESTAMP, "meta": FieldType.OBJECT},
    ),
    time_field="ts",
)

ERROR_LEDGER = InputSchema(
    name="error_ledger",
    filenames=(
        "error_ledger.jsonl",
        "error_ledger.csv",
        "error_ledger.parquet",
        "error_ledger.sqlite",
        "error_ledger.db",
    ),
    fields=_fields(
        "timestamp provider error_type error_message tenant_id action category",
        {"timestamp": FieldType.TIMESTAMP},
        required=("timestamp", "provider"),
    ),
    time_field="timestamp",
    keep_raw=False,
    allow_epoch=True,
)

ALL_INPUTS: tuple[InputSchema, ...] = (MISSES, FEEDBACK, INVESTIGATIONS, INCIDENTS, EVENTS, ERROR_LEDGER)
INPUTS_BY_NAME: dict[str, InputSchema] = {s.name: s for s in ALL_INPUTS}
