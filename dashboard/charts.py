"""Chart builders: aggregated Polars frames in, ``alt.Chart`` out. Colours are fixed per taxonomy,
lifecycle state and band so a colour means the same thing on every page, in light and dark themes."""

from __future__ import annotations

import altair as alt
import polars as pl

from analytics.schemas import TAXONOMIES

TAXONOMY_COLORS: dict[str, str] = {
    "retrieval_gap": "#4C78A8",
    "reasoning_gap": "#F58518",
    "tool_failure": "#E45756",
    "routing_failure": "#72B7B2",
    "unknown": "#9D9D9D",
}
LIFECYCLE_COLORS: dict[str, str] = {
    "new": "#4C78A8",
    "ongoing": "#9D9D9D",
    "escalating": "#E45756",
    "regressed": "#B279A2",
    "quiet": "#54A24B",
}
# Plain symbols every font has (tables cannot show icons); Markdown gets coloured badges instead.
LIFECYCLE_BADGES: dict[str, str] = {
    "new": "✦ new",
    "ongoing": "● ongoing",
    "escalating": "▲ escalating",
    "regressed": "↩ regressed",
    "quiet": "○ quiet",
}
LIFECYCLE_MARKDOWN_COLORS: dict[str, str] = {
    "new": "blue",
    "ongoing": "gray",
    "escalating": "red",
    "regressed": "violet",
    "quiet": "green",
}


def lifecycle_badge_markdown(state: str) -> str:
    """A Streamlit Markdown badge for a lifecycle state (a fixed colour per state)."""
    color = LIFECYCLE_MARKDOWN_COLORS.get(state, "gray")
    return f":{color}-badge[{LIFECYCLE_BADGES.get(state, state)}]"


# Week labels stay horizontal (wrapped over two lines when a week is marked "so far"); legends sit below the
# plot in as many columns as fit, so a narrow column or a phone never clips them.
WEEK_AXIS = alt.Axis(
    labelAngle=0, labelOverlap="greedy", labelExpr="split(replace(datum.label, ' so far', '|so far'), '|')"
)


# Fit the whole chart (axis labels and legend included) into the container's width instead of letting long
# labels push the plot past the right edge on a narrow screen.
FIT = alt.AutoSizeParams(type="fit-x", contains="padding")


def bottom_legend(title: str | None, columns: int = 3) -> alt.Legend:
    """A legend under the chart, wrapped in ``columns`` columns with full labels."""
    return alt.Legend(title=title, orient="bottom", columns=columns, labelLimit=0, direction="horizontal")


def week_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """``week`` = the ISO label, with " so far" on the partial (current) week. In: ``label``, ``partial``."""
    return frame.with_columns(
        pl.when(pl.col("partial")).then(pl.col("label") + " so far").otherwise(pl.col("label")).alias("week")
    )


def taxonomy_scale(extra: list[str] | None = None) -> alt.Scale:
    """The fixed taxonomy colours (other stored values get neutral greys)."""
    domain = [*TAXONOMIES, *(extra or [])]
    colors = [TAXONOMY_COLORS.get(t, "#BAB0AC") for t in domain]
    return alt.Scale(domain=domain, range=colors)


def weekly_taxonomy_chart(counts: pl.DataFrame) -> alt.Chart:
    """Stacked weekly bars. In: ``label``, ``partial``, ``taxonomy``, ``count`` (one row per week × taxonomy)."""
    extra = sorted(set(counts["taxonomy"].to_list()) - set(TAXONOMIES)) if counts.height else []
    order = {t: i for i, t in enumerate([*TAXONOMIES, *extra])}
    data = (
        week_labels(counts)
        .with_columns(
            pl.col("taxonomy").replace_strict(order, default=len(order)).alias("stack_order"),
        )
        .select("week", "taxonomy", "count", "stack_order")
    )
    weeks = data["week"].unique(maintain_order=True).to_list()
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("week:O", sort=weeks, title="ISO week", axis=WEEK_AXIS),
            y=alt.Y("sum(count):Q", title="misses"),
            color=alt.Color("taxonomy:N", scale=taxonomy_scale(extra), legend=bottom_legend("taxonomy", 2)),
            order=alt.Order("stack_order:Q"),
            tooltip=[alt.Tooltip("week:O"), alt.Tooltip("taxonomy:N"), alt.Tooltip("count:Q", title="misses")],
        )
        .properties(height=280, autosize=FIT)
    )
    return chart


def accuracy_chart(accuracy: pl.DataFrame) -> alt.LayerChart:
    """Weekly accuracy with its 95% Wilson interval. In: ``label``, ``accuracy``, ``ci_low``, ``ci_high``, ``rated``
    (and ``current``, which marks the partial week "so far", as :func:`weekly_accuracy` gives it)."""
    current = pl.col("current") if "current" in accuracy.columns else pl.lit(False)
    data = (
        week_labels(
            accuracy.filter(pl.col("accuracy").is_not_null())
            .drop("partial", strict=False)
            .with_columns(current.alias("partial"))
        )
        .drop("label")
        .rename({"week": "label"})
        .select("label", "accuracy", "ci_low", "ci_high", "rated")
    )
    base = alt.Chart(data).encode(x=alt.X("label:O", title="ISO week", sort=data["label"].to_list(), axis=WEEK_AXIS))
    bars = base.mark_rule(strokeWidth=2, color="#4C78A8").encode(
        y=alt.Y("ci_low:Q", title="accuracy", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y2="ci_high:Q",
    )
    points = base.mark_point(filled=True, size=70, color="#4C78A8").encode(
        y="accuracy:Q",
        tooltip=[
            alt.Tooltip("label:O", title="week"),
            alt.Tooltip("accuracy:Q", format=".1%"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
            alt.Tooltip("rated:Q", title="rated"),
        ],
    )
    layered: alt.LayerChart = (bars + points).properties(height=240, autosize=FIT)
    return layered


def coverage_funnel_chart(stages: pl.DataFrame) -> alt.LayerChart:
    """Horizontal funnel. In: ``stage``, ``pairs`` in funnel order."""
    order = stages["stage"].to_list()
    chart: alt.Chart = (
        alt.Chart(stages)
        .mark_bar(color="#4C78A8")
        .encode(
            y=alt.Y("stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("pairs:Q", title="pairs", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("stage:N"), alt.Tooltip("pairs:Q")],
        )
        .properties(height=40 * len(order) + 30)
    )
    text = chart.mark_text(align="left", dx=4).encode(text=alt.Text("pairs:Q"))
    layered: alt.LayerChart = (chart + text).properties(autosize=FIT)
    return layered


SEVERITY_COLORS: dict[str, str] = {"critical": "#E45756", "warning": "#F58518", "info": "#4C78A8"}
SEVERITY_MARKDOWN_COLORS: dict[str, str] = {"critical": "red", "warning": "orange", "info": "green"}


def severity_chart(providers: pl.DataFrame) -> alt.LayerChart:
    """Last 24 hours against the 7-day daily average per provider, with a marker on spikes.

    In: ``provider``, ``severity``, ``c24``, ``c7``, ``spike`` (one row per provider).
    """
    order = providers["provider"].to_list()
    bars = providers.select(
        "provider",
        "severity",
        pl.col("c24").cast(pl.Float64).alias("last 24h"),
        (pl.col("c7") / 7).round(2).alias("7-day daily average"),
    ).unpivot(index=["provider", "severity"], variable_name="window", value_name="errors")
    base = alt.Chart(bars).encode(
        y=alt.Y("provider:N", sort=order, title=None),
        x=alt.X("errors:Q", title="errors"),
        yOffset=alt.YOffset("window:N", sort=["last 24h", "7-day daily average"]),
    )
    drawn = base.mark_bar().encode(
        color=alt.Color(
            "window:N",
            scale=alt.Scale(domain=["last 24h", "7-day daily average"], range=["#E45756", "#9D9D9D"]),
            legend=bottom_legend(None, 2),
        ),
        tooltip=[
            alt.Tooltip("provider:N"),
            alt.Tooltip("window:N"),
            alt.Tooltip("errors:Q"),
            alt.Tooltip("severity:N"),
        ],
    )
    spikes = (
        alt.Chart(providers.filter(pl.col("spike")).select("provider", "c24"))
        .mark_point(shape="triangle-up", size=120, filled=True, color="#E45756")
        .encode(
            y=alt.Y("provider:N", sort=order),
            x=alt.X("c24:Q"),
            tooltip=[alt.Tooltip("provider:N"), alt.Tooltip("c24:Q", title="spike: last 24h")],
        )
    )
    chart: alt.LayerChart = (drawn + spikes).properties(height=max(160, 56 * len(order)), autosize=FIT)
    return chart


def backtest_chart(days: pl.DataFrame) -> alt.Chart:
    """Pages per day under each rule. In: ``date``, ``legacy_critical``, ``legacy_warning``,
    ``current_critical``, ``current_warning`` (one row per day)."""
    data = days.select(
        pl.col("date").cast(pl.Date),
        (pl.col("legacy_critical") + pl.col("legacy_warning")).alias("legacy 7-day average"),
        (pl.col("current_critical") + pl.col("current_warning")).alias("current state (24h vs 7d)"),
    ).unpivot(index="date", variable_name="rule", value_name="pages")
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "date:T",
                title="day (evaluated at 24:00 UTC)",
                axis=alt.Axis(format="%b %d", labelAngle=0, labelOverlap="greedy", tickCount="day"),
            ),
            y=alt.Y("pages:Q", title="providers paged"),
            color=alt.Color(
                "rule:N",
                scale=alt.Scale(
                    domain=["legacy 7-day average", "current state (24h vs 7d)"], range=["#9D9D9D", "#E45756"]
                ),
                legend=bottom_legend(None, 1),  # one a line: two long labels overflow a phone
            ),
            tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"), alt.Tooltip("rule:N"), alt.Tooltip("pages:Q")],
        )
        .properties(height=320, autosize=FIT)
    )
    return chart


BAND_COLORS: dict[str, str] = {"high": "#54A24B", "medium": "#EECA3B", "low": "#E45756", "unscored": "#9D9D9D"}
BAND_ORDER = ["high", "medium", "low", "unscored"]


def band_mix_chart(counts: pl.DataFrame) -> alt.Chart:
    """Shown bands per ISO week. In: ``label``, ``partial``, ``band``, ``count`` (one row per week × band)."""
    order = {b: i for i, b in enumerate(BAND_ORDER)}
    data = week_labels(counts).with_columns(
        pl.col("band").replace_strict(order, default=len(order)).alias("stack_order")
    )
    data = data.select("week", "band", "count", "stack_order")
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "week:O", title="ISO week", sort=data["week"].unique(maintain_order=True).to_list(), axis=WEEK_AXIS
            ),
            y=alt.Y("sum(count):Q", title="results", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color(
                "band:N",
                scale=alt.Scale(domain=BAND_ORDER, range=[BAND_COLORS[b] for b in BAND_ORDER]),
                legend=bottom_legend("band shown", 4),
            ),
            order=alt.Order("stack_order:Q"),
            tooltip=[alt.Tooltip("week:O"), alt.Tooltip("band:N"), alt.Tooltip("count:Q", title="results")],
        )
        .properties(height=240, autosize=FIT)
    )
    return chart


def calibration_chart(calibration: pl.DataFrame) -> alt.LayerChart:
    """Accuracy per band with its 95% interval beside the band's nominal range (shaded).

    In: ``band``, ``n``, ``accuracy``, ``ci_low``, ``ci_high``, ``nominal_low``, ``nominal_high``.
    """
    data = calibration.filter(pl.col("n") > 0)
    x = alt.X("band:N", sort=BAND_ORDER, title="band shown", axis=alt.Axis(labelAngle=0))
    nominal = (
        alt.Chart(data.filter(pl.col("nominal_low").is_not_null()))
        .mark_bar(opacity=0.18, color="#4C78A8")
        .encode(
            x=x,
            y=alt.Y("nominal_low:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="accuracy"),
            y2="nominal_high:Q",
            tooltip=[
                alt.Tooltip("band:N"),
                alt.Tooltip("nominal_low:Q", format=".0%", title="nominal from"),
                alt.Tooltip("nominal_high:Q", format=".0%", title="nominal to"),
            ],
        )
    )
    interval = (
        alt.Chart(data)
        .mark_rule(strokeWidth=3)
        .encode(
            x=x,
            y="ci_low:Q",
            y2="ci_high:Q",
            color=alt.Color(
                "band:N", scale=alt.Scale(domain=BAND_ORDER, range=[BAND_COLORS[b] for b in BAND_ORDER]), legend=None
            ),
        )
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=90)
        .encode(
            x=x,
            y="accuracy:Q",
            color=alt.Color(
                "band:N", scale=alt.Scale(domain=BAND_ORDER, range=[BAND_COLORS[b] for b in BAND_ORDER]), legend=None
            ),
            tooltip=[
                alt.Tooltip("band:N"),
                alt.Tooltip("n:Q", title="rated"),
                alt.Tooltip("accuracy:Q", format=".1%"),
                alt.Tooltip("ci_low:Q", format=".1%", title="95% CI low"),
                alt.Tooltip("ci_high:Q", format=".1%", title="95% CI high"),
            ],
        )
    )
    chart: alt.LayerChart = (nominal + interval + points).properties(height=280, autosize=FIT)
    return chart


RULE_COLORS = ["#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2", "#EECA3B", "#9D9D9D"]


def contributions_chart(related: pl.DataFrame, rule_names: list[str]) -> alt.Chart:
    """Per related incident, its score split by rule. In: ``id`` and one ``rule:<name>`` column per rule."""
    long = (
        related.select("id", *[f"rule:{n}" for n in rule_names])
        .unpivot(index="id", variable_name="rule", value_name="points")
        .with_columns(pl.col("rule").str.strip_prefix("rule:"))
        .filter(pl.col("points") > 0)
    )
    order = related["id"].to_list()
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("id:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            x=alt.X("sum(points):Q", title="score"),
            color=alt.Color(
                "rule:N",
                scale=alt.Scale(domain=rule_names, range=RULE_COLORS[: len(rule_names)]),
                legend=bottom_legend("rule", 1),
            ),
            tooltip=[alt.Tooltip("id:N", title="incident"), alt.Tooltip("rule:N"), alt.Tooltip("points:Q")],
        )
        .properties(height=max(120, 28 * len(order)), autosize=FIT)
    )
    return chart


def timeline_chart(points: pl.DataFrame) -> alt.LayerChart:
    """Incidents on a time axis, one lane per service, the target incident highlighted (a larger red diamond with
    a guide line through every lane). In: ``id``, ``service``, ``started_at``, ``score``, ``role`` (``target`` or
    ``related``), ``severity``."""
    lanes = points["service"].unique(maintain_order=True).to_list()
    y = alt.Y("service:N", title=None, sort=lanes, axis=alt.Axis(labelLimit=160, grid=True))
    x = alt.X(
        "started_at:T",
        title="started (UTC)",
        axis=alt.Axis(format="%b %d %H:%M", labelAngle=0, labelOverlap="greedy", tickCount=4),
    )
    tooltip = [
        alt.Tooltip("id:N", title="incident"),
        alt.Tooltip("service:N"),
        alt.Tooltip("started_at:T", format="%Y-%m-%d %H:%M", title="started (UTC)"),
        alt.Tooltip("score:Q"),
        alt.Tooltip("severity:N"),
    ]
    target = points.filter(pl.col("role") == "target")
    guide = alt.Chart(target).mark_rule(color="#E45756", strokeDash=[4, 3], opacity=0.6).encode(x=x)
    related = (
        alt.Chart(points.filter(pl.col("role") != "target"))
        .mark_circle(color="#4C78A8", opacity=0.8)
        .encode(x=x, y=y, size=alt.Size("score:Q", legend=None, scale=alt.Scale(range=[40, 300])), tooltip=tooltip)
    )
    highlighted = (
        alt.Chart(target)
        .mark_point(shape="diamond", filled=True, size=360, color="#E45756", stroke="black", strokeWidth=1)
        .encode(x=x, y=y, tooltip=tooltip)
    )
    chart: alt.LayerChart = (guide + related + highlighted).properties(height=max(140, 40 * len(lanes)), autosize=FIT)
    return chart
