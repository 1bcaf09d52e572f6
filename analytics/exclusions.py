"""Drills and maintenance are not incidents to learn from (DEFINITIONS §4): an incident whose ``labels.kind`` is
``drill`` or ``maintenance`` is left out of every incident metric. The one filter is applied where incidents are
loaded (:func:`triage_lens.sources.loading.apply_derived_columns`), so every page and command sees the same set;
:func:`excluded_kind_expr` is the rule, and the pages say how many were left out."""

from __future__ import annotations

import polars as pl

EXCLUDED_KINDS: tuple[str, ...] = ("drill", "maintenance")


def excluded_kind_expr() -> pl.Expr:
    """True for a drill or maintenance incident. In: ``labels`` (canonical JSON text, or null)."""
    kind = pl.col("labels").cast(pl.Utf8).str.json_path_match("$.kind").str.to_lowercase()
    return kind.is_in(list(EXCLUDED_KINDS)).fill_null(False)


def without_exercises(incidents: pl.LazyFrame) -> pl.LazyFrame:
    """The incidents that count: drills and maintenance left out. In/out: incident rows with ``labels``."""
    if "labels" not in incidents.collect_schema().names():
        return incidents
    return incidents.filter(~excluded_kind_expr())


def excluded_note(count: int) -> str:
    """ "3 drill or maintenance incidents are left out of every figure." ("" when none)."""
    if count <= 0:
        return ""
    noun = "incident is" if count == 1 else "incidents are"
    return f"{count:,} drill or maintenance {noun} left out of every figure (labels.kind)."
