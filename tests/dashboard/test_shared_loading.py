"""The dashboard's loaded data: one shared copy per input, loaded when first asked for, without stored lines
the pages never show (issue 12 item 10, issue 13 item 4)."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLE_DIR


def test_inputs_load_on_first_use_and_keep_the_stored_line_only_for_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from dashboard.context import INPUT_NAMES, Filters, build_context

    st.cache_resource.clear()
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(SAMPLE_DIR))
    context = build_context(Filters())
    inputs = context.data.inputs
    assert dict.__len__(inputs) == 0  # nothing read yet
    assert "_raw" in context.data.frame("misses").collect_schema().names()
    assert dict.__len__(inputs) == 1
    for name in INPUT_NAMES[1:]:
        assert "_raw" not in context.data.frame(name).collect_schema().names(), name
    assert [loaded.name for loaded in inputs.values()] == list(INPUT_NAMES)
    again = build_context(Filters("7d"))
    assert again.data.frame("feedback") is context.data.frame("feedback")  # the same shared frame
