"""RULES.md §4: the worked example, every rule at its window edge, cut-offs, ties, clusters, and property
tests against a plain-Python pairwise reference."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.correlation import (
    CorrelationOptions,
    RuleSpec,
    clusters,
    correlate_json,
    related_incidents,
)
from analytics.policy import Policy
from reference.models import pair_score, reference_components
from tests.analytics.incident_helpers import incident, incidents_frame

DEFAULT = CorrelationOptions.from_policy(Policy().correlation)


def related(tmp_path: Path, records: list[dict], target: str = "t", options: CorrelationOptions = DEFAULT) -> dict:
    frame = incidents_frame(tmp_path, records)
    result = related_incidents(frame, target, options)
    assert result is not None
    return correlate_json(target, result, options)


def scores(payload: dict) -> dict[str, int]:
    return {r["incident_id"]: r["score"] for r in payload["related"]}


def test_worked_example_scores_230(tmp_path: Path) -> None:
    payload = related(tmp_path, [incident("t", 0, signature="s1"), incident("a", 90, signature="s1")])
    (only,) = payload["related"]
    assert only["score"] == 230
    assert only["reasons"] == [
        "same_signature",
        "same_service_and_kind",
        "same_service_time_cluster",
        "same_kind_cross_service",
    ]
    assert only["contributions"] == {
        "same_signature": 100,
        "same_service_and_kind": 60,
        "same_service_time_cluster": 40,
        "same_kind_cross_service": 30,
    }
    assert payload["related_count"] == 1 and payload["incident_id"] == "t"


def test_same_service_time_cluster_at_180_minutes_in_181_out(tmp_path: Path) -> None:
    records = [
        incident("t", 0, kind="latency"),
        incident("in", 180, kind="disk"),  # same service, other kind: only the 180-minute rule
        incident("out", -181, kind="oom"),
    ]
    assert scores(related(tmp_path, records)) == {"in": 40}


def test_same_kind_cross_service_at_120_minutes_in_121_out(tmp_path: Path) -> None:
    records = [
        incident("t", 0, service="api"),
        incident("in", -120, service="db"),
        incident("out", 121, service="web"),
    ]
    assert scores(related(tmp_path, records)) == {"in": 30}


def test_same_service_and_kind_has_no_time_limit_inside_the_lookback(tmp_path: Path) -> None:
    records = [incident("t", 0), incident("far", 10 * 24 * 60)]
    payload = related(tmp_path, records)
    assert payload["related"][0]["reasons"] == ["same_service_and_kind"] and payload["related"][0]["score"] == 60


def test_lookback_is_symmetric_and_inclusive(tmp_path: Path) -> None:
    day = 24 * 60
    records = [
        incident("t", 0, signature="s"),
        incident("edge_before", -30 * day, signature="s", service="x", kind="disk"),
        incident("edge_after", 30 * day, signature="s", service="y", kind="oom"),
        incident("beyond", 30 * day + 1, signature="s", service="z", kind="queue"),
    ]
    assert scores(related(tmp_path, records)) == {"edge_before": 100, "edge_after": 100}


def test_empty_signatures_never_match(tmp_path: Path) -> None:
    # an empty stored signature is derived, so give both an explicit different service/kind and equal ""-ish titles
    records = [
        incident("t", 0, service="a", kind="k1", signature="x"),
        incident("o", 5000, service="b", kind="k2", signature="y"),
    ]
    assert scores(related(tmp_path, records)) == {}


def test_min_score_and_max_related_cut(tmp_path: Path) -> None:
    records = [
        incident("t", 0, kind="latency"),
        incident("sixty", 5000, kind="latency"),  # same service and kind: 60
        incident("forty", 100, kind="disk"),  # same service within 180: 40
        incident("thirty", 60, service="db"),  # same kind other service within 120: 30
    ]
    assert scores(related(tmp_path, records)) == {"sixty": 60, "forty": 40, "thirty": 30}
    strict = CorrelationOptions(DEFAULT.rules, lookback_days=30, min_score=35, max_related=10)
    assert scores(related(tmp_path, records, options=strict)) == {"sixty": 60, "forty": 40}
    top_two = CorrelationOptions(DEFAULT.rules, lookback_days=30, min_score=20, max_related=2)
    assert list(scores(related(tmp_path, records, options=top_two))) == ["sixty", "forty"]


def test_ordering_ties_delta_then_id(tmp_path: Path) -> None:
    records = [
        incident("t", 0, kind="latency"),
        incident("b", 3000, kind="latency"),
        incident("a", -3000, kind="latency"),  # same score and |Δ| as b → id order
        incident("c", 1000, kind="latency"),  # same score, closer → first
    ]
    assert [r["incident_id"] for r in related(tmp_path, records)["related"]] == ["c", "a", "b"]


def test_unknown_target_and_unparseable_start(tmp_path: Path) -> None:
    frame = incidents_frame(tmp_path, [incident("t", 0), {**incident("bad", 10), "started_at": "soon"}])
    assert related_incidents(frame, "nope", DEFAULT) is None
    assert related_incidents(frame, "t", DEFAULT).height == 0  # "bad" takes no part
    assert related_incidents(frame, "bad", DEFAULT).height == 0


def test_clusters_are_connected_components(tmp_path: Path) -> None:
    records = [
        incident("a", 0, service="api", kind="latency"),
        incident("b", 100, service="api", kind="disk"),  # a–b: same service within 180
        incident("c", 160, service="db", kind="disk"),  # b–c: same kind within 120
        incident("d", 20 * 24 * 60, service="lonely", kind="custom"),
        incident("e", 40 * 24 * 60, service="api", kind="latency"),  # same service/kind as a, but 40 days away
    ]
    frame = clusters(incidents_frame(tmp_path, records), DEFAULT)
    assert frame.select("cluster_id", "size", "incident_ids", "services", "kinds").rows() == [
        ("c0001", 3, ["a", "b", "c"], ["api", "db"], ["disk", "latency"]),
    ]
    assert clusters(incidents_frame(tmp_path, records), DEFAULT, min_size=1).height == 3


# --- property tests against a pairwise reference -------------------------------------------------------------


incident_lists = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 * 45),  # minutes
        st.sampled_from(["api", "db", "web"]),
        st.sampled_from(["latency", "oom", "disk"]),
        st.sampled_from([None, "s1", "s2"]),
    ),
    min_size=1,
    max_size=25,
)
option_sets = st.sampled_from(
    [
        DEFAULT,
        CorrelationOptions(DEFAULT.rules, lookback_days=10, min_score=70, max_related=5),
        CorrelationOptions(
            (
                RuleSpec("svc", 15, same_service=True),
                RuleSpec("near", 10, within_minutes=600),
                RuleSpec("sig", 50, signature=True),
            ),
            lookback_days=20,
            min_score=25,
            max_related=50,
        ),
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=incident_lists, options=option_sets)
def test_clusters_and_related_match_the_pairwise_reference(
    tmp_path: Path, items: list[tuple], options: CorrelationOptions
) -> None:
    records = [incident(f"i{n:02d}", m, service=s, kind=k, signature=g) for n, (m, s, k, g) in enumerate(items)]
    frame = incidents_frame(tmp_path, records)
    derived = frame.collect()
    enriched = [
        {
            "id": r["id"],
            "service": r["service"],
            "_kind": r["kind"],
            "_sig": r["signature"] if items[n][3] else None,
            "_t": items[n][0],
        }
        for n, r in enumerate(derived.iter_rows(named=True))
    ]
    # derived signatures (when none is stored) are real sha256 values: use what the frame holds
    for n, r in enumerate(derived.iter_rows(named=True)):
        enriched[n]["_sig"] = r["signature"]
    got = sorted(clusters(frame, options)["incident_ids"].to_list())
    assert got == reference_components(enriched, options)
    target = enriched[0]
    expected = sorted(
        (
            (pair_score(target, other, options), abs(other["_t"] - target["_t"]), other["id"])
            for other in enriched[1:]
            if pair_score(target, other, options) >= options.min_score
        ),
        key=lambda x: (-x[0], x[1], x[2]),
    )[: options.max_related]
    result = related_incidents(frame, target["id"], options)
    assert [(r["score"], r["id"]) for r in result.iter_rows(named=True)] == [(s, i) for s, _, i in expected]
    assert timedelta(0) <= timedelta(minutes=1)
