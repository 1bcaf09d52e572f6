"""The one "chosen services" rule (analytics/scope.py), and that nothing else filters services its own way."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl

from analytics.scope import of_services
from dashboard.context import Filters
from dashboard.incidents_view import chosen_services

ROOT = Path(__file__).resolve().parents[2]
FRAME = pl.LazyFrame({"id": ["a", "b", "c", "d"], "service": ["api", "db", None, "api"]})


def test_chosen_services_keep_their_rows_in_order() -> None:
    assert of_services(FRAME, ["api"]).collect()["id"].to_list() == ["a", "d"]
    assert of_services(FRAME, ("db", "api")).collect()["id"].to_list() == ["a", "b", "d"]
    assert of_services(FRAME, ["nowhere"]).collect()["id"].to_list() == []


def test_no_service_chosen_means_every_row_even_without_a_service() -> None:
    assert of_services(FRAME, ()).collect()["id"].to_list() == ["a", "b", "c", "d"]


def test_the_dashboard_helper_reads_the_sidebar_choice() -> None:
    data = SimpleNamespace(frame=lambda name: FRAME)
    context: Any = SimpleNamespace(data=data, filters=Filters(services=("db",)))
    assert chosen_services(context).collect()["id"].to_list() == ["b"]
    assert chosen_services(context, FRAME.head(1)).collect()["id"].to_list() == []


def test_no_page_or_view_filters_services_itself() -> None:
    """Every `.is_in(...services...)` on a `service` column lives in analytics/scope.py."""
    offenders = []
    for folder in ("pages", "dashboard", "analytics", "triage_lens"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "scope.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "is_in"
                    and "services" in ast.unparse(node.args[0] if node.args else node)
                    and 'pl.col("service")' in ast.unparse(node.func.value)
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
