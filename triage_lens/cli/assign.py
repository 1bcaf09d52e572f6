"""``triage-lens assign``: give a follow-up or an (alert, taxonomy) pair an owner, a team and a due date.

Appends an ``assignment`` event (and a ``status_change`` with ``--status``) to the incident timeline through the one
event writer; nothing already written is changed. Needs write mode."""

from __future__ import annotations

import click

from triage_lens.cli.common import GlobalOptions, emit_json, fail, global_options, load_data


@click.command("assign")
@click.option("--followup", "followup_id", metavar="ID", help="The follow-up's id (its event_id).")
@click.option(
    "--pair", metavar="ALERT::TAXONOMY", help="An (alert, taxonomy) pair, e.g. CheckoutHighErrorRate::retrieval_gap."
)
@click.option("--owner", required=True, metavar="NAME", help="Who owns it.")
@click.option("--team", metavar="TEAM", help="The owning team.")
@click.option("--due", metavar="DATE", help="Due date, YYYY-MM-DD.")
@click.option("--status", type=click.Choice(["open", "done"]), help="Also record a status change (done closes it).")
@click.option("--json", "as_json", is_flag=True, help='{"written": [events], "already": n}')
@global_options(writes=True)
@click.pass_obj
def assign(
    options: GlobalOptions,
    followup_id: str | None,
    pair: str | None,
    owner: str,
    team: str | None,
    due: str | None,
    status: str | None,
    as_json: bool,
) -> None:
    """Assign a follow-up (--followup ID) or a pair (--pair ALERT::TAXONOMY) to --owner, with --team and --due."""
    import polars as pl

    from analytics.owners import AssignmentError, assignment_event, parse_pair, status_event
    from triage_lens.cli.common import clean_text
    from triage_lens.sources.events import write_events
    from triage_lens.sources.store import StoreError

    if (followup_id is None) == (pair is None):
        fail("give exactly one of --followup ID or --pair ALERT::TAXONOMY")
    sources, _, data = load_data(options, ["events", "incidents"])
    if not sources.write:
        fail("assign writes to the incident store: enable write mode with --write (or write: true in the config)")
    incident_id = ""
    try:
        if pair is not None:
            parse_pair(pair)
        else:
            found = (
                data.frame("events")
                .filter((pl.col("event_id") == followup_id) & (pl.col("type") == "followup"))
                .select("incident_id")
                .collect()
            )
            if found.height == 0:
                fail(f"--followup {followup_id!r}: no follow-up with that id in the incident timeline", 1)
            incident_id = str(found["incident_id"][0] or "")
        events = [
            assignment_event(
                now=sources.now,
                owner=clean_text(owner),
                team=None if team is None else clean_text(team),
                due_date=due,
                followup_id=followup_id,
                pair=pair,
                incident_id=incident_id,
            )
        ]
        if status is not None:
            events.append(
                status_event(
                    now=sources.now, status=status, followup_id=followup_id, pair=pair, incident_id=incident_id
                )
            )
    except AssignmentError as exc:
        fail(str(exc))
    try:
        written = write_events(sources, events)
    except StoreError as exc:
        fail(str(exc), 1)
    if as_json:
        emit_json({"written": written, "already": len(events) - len(written)})
        return
    target = f"follow-up {followup_id}" if followup_id else f"pair {pair}"
    if not written:
        click.echo(f"{target}: already recorded (nothing written)")
        return
    for event in written:
        click.echo(f"{target}: {event['message']} ({event['event_id']})")
