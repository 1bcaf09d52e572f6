"""How tables look (issue 11 item 5): human labels from one mapping, minute times in UTC, rounded percentages;
and exports hold data, not display glyphs. Expected values by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import polars as pl

from dashboard.charts import LIFECYCLE_BADGES
from dashboard.exports import csv_bytes
from dashboard.tables import (
    PERCENT_FORMAT,
    TIME_FORMAT,
    column_config,
    column_label,
    for_display,
    format_percent,
    format_time,
)


def test_labels_come_from_one_mapping_and_never_show_snake_case() -> None:
    assert column_label("group_alert") == "Alert"
    assert column_label("count_7d") == "Last 7 days"
    assert column_label("ci_low") == "95% CI low"
    assert column_label("some_new_column") == "Some new column"


def test_times_to_the_minute_with_the_zone_and_rounded_percentages() -> None:
    assert format_time(datetime(2026, 11, 16, 9, 0, 59, 123456, tzinfo=UTC)) == "2026-11-16 09:00 UTC"
    assert format_time(datetime(2026, 11, 16, 10, 30, tzinfo=timezone(timedelta(hours=1)))) == "2026-11-16 09:30 UTC"
    assert format_time(None) == "—"
    assert format_percent(0.7143) == "71%"
    assert format_percent(0.10526, 1) == "10.5%"
    assert format_percent(None) == "—"


def test_column_config_formats_times_and_fractions_and_display_scales_fractions() -> None:
    frame = pl.DataFrame(
        {"started_at": [datetime(2026, 11, 16, 9, tzinfo=UTC)], "accuracy": [0.7143], "bucket_key": ["a|b"]}
    )
    config = column_config(frame)
    assert config["started_at"]["label"] == "Started"
    assert config["started_at"]["type_config"]["format"] == TIME_FORMAT
    assert config["started_at"]["type_config"]["timezone"] == "UTC"
    assert config["accuracy"]["type_config"]["format"] == PERCENT_FORMAT
    assert config["bucket_key"]["label"] == "Bucket"
    assert for_display(frame)["accuracy"].to_list() == [71.43]


def test_miss_rows_export_states_as_words_not_badges() -> None:
    from dashboard.misses_view import miss_table

    misses = pl.LazyFrame(
        {
            "_line": [1],
            "timestamp": [datetime(2026, 11, 16, 9, tzinfo=UTC)],
            "timestamp_text": ["2026-11-16T09:00:00Z"],
            **{c: ["x"] for c in ("alert_name", "taxonomy", "rating", "severity", "pipeline_name", "root_cause")},
            **{c: ["x"] for c in ("root_cause_category", "taxonomy_detail", "miss_id", "run_id", "feedback_id")},
            "validity_score": [0.5],
            "investigation_loop_count": [1],
        }
    )
    text = csv_bytes(miss_table(misses).collect()).decode("utf-8")
    assert text.splitlines()[1].startswith("2026-11-16T09:00:00Z,x,x,x,x,x,x,x,0.5,1,")
    for badge in LIFECYCLE_BADGES.values():
        assert badge.split(" ")[0] not in text


def test_durations_read_in_minutes_hours_or_days() -> None:
    import polars as pl

    from dashboard.tables import duration_text_expr

    minutes = pl.DataFrame({"m": [None, 12.4, 59.0, 60.0, 210.0, 2879.0, 2880.0, 41634.0]}, schema={"m": pl.Float64})
    shown = minutes.select(duration_text_expr(pl.col("m")).alias("t"))["t"].to_list()
    assert shown == ["—", "12 min", "59 min", "1.0 h", "3.5 h", "48.0 h", "2.0 days", "29 days"]


def test_empty_text_cells_are_shown_as_a_dash() -> None:
    import polars as pl

    from dashboard.tables import for_display

    frame = pl.DataFrame({"title": ["a", None], "n": [1, None]})
    assert for_display(frame).rows() == [("a", 1), ("—", None)]


def test_an_empty_time_shows_a_dash_and_the_others_as_the_grid_shows_times() -> None:
    when = datetime(2026, 11, 16, 5, 42, 30, tzinfo=UTC)
    frame = pl.DataFrame(
        {"first": [when, None], "always": [when, when]},
        schema={"first": pl.Datetime("us", "UTC"), "always": pl.Datetime("us", "UTC")},
    )
    shown = for_display(frame)
    assert shown["first"].to_list() == ["2026-11-16 05:42 UTC", "—"]  # was None, shown as "None"
    assert shown.schema["always"] == pl.Datetime("us", "UTC")  # no gap: still a time for the grid
    other_zone = pl.DataFrame({"t": [when, None]}, schema={"t": pl.Datetime("us", "UTC")}).with_columns(
        pl.col("t").dt.convert_time_zone("Asia/Kolkata")
    )
    assert for_display(other_zone)["t"].to_list() == ["2026-11-16 05:42 UTC", "—"]
    naive = pl.DataFrame({"t": [datetime(2026, 11, 16, 5, 42), None]})
    assert for_display(naive)["t"].to_list() == ["2026-11-16 05:42 UTC", "—"]
