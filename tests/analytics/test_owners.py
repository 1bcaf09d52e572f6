"""Owners, due dates, overdue and the follow-up funnel on a hand-built timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from analytics.owners import (
    AssignmentError,
    assignment_event,
    board,
    followup_funnel,
    followup_outcomes,
    mine,
    parse_due,
    parse_pair,
    status_event,
)
from analytics.timeparse import UTC_DATETIME

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def ev(eid: str, inc: str, ts: str, typ: str, meta: dict[str, object], msg: str = "") -> dict[str, object]:
    return {
        "event_id": eid,
        "incident_id": inc,
        "ts": datetime.fromisoformat(ts),
        "type": typ,
        "message": msg,
        "meta": json.dumps(meta),
    }


EVENTS = pl.DataFrame(
    [
        ev(
            "f1",
            "i1",
            "2026-11-01T00:00:00+00:00",
            "followup",
            {"owner": "oncall", "due_date": "2026-11-08", "bucket_key": "gw|error_rate", "title": "T1"},
        ),
        ev(
            "f2",
            "i2",
            "2026-11-02T00:00:00+00:00",
            "followup",
            {"owner": "oncall", "due_date": "2026-11-30", "bucket_key": "db|oom"},
            "T2",
        ),
        ev("f3", "i3", "2026-11-02T00:00:00+00:00", "followup", {"owner": "oncall", "bucket_key": "gw|error_rate"}),
        ev("a1", "", "2026-11-03T00:00:00+00:00", "assignment", {"owner": "ana", "team": "edge", "followup_id": "f1"}),
        ev(
            "a2",
            "",
            "2026-11-04T00:00:00+00:00",
            "assignment",
            {"owner": "bo", "due_date": "2026-11-10", "pair": "A::retrieval_gap"},
        ),
        ev("a3", "", "2026-11-06T00:00:00+00:00", "assignment", {"team": "web", "pair": "A::retrieval_gap"}),
        ev("s1", "i2", "2026-11-05T00:00:00+00:00", "status_change", {"status": "done", "followup_id": "f2"}),
        ev("s2", "i3", "2026-11-07T00:00:00+00:00", "status_change", {"status": "done", "followup_id": "f3"}),
        ev("s0", "i9", "2026-11-05T00:00:00+00:00", "status_change", {"author": "oncall"}),  # incident timeline
    ],
    schema_overrides={"ts": UTC_DATETIME},
).lazy()


def test_board_overdue_first_with_the_newest_assignment() -> None:
    rows = board(EVENTS, now=NOW).to_dicts()
    # f1 due Nov 8, open: 12 days overdue; the pair due Nov 10: 10 days; f2/f3 done
    assert [(r["target"], r["owner"], r["team"], r["overdue"], r["days_overdue"]) for r in rows] == [
        ("f1", "ana", "edge", True, 12),
        ("A::retrieval_gap", "bo", "web", True, 10),  # a3 set the team and kept bo and the due date
        ("f2", "oncall", None, False, None),
        ("f3", "oncall", None, False, None),
    ]
    assert rows[2]["status"] == "done" and rows[2]["title"] == "T2"
    assert [r["target"] for r in mine(board(EVENTS, now=NOW), me="ANA", team=None).to_dicts()] == ["f1"]
    assert [r["target"] for r in mine(board(EVENTS, now=NOW), me=None, team="web").to_dicts()] == ["A::retrieval_gap"]
    assert mine(board(EVENTS, now=NOW), me=None, team=None).height == 4


def test_followup_held_recurred_and_funnel() -> None:
    incidents = pl.DataFrame(
        {
            "bucket_key": ["db|oom", "gw|error_rate", "gw|error_rate"],
            # db|oom: Nov 25 is after done (Nov 5) + 14 days → held; gw: Nov 12 is within 14 days of Nov 7 → recurred
            "started_at": [
                datetime(2026, 11, 25, tzinfo=UTC),
                datetime(2026, 11, 12, tzinfo=UTC),
                datetime(2026, 11, 6, tzinfo=UTC),
            ],
        }
    ).lazy()
    followups = board(EVENTS, now=NOW).filter(pl.col("kind") == "followup")
    outcomes = followup_outcomes(followups, incidents, now=NOW, held_days=14)
    assert dict(outcomes.select("target", "outcome").iter_rows()) == {"f1": "open", "f2": "held", "f3": "recurred"}
    funnel = followup_funnel(outcomes, held_days=14)
    assert funnel.to_json() == {
        "opened": 3,
        "done": 2,
        "held": 1,
        "recurred": 1,
        "too_early": 0,
        "overdue": 1,
        "held_days": 14,
    }
    early = followup_outcomes(followups, incidents.filter(pl.lit(False)), now=datetime(2026, 11, 15, tzinfo=UTC))
    assert dict(early.select("target", "outcome").iter_rows())["f2"] == "too early"  # Nov 5 + 14 > Nov 15


def test_events_and_their_errors() -> None:
    event = assignment_event(now=NOW, owner="ana", team="edge", due_date="2026-12-01", pair="A::retrieval_gap")
    assert event["incident_id"] == "" and event["type"] == "assignment"
    assert event["meta"] == {
        "owner": "ana",
        "team": "edge",
        "due_date": "2026-12-01",
        "source": "triage-lens",
        "pair": "A::retrieval_gap",
    }
    assert event == assignment_event(now=NOW, owner="ana", team="edge", due_date="2026-12-01", pair="A::retrieval_gap")
    done = status_event(now=NOW, status="done", followup_id="f1", incident_id="i1")
    assert done["meta"]["status"] == "done" and done["incident_id"] == "i1"
    assert parse_pair("Checkout::High::retrieval_gap") == ("Checkout::High", "retrieval_gap")
    with pytest.raises(AssignmentError, match="ALERT::TAXONOMY"):
        parse_pair("no-separator")
    with pytest.raises(AssignmentError, match="YYYY-MM-DD"):
        parse_due("next friday")
    with pytest.raises(AssignmentError, match="exactly one"):
        assignment_event(now=NOW, owner="x")
