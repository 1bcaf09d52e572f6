"""The dashboard's loaded data: one shared copy per input, loaded when first asked for, without stored lines
the pages never show (issue 12 item 10, issue 13 item 4)."""

from __future__ import annotations

from pathlib import Path

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


def test_a_wall_clock_now_is_rounded_up_to_the_minute_and_a_pinned_now_is_kept() -> None:
    """Every rerun and session within a minute asks at the same now, so the memoised results serve them all."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from dashboard.context import WALL_CLOCK, dashboard_clock
    from triage_lens.sources.loading import resolve_sources

    sources = resolve_sources(str(SAMPLE_DIR), None, None, environ={})
    wall = replace(sources, now=datetime(2026, 12, 3, 11, 7, 38, 512, tzinfo=UTC), now_source=WALL_CLOCK)
    assert dashboard_clock(wall).now == datetime(2026, 12, 3, 11, 8, tzinfo=UTC)  # up: 11:07:38 is already in
    on_the_minute = replace(wall, now=datetime(2026, 12, 3, 23, 59, tzinfo=UTC))
    assert dashboard_clock(on_the_minute).now == datetime(2026, 12, 3, 23, 59, tzinfo=UTC)
    late = replace(wall, now=datetime(2026, 12, 31, 23, 59, 1, tzinfo=UTC))
    assert dashboard_clock(late).now == datetime(2027, 1, 1, tzinfo=UTC)
    assert dashboard_clock(wall).now_source == WALL_CLOCK  # "Back to the live clock" still recognises it
    assert sources.now_source == "sample.json" and dashboard_clock(sources) is sources  # pinned: kept exactly


def test_a_policy_file_is_parsed_once_and_again_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import shutil

    import streamlit as st

    from dashboard.context import Filters, build_context

    folder = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, folder)
    policy = folder / "policy.yml"
    policy.write_text("misses:\n  quiet_after_days: 21\n")
    st.cache_resource.clear()
    monkeypatch.setenv("TRIAGE_LENS_DATA", str(folder))
    first = build_context(Filters())
    assert first.policy.misses.quiet_after_days == 21
    assert build_context(Filters()).policy is first.policy  # parsed once, shared
    policy.write_text("misses:\n  quiet_after_days: 28\n")
    os.utime(policy, ns=(policy.stat().st_mtime_ns + 10**9,) * 2)
    changed = build_context(Filters())
    assert changed.policy.misses.quiet_after_days == 28 and changed.data_key != first.data_key
    policy.write_text("misses: [not a mapping\n")
    os.utime(policy, ns=(policy.stat().st_mtime_ns + 2 * 10**9,) * 2)
    broken = build_context(Filters())
    assert broken.policy_error and "default policy" in broken.policy_error
