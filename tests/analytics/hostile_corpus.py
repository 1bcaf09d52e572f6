"""A hostile data folder (#12 item 8) and the command matrix run over it: every command and subcommand,
with --json and without, plus extreme flag values. Used by the test and handy from a shell:
``python -m tests.analytics.hostile_corpus DIR`` writes the folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEEP = "[" * 1500 + "]" * 1500
DEEP_OBJ = '{"a":' * 1200 + "1" + "}" * 1200
HUGE_INT = "9" * 30  # past 64 bits (and past 1e29)
TOO_MANY_DIGITS = "9" * 5000  # past Python's int-from-string digit limit


def _miss(i: int, **over: object) -> str:
    record: dict[str, object] = {
        "miss_id": f"m{i}",
        "timestamp": f"2026-11-1{i % 6}T0{i % 9}:00:00Z",
        "run_id": f"r{i}",
        "alert_name": f"Alert{i % 3}",
        "pipeline_name": "p",
        "severity": "critical",
        "rating": "partial",
        "taxonomy": "retrieval_gap",
        "root_cause": "x",
        "validity_score": 0.5,
        "user_id": "u-1",
    }
    record.update(over)
    return json.dumps(record)


def _incident(i: int, **over: object) -> str:
    record: dict[str, object] = {
        "id": f"inc{i}",
        "service": "gateway",
        "kind": "error_rate",
        "severity": "P1",
        "status": "open",
        "title": "5xx spike",
        "started_at": f"2026-11-1{i % 6}T0{i % 9}:00:00Z",
        "signature": "sigA",
        "labels": {"team": "edge"},
    }
    record.update(over)
    return json.dumps(record)


# raw lines (not json.dumps) for what json.dumps cannot produce. SURVIVED: the readers of this branch
# already quarantine or keep these. READER_CLASSES: crash classes inside the readers themselves (integers
# past 64 bits, floats out of range for an int field, lone surrogates, dates that leave Python's range after
# their offset, epoch 1e15), which the ingest helper's reader rewrite turns into flagged fields.
SURVIVED_LINES = [
    '{"miss_id": "deep", "timestamp": "2026-11-12T00:00:00Z", "alert_name": ' + DEEP + "}",
    DEEP,
    DEEP_OBJ,
    '{"miss_id": "digits", "timestamp": "2026-11-12T00:00:00Z", "investigation_loop_count": ' + TOO_MANY_DIGITS + "}",
    '{"miss_id": "inf", "timestamp": "2026-11-12T00:00:00Z", "alert_name": "Inf", "validity_score": 1e400}',
    '{"miss_id": "nan", "timestamp": "2026-11-12T00:00:00Z", "validity_score": NaN}',
    '{"miss_id": "y10k", "timestamp": "10000-01-01T00:00:00Z", "alert_name": "Y10k"}',
    "\x00\x01\x02 binary \x7f",
    # #24: JSON-escaped terminal controls (ESC c resets a terminal, an OSC 8 link, BEL, backspace, C1 CSI, RLO)
    '{"miss_id": "ctl", "timestamp": "2026-11-12T00:00:00Z", "alert_name": "Ctl\\u001bc\\u0007\\b\\u009b\\u202e", '
    '"taxonomy": "retrieval_gap", "root_cause": "\\u001b]8;;http://x\\u0007link\\u001b]8;;\\u0007"}',
    "[1, 2, 3]",
    '{"miss_id": ["not", "a", "string"], "timestamp": {"nested": true}}',
]
READER_CLASS_LINES = [
    '{"miss_id": "big", "timestamp": "2026-11-12T00:00:00Z", "alert_name": "Big", "validity_score": ' + HUGE_INT + "}",
    '{"miss_id": "f30", "timestamp": "2026-11-12T00:00:00Z", "alert_name": "F30", "validity_score": 1e30, '
    '"investigation_loop_count": 1e30}',
    '{"miss_id": "sur", "timestamp": "2026-11-12T00:00:00Z", "alert_name": "bad \\ud800 name", "taxonomy": "\\udfff"}',
    '{"miss_id": "late", "timestamp": "9999-12-31T23:59:59-05:00", "alert_name": "Late"}',
    '{"miss_id": "early", "timestamp": "0001-01-01T00:00:00+05:00", "alert_name": "Early"}',
    '{"miss_id": "neg", "timestamp": "-0001-01-01T00:00:00Z", "validity_score": -1e308}',
    '{"miss_id": "epoch", "timestamp": 1e15}',
    '{"miss_id": "epochint", "timestamp": ' + HUGE_INT + "}",
]


def build_hostile_corpus(folder: Path, *, reader_classes: bool = True) -> Path:
    """Write the hostile folder: every input with good rows plus odd ones; returns ``folder``.
    ``reader_classes=False`` leaves out the lines whose crash class lives inside the readers."""
    folder.mkdir(parents=True, exist_ok=True)
    odd = SURVIVED_LINES + (READER_CLASS_LINES if reader_classes else [])
    misses = [_miss(i) for i in range(12)] + odd
    (folder / "misses.jsonl").write_text("\n".join(misses) + "\n", encoding="utf-8", errors="surrogatepass")
    feedback = [
        json.dumps(
            {
                "feedback_id": f"f{i}",
                "timestamp": f"2026-11-1{i % 6}T00:00:00Z",
                "run_id": f"r{i}",
                "rating": ["accurate", "partial", "inaccurate"][i % 3],
                "validity_score": 0.9,
                "user_email": "someone@example.com",
            }
        )
        for i in range(9)
    ] + [line.replace('"miss_id"', '"feedback_id"') for line in odd]
    (folder / "feedback.jsonl").write_text("\n".join(feedback) + "\n", encoding="utf-8")
    investigations = [
        json.dumps(
            {
                "run_id": f"r{i}",
                "timestamp": f"2026-11-1{i % 6}T00:00:00Z",
                "alert_name": f"Alert{i % 3}",
                "root_cause": "x",
                "root_cause_category": "network",
                "validity_score": 0.7,
                "validated_claims": ["a"] * i,
            }
        )
        for i in range(6)
    ] + [line.replace('"miss_id"', '"run_id"') for line in odd]
    (folder / "investigations.jsonl").write_text("\n".join(investigations) + "\n", encoding="utf-8")
    incidents = [_incident(i) for i in range(8)] + [
        line.replace('"miss_id"', '"id"').replace('"timestamp"', '"started_at"').replace('"alert_name"', '"service"')
        for line in odd
    ]
    incidents.append(_incident(99, started_at="9999-12-31T23:59:59-05:00", ended_at="0001-01-01T00:00:00+05:00"))
    incidents.append(_incident(98, labels={"x": json.loads("[" * 50 + "]" * 50)}, signature=None, kind=None))
    (folder / "incidents.jsonl").write_text("\n".join(incidents) + "\n", encoding="utf-8")
    events = [
        json.dumps({"event_id": f"e{i}", "incident_id": "inc0", "ts": "2026-11-12T00:00:00Z", "type": "note"})
        for i in range(3)
    ] + [line.replace('"miss_id"', '"event_id"').replace('"timestamp"', '"ts"') for line in odd]
    (folder / "events.jsonl").write_text("\n".join(events) + "\n", encoding="utf-8")
    ledger = [
        json.dumps({"timestamp": f"2026-11-1{i % 6}T0{i % 9}:00:00Z", "provider": "meta_ads", "tenant_id": "t1"})
        for i in range(20)
    ] + [
        json.dumps({"timestamp": 1_763_000_000 + i * 3600, "provider": "google_ads", "tenant_id": "t2"})
        for i in range(5)
    ]
    ledger += [
        '{"timestamp": "10000-01-01T00:00:00Z", "provider": "y10k"}',
        '{"timestamp": 1763000000, "provider": ' + DEEP + "}",
        DEEP_OBJ,
    ]
    if reader_classes:
        ledger += [
            '{"timestamp": 1e15, "provider": "x"}',
            '{"timestamp": -1e15, "provider": "x"}',
            '{"timestamp": ' + HUGE_INT + ', "provider": "x"}',
            '{"timestamp": "9999-12-31T23:59:59-05:00", "provider": "late"}',
            '{"timestamp": "0001-01-01T00:00:00+05:00", "provider": "early"}',
            '{"timestamp": 1763000000, "provider": "\\ud800"}',
        ]
    (folder / "error_ledger.jsonl").write_text("\n".join(ledger) + "\n", encoding="utf-8")
    return folder


EXTREME_NOW = [
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59+00:00",
    "0001-01-01",
    "0001-01-01T00:00:00+05:00",
    "1e15",
    "not-a-time",
    "",
]
EXTREME_SINCE = [
    "99999999d",
    "99999999w",
    "99999999h",
    "0d",
    "-5d",
    "1e30d",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01",
    "",
]
EXTREME_WEEKS = ["9999-W52", "9999-W53", "0001-W01", "0000-W01", "2026-W99", "2026-W00", "x"]
BIG = str(10**30)


def command_matrix(folder: Path, out: Path) -> list[list[str]]:
    """Every command and subcommand on ``folder``, with and without --json, plus extreme flags."""
    data = ["--data", str(folder)]
    base: list[list[str]] = [
        ["misses", "list"],
        ["misses", "stats"],
        ["misses", "export", "--out", str(out / "export"), "--since", "99999999d"],
        ["misses", "trend"],
        ["misses", "trend", "--scenarios", str(folder)],
        ["confidence", "report"],
        ["confidence", "classify", "--score", "0.9", "--validated", "3"],
        ["incidents", "clusters"],
        ["incidents", "recurrence"],
        ["incidents", "buckets"],
        ["incidents", "digest"],
        ["incidents", "digest", "--followups"],
        ["incidents", "gate", "--service", "gateway"],
        ["incidents", "correlate", "inc0"],
        ["severity"],
        ["severity", "backtest"],
        ["check"],
    ]
    runs: list[list[str]] = []
    for command in base:
        runs.append([*data, *command])
        runs.append([*data, *command, "--json"])
    for now in EXTREME_NOW:
        for command in base:
            runs.append([*data, "--now", now, *command, "--json"])
    for since in EXTREME_SINCE:
        runs.append([*data, "misses", "list", "--since", since, "--json"])
        runs.append([*data, "misses", "stats", "--since", since])
        runs.append([*data, "misses", "export", "--out", str(out / "since"), "--since", since, "--json"])
        runs.append([*data, "confidence", "report", "--since", since, "--json"])
    for week in EXTREME_WEEKS:
        runs.append([*data, "incidents", "digest", "--week", week, "--json"])
        runs.append([*data, "incidents", "digest", "--week", week, "--out", str(out / "digest")])
    runs += [
        [*data, "misses", "export", "--out", str(out / "top"), "--top", BIG, "--json"],
        [*data, "misses", "export", "--out", str(out / "top"), "--top", "-" + BIG],
        [*data, "misses", "list", "--limit", "-1"],
        [*data, "misses", "list", "--limit", BIG, "--json"],
        [*data, "misses", "trend", "--weeks", BIG],
        [*data, "misses", "trend", "--weeks", "520", "--json"],
        [*data, "misses", "convert", "m1"],
        [*data, "misses", "convert", "big"],
        [*data, "misses", "convert", "sur"],
        [*data, "misses", "convert", "late", "--out", str(out / "late.json")],
        [*data, "misses", "convert", "nope"],
        [*data, "confidence", "classify", "--score", "1e308", "--validated", BIG, "--json"],
        [*data, "confidence", "classify", "--score", "nan", "--json"],
        [*data, "confidence", "classify", "--score", "-inf"],
        [*data, "confidence", "classify", "--score", "0.5", "--root-cause", "\udcff", "--json"],
        [*data, "incidents", "clusters", "--min-size", BIG],
        [*data, "incidents", "recurrence", "--window-days", BIG, "--json"],
        [*data, "incidents", "recurrence", "--window-days", "99999999"],
        [*data, "incidents", "buckets", "--window-days", BIG],
        [*data, "incidents", "buckets", "--window-days", "99999999", "--json"],
        [*data, "incidents", "gate", "--service", "gateway", "--profile", "nope"],
        [*data, "incidents", "gate", "--service", "\ud800", "--json"],
        [*data, "incidents", "correlate", "nope", "--json"],
        [*data, "severity", "--exclude-tenant", "t1", "--json"],
        [*data, "severity", "backtest", "--days", "3660", "--json"],
        [*data, "severity", "backtest", "--days", BIG],
        [*data, "--now", "9999-12-31T23:59:59-05:00", "severity", "backtest", "--days", "3660"],
        [*data, "--now", "0001-01-01", "severity", "backtest", "--days", "3660"],
        [*data, "--now", "0001-01-08", "misses", "trend", "--weeks", "520"],
        [*data, "--now", "9999-12-20", "misses", "trend", "--weeks", "520"],
        [*data, "--now", "0001-01-01", "incidents", "recurrence", "--window-days", "99999999"],
        [*data, "--now", "9999-12-31T23:59:59-05:00", "incidents", "buckets", "--window-days", "99999999"],
        [*data, "check", "--show", "user_email", "--json"],
        ["sample", "--out", str(out / "sample"), "--scale", "0.001", "--json"],
        ["sample", "--out", str(out / "sample2"), "--scale", "1e30"],
        ["sample", "--out", str(out / "sample3"), "--scale", "-1"],
        ["sample", "--out", str(out / "sample4"), "--scale", "nan"],
        ["sample", "--out", str(out / "sample5"), "--seed", BIG],
        ["store", "init", "--dsn", "postgresql://bob:p@ss@127.0.0.1:1/db"],
        ["store", "init", "--dsn", "postgresql://[::1"],
        ["store", "init", "--dsn", "not a dsn"],
        ["store", "init", "--dsn", "postgresql://u@h/db?connect_timeout=abc"],
    ]
    return runs


if __name__ == "__main__":
    build_hostile_corpus(Path(sys.argv[1]))
