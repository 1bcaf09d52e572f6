"""Confidence-aware RCA (RULES.md §3): bands, the sufficiency gate, evidence sources and calibration
of each band against human ratings, the gate audit and a threshold sweep.

Results come from ``investigations.jsonl`` joined to ``feedback.jsonl`` on ``run_id`` (the investigation's
score wins; the latest feedback per run counts), or from ``feedback.jsonl`` alone, whose own
``validity_score`` gives the band and whose missing claims leave the gate unevaluated (``gate`` null).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import polars as pl

from analytics.learning import week_start
from analytics.policy import ConfidencePolicy
from analytics.stats import wilson_exprs

BANDS: tuple[str, ...] = ("high", "medium", "low", "unscored")
RATED = ("accurate", "partial", "inaccurate")
# What a result export holds (no rating internals, no nested claims).
RESULT_EXPORT_COLUMNS = (
    "run_id",
    "timestamp",
    "alert_name",
    "category",
    "score",
    "validated",
    "sources",
    "score_band",
    "gate",
    "band",
    "root_cause",
    "rating",
)


@dataclass(frozen=True)
class GateOptions:
    """Band thresholds and the sufficiency gate of the policy's ``confidence`` section (defaults: the policy's)."""

    high: float
    medium: float
    bypass_categories: tuple[str, ...]
    high_min_validated: int
    medium_min_validated: int
    prefix: str
    wilson_z: float

    @classmethod
    def from_policy(cls, policy: ConfidencePolicy | None = None) -> GateOptions:
        """From the ``confidence`` section; without one, from the policy defaults (POLICY.md)."""
        policy = ConfidencePolicy() if policy is None else policy
        return cls(
            high=policy.high,
            medium=policy.medium,
            bypass_categories=tuple(policy.gate.bypass_categories),
            high_min_validated=policy.gate.high_min_validated,
            medium_min_validated=policy.gate.medium_min_validated,
            prefix=policy.gate.prefix,
            wilson_z=policy.wilson_z,
        )

    @property
    def prefix_stem(self) -> str:
        """``"Most likely"``: a root cause already starting with it is never prefixed again."""
        return self.prefix.rstrip(":").rstrip()


def band_expr(score: pl.Expr, options: GateOptions) -> pl.Expr:
    """``high`` (≥ high), ``medium`` (≥ medium), ``low``, or ``unscored`` for a null score."""
    return (
        pl.when(score.is_null())
        .then(pl.lit("unscored"))
        .when(score >= options.high)
        .then(pl.lit("high"))
        .when(score >= options.medium)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )


def gate_passes_expr(score: pl.Expr, validated: pl.Expr, category: pl.Expr, options: GateOptions) -> pl.Expr:
    """Passes on a bypass category, on score ≥ high with enough validated claims, or on score ≥ medium with
    enough validated claims for medium; fires otherwise (a null score can only pass by bypass)."""
    bypass = category.fill_null("").is_in(list(options.bypass_categories))
    strong = (score >= options.high) & (validated >= options.high_min_validated)
    enough = (score >= options.medium) & (validated >= options.medium_min_validated)
    return bypass | strong.fill_null(False) | enough.fill_null(False)


def gated_root_cause_expr(root_cause: pl.Expr, passed: pl.Expr, options: GateOptions) -> pl.Expr:
    """Fired: ``"Most likely: "`` in front unless it already starts with ``"Most likely"``.
    Passed: a leading ``"Most likely:"`` and the whitespace after it removed."""
    stripped = (
        pl.when(root_cause.str.starts_with(options.prefix))
        .then(root_cause.str.strip_prefix(options.prefix).str.strip_chars_start())
        .otherwise(root_cause)
    )
    prefixed = (
        pl.when(root_cause.str.starts_with(options.prefix_stem))
        .then(root_cause)
        .otherwise(pl.lit(options.prefix + " ") + root_cause)
    )
    return pl.when(passed).then(stripped).otherwise(prefixed)


def evidence_sources_expr(claims: pl.Expr) -> pl.Expr:
    """Distinct text before the first ``:`` of every evidence key of the validated claims (sorted list)."""
    keys = claims.list.eval(pl.element().struct.field("evidence_keys").explode().drop_nulls())
    return keys.list.eval(pl.element().str.split(":").list.first()).list.unique().list.sort()


def classify_frame(frame: pl.LazyFrame, options: GateOptions) -> pl.LazyFrame:
    """Band, gate and shown root cause for many results at once.

    In: ``score`` (Float64, null allowed), ``validated`` (Int64), ``category``, ``root_cause``.
    Out: + ``band``, ``gate`` ("passed"/"fired"), ``root_cause`` replaced by the gated text.
    """
    passed = gate_passes_expr(pl.col("score"), pl.col("validated"), pl.col("category"), options)
    return frame.with_columns(
        pl.when(passed).then(band_expr(pl.col("score"), options)).otherwise(pl.lit("low")).alias("band"),
        pl.when(passed).then(pl.lit("passed")).otherwise(pl.lit("fired")).alias("gate"),
        gated_root_cause_expr(pl.col("root_cause"), passed, options).alias("root_cause"),
    )


def classify(
    *, score: float | None, validated: int, category: str, root_cause: str | None, options: GateOptions
) -> dict[str, Any]:
    """``confidence classify``: band, gate and root cause of one result (the same expressions as the report)."""
    frame = pl.LazyFrame(
        {"score": [score], "validated": [validated], "category": [category], "root_cause": [root_cause]},
        schema={"score": pl.Float64, "validated": pl.Int64, "category": pl.Utf8, "root_cause": pl.Utf8},
    )
    row = classify_frame(frame, options).collect().row(0, named=True)
    return {"band": row["band"], "gate": row["gate"], "root_cause": row["root_cause"]}


def latest_feedback(feedback: pl.LazyFrame) -> pl.LazyFrame:
    """One feedback row per ``run_id``: the latest by timestamp (then file order).

    Out: ``run_id``, ``rating``, ``is_noise``, ``feedback_score``, ``rated_at``, ``feedback_category``,
    ``feedback_root_cause``, ``feedback_alert``.
    """
    rows = feedback.filter(pl.col("run_id").is_not_null()).select(
        "run_id",
        "rating",
        "is_noise",
        pl.col("validity_score").alias("feedback_score"),
        pl.col("timestamp").alias("rated_at"),
        pl.col("root_cause_category").alias("feedback_category"),
        pl.col("root_cause").alias("feedback_root_cause"),
        pl.col("alert_name").alias("feedback_alert"),
        "_line",
    )
    # Most runs are rated once: only the repeated ones need ordering (a full sort of millions of rows is the
    # expensive part of this step).
    repeated = pl.col("run_id").is_duplicated()
    latest_of_repeated = (
        rows.filter(repeated).sort(["rated_at", "_line"], nulls_last=False).unique("run_id", keep="last")
    )
    return pl.concat([rows.filter(~repeated), latest_of_repeated]).drop("_line")


def confidence_results(
    investigations: pl.LazyFrame | None, feedback: pl.LazyFrame, *, options: GateOptions
) -> pl.LazyFrame:
    """One row per result with its band before and after the gate.

    Out: ``run_id``, ``timestamp``, ``alert_name``, ``category``, ``score``, ``validated``, ``sources``
    (list), ``score_band``, ``gate`` ("passed" / "fired" / null without claims), ``band`` (shown),
    ``root_cause`` (gated), ``rating``, ``rated`` (a human rating that is not noise), ``accurate``,
    ``single_source``, and for investigations ``validated_claims``, ``non_validated_claims``,
    ``ranked_hypotheses``, ``missing_evidence``.
    """
    ratings = latest_feedback(feedback)
    if investigations is not None:
        base = investigations.join(ratings, on="run_id", how="left", maintain_order="left").with_columns(
            pl.col("validity_score").alias("score"),
            pl.coalesce("root_cause_category", "feedback_category").alias("category"),
            pl.col("validated_claims").list.len().fill_null(0).cast(pl.Int64).alias("validated"),
            evidence_sources_expr(pl.col("validated_claims"))
            .fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
            .alias("sources"),
            pl.lit(True).alias("_claims_known"),
        )
    else:
        base = ratings.sort(["rated_at", "run_id"], nulls_last=True).with_columns(
            pl.col("rated_at").alias("timestamp"),
            pl.col("feedback_alert").alias("alert_name"),
            pl.col("feedback_score").alias("score"),
            pl.col("feedback_category").alias("category"),
            pl.col("feedback_root_cause").alias("root_cause"),
            pl.lit(0, dtype=pl.Int64).alias("validated"),
            pl.lit([], dtype=pl.List(pl.Utf8)).alias("sources"),
            pl.lit(False).alias("_claims_known"),
        )
    passed = gate_passes_expr(pl.col("score"), pl.col("validated"), pl.col("category"), options)
    score_band = band_expr(pl.col("score"), options)
    shown = pl.when(pl.col("_claims_known") & ~passed).then(pl.lit("low")).otherwise(score_band)
    gate = pl.when(pl.col("_claims_known")).then(pl.when(passed).then(pl.lit("passed")).otherwise(pl.lit("fired")))
    root = (
        pl.when(pl.col("_claims_known"))
        .then(gated_root_cause_expr(pl.col("root_cause"), passed, options))
        .otherwise(pl.col("root_cause"))
    )
    rated = pl.col("rating").is_in(list(RATED)).fill_null(False) & ~pl.col("is_noise").fill_null(False)
    extra = ["validated_claims", "non_validated_claims", "ranked_hypotheses", "missing_evidence"]
    extra += [c for c in ("source_contributions", "model") if investigations is not None and c in base.collect_schema()]
    columns = [
        *RESULT_EXPORT_COLUMNS,
        "rated",
        "accurate",
        "single_source",
    ] + (extra if investigations is not None else [])
    return (
        base.with_columns(
            score_band.alias("score_band"),
            gate.alias("gate"),
            shown.alias("band"),
            root.alias("root_cause"),
            rated.alias("rated"),
        )
        .with_columns(
            (pl.col("rated") & (pl.col("rating") == "accurate")).alias("accurate"),
            ((pl.col("band") == "high") & (pl.col("sources").list.len() == 1)).alias("single_source"),
        )
        .select(columns)
    )


def calibration(results: pl.DataFrame, *, options: GateOptions) -> pl.DataFrame:
    """Per shown band: rating counts, accuracy with its Wilson interval, the nominal range and ``overconfident``
    (interval entirely below the band's lower threshold). Every band appears, in BANDS order."""
    nominal = {
        "high": (options.high, 1.0),
        "medium": (options.medium, options.high),
        "low": (0.0, options.medium),
        "unscored": (None, None),
    }
    rated = results.filter(pl.col("rated"))
    counts = rated.group_by("band").agg(
        pl.len().cast(pl.Int64).alias("n"),
        *[(pl.col("rating") == r).sum().cast(pl.Int64).alias(r) for r in RATED],
    )
    low, high = wilson_exprs(pl.col("accurate"), pl.col("n"), options.wilson_z)
    grid = pl.DataFrame(
        {
            "band": list(BANDS),
            "nominal_low": [nominal[b][0] for b in BANDS],
            "nominal_high": [nominal[b][1] for b in BANDS],
            "order": list(range(len(BANDS))),
        },
        schema={"band": pl.Utf8, "nominal_low": pl.Float64, "nominal_high": pl.Float64, "order": pl.Int64},
    )
    return (
        grid.join(counts, on="band", how="left")
        .with_columns(pl.col("n", *RATED).fill_null(0))
        .with_columns(
            pl.when(pl.col("n") > 0).then((pl.col("accurate") / pl.col("n")).round(4)).alias("accuracy"),
            low.alias("ci_low"),
            high.alias("ci_high"),
        )
        .with_columns(
            (pl.col("ci_high").is_not_null() & (pl.col("ci_high") < pl.col("nominal_low").fill_null(0.0))).alias(
                "overconfident"
            )
        )
        .sort("order")
        .select("band", "n", *RATED, "accuracy", "ci_low", "ci_high", "nominal_low", "nominal_high", "overconfident")
    )


def gate_audit(results: pl.DataFrame) -> dict[str, int] | None:
    """2×2 of gate (passed / fired) × rating (accurate / not) over rated results; None without claims."""
    if results.height == 0 or results["gate"].null_count() == results.height:
        return None
    rated = results.filter(pl.col("rated") & pl.col("gate").is_not_null())
    cells = dict.fromkeys(("passed_accurate", "passed_not_accurate", "fired_accurate", "fired_not_accurate"), 0)
    for gate, accurate, n in rated.group_by("gate", "accurate").len().iter_rows():
        cells[f"{gate}_{'accurate' if accurate else 'not_accurate'}"] = int(n)
    return cells


def threshold_sweep(results: pl.DataFrame, *, options: GateOptions) -> pl.DataFrame:
    """Coverage (share of rated results passing the gate) and accuracy of the passing ones for a grid of
    (high, medium) thresholds, claim minimums from the policy. Computed on score percentiles × claim
    buckets (≤ 1.2k groups), never on a row × grid cross product.

    Out: ``high``, ``medium``, ``coverage``, ``accuracy`` (4 places; null when nothing passes).
    """
    rated = results.filter(pl.col("rated") & pl.col("gate").is_not_null())
    if rated.height == 0:
        return pl.DataFrame(
            schema={"high": pl.Float64, "medium": pl.Float64, "coverage": pl.Float64, "accuracy": pl.Float64}
        )
    bypass = pl.col("category").fill_null("").is_in(list(options.bypass_categories))
    groups = rated.group_by(
        (pl.col("score") * 100).round(6).floor().cast(pl.Int64).alias("pct"),
        pl.col("validated").clip(0, 2).alias("claims"),
        bypass.alias("bypass"),
    ).agg(pl.len().alias("n"), pl.col("accurate").sum().alias("good"))
    grid = pl.DataFrame(
        [(h / 100, m / 100) for h in range(50, 100, 5) for m in range(20, h + 1, 5)],
        schema={"high": pl.Float64, "medium": pl.Float64},
        orient="row",
    )
    total = rated.height
    passes = (
        pl.col("bypass")
        | ((pl.col("pct") >= (pl.col("high") * 100).round(0)) & (pl.col("claims") >= options.high_min_validated))
        | ((pl.col("pct") >= (pl.col("medium") * 100).round(0)) & (pl.col("claims") >= options.medium_min_validated))
    ).fill_null(pl.col("bypass"))
    return (
        grid.join(groups, how="cross")
        .filter(passes)
        .group_by("high", "medium")
        .agg(pl.col("n").sum().alias("passing"), pl.col("good").sum().alias("good"))
        .join(grid, on=["high", "medium"], how="right")
        .with_columns(pl.col("passing", "good").fill_null(0))
        .with_columns(
            (pl.col("passing") / total).round(4).alias("coverage"),
            pl.when(pl.col("passing") > 0).then((pl.col("good") / pl.col("passing")).round(4)).alias("accuracy"),
        )
        .sort("high", "medium")
        .select("high", "medium", "coverage", "accuracy")
    )


def confidence_report(results: pl.DataFrame, *, options: GateOptions, claims_known: bool) -> dict[str, Any]:
    """The ``confidence report --json`` object of CLI.md."""
    bands = dict.fromkeys(BANDS, 0)
    for band, n in results.group_by("band").len().iter_rows():
        bands[band] = n
    calibrated = calibration(results, options=options)
    false_rate = false_confidence_rate(results)
    return {
        "basis": "shown" if claims_known else "score",
        "bands": bands,
        "gate_fired": int((results["gate"] == "fired").sum()) if claims_known else 0,
        "calibration": calibrated.to_dicts(),
        "false_confidence_rate": false_rate,
        "gate_audit": gate_audit(results) if claims_known else None,
        "single_source_high": int(results["single_source"].sum()) if results.height else 0,
        "sweep": threshold_sweep(results, options=options).to_dicts() if claims_known else [],
    }


def what_if(results: pl.DataFrame, *, options: GateOptions, **changes: Any) -> dict[str, Any]:
    """Coverage and accuracy of the passing results under changed thresholds (the page's sliders)."""
    changed = replace(options, **changes)
    rated = results.filter(pl.col("rated") & pl.col("gate").is_not_null())
    if rated.height == 0:
        return {"coverage": None, "accuracy": None, "passing": 0, "rated": 0}
    passed = rated.filter(gate_passes_expr(pl.col("score"), pl.col("validated"), pl.col("category"), changed))
    return {
        "coverage": round(passed.height / rated.height, 4),
        "accuracy": round(int(passed["accurate"].sum()) / passed.height, 4) if passed.height else None,
        "passing": passed.height,
        "rated": rated.height,
    }


def what_if_change(results: pl.DataFrame, *, options: GateOptions, **changes: Any) -> dict[str, Any]:
    """:func:`what_if` under the changed thresholds, with the change against the current ones in percentage
    points: ``coverage``, ``accuracy``, ``coverage_change``, ``accuracy_change`` (1 place; None when unknown)."""
    before = what_if(results, options=options)
    after = what_if(results, options=options, **changes)

    def change(key: str) -> float | None:
        if after[key] is None or before[key] is None:
            return None
        return round((float(after[key]) - float(before[key])) * 100, 1)

    return {**after, "coverage_change": change("coverage"), "accuracy_change": change("accuracy")}


def false_confidence_rate(results: pl.DataFrame) -> float | None:
    """Share of rated results shown as ``high`` that a human rated ``inaccurate`` (4 places); None without any."""
    high_rated = results.filter(pl.col("rated") & (pl.col("band") == "high"))
    if high_rated.height == 0:
        return None
    return round(high_rated.filter(pl.col("rating") == "inaccurate").height / high_rated.height, 4)


def weekly_bands(results: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """Shown bands per ISO week (Monday 00:00 UTC); the week containing ``now`` is ``partial``.

    In: ``timestamp``, ``band``. Out: ``week`` (Datetime), ``label`` (``YYYY-Www``), ``partial``, ``band``,
    ``count`` — sorted by week, then band in BANDS order. Results without a timestamp are in no week.
    """
    order = {b: i for i, b in enumerate(BANDS)}
    return (
        results.filter(pl.col("timestamp").is_not_null())
        .with_columns(pl.col("timestamp").dt.truncate("1w").alias("week"))
        .group_by("week", "band")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .with_columns(
            pl.col("week").dt.strftime("%G-W%V").alias("label"),
            (pl.col("week") == pl.lit(week_start(now)).dt.cast_time_unit("us")).alias("partial"),
            pl.col("band").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_order"),
        )
        .sort("week", "_order")
        .select("week", "label", "partial", "band", "count")
    )


def window_text(spec: str | None, cutoff: datetime | None) -> str:
    """How a window is named in sentences: ``"since 2026-10-17 09:00 UTC (30d)"`` or ``"over all time"``."""
    if cutoff is None:
        return "over all time"
    return f"since {cutoff:%Y-%m-%d %H:%M} UTC" + (f" ({spec})" if spec else "")


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _band_figures(row: dict[str, Any]) -> str:
    low, high = round(row["ci_low"] * 100), round(row["ci_high"] * 100)
    return f"{_pct(row['accuracy'])} accurate (95% CI {low}–{high}%, n={row['n']:,})"


def _nominal(row: dict[str, Any]) -> str:
    if row["nominal_high"] >= 1.0:
        return f"{_pct(row['nominal_low'])} or more"
    return f"{round(row['nominal_low'] * 100)}–{_pct(row['nominal_high'])}"


@dataclass(frozen=True)
class Verdict:
    """A verdict as data: ``kind`` (``not_calibrated``, ``calibrated`` or ``unknown``) and its Markdown ``text``."""

    kind: str
    text: str


def calibration_verdict(calibrated: pl.DataFrame, *, window: str) -> str:
    """The text of :func:`verdict_of` (what ``confidence report`` prints)."""
    return verdict_of(calibrated, window=window).text


def verdict_of(calibrated: pl.DataFrame, *, window: str) -> Verdict:
    """One sentence that answers "can we believe the bands?" from :func:`calibration`'s rows.

    A band is miscalibrated when its 95% interval lies wholly outside its nominal range (below: overconfident,
    above: underconfident): significant at 95%. A band whose accuracy is outside its range while its interval
    still reaches the range is named as not significant. ``window`` is :func:`window_text`'s phrase.
    """
    rows = [r for r in calibrated.to_dicts() if r["n"] > 0 and r["nominal_low"] is not None]
    total = int(calibrated["n"].sum()) if calibrated.height else 0
    head = window[:1].upper() + window[1:]
    if not rows:
        return Verdict("unknown", f"{head}: no rated results in a scored band, so calibration cannot be judged yet.")
    wrong, soft = [], []
    for r in rows:
        below = round((r["nominal_low"] - r["accuracy"]) * 100)
        above = round((r["accuracy"] - r["nominal_high"]) * 100)
        if r["ci_high"] < r["nominal_low"]:
            wrong.append(
                f"**{r['band']}** is overconfident: {_band_figures(r)} against a nominal {_nominal(r)}, "
                f"{below} points below"
            )
        elif r["ci_low"] > r["nominal_high"]:
            wrong.append(
                f"**{r['band']}** is underconfident: {_band_figures(r)} against a nominal {_nominal(r)}, "
                f"{above} points above"
            )
        elif r["accuracy"] < r["nominal_low"]:
            soft.append(f"{r['band']} is {below} points below its range, {_band_figures(r)}")
        elif r["accuracy"] > r["nominal_high"]:
            soft.append(f"{r['band']} is {above} points above its range, {_band_figures(r)}")
    soft_text = f" Not significant: {'; '.join(soft)}." if soft else ""
    if wrong:
        text = f"{head}, {total:,} rated results: **not calibrated** (significant at 95%) — {'; '.join(wrong)}."
        return Verdict("not_calibrated", text + soft_text)
    return Verdict(
        "calibrated",
        f"{head}, {total:,} rated results: **calibrated** — every rated band's 95% interval reaches its nominal "
        f"range.{soft_text}",
    )


# --- why confidence is low ------------------------------------------------------------------------------------


def _contributions(texts: list[str | None]) -> list[dict[str, float]]:
    """Per-source contributions from their stored JSON text (``{source: score}``; null scores left out)."""
    out: list[dict[str, float]] = []
    cache: dict[str, dict[str, float]] = {}
    for text in texts:
        if not text:
            out.append({})
            continue
        if text not in cache:
            try:
                raw = json.loads(text)
            except ValueError:
                raw = {}
            cache[text] = {
                str(k): float(v)
                for k, v in (raw.items() if isinstance(raw, dict) else [])
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
        out.append(cache[text])
    return out


def evidence_gaps(results: pl.DataFrame, *, weak_score: float) -> pl.DataFrame:
    """Per investigation shown as low (the band, or the gate fired): which evidence sources were *missing* (no
    validated claim cites them) and which were *weak* (a per-source contribution below ``weak_score``, where the
    record carries contributions). The sources considered are every source any result cites or scores.

    In: :func:`confidence_results` rows for investigations (``run_id``, ``band``, ``gate``, ``sources``; optional
    ``source_contributions``). Out: ``run_id``, ``timestamp``, ``alert_name``, ``score``, ``missing`` (list),
    ``weak`` (list) — one row per low or gated investigation, in the input order.
    """
    empty = pl.DataFrame(
        schema={
            "run_id": pl.Utf8,
            "timestamp": results.schema.get("timestamp", pl.Datetime("us", "UTC")),
            "alert_name": pl.Utf8,
            "score": pl.Float64,
            "missing": pl.List(pl.Utf8),
            "weak": pl.List(pl.Utf8),
        }
    )
    if results.height == 0 or "sources" not in results.columns:
        return empty
    has_scores = "source_contributions" in results.columns
    all_scores = _contributions(results["source_contributions"].to_list()) if has_scores else []
    universe = sorted(
        {s for row in results["sources"].to_list() for s in (row or [])} | {k for d in all_scores for k in d}
    )
    low = (pl.col("band") == "low") | (pl.col("gate") == "fired").fill_null(False)
    chosen = results.with_row_index("_i").filter(low)
    if chosen.height == 0:
        return empty
    missing, weak = [], []
    for index, cited in zip(chosen["_i"].to_list(), chosen["sources"].to_list(), strict=True):
        have = set(cited or [])
        missing.append([s for s in universe if s not in have])
        scores = all_scores[index] if has_scores else {}
        weak.append([s for s in universe if s in have and s in scores and scores[s] < weak_score])
    return chosen.select("run_id", "timestamp", "alert_name", "score").with_columns(
        pl.Series("missing", missing, dtype=pl.List(pl.Utf8)), pl.Series("weak", weak, dtype=pl.List(pl.Utf8))
    )


def evidence_gap_ranking(gaps: pl.DataFrame) -> pl.DataFrame:
    """Sources ranked by how many low-confidence results lacked them. Out: ``source``, ``missing``, ``weak``,
    ``of`` (low or gated results), ``share_missing`` (4 places) — most missing first, then source."""
    total = gaps.height
    schema = {"source": pl.Utf8, "missing": pl.Int64, "weak": pl.Int64, "of": pl.Int64, "share_missing": pl.Float64}
    if total == 0:
        return pl.DataFrame(schema=schema)
    counts = (
        gaps.select(pl.col("missing").explode().alias("source")).drop_nulls().group_by("source").len("missing")
    ).join(
        gaps.select(pl.col("weak").explode().alias("source")).drop_nulls().group_by("source").len("weak"),
        on="source",
        how="full",
        coalesce=True,
    )
    return (
        counts.with_columns(
            pl.col("missing", "weak").fill_null(0).cast(pl.Int64),
            pl.lit(total, pl.Int64).alias("of"),
        )
        .with_columns((pl.col("missing") / total).round(4).alias("share_missing"))
        .sort(["missing", "weak", "source"], descending=[True, True, False])
        .select(list(schema))
    )


def evidence_gap_line(ranking: pl.DataFrame) -> str | None:
    """ "12 of 19 low-confidence results had no logs evidence." for the top source (None when nothing is missing)."""
    if ranking.height == 0 or int(ranking["missing"][0]) == 0:
        return None
    top = ranking.row(0, named=True)
    return f"{top['missing']:,} of {top['of']:,} low-confidence results had no {top['source']} evidence."
