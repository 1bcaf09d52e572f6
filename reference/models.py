"""Plain-Python reference models of the rules (RULES.md), one function per rule, written for clarity not speed.

The property tests compare the Polars code with these on random inputs; ``bench/run.py`` times them beside
the Polars code at the same size. One place for both, so a reference is never copied.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.correlation import CorrelationOptions
from analytics.timeparse import parse_timestamp

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reference_ts(record: dict) -> datetime:
    return parse_timestamp(record.get("timestamp")) or EPOCH


def reference_stats(records: list[dict]) -> dict:
    keys = [(r.get("alert_name") or "<unknown>", r.get("taxonomy") or "unknown") for r in records]
    by_taxonomy: dict[str, int] = {}
    counts: dict[tuple[str, str], int] = {}
    for alert, taxonomy in keys:
        by_taxonomy[taxonomy] = by_taxonomy.get(taxonomy, 0) + 1
        counts[(alert, taxonomy)] = counts.get((alert, taxonomy), 0) + 1
    recurring = sorted(([a, t, c] for (a, t), c in counts.items() if c > 1), key=lambda x: -x[2])
    return {
        "total": len(records),
        "by_taxonomy": by_taxonomy,
        "recurring": recurring,
        "unique_alerts": len({a for a, _ in keys}),
    }


def reference_top(records: list[dict], top: int) -> list[tuple[int, str, str, int, int]]:
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(records):
        groups.setdefault((r.get("alert_name") or "<unknown>", r.get("taxonomy") or "unknown"), []).append(i)
    summary = []
    for key, members in groups.items():
        newest = max(reference_ts(records[i]) for i in members)
        representative = min(i for i in members if reference_ts(records[i]) == newest)
        summary.append((key, len(members), newest, representative))
    summary.sort(key=lambda s: (-s[1], -s[2].timestamp()))
    return [(n + 1, k[0], k[1], c, rep) for n, (k, c, _, rep) in enumerate(summary[: max(top, 0)])]


def pair_score(a: dict, b: dict, options: CorrelationOptions) -> int:
    delta = abs(a["_t"] - b["_t"])
    if delta > options.lookback_days * 24 * 60:
        return -1
    total = 0
    for rule in options.rules:
        ok = True
        if rule.signature:
            ok &= bool(a["_sig"]) and a["_sig"] == b["_sig"]
        if rule.same_service:
            ok &= a["service"] == b["service"]
        if rule.same_kind:
            ok &= a["_kind"] == b["_kind"]
        if rule.within_minutes is not None:
            ok &= delta <= rule.within_minutes
        total += rule.weight if ok else 0
    return total


def reference_components(items: list[dict], options: CorrelationOptions) -> list[list[str]]:
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if pair_score(items[i], items[j], options) >= options.min_score:
                parent[find(j)] = find(i)
    groups: dict[int, list[dict]] = {}
    for i, item in enumerate(items):
        groups.setdefault(find(i), []).append(item)
    return sorted(
        [[x["id"] for x in sorted(g, key=lambda x: (x["_t"], x["id"]))] for g in groups.values() if len(g) >= 2]
    )


def severity_reference(rows: list[tuple]) -> dict[str, tuple]:
    counts: dict[str, dict] = {}
    for age, provider, error_type, *_ in rows:
        entry = counts.setdefault(provider, {"c24": 0, "c7": 0, "daily": [0] * 7, "types": {}})
        if age is None or age < timedelta(0) or age >= timedelta(days=7):
            continue
        bucket = int(age // timedelta(days=1))
        entry["daily"][6 - bucket] += 1
        entry["c7"] += 1
        entry["c24"] += bucket == 0
        entry["types"][error_type] = entry["types"].get(error_type, 0) + 1
    out = {}
    for provider, e in counts.items():
        c24, c7 = e["c24"], e["c7"]
        spike = c24 >= 3 and c24 > 3 * c7 / 7
        top = max(e["types"].values(), default=0)
        if c24 >= 10 or spike:
            severity, status = "critical", "active"
        elif c24 >= 3:
            severity, status = "warning", "active"
        elif c7 >= 50:
            severity, status = "info", "historical"
        elif top >= 5:
            severity, status = "info", "recurring"
        else:
            severity, status = "info", "nominal"
        out[provider] = (c24, c7, e["daily"], severity, status, spike)
    return out


def confidence_reference(score: float | None, validated: int, category: str, root_cause: str) -> dict:
    passed = category in ("healthy", "unknown") or (
        score is not None and ((score >= 0.75 and validated >= 1) or (score >= 0.40 and validated >= 2))
    )
    band = "unscored" if score is None else "high" if score >= 0.75 else "medium" if score >= 0.40 else "low"
    if passed:
        text = root_cause[len("Most likely:") :].lstrip() if root_cause.startswith("Most likely:") else root_cause
        return {"band": band, "gate": "passed", "root_cause": text}
    text = root_cause if root_cause.startswith("Most likely") else "Most likely: " + root_cause
    return {"band": "low", "gate": "fired", "root_cause": text}
