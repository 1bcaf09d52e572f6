"""Scored, rule-driven incident correlation (RULES.md §4): one incident's related incidents, and clusters.

Rules are policy data: each has a weight and conditions (``signature``: both signatures non-empty and
equal; ``same_service``; ``same_kind``; ``within_minutes``: |Δstart| ≤ N minutes). A pair's score is the sum
of the weights of the rules whose conditions all hold; candidates are incidents within ±``lookback_days``
of each other. Incidents whose ``started_at`` did not parse take no part.

Input columns: the typed incidents with derived ``kind`` and ``signature`` (``id``, ``service``, ``kind``,
``signature``, ``severity``, ``status``, ``started_at``, ``started_at_text``, ``_line``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import polars as pl

from analytics.policy import CorrelationPolicy, CorrelationRule


@dataclass(frozen=True)
class RuleSpec:
    """One correlation rule as plain values."""

    name: str
    weight: int
    signature: bool = False
    same_service: bool = False
    same_kind: bool = False
    within_minutes: int | None = None


@dataclass(frozen=True)
class CorrelationOptions:
    """The ``correlation`` section: the scored rules, the lookback, the score floor and the list length."""

    rules: tuple[RuleSpec, ...]
    lookback_days: int
    min_score: int
    max_related: int

    @classmethod
    def from_policy(cls, policy: CorrelationPolicy | None = None) -> CorrelationOptions:
        """From the ``correlation`` section; without one, from the policy defaults (POLICY.md)."""
        policy = CorrelationPolicy() if policy is None else policy

        def spec(rule: CorrelationRule) -> RuleSpec:
            m = rule.match
            return RuleSpec(rule.name, rule.weight, m.signature, m.same_service, m.same_kind, m.within_minutes)

        return cls(tuple(spec(r) for r in policy.rules), policy.lookback_days, policy.min_score, policy.max_related)


def _rule_condition(rule: RuleSpec, delta_minutes: pl.Expr) -> pl.Expr:
    """The rule's conditions between a row (``signature``, ``service``, ``kind``) and the target (``t_*``)."""
    condition = pl.lit(True)
    if rule.signature:
        condition &= (
            (pl.col("signature").fill_null("") != "") & (pl.col("signature") == pl.col("t_signature"))
        ).fill_null(False)
    if rule.same_service:
        condition &= (pl.col("service") == pl.col("t_service")).fill_null(False)
    if rule.same_kind:
        condition &= (pl.col("kind") == pl.col("t_kind")).fill_null(False)
    if rule.within_minutes is not None:
        condition &= delta_minutes <= rule.within_minutes
    return condition


def _abs_minutes(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (a - b).abs().dt.total_microseconds() / 60_000_000


def score_pairs(pairs: pl.LazyFrame, options: CorrelationOptions) -> pl.LazyFrame:
    """Score rows that carry both sides (``t_*`` = the target). Adds one Int64 column per rule (its weight or
    0), ``score`` and ``delta_minutes``."""
    delta = _abs_minutes(pl.col("started_at"), pl.col("t_started_at"))
    return (
        pairs.with_columns(delta.alias("delta_minutes"))
        .with_columns(
            pl.when(_rule_condition(rule, pl.col("delta_minutes")))
            .then(pl.lit(rule.weight))
            .otherwise(pl.lit(0))
            .cast(pl.Int64)
            .alias(f"rule:{rule.name}")
            for rule in options.rules
        )
        .with_columns(pl.sum_horizontal([f"rule:{r.name}" for r in options.rules] or [pl.lit(0)]).alias("score"))
    )


def related_incidents(incidents: pl.LazyFrame, target_id: str, options: CorrelationOptions) -> pl.DataFrame | None:
    """The target's related incidents, best first (score desc, |Δstart| asc, id asc), at most ``max_related``.

    Returns None when ``target_id`` is not in the store. Out: ``id``, ``score``, one ``rule:<name>`` column per
    rule, ``delta_minutes``, ``service``, ``kind``, ``severity``, ``status``, ``started_at``, ``started_at_text``.
    """
    target_rows = incidents.filter(pl.col("id") == target_id).sort("_line").head(1).collect()
    if target_rows.height == 0:
        return None
    target = target_rows.row(0, named=True)
    columns = ["id", "service", "kind", "severity", "status", "signature", "started_at", "started_at_text", "title"]
    if target["started_at"] is None:
        return pl.DataFrame(schema=incidents.select(columns).collect_schema()).with_columns(
            pl.lit(0, pl.Int64).alias("score")
        )
    lookback = pl.duration(days=options.lookback_days)
    candidates = incidents.filter(
        (pl.col("id") != target_id)
        & pl.col("started_at").is_not_null()
        & ((pl.col("started_at") - pl.lit(target["started_at"])).abs() <= lookback)
    ).select(columns)
    with_target = candidates.with_columns(
        pl.lit(target["signature"], pl.Utf8).alias("t_signature"),
        pl.lit(target["service"], pl.Utf8).alias("t_service"),
        pl.lit(target["kind"], pl.Utf8).alias("t_kind"),
        pl.lit(target["started_at"]).alias("t_started_at"),
    )
    return (
        score_pairs(with_target, options)
        .filter(pl.col("score") >= options.min_score)
        .sort(["score", "delta_minutes", "id"], descending=[True, False, False])
        .head(max(options.max_related, 0))
        .drop("t_signature", "t_service", "t_kind", "t_started_at")
        .collect()
    )


def correlate_json(target_id: str, related: pl.DataFrame, options: CorrelationOptions) -> dict[str, Any]:
    """The ``incidents correlate --json`` object of CLI.md."""
    rows = []
    for row in related.iter_rows(named=True):
        contributions = {r.name: row[f"rule:{r.name}"] for r in options.rules if row.get(f"rule:{r.name}")}
        rows.append(
            {
                "incident_id": row["id"],
                "score": row["score"],
                "reasons": list(contributions),
                "contributions": contributions,
                "service": row["service"],
                "kind": row["kind"],
                "severity": row["severity"],
                "status": row["status"],
                "started_at": row["started_at_text"],
            }
        )
    return {"incident_id": target_id, "related_count": len(rows), "related": rows}


# --- clusters ---------------------------------------------------------------------------------------------


def _qualifying_rule_sets(options: CorrelationOptions) -> list[RuleSpec]:
    """Every set of rules whose weights reach ``min_score``, merged into one condition (equalities united,
    the tightest time window). A pair scores ≥ min_score exactly when it meets one of these merged rules."""
    merged: list[RuleSpec] = []
    rules = [r for r in options.rules if r.weight > 0]
    for size in range(1, len(rules) + 1):
        for subset in combinations(rules, size):
            if sum(r.weight for r in subset) < options.min_score:
                continue
            windows = [r.within_minutes for r in subset if r.within_minutes is not None]
            merged.append(
                RuleSpec(
                    "+".join(r.name for r in subset),
                    sum(r.weight for r in subset),
                    any(r.signature for r in subset),
                    any(r.same_service for r in subset),
                    any(r.same_kind for r in subset),
                    min(windows) if windows else None,
                )
            )
    if options.min_score <= 0:  # every pair within the lookback qualifies
        merged.append(RuleSpec("any", 0))
    return merged


def _chain_edges(nodes: pl.DataFrame, rule: RuleSpec, lookback_minutes: float) -> pl.DataFrame:
    """Edges between time-consecutive incidents of the same group (the rule's equalities) that are close
    enough: the chain connects exactly the incidents the rule's pairs connect, without materialising pairs."""
    keys = [
        c for c, on in (("signature", rule.signature), ("service", rule.same_service), ("kind", rule.same_kind)) if on
    ]
    window = min(lookback_minutes, rule.within_minutes if rule.within_minutes is not None else lookback_minutes)
    frame = nodes
    if rule.signature:
        frame = frame.filter(pl.col("signature").fill_null("") != "")
    for key in keys:
        frame = frame.filter(pl.col(key).is_not_null())
    ordered = frame.sort([*keys, "started_at", "node"])
    previous = [pl.col("node").shift(1), pl.col("started_at").shift(1)]
    if keys:
        previous = [e.over(keys) for e in previous]
    return (
        ordered.with_columns(previous[0].alias("prev_node"), previous[1].alias("prev_start"))
        .filter(pl.col("prev_node").is_not_null())
        .filter(_abs_minutes(pl.col("started_at"), pl.col("prev_start")) <= window)
        .select(pl.col("prev_node").alias("a"), pl.col("node").alias("b"))
    )


def _components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Connected components (union-find with path halving); returns each node's root."""
    parent_list = list(range(n))

    def find(x: int) -> int:
        while parent_list[x] != x:
            parent_list[x] = parent_list[parent_list[x]]
            x = parent_list[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if ra < rb:
                parent_list[rb] = ra
            else:
                parent_list[ra] = rb
    return [find(i) for i in range(n)]


def clusters(incidents: pl.LazyFrame, options: CorrelationOptions, *, min_size: int = 2) -> pl.DataFrame:
    """Connected components of the graph whose edges are pairs (within the lookback) scoring ≥ ``min_score``.

    Out: ``cluster_id`` (``c0001``… largest first, then earliest start), ``size``, ``incident_ids`` (by start),
    ``services``, ``kinds`` (sorted distinct), ``first_started``, ``last_started``.
    """
    nodes = (
        incidents.filter(pl.col("started_at").is_not_null())
        .select("id", "service", "kind", "signature", "started_at", "started_at_text", "_line")
        .sort("_line")
        .collect()
        .with_row_index("node")
        .with_columns(pl.col("node").cast(pl.Int64))
    )
    lookback_minutes = options.lookback_days * 24 * 60
    edge_frames = [_chain_edges(nodes, rule, lookback_minutes) for rule in _qualifying_rule_sets(options)]
    edges = pl.concat(edge_frames) if edge_frames else pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64})
    roots = _components(nodes.height, edges.select("a", "b").rows()) if nodes.height else []
    grouped = (
        nodes.with_columns(pl.Series("root", roots, dtype=pl.Int64))
        .sort("started_at", "id")
        .group_by("root", maintain_order=True)
        .agg(
            pl.len().alias("size"),
            pl.col("id").alias("incident_ids"),
            pl.col("service").drop_nulls().unique().sort().alias("services"),
            pl.col("kind").drop_nulls().unique().sort().alias("kinds"),
            pl.col("started_at").min().alias("first_started"),
            pl.col("started_at").max().alias("last_started"),
        )
        .filter(pl.col("size") >= max(min_size, 1))
        .sort(["size", "first_started"], descending=[True, False])
    )
    return grouped.with_row_index("n", offset=1).select(
        pl.format("c{}", pl.col("n").cast(pl.Utf8).str.zfill(4)).alias("cluster_id"),
        pl.col("size").cast(pl.Int64),
        "incident_ids",
        "services",
        "kinds",
        "first_started",
        "last_started",
    )


def cluster_of(cluster_frame: pl.DataFrame, incident_id: str) -> dict[str, Any] | None:
    """The cluster row containing ``incident_id`` (None when it is alone)."""
    hit = cluster_frame.filter(pl.col("incident_ids").list.contains(incident_id))
    return hit.row(0, named=True) if hit.height else None


def clusters_json(frame: pl.DataFrame) -> dict[str, Any]:
    """The ``incidents clusters --json`` object."""
    return {
        "clusters": [
            {
                "cluster_id": r["cluster_id"],
                "size": r["size"],
                "incident_ids": r["incident_ids"],
                "services": r["services"],
                "kinds": r["kinds"],
                "first_started": r["first_started"].isoformat() if r["first_started"] else None,
                "last_started": r["last_started"].isoformat() if r["last_started"] else None,
            }
            for r in frame.iter_rows(named=True)
        ]
    }


def rule_names(options: CorrelationOptions) -> Sequence[str]:
    return [r.name for r in options.rules]
