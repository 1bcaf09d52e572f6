"""Export builders: frames → download bytes, safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula get a leading apostrophe, as OWASP's "CSV injection" advice
says: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a newline; the same signs after
leading whitespace or control characters (``" =1+1"``, ``"\\n=1+1"``: spreadsheets trim them); and the full-width
forms ``＝ ＋ － ＠`` (some spreadsheets fold them to ASCII). Numbers stay numbers. :func:`csv_bytes` is the one CSV
writer (every download; the quarantine report, buckets, benchmark grid, misses).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from analytics.buckets import BucketOptions, high_reason_expr

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# a formula sign after any run of whitespace or control characters, or a value led by tab/CR/LF
FORMULA_PATTERN = r"^(?:[\s\p{Cc}]*[=+\-@\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]|[\t\r\n])"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to every text cell that starts like a spreadsheet formula (:data:`FORMULA_PATTERN`); other
    columns unchanged."""
    pattern = FORMULA_PATTERN
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(pattern)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text_columns
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV (with header) of exactly ``frame``'s rows, formulas neutralised; nested values as JSON."""
    flat = frame.with_columns(
        pl.Series(
            name,
            [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in frame[name].to_list()],
            dtype=pl.Utf8,
        )
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List | pl.Struct)
    )
    buffer = io.BytesIO()
    neutralise_formulas(flat).write_csv(buffer)
    return buffer.getvalue()


def buckets_csv(buckets: pl.DataFrame, options: BucketOptions) -> bytes:
    """The shown root-cause buckets as CSV cells that hold data, never display glyphs: ``high`` is true/false,
    ``level`` says why in words, ``last_seen`` is ISO-8601 UTC, lists are JSON.

    In: :func:`analytics.buckets.shown_buckets` rows. Out columns: ``bucket_key``, ``high``, ``level``,
    ``count_7d``, ``count_30d``, ``open``, ``last_seen``, ``services``, ``kinds``, ``recommendations``."""
    return csv_bytes(
        buckets.select(
            "bucket_key",
            "high",
            high_reason_expr(options).alias("level"),
            "count_7d",
            "count_30d",
            "open",
            pl.col("last_seen").dt.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").alias("last_seen"),
            "services",
            "kinds",
            "recommendations",
        )
    )


def json_bytes(frame: pl.DataFrame) -> bytes:
    """A JSON array of the rows (timestamps as ISO text), UTF-8, two-space indent."""
    rows = frame.to_dicts()
    return (json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default) + "\n").encode("utf-8")


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def download_name(stem: str, generated_at: datetime, suffix: str, **filters: str | None) -> str:
    """A safe file name carrying the filters and generation time, e.g. ``misses_since-7d_20261116T0900Z.csv``."""
    parts = [stem] + [f"{k}-{v}" for k, v in filters.items() if v]
    name = "_".join(_UNSAFE_NAME.sub("-", p).strip("-") for p in parts)
    return f"{name}_{generated_at:%Y%m%dT%H%MZ}.{suffix}"


DownloadData = bytes | str | Callable[[], bytes | str]


def download_button(
    label: str,
    *,
    data: DownloadData,
    file_name: str,
    mime: str,
    help: str | None = None,
    primary: bool = False,
    where: DeltaGenerator | None = None,
) -> None:
    """The one download button of every page: ``st.download_button`` (in the column ``where``, else the page)
    with ``on_click="ignore"``.

    Why "ignore": Streamlit's default reruns the page on the click, and for a ``data`` built on click (a callable)
    the browser asks for the file only after sending that rerun. When the rerun ends first (a busy server), it
    revokes the callable the click refers to and the browser gets no file (seen in CI: no download in 30 s).
    Without the rerun the click only downloads, which is also all a user asked for."""
    import streamlit as st

    (where or st).download_button(
        label,
        data=data,
        file_name=file_name,
        mime=mime,
        help=help,
        type="primary" if primary else "secondary",
        on_click="ignore",
    )
