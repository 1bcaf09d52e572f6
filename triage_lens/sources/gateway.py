"""OpenSRE gateway feedback (``gateway/slack_feedback.jsonl``, ``gateway/discord_feedback.jsonl``): the checks
the generic JSONL reader cannot make.

The generic reader (:mod:`triage_lens.sources.readers`) types the lines of these inputs and quarantines the ones
that are not JSON objects or lack ``ts``/``verdict``. A thumbs click is only countable when it has a verdict of
``good`` or ``bad`` and a time to place it in a week, so :func:`quarantine_unusable_rows` leaves out the rows
whose ``verdict`` is anything else or whose ``ts`` did not parse, each with its file:line and the reason.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from analytics.schemas import GATEWAY_INPUTS
from triage_lens.sources.readers import EXCERPT_CHARS, ReportItem

GATEWAY_INPUT_NAMES: frozenset[str] = frozenset(s.name for s in GATEWAY_INPUTS)
VERDICTS: tuple[str, ...] = ("good", "bad")
GATEWAY_FOLDER = "gateway"


def _reason(verdict: str | None, ts_ok: bool, ts_text: str | None) -> str:
    if verdict not in VERDICTS:
        shown = "null or not a string" if verdict is None else repr(verdict[:40])
        return f"field 'verdict' is {shown}, expected 'good' or 'bad'"
    if not ts_ok:
        shown = "missing" if ts_text is None else repr(ts_text[:40])
        return f"field 'ts' is {shown}, expected epoch seconds"
    return ""


def quarantine_unusable_rows(frame: pl.LazyFrame, items: list[ReportItem], file_label: str) -> tuple[pl.LazyFrame, int]:
    """Leave out the rows that cannot be counted (``verdict`` not good/bad, ``ts`` not a time).

    In: a gateway input's typed frame (``_line``, ``_raw``, ``ts``, ``ts_text``, ``verdict``) and its report
    ``items`` (extended in place: one ``quarantined`` item per row left out, replacing that line's ``flagged``
    items, since the row is gone). Out: the frame of countable rows and how many rows were left out.
    """
    usable = pl.col("verdict").is_in(list(VERDICTS)) & pl.col("ts").is_not_null()
    columns = ["_line", "verdict", "ts", "ts_text"] + (["_raw"] if "_raw" in frame.collect_schema() else [])
    bad = frame.filter(~usable.fill_null(False)).select(columns).collect()
    if bad.height == 0:
        return frame, 0
    bad_lines = set(bad["_line"].to_list())
    items[:] = [i for i in items if not (i.action == "flagged" and i.line in bad_lines and i.file == file_label)]
    for row in bad.iter_rows(named=True):
        reason = _reason(row["verdict"], row["ts"] is not None, row["ts_text"])
        excerpt = (row.get("_raw") or "")[:EXCERPT_CHARS]
        items.append(ReportItem(file_label, row["_line"], reason, excerpt, "quarantined"))
    items.sort(key=lambda i: (i.file, i.line))
    return frame.filter(usable.fill_null(False)), bad.height


def platform_of(input_name: str) -> str:
    """``slack_feedback`` → ``slack``: the platform is the file the click was written to."""
    return input_name.removesuffix("_feedback")


def gateway_frames(frame: Callable[[str], pl.LazyFrame]) -> dict[str, pl.LazyFrame]:
    """{platform: that platform's feedback frame}, from a loaded data's ``frame(name)`` accessor."""
    return {platform_of(name): frame(name) for name in sorted(GATEWAY_INPUT_NAMES)}
