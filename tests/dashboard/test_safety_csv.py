"""#24 item 5: the one CSV helper neutralises every formula variant OWASP lists (leading whitespace or controls
before = + - @, full-width forms, newline-led values), in the Misses, buckets, benchmark-grid and quarantine CSVs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from analytics.buckets import BucketOptions, bucket_frame, shown_buckets
from analytics.policy import Policy
from analytics.runs import RESULT_SCHEMA, match_results, run_summary, scenario_grid
from dashboard.exports import buckets_csv, csv_bytes, neutralise_formulas
from dashboard.runs_view import grid_csv, grid_wide
from tests.analytics.incident_helpers import T0, incident, incidents_frame

VARIANTS = [
    " =1+1",
    "\u00a0=1+1",  # no-break space
    "\u3000@SUM(A1)",  # ideographic space
    "\n=1+1",
    "\r\n+1",
    "\x01-2",
    "\t",
    "\n",
    "\uff1d1+1",  # ＝
    "\uff0b1",  # ＋
    "\uff0d1",  # －
    "\uff20SUM(A1)",  # ＠
    "  \uff1d1",
]
SAFE = ["plain", "a=b", " x", "1+1", "", "é=1"]


@pytest.mark.parametrize("value", VARIANTS)
def test_each_formula_variant_gets_an_apostrophe(value: str) -> None:
    out = neutralise_formulas(pl.DataFrame({"cell": [value]}))
    assert out["cell"].to_list() == ["'" + value]


def test_ordinary_text_and_numbers_stay_as_they_are() -> None:
    out = neutralise_formulas(pl.DataFrame({"cell": SAFE, "n": [-1, 2, 3, 4, 5, 6]}))
    assert out["cell"].to_list() == SAFE and out["n"].to_list() == [-1, 2, 3, 4, 5, 6]


def _cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8"))) for cell in row]


def test_a_misses_or_quarantine_csv_writes_no_cell_a_spreadsheet_runs() -> None:
    # the Misses page and the Data & policy page both download csv_bytes of their frame
    frame = pl.DataFrame({"alert_name": VARIANTS, "line": list(range(len(VARIANTS)))})
    cells = _cells(csv_bytes(frame))
    assert cells[:2] == ["alert_name", "line"]
    assert cells[2::2] == ["'" + v for v in VARIANTS]


def test_buckets_csv_neutralises_a_full_width_or_space_led_bucket_key(tmp_path: Path) -> None:
    records = [incident(f"b{i}", -i * 60, service=" =1+1", kind="\uff1dcmd", signature="s") for i in range(3)]
    options = BucketOptions.from_policy(Policy())
    shown = shown_buckets(bucket_frame(incidents_frame(tmp_path, records), now=T0, options=options), options)
    rows = list(csv.reader(io.StringIO(buckets_csv(shown, options).decode("utf-8"))))
    assert rows[1][0].startswith("'") and rows[1][0].endswith("=1+1|\uff1dcmd")


def test_the_benchmark_grid_csv_neutralises_a_newline_led_scenario_name() -> None:
    results = pl.DataFrame(
        [
            {
                "run_id": "r",
                "started_at": datetime(2026, 11, 5, 2, tzinfo=UTC),
                "name": "\n=1+1",
                "status": "passed",
                "source": "jsonl",
            }
        ],
        schema=RESULT_SCHEMA,
    )
    index = pl.DataFrame(
        schema={
            "scenario": pl.Utf8,
            "miss_id": pl.Utf8,
            "group_alert": pl.Utf8,
            "group_taxonomy": pl.Utf8,
            "exported_at": pl.Datetime("us", "UTC"),
        }
    )
    matched = match_results(results.lazy(), index)
    runs = run_summary(matched)
    rows = list(csv.reader(io.StringIO(grid_csv(grid_wide(scenario_grid(matched, runs), runs)).decode("utf-8"))))
    assert rows[1][0] == "'\n=1+1"
