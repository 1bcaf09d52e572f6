"""DATA.md §6: alert.json golden bytes, folder names, hostile names, ZIP tree, reading coverage back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.derived import with_grouping_key
from analytics.misses import filter_misses, parse_since, top_groups
from analytics.scenarios import (
    MANIFEST_NAME,
    alert_bytes,
    build_cases,
    case_dir_name,
    manifest_bytes,
    slug,
    zip_bytes,
)
from analytics.schemas import MISSES
from tests.analytics.test_misses import EDGE_LINES, NOW
from tests.conftest import write_lines
from triage_lens.sources.readers import read_input_file
from triage_lens.sources.scenario_files import read_scenarios, write_cases

GOLDEN_M1 = """{
  "_meta": {
    "purpose": "Regression scenario derived from a production miss",
    "source": "opensre misses export",
    "miss_id": "m1",
    "original_run_id": "r1",
    "captured_at": "2026-06-10T10:00:00+00:00",
    "taxonomy": "retrieval_gap"
  },
  "title": "[Regression] CheckoutDown",
  "alert_name": "CheckoutDown",
  "pipeline_name": "checkout",
  "severity": "critical",
  "alert_source": "closed_loop_learning",
  "message": "Missed deploy log",
  "text": "Missed deploy log",
  "commonLabels": {
    "pipeline_name": "checkout",
    "severity": "critical",
    "taxonomy": "retrieval_gap"
  },
  "commonAnnotations": {
    "summary": "Missed deploy log",
    "miss_id": "m1",
    "taxonomy": "retrieval_gap",
    "scoring_points": {
      "expected_root_cause": "DB outage",
      "expected_category": "database",
      "miss_notes": "Missed deploy log"
    }
  }
}
"""


def test_alert_json_golden_bytes() -> None:
    assert alert_bytes(json.loads(EDGE_LINES[0])) == GOLDEN_M1.encode("utf-8")


def test_nulls_and_absent_keys_follow_opensre_fallbacks() -> None:
    alert = json.loads(alert_bytes(json.loads(EDGE_LINES[1])))
    assert alert["_meta"] == {
        "purpose": "Regression scenario derived from a production miss",
        "source": "opensre misses export",
        "miss_id": "m2",
        "original_run_id": "r2",
        "captured_at": "2026-06-12T10:00:00Z",
        "taxonomy": "unknown",
    }
    assert alert["title"] == "[Regression] production miss"
    assert alert["pipeline_name"] is None  # a stored null stays null
    assert alert["severity"] == "warning"  # "" falls back
    assert alert["message"] == alert["text"] == alert["commonAnnotations"]["summary"] == "production miss"
    assert alert["commonLabels"] == {"pipeline_name": None, "severity": "warning", "taxonomy": "unknown"}
    assert alert["commonAnnotations"]["scoring_points"] == {
        "expected_root_cause": "",
        "expected_category": "",
        "miss_notes": "",
    }
    assert "scoring_points" not in alert["_meta"]  # the rubric lives only under commonAnnotations


def test_absent_miss_id_gets_a_deterministic_uuid5() -> None:
    record = json.loads(EDGE_LINES[7])
    first = json.loads(alert_bytes(record, EDGE_LINES[7]))["_meta"]["miss_id"]
    assert first == json.loads(alert_bytes(record, EDGE_LINES[7]))["_meta"]["miss_id"]
    assert uuid.UUID(first).version == 5


@pytest.mark.parametrize(("stored", "written"), [("null", None), ('""', "")])
def test_null_or_empty_miss_id_stays_as_stored(stored: str, written: str | None) -> None:
    # DATA.md §6: only an absent miss_id gets the uuid5; null stays null and "" stays "".
    line = '{"miss_id": ' + stored + ', "timestamp": "2026-06-13T00:00:00Z", "alert_name": "A", "taxonomy": "unknown"}'
    alert = json.loads(alert_bytes(json.loads(line), line))
    assert alert["_meta"]["miss_id"] == written
    assert alert["commonAnnotations"]["miss_id"] == written
    assert f'"miss_id": {stored},' in alert_bytes(json.loads(line), line).decode()


def test_manifest_keeps_a_null_or_empty_miss_id(tmp_path: Path) -> None:
    lines = [
        '{"miss_id": null, "timestamp": "2026-06-13T00:00:00Z", "alert_name": "A", "taxonomy": "unknown"}',
        '{"miss_id": "", "timestamp": "2026-06-12T00:00:00Z", "alert_name": "B", "taxonomy": "unknown"}',
    ]
    frame = with_grouping_key(read_input_file(write_lines(tmp_path / "m.jsonl", *lines), MISSES).frame.lazy())
    cases = build_cases(top_groups(frame, top=10))
    assert [c.miss_id for c in cases] == [None, ""]
    manifest = json.loads(manifest_bytes(cases, exported_at=NOW, since="", top=10, taxonomy=None))
    assert [c["miss_id"] for c in manifest["cases"]] == [None, ""]


def test_non_ascii_is_written_as_is() -> None:
    content = alert_bytes(json.loads(EDGE_LINES[6])).decode("utf-8")
    assert '"alert_name": "Disk full 🔥 on /var"' in content


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CheckoutDown", "checkoutdown"),
        ("../../etc/passwd", "..-..-etc-passwd"),
        ("Disk full 🔥 on /var", "disk-full-on-var"),
        ("---", ""),
        ("a" * 100, "a" * 100),
        ("B" * 300, "b" * 300),  # OpenSRE's slug has no length cap
    ],
)
def test_slug(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_folder_names() -> None:
    assert case_dir_name(1, {"alert_name": None, "taxonomy": None}) == "0001_miss-0001_unknown"
    assert case_dir_name(12, {"alert_name": "🔥🔥", "taxonomy": "!!!"}) == "0012_miss-0012_unknown"
    assert (
        case_dir_name(3, {"alert_name": "Checkout Down", "taxonomy": "Retrieval_Gap"})
        == "0003_checkout-down_retrieval_gap"
    )


def _h8(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def test_folder_names_keep_the_full_slug_while_they_fit_255_bytes() -> None:
    # 5 ("0001_") + 200 + 1 + 49 = 255 bytes: OpenSRE's name, untouched
    assert case_dir_name(1, {"alert_name": "a" * 200, "taxonomy": "t" * 49}) == "0001_" + "a" * 200 + "_" + "t" * 49
    # a taxonomy slug of 150 characters is kept whole while the name fits
    assert case_dir_name(2, {"alert_name": "CheckoutDown", "taxonomy": "T" * 150}) == "0002_checkoutdown_" + "t" * 150


def test_folder_names_are_hash_cut_only_past_255_bytes() -> None:
    # 256 bytes, taxonomy <= 100 kept: the alert slug keeps 255 - 5 - 1 - 50 - 9 = 190 characters + "-" + 8 hex
    name = case_dir_name(1, {"alert_name": "a" * 200, "taxonomy": "t" * 50})
    assert name == "0001_" + "a" * 190 + "-" + _h8("a" * 200) + "_" + "t" * 50
    assert len(name.encode()) == 255
    # taxonomy slug > 100: first 100 + "-" + 8 hex (109); the alert keeps 255 - 5 - 1 - 109 - 9 = 131 + hash
    name = case_dir_name(1, {"alert_name": "a" * 200, "taxonomy": "t" * 150})
    assert name == "0001_" + "a" * 131 + "-" + _h8("a" * 200) + "_" + "t" * 100 + "-" + _h8("t" * 150)
    assert len(name.encode()) == 255
    # past the limit only because of the taxonomy: its cut is enough, the alert slug stays whole
    name = case_dir_name(1, {"alert_name": "a" * 120, "taxonomy": "t" * 150})
    assert name == "0001_" + "a" * 120 + "_" + "t" * 100 + "-" + _h8("t" * 150)
    # two long names that share their first characters stay apart
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert case_dir_name(1, {"alert_name": long_a}) != case_dir_name(1, {"alert_name": long_b})


@pytest.fixture
def cases(tmp_path: Path) -> list:
    path = write_lines(tmp_path / "misses.jsonl", *EDGE_LINES)
    frame = with_grouping_key(read_input_file(path, MISSES).frame.lazy())
    return build_cases(top_groups(filter_misses(frame, since=parse_since("7d", NOW)), top=10))


def test_export_tree_stays_inside_the_target_folder(tmp_path: Path, cases: list) -> None:
    out = tmp_path / "out"
    manifest = manifest_bytes(cases, exported_at=NOW, since="7d", top=10, taxonomy=None)
    written = write_cases(out, cases, manifest)
    assert [p.relative_to(out).as_posix() for p in written] == [
        "0001_miss-0001_unknown/alert.json",
        "0002_checkoutdown_retrieval_gap/alert.json",
        "0003_..-..-etc-passwd_reasoning_gap/alert.json",
        "0004_disk-full-on-var_tool_failure/alert.json",
        "0005_noid_routing_failure/alert.json",
    ]
    assert all(out.resolve() in p.resolve().parents for p in written)
    assert sorted(p.name for p in out.iterdir())[-1] == MANIFEST_NAME
    assert json.loads((out / MANIFEST_NAME).read_text()) == {
        "exported_at": "2026-06-14T00:00:00+00:00",
        "since": "7d",
        "top": 10,
        "taxonomy": None,
        "cases": [
            {
                "dir": "0001_miss-0001_unknown",
                "alert_name": "<unknown>",
                "taxonomy": "unknown",
                "miss_id": "m2",
                "count": 2,
            },
            {
                "dir": "0002_checkoutdown_retrieval_gap",
                "alert_name": "CheckoutDown",
                "taxonomy": "retrieval_gap",
                "miss_id": "m3",
                "count": 2,
            },
            {
                "dir": "0003_..-..-etc-passwd_reasoning_gap",
                "alert_name": "../../etc/passwd",
                "taxonomy": "reasoning_gap",
                "miss_id": "m6",
                "count": 1,
            },
            {
                "dir": "0004_disk-full-on-var_tool_failure",
                "alert_name": "Disk full 🔥 on /var",
                "taxonomy": "tool_failure",
                "miss_id": "m7",
                "count": 1,
            },
            {
                "dir": "0005_noid_routing_failure",
                "alert_name": "NoId",
                "taxonomy": "routing_failure",
                "miss_id": cases[4].miss_id,
                "count": 1,
            },
        ],
    }


def test_zip_has_the_same_tree_with_safe_entries(tmp_path: Path, cases: list) -> None:
    manifest = manifest_bytes(cases, exported_at=NOW, since="7d", top=10, taxonomy=None)
    data = zip_bytes(cases, manifest)
    assert data == zip_bytes(cases, manifest)  # reproducible bytes
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [f"{c.dir}/alert.json" for c in cases] + [MANIFEST_NAME]
        assert not any(n.startswith("/") or ".." in n.split("/") for n in names)
        assert archive.read(names[1]) == cases[1].content


def test_unsafe_case_names_are_refused(tmp_path: Path, cases: list) -> None:
    from dataclasses import replace

    for bad in ("../escape", "/abs", "a/../../b"):
        with pytest.raises(ValueError, match="unsafe case folder name"):
            write_cases(tmp_path / "o", [replace(cases[0], dir=bad)], b"{}")


def test_reading_coverage_from_manifest_and_file_times(tmp_path: Path, cases: list) -> None:
    out = tmp_path / "scenarios" / "batch1"
    write_cases(out, cases[:2], manifest_bytes(cases[:2], exported_at=NOW, since="7d", top=2, taxonomy=None))
    loose = tmp_path / "scenarios" / "hand-made" / "alert.json"
    loose.parent.mkdir(parents=True)
    loose.write_text(json.dumps({"_meta": {"taxonomy": "tool_failure"}, "alert_name": "Flappy"}))
    os.utime(loose, (datetime(2026, 6, 1, tzinfo=UTC).timestamp(),) * 2)
    (tmp_path / "scenarios" / "other").mkdir()
    (tmp_path / "scenarios" / "other" / "alert.json").write_text(json.dumps({"title": "no meta"}))
    (tmp_path / "scenarios" / "broken").mkdir()
    (tmp_path / "scenarios" / "broken" / "alert.json").write_text("{oops")
    found, problems = read_scenarios(tmp_path / "scenarios")
    assert [(s.miss_id, s.alert_name, s.taxonomy, s.covered_at) for s in found] == [
        ("m2", "production miss", "unknown", NOW),
        ("m3", "CheckoutDown", "retrieval_gap", NOW),
        (None, "Flappy", "tool_failure", datetime(2026, 6, 1, tzinfo=UTC)),
    ]
    assert len(problems) == 1 and "broken/alert.json: not readable JSON" in problems[0]
