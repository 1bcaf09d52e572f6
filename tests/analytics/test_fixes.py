"""The one fix-held rule, fixed_in / regressed_in, versions and the Kaplan–Meier durability, on hand-built worlds
with every expected answer worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.durability import durability, fix_durations, km_reference, km_steps, survival
from analytics.fixes import BASIS_COVERAGE, BASIS_RUNS, fix_events, fix_held_summary, fix_table, fixed_back_text
from analytics.timeparse import UTC_DATETIME
from analytics.versions import RELEASE_SCHEMA, release_for_sha, run_versions, with_version

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


RELEASES = pl.DataFrame(
    {
        "version": ["v1.0", "v1.1", "v1.2"],
        "shipped_at": [at(1), at(6), at(14)],
        "commit": ["aaaa1111", "bbbb2222", "cccc3333"],
        "notes": [None, "retrieval fix", None],
    },
    schema=RELEASE_SCHEMA,
)
# A: passes in run 2 (Nov 5), missed Nov 9 (after the pass): fixed in v1.1 via sha, back in v1.1, failing again in R3.
# B: passes in runs 2 and 3, never missed after Nov 5: held. C: never passes. D: passed in R2, missed Nov 12,
# passed again in R3 (Nov 15) with no miss since: held, but regressed_at Nov 12 stays (fixed in, back in).
MISSES = pl.DataFrame(
    {
        "timestamp": [at(2), at(9), at(3), at(4), at(12), at(18), at(25)],
        "group_alert": ["A", "A", "B", "C", "D", "C", "A"],
        "group_taxonomy": [
            "retrieval_gap",
            "retrieval_gap",
            "tool_failure",
            "tool_failure",
            "reasoning_gap",
            "tool_failure",
            "retrieval_gap",
        ],
        "agent_version": [None, None, None, None, "v1.2-rc", None, None],
    },
    schema_overrides={"timestamp": UTC_DATETIME},
).lazy()
RUNS = pl.DataFrame(
    {
        "run_id": ["r3", "r2", "r1"],
        "started_at": [at(15), at(5), at(1)],
        "opensre_sha": [None, "bbbb", None],
        "version": [None, None, "v0.9"],
    }
)


def grid_rows(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    started = dict(zip(RUNS["run_id"], RUNS["started_at"], strict=True))
    return pl.DataFrame(
        {
            "run_id": [r[0] for r in rows],
            "started_at": [started[r[0]] for r in rows],
            "scenario": [f"{r[1]}-{r[2]}" for r in rows],
            "status": [r[3] for r in rows],
            "exported": [True] * len(rows),
            "group_alert": [r[1] for r in rows],
            "group_taxonomy": [r[2] for r in rows],
        },
        schema_overrides={"started_at": UTC_DATETIME},
    )


GRID = grid_rows(
    [
        ("r1", "A", "retrieval_gap", "failed"),
        ("r2", "A", "retrieval_gap", "passed"),
        ("r3", "A", "retrieval_gap", "failed"),
        ("r2", "B", "tool_failure", "passed"),
        ("r3", "B", "tool_failure", "passed"),
        ("r1", "C", "tool_failure", "failed"),
        ("r3", "C", "tool_failure", "skipped"),
        ("r2", "D", "reasoning_gap", "passed"),
        ("r3", "D", "reasoning_gap", "passed"),
    ]
)


def rows_by_key(frame: pl.DataFrame) -> dict[tuple[str, str], dict[str, object]]:
    return {(r["group_alert"], r["group_taxonomy"]): r for r in frame.iter_rows(named=True)}


def test_fix_table_by_runs_fixed_in_regressed_in_and_held() -> None:
    now = at(20, 12)
    table = rows_by_key(fix_table(MISSES, now=now, grid=GRID, runs=RUNS, releases=RELEASES))
    a = table[("A", "retrieval_gap")]
    assert a["basis"] == BASIS_RUNS
    assert (a["fixed_at"], a["fixed_in"]) == (at(5), "v1.1")  # sha "bbbb" prefixes release v1.1's commit
    assert (a["regressed_at"], a["regressed_in"]) == (at(9), "v1.1")  # shipped Nov 6, before the Nov 9 miss
    assert (a["fix_held"], a["status"]) == (False, "failing again")
    b = table[("B", "tool_failure")]
    assert (b["fixed_at"], b["regressed_at"], b["fix_held"], b["status"]) == (at(5), None, True, "held")
    c = table[("C", "tool_failure")]  # failed, then only skipped: never fixed, not judged
    assert (c["fixed_at"], c["fix_held"], c["status"]) == (None, None, "not fixed yet")
    d = table[("D", "reasoning_gap")]  # back on Nov 12 (the record names its own version), passed again Nov 15
    assert (d["regressed_at"], d["regressed_in"], d["last_pass_at"]) == (at(12), "v1.2-rc", at(15))
    assert (d["fix_held"], d["status"]) == (True, "held")
    summary = fix_held_summary(fix_table(MISSES, now=now, grid=GRID, runs=RUNS, releases=RELEASES))
    assert summary.to_json() == {"basis": "runs", "fixed": 3, "judged": 3, "held": 2, "too_early": 0, "rate": 0.6667}
    assert summary.line().startswith("Fix held: 2 of 3 fixed pairs (by benchmark runs:")
    # the miss on Nov 25 is after now: not seen, so A's regression stays Nov 9 and B/D stay held
    assert fixed_back_text(a) == "fixed in v1.1 (Nov 05), back in v1.1 (Nov 09)"
    assert fixed_back_text(b) == "fixed in v1.1 (Nov 05)"
    assert fixed_back_text(c) == ""


def test_a_miss_after_the_newest_passing_run_breaks_the_hold() -> None:
    later = pl.concat(
        [
            MISSES.collect(),
            pl.DataFrame(
                {
                    "timestamp": [at(16)],
                    "group_alert": ["B"],
                    "group_taxonomy": ["tool_failure"],
                    "agent_version": [None],
                },
                schema_overrides={"timestamp": UTC_DATETIME},
            ),
        ]
    ).lazy()
    b = rows_by_key(fix_table(later, now=at(20), grid=GRID, runs=RUNS))[("B", "tool_failure")]
    assert (b["regressed_at"], b["regressed_in"], b["fix_held"], b["status"]) == (at(16), None, False, "missed again")


def test_fix_table_by_coverage_waits_a_week() -> None:
    coverage = pl.DataFrame(
        {
            "group_alert": ["A", "B", "C"],
            "group_taxonomy": ["retrieval_gap", "tool_failure", "tool_failure"],
            "covered_at": [at(8), at(3, 12), at(15)],
        },
        schema_overrides={"covered_at": UTC_DATETIME},
    ).lazy()
    table = rows_by_key(fix_table(MISSES, now=at(20), coverage=coverage))
    assert table[("A", "retrieval_gap")]["status"] == "missed again"  # covered Nov 8, missed Nov 9
    assert table[("A", "retrieval_gap")]["regressed_at"] == at(9)
    assert table[("B", "tool_failure")]["status"] == "held"  # covered after its Nov 3 miss, nothing since
    assert table[("C", "tool_failure")]["status"] == "too early"  # covered Nov 15: under 7 days before Nov 20
    assert table[("C", "tool_failure")]["fix_held"] is None
    assert table[("D", "reasoning_gap")]["status"] == "not covered"
    summary = fix_held_summary(fix_table(MISSES, now=at(20), coverage=coverage))
    assert summary.to_json() == {
        "basis": BASIS_COVERAGE,
        "fixed": 3,
        "judged": 2,
        "held": 1,
        "too_early": 1,
        "rate": 0.5,
    }


def test_versions_from_records_then_releases() -> None:
    frame = pl.DataFrame(
        {
            "timestamp": [at(1), at(5), None, at(30), at(7)],
            "agent_version": [None, None, None, None, ""],
            "opensre_sha": [None, "deadbeef", None, None, None],
        },
        schema_overrides={"timestamp": UTC_DATETIME},
    ).lazy()
    out = with_version(frame, RELEASES, time_column="timestamp").collect()
    assert out["version"].to_list() == ["v1.0", "deadbeef", None, "v1.2", "v1.1"]
    assert out["version_source"].to_list() == ["releases.yml", "record", None, "releases.yml", "releases.yml"]
    assert with_version(frame, None, time_column="timestamp").collect()["version"].to_list() == [
        None,
        "deadbeef",
        None,
        None,
        None,
    ]
    # no releases (or none shipped): the record's own version or unknown, same columns and types as with releases
    for none_shipped in (None, RELEASES.clear(), RELEASES.with_columns(pl.lit(None, UTC_DATETIME).alias("shipped_at"))):
        alone = with_version(frame, none_shipped, time_column="timestamp").collect()
        assert alone.schema == out.schema
        assert alone["version"].to_list() == [None, "deadbeef", None, None, None]
        assert alone["version_source"].to_list() == [None, "record", None, None, None]
    assert release_for_sha("bbbb2222ffff", RELEASES) == "v1.1"  # the release commit prefixes the run's sha
    assert release_for_sha("abc", RELEASES) is None  # too short to mean anything
    assert run_versions(RUNS, RELEASES)["version"].to_list() == ["v1.2", "v1.1", "v0.9"]


# --- durability ---------------------------------------------------------------------------------------------
def test_kaplan_meier_by_hand() -> None:
    # days 2 (back), 3 (holding), 5 (back), 5 (back), 8 (holding): n=5
    # t=2: n=5 d=1 S=0.8; t=5: n=3 d=2 S=0.8*1/3=0.2667 → median 5
    # Greenwood v: 1/(5*4)=0.05; 0.05+2/(3*1)=0.716667. log-log: s=√v/|ln S|
    #  t=2: s=1.002076, lower=0.8^exp(1.96*1.002)=0.2038, upper=0.8^exp(-1.96*1.002)=0.9692
    #  t=5: s=0.640483, lower=0.2667^3.5089=0.0097, upper=0.2667^0.28499=0.6861 (never ≤ 0.5) → CI [2, null]
    durations = pl.DataFrame({"days": [2.0, 3.0, 5.0, 5.0, 8.0], "censored": [False, True, False, False, True]})
    result = survival(durations, z=1.959964)
    assert result["curve"] == [
        {"days": 0.0, "surviving": 1.0, "at_risk": 5},
        {"days": 2.0, "surviving": 0.8, "at_risk": 5},
        {"days": 5.0, "surviving": 0.2667, "at_risk": 3},
    ]
    assert result["median_days"] == 5.0
    assert result["median_ci"] == [2.0, None]
    assert (result["events"], result["censored"]) == (3, 2)


def test_kaplan_meier_never_below_half_and_all_back() -> None:
    holding = survival(pl.DataFrame({"days": [4.0, 6.0, 9.0], "censored": [False, True, True]}), z=1.96)
    assert [p["surviving"] for p in holding["curve"]] == [1.0, 0.6667]  # 1 − 1/3
    assert holding["median_days"] is None and holding["median_ci"][1] is None
    everyone = survival(pl.DataFrame({"days": [1.0, 2.0], "censored": [False, False]}), z=1.96)
    # t=1: S=1/2 → median 1; t=2: n=1 d=1 S=0 (its band is 0 too) → the upper bound reaches 0.5 at day 2
    assert [p["surviving"] for p in everyone["curve"]] == [1.0, 0.5, 0.0]
    assert everyone["median_days"] == 1.0 and everyone["median_ci"][1] == 2.0
    empty = survival(
        pl.DataFrame({"days": [], "censored": []}, schema={"days": pl.Float64, "censored": pl.Boolean}), z=1.96
    )
    assert empty == {
        "curve": [],
        "median_days": None,
        "median_ci": [None, None],
        "pairs": 0,
        "events": 0,
        "censored": 0,
    }


def test_durability_from_the_fix_table_censors_at_now() -> None:
    fixes = fix_table(MISSES, now=at(20, 12), grid=GRID, runs=RUNS, releases=RELEASES)
    rows = fix_durations(fixes, now=at(20, 12)).to_dicts()
    # A: Nov 5 → Nov 9 = 4 days, back; D: Nov 5 → Nov 12 = 7 days, back; B: Nov 5 → now = 15.5 days, censored
    assert [(r["alert_name"], r["days"], r["censored"]) for r in rows] == [
        ("A", 4.0, False),
        ("D", 7.0, False),
        ("B", 15.5, True),
    ]
    result = durability(fixes, now=at(20, 12), since=at(1), z=1.959964)
    # t=4: n=3 d=1 S=0.6667; t=7: n=2 d=1 S=0.3333 → median 7
    assert [p["surviving"] for p in result["curve"]] == [1.0, 0.6667, 0.3333]
    assert result["median_days"] == 7.0
    assert set(result["by_taxonomy"]) == {"reasoning_gap", "retrieval_gap", "tool_failure"}
    assert result["by_taxonomy"]["tool_failure"]["median_days"] is None
    assert result["pairs"][0] == {
        "alert_name": "A",
        "taxonomy": "retrieval_gap",
        "fixed_at": "2026-11-05T00:00:00+00:00",
        "recurred_at": "2026-11-09T00:00:00+00:00",
        "days": 4.0,
        "censored": False,
    }
    assert durability(fixes, now=at(20, 12), since=at(6), z=1.96)["pairs"] == []  # fixed before the range


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=12).map(float), st.booleans()), min_size=1, max_size=25))
def test_km_steps_match_the_plain_python_reference(pairs: list[tuple[float, bool]]) -> None:
    frame = pl.DataFrame({"days": [p[0] for p in pairs], "censored": [p[1] for p in pairs]})
    steps = km_steps(frame)
    expected = km_reference(frame["days"].to_list(), frame["censored"].to_list())
    got = list(zip(steps["days"], steps["at_risk"], steps["events"], steps["surviving"], strict=True))
    assert len(got) == len(expected)
    for (t, n, d, s), (t2, n2, d2, s2) in zip(got, expected, strict=True):
        assert (t, n, d) == (t2, n2, d2)
        assert math.isclose(s, s2, rel_tol=1e-9, abs_tol=1e-12)


def test_durations_skip_pairs_never_fixed() -> None:
    fixes = fix_table(MISSES, now=NOW, grid=GRID, runs=RUNS)
    assert ("C", "tool_failure") not in {
        (r["alert_name"], r["taxonomy"]) for r in fix_durations(fixes, now=NOW).iter_rows(named=True)
    }
    before_any_run = fix_table(MISSES, now=NOW - timedelta(days=30), grid=GRID, runs=RUNS)
    assert before_any_run.filter(pl.col("group_alert") == "A").height == 1  # the runs still name the pair


def test_curve_frame_carries_each_curve_to_its_longest_follow_up() -> None:
    from analytics.durability import curve_frame

    fixes = fix_table(MISSES, now=at(20, 12), grid=GRID, runs=RUNS, releases=RELEASES)
    frame = curve_frame(durability(fixes, now=at(20, 12), since=None, z=1.96))
    overall = frame.filter(pl.col("group") == "all fixed pairs")
    # steps at 0, 4, 7, then flat to B's 15.5 days (censored)
    assert overall.select("days", "surviving").rows() == [(0.0, 1.0), (4.0, 0.6667), (7.0, 0.3333), (15.5, 0.3333)]
    tool = frame.filter(pl.col("group") == "tool_failure")
    assert tool.select("days", "surviving").rows() == [(0.0, 1.0), (15.5, 1.0)]


def fix_reference(
    runs: list[tuple[str, int]], results: dict[tuple[str, str], str], misses: dict[str, list[float]], now: int
) -> dict[str, tuple[int | None, float | None, bool | None]]:
    """Plain Python, one pair at a time: (fixed_at, regressed_at, fix_held) in days, by the runs basis."""
    out: dict[str, tuple[int | None, float | None, bool | None]] = {}
    # a pair only ever skipped (and never missed by now) tells nothing: it is not listed
    missed_by_now = {p for p, times in misses.items() if any(t <= now for t in times)}
    for pair in sorted({p for (_, p), status in results.items() if status != "skipped"} | missed_by_now):
        judged = sorted(
            (start, results[(run, pair)]) for run, start in runs if results.get((run, pair), "skipped") != "skipped"
        )
        passes = [start for start, status in judged if status == "passed"]
        seen = [t for t in misses.get(pair, []) if t <= now]
        fixed = min(passes) if passes else None
        back = min((t for t in seen if fixed is not None and t > fixed), default=None)
        held = None
        if fixed is not None:
            held = judged[-1][1] == "passed" and not any(t > max(passes) for t in seen)
        out[pair] = (fixed, back, held)
    return out


@settings(max_examples=60, deadline=None)
@given(
    starts=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=4, unique=True),
    statuses=st.lists(st.sampled_from(["passed", "failed", "skipped"]), min_size=8, max_size=8),
    miss_days=st.lists(st.tuples(st.sampled_from(["P", "Q"]), st.integers(min_value=0, max_value=25)), max_size=8),
)
def test_fix_table_matches_the_plain_python_reference(
    starts: list[int], statuses: list[str], miss_days: list[tuple[str, int]]
) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    runs = [(f"r{i}", day) for i, day in enumerate(starts)]
    results = {(run, pair): statuses[2 * i + j] for i, (run, _) in enumerate(runs) for j, pair in enumerate("PQ")}
    misses: dict[str, list[int]] = {}
    for pair, day in miss_days:
        misses.setdefault(pair, []).append(day)
    now = 22
    grid = pl.DataFrame(
        {
            "run_id": [run for (run, _pair) in results],
            "started_at": [base + timedelta(days=dict(runs)[run]) for (run, _pair) in results],
            "scenario": [pair for (_run, pair) in results],
            "status": list(results.values()),
            "exported": [True] * len(results),
            "group_alert": [pair for (_run, pair) in results],
            "group_taxonomy": ["tool_failure"] * len(results),
        },
        schema_overrides={"started_at": UTC_DATETIME},
    )
    run_frame = pl.DataFrame(
        {"run_id": [r for r, _ in runs], "started_at": [base + timedelta(days=d) for _, d in runs]},
        schema_overrides={"started_at": UTC_DATETIME},
    )
    # misses at noon so they never tie with a run's midnight start
    miss_frame = pl.DataFrame(
        {
            "timestamp": [base + timedelta(days=d, hours=12) for _, d in miss_days],
            "group_alert": [p for p, _ in miss_days],
            "group_taxonomy": ["tool_failure"] * len(miss_days),
        },
        schema={"timestamp": UTC_DATETIME, "group_alert": pl.Utf8, "group_taxonomy": pl.Utf8},
    ).lazy()
    table = fix_table(miss_frame, now=base + timedelta(days=now), grid=grid, runs=run_frame)

    def day(value: datetime | None, noon: bool = False) -> int | None:
        return None if value is None else (value - base - timedelta(hours=12 if noon else 0)).days

    got = {
        r["group_alert"]: (day(r["fixed_at"]), day(r["regressed_at"], noon=True), r["fix_held"])
        for r in table.iter_rows(named=True)
    }
    # misses are at noon, runs at midnight: a miss on the day of a run comes after it
    noon = {p: [d + 0.5 for d in ds] for p, ds in misses.items()}
    expected = {
        p: (f, None if b is None else int(b), h) for p, (f, b, h) in fix_reference(runs, results, noon, now).items()
    }
    assert got == expected


def test_fix_table_from_events_versioned_once_is_the_same_at_each_now() -> None:
    """The dashboard versions the misses once (:func:`fix_events`) and filters them at each new now."""
    events = fix_events(MISSES, RELEASES).collect()
    assert events.columns == ["timestamp", "group_alert", "group_taxonomy", "version"]
    assert events.height == MISSES.collect().height  # every miss here has a timestamp, the one after now too
    for now in (at(10), at(20, 12), at(28)):
        direct = fix_table(MISSES, now=now, grid=GRID, runs=RUNS, releases=RELEASES)
        assert fix_table(MISSES, now=now, events=events.lazy(), grid=GRID, runs=RUNS, releases=RELEASES).equals(direct)
    # at Nov 28 the Nov 25 miss is seen: A's first miss after its fix is still Nov 9 (v1.1)
    a = rows_by_key(fix_table(MISSES, now=at(28), events=events.lazy(), grid=GRID, runs=RUNS, releases=RELEASES))
    assert (a[("A", "retrieval_gap")]["regressed_at"], a[("A", "retrieval_gap")]["regressed_in"]) == (at(9), "v1.1")
