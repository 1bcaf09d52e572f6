"""Last time, for a pair and an incident, on hand-built inputs."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from analytics.last_time import incident_last_time, incident_last_time_text, pair_last_time


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def test_pair_last_time_splits_on_gaps_and_fixes() -> None:
    # Oct 1, 3, 5 | 20-day gap | Oct 25, 27 | fix Oct 28 (run) | Nov 9 → the previous occurrence is Oct 25–27
    times = [at(10, 5), at(10, 1), at(10, 3), at(10, 25), at(10, 27), at(11, 9)]
    last = pair_last_time(times, gap_days=14, covered_at=at(10, 27), fixed_at=at(10, 28), fixed_in="v1.4.0")
    assert last is not None
    assert (last.first, last.last, last.misses, last.back_at) == (at(10, 25), at(10, 27), 2, at(11, 9))
    assert (last.exported_at, last.passed_at, last.passed_in) == (at(10, 27), at(10, 28), "v1.4.0")
    assert last.text() == (
        "Last time: 2 misses Oct 25 – Oct 27; scenario exported Oct 27; passed in the Oct 28 run (v1.4.0); back Nov 09."
    )
    no_fix = pair_last_time(times[:5], gap_days=14)
    assert no_fix is not None and (no_fix.misses, no_fix.exported_at, no_fix.passed_at) == (3, None, None)
    assert "no scenario exported" in no_fix.text()
    assert pair_last_time([at(10, 1), at(10, 2)], gap_days=14) is None
    assert pair_last_time([], gap_days=14) is None


def test_incident_last_time_by_signature_then_service_and_kind() -> None:
    incidents = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "started_at": [at(10, 1), at(10, 5), at(10, 9), at(10, 12)],
            "ended_at": [at(10, 1), None, at(10, 9), None],
            "status": ["resolved", "open", "closed", "open"],
            "title": ["t1", "t2", "t3", "t4"],
            "signature": ["s1", "s2", "s1", "s9"],
            "service": ["gw", "gw", "gw", "db"],
            "kind": ["oom", "oom", "oom", "disk"],
        }
    ).lazy()
    followups = pl.DataFrame(
        {"incident_id": ["a"], "title": ["Fix OOM"], "owner": ["ana"], "due_date": ["2026-10-08"], "status": ["done"]}
    )
    last = incident_last_time(incidents, "c", followups)
    assert last is not None and (last["id"], last["matched_by"]) == ("a", "signature")
    assert incident_last_time_text(last) == (
        "Last time (signature): a on Oct 01, resolved, ended Oct 01 00:00; follow-up “Fix OOM” (ana, due 2026-10-08, done)."
    )
    by_kind = incident_last_time(incidents, "b", followups)
    assert by_kind is not None and (by_kind["id"], by_kind["matched_by"]) == ("a", "service and kind")
    assert incident_last_time(incidents, "d") is None and incident_last_time(incidents, "zzz") is None
    assert incident_last_time_text(None).startswith("Last time: no earlier incident")
