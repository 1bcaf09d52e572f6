"""Old data is found (the CLI's note and --now), and recurring signatures carry the newest incident's title."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from analytics.asof import InputSpan, iso, newest_record, now_hint, where_the_data_is
from analytics.derived import derive_incident_fields
from analytics.recurrence import RecurrenceOptions, recurrence, signature_titles
from analytics.windows import window
from tests.conftest import write_lines
from triage_lens.cli.main import cli

NOW = datetime(2022, 7, 2, tzinfo=UTC)


def incidents(*rows: tuple[str, str, str | None, str]) -> pl.LazyFrame:
    """(id, signature, title, started_at ISO)"""
    return pl.LazyFrame(
        {
            "id": [r[0] for r in rows],
            "signature": [r[1] for r in rows],
            "title": [r[2] for r in rows],
            "started_at": [datetime.fromisoformat(r[3]) for r in rows],
            "kind": ["custom"] * len(rows),
            "service": ["api"] * len(rows),
        }
    )


def test_a_signature_is_named_by_its_newest_titled_incident() -> None:
    frame = incidents(
        ("1", "s1", "Old wording", "2022-06-29T10:00:00+00:00"),
        ("2", "s1", "Old wording", "2022-06-30T10:00:00+00:00"),
        ("3", "s1", "New wording", "2022-07-01T10:00:00+00:00"),
        ("4", "s1", None, "2022-07-01T12:00:00+00:00"),  # newest, but untitled: not a name
        ("5", "s2", None, "2022-07-01T12:00:00+00:00"),
    )
    assert signature_titles(frame, now=NOW, days=7) == {"s1": "New wording"}
    payload = recurrence(frame, now=NOW, days=7, options=RecurrenceOptions.from_policy())
    assert [(e["key"], e["count"], e["title"]) for e in payload["top_signatures"]] == [
        ("s1", 4, "New wording"),
        ("s2", 1, "(untitled)"),
    ]


def test_where_the_data_is_and_the_now_to_reach_it() -> None:
    old = datetime(2022, 7, 1, 13, 37, 44, 500000, tzinfo=UTC)
    spans = [
        InputSpan("incidents", datetime(2021, 6, 24, tzinfo=UTC), old, 243, 0),
        InputSpan("misses", None, None, 0, 0),
    ]
    assert newest_record(spans) == old
    assert iso(old) == "2022-07-01T13:37:44Z"
    assert where_the_data_is(spans) == "newest incident 2022-07-01 13:37 UTC (243 incidents since 2021-06-24)"
    hint = now_hint(spans, window("7d", datetime(2026, 12, 1, tzinfo=UTC)))
    assert hint is not None and hint.endswith("Try --now 2022-07-01T13:37:44Z to look as of the newest record.")
    assert now_hint([InputSpan("incidents", old, old, 1, 1)], window("7d", old)) is None


def test_cli_empty_answers_say_where_the_data_is(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "incidents.jsonl",
        '{"id": "a", "service": "api", "title": "Replica lag", "started_at": "2022-07-01T14:00:00Z"}',
        '{"id": "b", "service": "api", "title": "Replica lag again", "started_at": "2022-07-01T15:00:00Z"}',
    )
    runner = CliRunner()
    base = ["--data", str(tmp_path), "--now", "2026-12-01T00:00:00Z"]
    result = runner.invoke(cli, [*base, "incidents", "recurrence", "--json"])
    assert json.loads(result.stdout)["top_signatures"] == []  # the note never enters the JSON
    assert "newest incident 2022-07-01 15:00 UTC" in result.stderr
    assert "Try --now 2022-07-01T15:00:00Z" in result.stderr
    digest = runner.invoke(cli, [*base, "incidents", "digest"])
    assert "Nothing in the week 2026-W48" in digest.stderr
    found = runner.invoke(cli, ["--data", str(tmp_path), "--now", "2022-07-01T15:00:00Z", "incidents", "recurrence"])
    assert "note:" not in found.stderr
    assert "Replica lag again" in found.stdout  # named by the newest incident's title, not a hash


def test_derived_signatures_keep_their_titles_on_real_shaped_rows() -> None:
    frame = derive_incident_fields(
        pl.LazyFrame(
            {
                "id": ["x"],
                "service": ["Google BigQuery"],
                "title": ["[Google BigQuery] Lower throughput"],
                "started_at": [datetime(2022, 7, 1, tzinfo=UTC)],
                "kind": [None],
                "signature": [None],
            },
            schema_overrides={"kind": pl.Utf8, "signature": pl.Utf8},
        ),
        kind_keywords={},
        default_kind="custom",
    )
    payload = recurrence(frame, now=NOW, days=7, options=RecurrenceOptions.from_policy())
    assert payload["top_signatures"][0]["title"] == "[Google BigQuery] Lower throughput"


def test_the_digest_names_recurring_signatures_by_title() -> None:
    from tests.conftest import SAMPLE_DIR

    out = CliRunner().invoke(cli, ["--data", str(SAMPLE_DIR), "incidents", "digest", "--week", "2026-W46"]).stdout
    assert "- **high** — Gateway 5xx error rate above 90% on /v3/orders (signature `f7d4cec0`): 14 incidents." in out


def test_no_signature_recurs_when_every_title_is_different() -> None:
    from analytics.recurrence import no_signature_recurs, recurrence_tables

    unique = incidents(("1", "s1", "A", "2022-07-01T10:00:00+00:00"), ("2", "s2", "B", "2022-07-01T11:00:00+00:00"))
    tables = recurrence_tables(unique, now=NOW, days=7, options=RecurrenceOptions.from_policy())
    assert no_signature_recurs(tables["signatures"])
    assert tables["services"].rows() == [("api", 2)]  # what does recur
    again = incidents(("1", "s1", "A", "2022-07-01T10:00:00+00:00"), ("2", "s1", "A", "2022-07-01T11:00:00+00:00"))
    assert not no_signature_recurs(
        recurrence_tables(again, now=NOW, days=7, options=RecurrenceOptions.from_policy())["signatures"]
    )
    assert not no_signature_recurs(
        recurrence_tables(unique, now=NOW, days=7, options=RecurrenceOptions.from_policy())["kinds"].head(0)
    )


def test_the_digest_week_picker_spans_every_week_in_the_data() -> None:
    from analytics.digest import digest_weeks

    frame = incidents(("1", "s", "A", "2022-06-30T10:00:00+00:00"))
    weeks = digest_weeks(frame, now=datetime(2022, 12, 1, tzinfo=UTC))  # a Thursday of 2022-W48
    assert weeks[0] == "2022-W47" and weeks[-1] == "2022-W26"  # 2022-06-30 is in W26
    assert len(weeks) == 22
    short = digest_weeks(frame, now=datetime(2022, 7, 5, tzinfo=UTC))
    assert short[0] == "2022-W26" and len(short) == 12  # never fewer than 12
    assert digest_weeks(frame.head(0), now=datetime(2022, 7, 5, tzinfo=UTC))[-1] == "2022-W15"


def test_cli_recurrence_leads_with_kinds_when_every_title_differs(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "incidents.jsonl",
        '{"id": "a", "service": "api", "title": "Elevated errors on checkout", "started_at": "2022-07-01T14:00:00Z"}',
        '{"id": "b", "service": "api", "title": "Slow responses for some users", "started_at": "2022-07-01T15:00:00Z"}',
    )
    out = (
        CliRunner()
        .invoke(cli, ["--data", str(tmp_path), "--now", "2022-07-02T00:00:00Z", "incidents", "recurrence"])
        .stdout
    )
    assert out.startswith("No signature recurs in the last 7 days (every title differs)")
    assert out.index("Top kinds") < out.index("Top services") < out.index("Top signatures")
