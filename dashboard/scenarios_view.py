"""What the Scenarios page shows besides the export: the cases table, the coverage table with each pair's fix
("fixed in X, back in Y") and the fix-durability curve. Presentation only; the rules are in :mod:`analytics.fixes`
and :mod:`analytics.durability`."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from analytics.durability import curve_frame
from analytics.fixes import with_fixes
from analytics.scenarios import ScenarioCase
from dashboard.charts import FIT, bottom_legend


def cases_table(cases: list[ScenarioCase]) -> pl.DataFrame:
    """One row per case to export: position, folder, alert, taxonomy, misses and the representative miss."""
    return pl.DataFrame(
        {
            "#": [i + 1 for i in range(len(cases))],
            "folder": [c.dir for c in cases],
            "alert": [c.alert_name for c in cases],
            "taxonomy": [c.taxonomy for c in cases],
            "misses": [c.count for c in cases],
            "representative": [str(c.miss_id) if c.miss_id not in (None, "") else "—" for c in cases],
        }
    )


def coverage_table(lifecycle: pl.DataFrame, fixes: pl.DataFrame) -> pl.DataFrame:
    """The covered pairs: coverage time, days to coverage, the fix verdict, "fixed in X, back in Y", state and the
    last miss — oldest coverage first. In: the lifecycle (with ``badge``) and :func:`analytics.fixes.fix_table`."""
    covered = with_fixes(lifecycle.filter(pl.col("covered")), fixes)
    return covered.select(
        "group_alert",
        "group_taxonomy",
        "covered_at",
        (pl.col("time_to_coverage").dt.total_seconds() / 86400).round(1).alias("days_to_coverage"),
        pl.col("status").alias("fix_held"),
        pl.col("fixed_back").replace("", "—").alias("fixed_back"),
        pl.col("badge").alias("state"),
        "last_seen",
    ).sort("covered_at", "group_alert")


def durability_chart(result: dict[str, Any]) -> alt.Chart:
    """Kaplan–Meier steps (share of fixes still holding against days since the fix), overall and per taxonomy."""
    data = curve_frame(result)
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("days:Q", title="days since the fix"),
            y=alt.Y(
                "surviving:Q", title="fixes still holding", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
            ),
            color=alt.Color("group:N", title=None, legend=bottom_legend(None, 2)),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip("days:Q", format=".2f"),
                alt.Tooltip("surviving:Q", title="still holding", format=".1%"),
                alt.Tooltip("at_risk:Q", title="at risk"),
            ],
        )
        .properties(height=260, autosize=FIT)
    )
    return chart


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} days"


def durability_line(result: dict[str, Any]) -> str:
    """One sentence: how many fixes came back, the median and its interval."""
    low, high = result["median_ci"]
    return (
        f"{len(result['pairs'])} fixed pairs: {result['events']} came back, {result['censored']} still holding "
        f"(counted as censored). Median time to recurrence {_days(result['median_days'])} (95% CI "
        f"{_days(low)} – {'not reached' if high is None else _days(high)}; Brookmeyer–Crowley, log-log)."
    )


def durability_by_taxonomy(result: dict[str, Any]) -> pl.DataFrame:
    """Per taxonomy: pairs fixed, came back, median days."""
    rows = [
        {"taxonomy": t, "pairs": v["pairs"], "came_back": v["events"], "median_days": v["median_days"]}
        for t, v in result["by_taxonomy"].items()
    ]
    return pl.DataFrame(
        rows, schema={"taxonomy": pl.Utf8, "pairs": pl.Int64, "came_back": pl.Int64, "median_days": pl.Float64}
    )


def covered_count(lifecycle: pl.DataFrame) -> int:
    """How many pairs a scenario covers."""
    return int(lifecycle["covered"].sum()) if lifecycle.height else 0
