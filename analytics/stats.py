"""Small statistics shared by the domains: the Wilson score interval and its significance label."""

from __future__ import annotations

import math

import polars as pl


def wilson_interval(successes: int, n: int, z: float) -> tuple[float | None, float | None]:
    """95% (for z = 1.959964) Wilson score interval of ``successes / n``, rounded to 4 places; None when n = 0."""
    if n <= 0:
        return None, None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def wilson_exprs(successes: pl.Expr, n: pl.Expr, z: float) -> tuple[pl.Expr, pl.Expr]:
    """Vectorised :func:`wilson_interval`: (ci_low, ci_high) expressions, null where n = 0."""
    n_float = n.cast(pl.Float64)
    p = successes.cast(pl.Float64) / n_float
    denominator = 1 + z * z / n_float
    centre = (p + z * z / (2 * n_float)) / denominator
    half = z * (p * (1 - p) / n_float + z * z / (4 * n_float * n_float)).sqrt() / denominator
    valid = n > 0
    low = pl.when(valid).then((centre - half).clip(0.0, 1.0).round(4))
    high = pl.when(valid).then((centre + half).clip(0.0, 1.0).round(4))
    return low, high


def intervals_overlap(a: tuple[float | None, float | None], b: tuple[float | None, float | None]) -> bool:
    """True when two intervals share a point (or either is unknown: nothing can be claimed)."""
    if None in a or None in b:
        return True
    return not (a[1] < b[0] or b[1] < a[0])  # type: ignore[operator]


def change_label(
    previous: tuple[float | None, float | None],
    current: tuple[float | None, float | None],
    n_previous: int,
    n_current: int,
) -> str | None:
    """RULES §2: a week-over-week change whose intervals overlap is "not significant (n=…)"; else None."""
    if intervals_overlap(previous, current):
        return f"not significant (n={n_previous}, {n_current})"
    return None
