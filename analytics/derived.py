"""Columns derived from stored fields: the misses grouping key, incident kind and signature.

Each function is a ``LazyFrame -> LazyFrame`` step; the plain-Python ``*_reference`` twins state the
same rule one value at a time and are what the property tests compare against.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

import polars as pl

UNKNOWN_ALERT = "<unknown>"
UNKNOWN_TAXONOMY = "unknown"


def _or_fallback(column: str, fallback: str) -> pl.Expr:
    """Python's ``value or fallback`` for a text column: null and "" both fall back."""
    value = pl.col(column)
    return pl.when(value.is_null() | (value == "")).then(pl.lit(fallback)).otherwise(value)


def with_grouping_key(misses: pl.LazyFrame) -> pl.LazyFrame:
    """Add OpenSRE's grouping key ``(alert_name or "<unknown>", taxonomy or "unknown")``.

    In: ``alert_name``, ``taxonomy``. Out: + ``group_alert``, ``group_taxonomy`` (Utf8, never null).
    """
    return misses.with_columns(
        _or_fallback("alert_name", UNKNOWN_ALERT).alias("group_alert"),
        _or_fallback("taxonomy", UNKNOWN_TAXONOMY).alias("group_taxonomy"),
    )


def grouping_key_reference(alert_name: str | None, taxonomy: str | None) -> tuple[str, str]:
    """Plain-Python grouping key, exactly as OpenSRE computes it."""
    return (alert_name or UNKNOWN_ALERT, taxonomy or UNKNOWN_TAXONOMY)


def _sha256_hex(values: pl.Series) -> pl.Series:
    return pl.Series(
        [None if v is None else hashlib.sha256(v.encode("utf-8")).hexdigest() for v in values.to_list()],
        dtype=pl.Utf8,
    )


def derive_incident_fields(
    incidents: pl.LazyFrame, *, kind_keywords: Mapping[str, Sequence[str]], default_kind: str
) -> pl.LazyFrame:
    """Fill ``kind`` and ``signature`` where they are absent or empty (DATA.md §4).

    In: ``service``, ``kind``, ``title``, ``summary``, ``signature``.
    Out: ``kind`` and ``signature`` filled in, plus ``kind_derived`` and ``signature_derived`` (Boolean)
    saying which rows were derived.
    """
    text = pl.concat_str([pl.col("title").fill_null(""), pl.col("summary").fill_null("")], separator=" ")
    text = text.str.to_lowercase()
    keyword_kind: pl.Expr = pl.lit(default_kind)
    # Build the chain from the last kind backwards so the first kind in policy order wins.
    for kind, keywords in reversed(list(kind_keywords.items())):
        if not keywords:
            continue
        hit = pl.any_horizontal([text.str.contains(k.lower(), literal=True) for k in keywords])
        keyword_kind = pl.when(hit).then(pl.lit(kind)).otherwise(keyword_kind)
    kind_missing = pl.col("kind").is_null() | (pl.col("kind") == "")
    signature_missing = pl.col("signature").is_null() | (pl.col("signature") == "")
    normalised_title = (
        pl.col("title")
        .fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"\d+", "#")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    signature_source = pl.concat_str(
        [pl.col("service").fill_null(""), pl.lit("|"), pl.col("kind"), pl.lit("|"), normalised_title]
    )
    return incidents.with_columns(
        kind_missing.alias("kind_derived"),
        signature_missing.alias("signature_derived"),
        pl.when(kind_missing).then(keyword_kind).otherwise(pl.col("kind")).alias("kind"),
    ).with_columns(
        pl.when(pl.col("signature_derived"))
        .then(signature_source.map_batches(_sha256_hex, return_dtype=pl.Utf8))
        .otherwise(pl.col("signature"))
        .alias("signature")
    )


def incident_kind_reference(
    title: str | None,
    summary: str | None,
    kind: str | None,
    *,
    kind_keywords: Mapping[str, Sequence[str]],
    default_kind: str,
) -> str:
    """Plain-Python kind rule: the stored kind, else the first policy kind with a keyword in the text."""
    if kind:
        return kind
    text = f"{title or ''} {summary or ''}".lower()
    for candidate, keywords in kind_keywords.items():
        if any(k.lower() in text for k in keywords):
            return candidate
    return default_kind


def incident_signature_reference(service: str, kind: str, title: str | None, signature: str | None) -> str:
    """Plain-Python signature rule: the stored one, else sha256(service|kind|normalised title)."""
    if signature:
        return signature
    normalised = re.sub(r"\s+", " ", re.sub(r"\d+", "#", (title or "").lower())).strip()
    return hashlib.sha256(f"{service}|{kind}|{normalised}".encode()).hexdigest()
