"""The one "chosen services" rule, for every page and the CLI: rows whose ``service`` is one of the chosen
services; no service chosen means every service (rows without a service included)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl


def of_services(frame: pl.LazyFrame, services: Iterable[str]) -> pl.LazyFrame:
    """``frame`` (column ``service``) narrowed to ``services``; every row when ``services`` is empty.
    In: any frame with ``service``; out: the same columns."""
    chosen = list(services)
    return frame.filter(pl.col("service").is_in(chosen)) if chosen else frame
