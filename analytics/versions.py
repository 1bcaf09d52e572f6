"""Agent versions behind misses, investigations and benchmark runs (DEFINITIONS §4 "Versions").

A record carries its version in ``agent_version`` (else ``opensre_version``, else ``opensre_sha``) when present;
otherwise it takes the release shipped most recently before its timestamp (``shipped_at <= timestamp``) from the
data folder's ``releases.yml``. A benchmark run's ``version`` column wins, then its ``opensre_sha`` mapped to the
release whose ``commit`` it prefixes (either way round, so a short sha and a full commit both match), then the
release shipped most recently before the run started (the version the nightly run exercised).

Everything here is pure Polars; :mod:`triage_lens.sources.releases` reads the file.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from analytics.timeparse import UTC_DATETIME

RELEASE_SCHEMA: dict[str, pl.DataType] = {
    "version": pl.Utf8(),
    "shipped_at": UTC_DATETIME,
    "commit": pl.Utf8(),
    "notes": pl.Utf8(),
}
VERSION_FIELDS: tuple[str, ...] = ("agent_version", "opensre_version", "opensre_sha")


def empty_releases() -> pl.DataFrame:
    """A releases frame with no rows (:data:`RELEASE_SCHEMA`)."""
    return pl.DataFrame(schema=RELEASE_SCHEMA)


def _own_version(columns: list[str]) -> pl.Expr:
    """The record's own version: the first non-empty of :data:`VERSION_FIELDS` among ``columns``."""
    parts = [
        pl.when(pl.col(c).cast(pl.Utf8).str.strip_chars() != "").then(pl.col(c).cast(pl.Utf8))
        for c in VERSION_FIELDS
        if c in columns
    ]
    return pl.coalesce(parts) if parts else pl.lit(None, pl.Utf8)


def with_version(frame: pl.LazyFrame, releases: pl.DataFrame | None, *, time_column: str) -> pl.LazyFrame:
    """Add ``version`` (the record's own, else the release shipped most recently at or before ``time_column``)
    and ``version_source`` (``"record"``, ``"releases.yml"`` or null when unknown).

    In: any frame with ``time_column`` (Datetime UTC) and optionally :data:`VERSION_FIELDS`; releases
    (:data:`RELEASE_SCHEMA`) or None. Out: the same rows in the same order plus the two columns.
    """
    columns = frame.collect_schema().names()
    own = _own_version(columns)
    rel = releases if releases is not None else empty_releases()
    if rel.filter(pl.col("shipped_at").is_not_null()).height == 0:  # nothing shipped: the record's own or unknown
        return frame.with_columns(
            own.alias("version"),
            pl.when(own.is_not_null()).then(pl.lit("record")).otherwise(pl.lit(None, pl.Utf8)).alias("version_source"),
        )
    shipped = (
        rel.lazy()
        .filter(pl.col("shipped_at").is_not_null())
        .select(pl.col("shipped_at").alias("_shipped"), pl.col("version").alias("_released"))
        .sort("_shipped")
    )
    indexed = frame.with_row_index("_order").with_columns(own.alias("_own"))
    timed = indexed.filter(pl.col(time_column).is_not_null()).sort(time_column)
    matched = timed.join_asof(shipped, left_on=time_column, right_on="_shipped", strategy="backward").select(
        "_order", "_released"
    )
    return (
        indexed.join(matched, on="_order", how="left")
        .sort("_order")
        .with_columns(
            pl.coalesce("_own", "_released").alias("version"),
            pl.when(pl.col("_own").is_not_null())
            .then(pl.lit("record"))
            .when(pl.col("_released").is_not_null())
            .then(pl.lit("releases.yml"))
            .otherwise(pl.lit(None, pl.Utf8))
            .alias("version_source"),
        )
        .drop("_order", "_own", "_released")
    )


def release_for_sha(sha: str | None, releases: pl.DataFrame | None) -> str | None:
    """The release whose ``commit`` the sha prefixes (or that prefixes it); None when none or ambiguous."""
    if not sha or releases is None or releases.height == 0:
        return None
    text = sha.strip().lower()
    hits = [
        str(v)
        for v, c in releases.select("version", "commit").iter_rows()
        if c and len(text) >= 4 and (str(c).lower().startswith(text) or text.startswith(str(c).lower()))
    ]
    return hits[0] if len(set(hits)) == 1 else None


def release_at(moment: datetime | None, releases: pl.DataFrame | None) -> str | None:
    """The version shipped most recently at or before ``moment`` (None when none was yet)."""
    if moment is None or releases is None or releases.height == 0:
        return None
    shipped = releases.filter(pl.col("shipped_at") <= moment).sort("shipped_at")
    return None if shipped.height == 0 else str(shipped["version"][-1])


def run_versions(runs: pl.DataFrame, releases: pl.DataFrame | None) -> pl.DataFrame:
    """``run_id`` -> ``version`` for each run: its ``version`` column when set, else its ``opensre_sha`` mapped by
    :func:`release_for_sha`, else :func:`release_at` its start, else the sha itself (null when nothing is known).

    In: :func:`analytics.runs.run_summary` rows (``run_id``, ``started_at``; ``version``, ``opensre_sha`` read
    when the columns exist). Out: ``run_id``, ``version``.
    """
    has_version = "version" in runs.columns
    has_sha = "opensre_sha" in runs.columns
    out: list[str | None] = []
    for row in runs.iter_rows(named=True):
        own = row.get("version") if has_version else None
        sha = row.get("opensre_sha") if has_sha else None
        value = (own if own else None) or release_for_sha(sha, releases) or release_at(row["started_at"], releases)
        out.append(value or (sha if sha else None))
    return pl.DataFrame({"run_id": runs["run_id"], "version": out}, schema={"run_id": pl.Utf8, "version": pl.Utf8})


def release_markers(releases: pl.DataFrame | None, *, start: datetime | None, end: datetime) -> pl.DataFrame:
    """The releases shipped in [start, end] for chart rules. Out: ``version``, ``shipped_at``, ``notes``."""
    if releases is None or releases.height == 0:
        return empty_releases().select("version", "shipped_at", "notes")
    shipped = pl.col("shipped_at")
    keep = shipped <= end if start is None else (shipped >= start) & (shipped <= end)
    return releases.filter(keep).sort("shipped_at").select("version", "shipped_at", "notes")


def version_choices(frame: pl.LazyFrame | pl.DataFrame, column: str = "version") -> list[str]:
    """The distinct non-null values of ``column``, sorted (for the slice picker)."""
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    if column not in lazy.collect_schema().names():
        return []
    values = lazy.select(pl.col(column).drop_nulls().unique()).collect().to_series().to_list()
    return sorted(str(v) for v in values)


def filter_version(frame: pl.LazyFrame, version: str | None) -> pl.LazyFrame:
    """The rows of one ``version`` (None: every row). In: a frame with ``version`` (:func:`with_version`)."""
    return frame if version is None else frame.filter(pl.col("version") == version)
