"""Owners on the pages: the follow-up/pair board from the timeline (cached), the "mine / my team" filter kept in the
URL (``mine=me`` or ``mine=team``), and the drill/maintenance note."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.buckets import BucketOptions, bucket_key_expr
from analytics.exclusions import excluded_note
from analytics.owners import FollowupFunnel, board, followup_funnel, followup_outcomes, mine
from dashboard.context import AppContext, memo
from dashboard.urlstate import url_selectbox
from triage_lens.sources.identity import who_am_i
from triage_lens.sources.loading import excluded_incidents


def board_for(context: AppContext) -> pl.DataFrame:
    """Every follow-up and assigned pair (:func:`analytics.owners.board`), overdue first; shared read-only."""
    return memo(context, "owners-board", build=lambda: board(context.data.frame("events"), now=context.now))


def mine_filter(container: object, context: AppContext) -> tuple[str | None, str | None, str]:
    """The "show" picker (everyone / mine / my team, kept in the URL as ``mine``) → (me, team, label)."""
    me, team = who_am_i(context.sources)
    options = ["all"] + (["me"] if me else []) + (["team"] if team else [])
    if len(options) == 1:
        return None, None, "everyone"
    labels = {"all": "everyone", "me": f"mine ({me})", "team": f"my team ({team})"}
    choice = url_selectbox(container, "Owner", options, "mine", "all", format_func=lambda v: labels[v])
    return (me if choice == "me" else None), (team if choice == "team" else None), labels[choice]


def my_board(context: AppContext, me: str | None, team: str | None) -> pl.DataFrame:
    """:func:`board_for` restricted by the "mine" choice."""
    return mine(board_for(context), me=me, team=team)


def followup_funnel_for(context: AppContext, rows: pl.DataFrame) -> FollowupFunnel:
    """opened → done → held over the board's follow-ups (held: policy ``followups.held_days``)."""
    held_days = context.policy.followups.held_days
    options = BucketOptions.from_policy(context.policy)
    incidents = context.data.frame("incidents").with_columns(bucket_key_expr(options).alias("bucket_key"))
    outcomes = followup_outcomes(
        rows.filter(pl.col("kind") == "followup"), incidents, now=context.now, held_days=held_days
    )
    return followup_funnel(outcomes, held_days=held_days)


def overdue_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The open items past their due date, most overdue first."""
    return rows.filter(pl.col("overdue"))


def exclusion_caption(context: AppContext) -> None:
    """Say how many drill/maintenance incidents every figure leaves out (nothing when none)."""
    note = excluded_note(excluded_incidents(context.data.inputs["incidents"]))
    if note:
        st.caption(note)


def incident_last_time_line(context: AppContext, incident_id: str) -> str:
    """ "Last time (signature): inc_… on Oct 01, resolved, …; follow-up “…” (ana, due …, done)." for one incident."""
    from analytics.last_time import incident_last_time, incident_last_time_text

    followups = board_for(context).filter(pl.col("kind") == "followup")
    return incident_last_time_text(incident_last_time(context.data.frame("incidents"), incident_id, followups))
