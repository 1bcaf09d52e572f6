"""Source resolution as CLI.md orders it, config files, the clock and the policy location."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.policy import Policy
from analytics.schemas import ALL_INPUTS
from tests.conftest import write_lines
from triage_lens.sources.loading import BUNDLED_SAMPLE_DIR, DEFAULT_POLICY_FILE, SourceError, load_all, resolve_sources

WALL = datetime(2030, 1, 1, tzinfo=UTC)


def resolve(tmp_path: Path, data: str | None = None, **kwargs: object) -> object:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    defaults = {"environ": {}, "cwd": tmp_path, "home": home, "wall_clock": WALL}
    defaults.update(kwargs)
    return resolve_sources(data, **defaults)  # type: ignore[arg-type]


def test_default_is_the_bundled_sample_with_its_pinned_now(tmp_path: Path) -> None:
    sources = resolve(tmp_path)
    assert sources.origin == "sample"
    assert sources.paths["misses"] == BUNDLED_SAMPLE_DIR / "misses.jsonl"
    assert sources.paths["error_ledger"] == BUNDLED_SAMPLE_DIR / "error_ledger.csv"
    assert sources.now == datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert sources.now_source == "sample.json"
    assert sources.is_sample and len(sources.sample_inputs) == len(ALL_INPUTS)
    assert sources.policy_path == DEFAULT_POLICY_FILE
    assert not sources.write


def test_opensre_home_is_used_for_misses_and_feedback_only(tmp_path: Path) -> None:
    opensre = tmp_path / "home" / ".opensre"
    opensre.mkdir(parents=True)
    write_lines(opensre / "misses.jsonl", '{"miss_id": "a"}')
    sources = resolve(tmp_path)
    assert sources.origin == "opensre"
    assert sources.paths["misses"] == opensre / "misses.jsonl"
    assert sources.paths["feedback"] is None
    assert sources.paths["incidents"] == BUNDLED_SAMPLE_DIR / "incidents.jsonl"
    assert sources.now == WALL and sources.now_source == "wall clock"
    assert "misses" not in sources.sample_inputs and "incidents" in sources.sample_inputs


def test_data_folder_with_only_some_files(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    write_lines(folder / "misses.jsonl", "{}")
    (folder / "error_ledger.parquet").write_bytes(b"")
    sources = resolve(tmp_path, str(folder))
    assert sources.origin == "folder"
    assert sources.paths["misses"] == folder / "misses.jsonl"
    assert sources.paths["error_ledger"] == folder / "error_ledger.parquet"
    assert sources.paths["feedback"] is None
    assert sources.now == WALL
    assert not sources.is_sample


def test_environment_variable_then_cwd_config(tmp_path: Path) -> None:
    folder = tmp_path / "env-data"
    folder.mkdir()
    assert resolve(tmp_path, environ={"TRIAGE_LENS_DATA": str(folder)}).root == folder
    (tmp_path / "triage-lens.yaml").write_text(f"misses: {folder}/m.jsonl\n")
    sources = resolve(tmp_path)
    assert sources.origin == "config"
    assert sources.paths["misses"] == folder / "m.jsonl"
    with pytest.raises(SourceError, match="^TRIAGE_LENS_DATA: /nope does not exist$"):
        resolve(tmp_path, environ={"TRIAGE_LENS_DATA": "/nope"})


def test_config_file_relative_paths_store_uri_write_and_now(tmp_path: Path) -> None:
    base = tmp_path / "cfg"
    (base / "exports").mkdir(parents=True)
    write_lines(base / "exports" / "incidents.jsonl", "{}")
    write_lines(base / "exports" / "feedback.jsonl", "{}")
    config = base / "triage-lens.yaml"
    config.write_text(
        "data_dir: exports\nmisses: other/misses.jsonl\nerror_ledger: d1.sqlite\nscenarios_dir: scen\n"
        "write: true\nnow: '2026-06-01T00:00:00Z'\nincidents: postgresql://u@localhost/db\n"
    )
    sources = resolve(tmp_path, str(config))
    assert sources.paths["feedback"] == base / "exports" / "feedback.jsonl"
    assert sources.paths["misses"] == base / "other" / "misses.jsonl"
    assert sources.paths["error_ledger"] == base / "d1.sqlite"
    assert sources.paths["incidents"] is None
    assert sources.incident_store_uri == "postgresql://u@localhost/db"
    assert sources.scenarios_dir == base / "scen"
    assert sources.write
    assert sources.now == datetime(2026, 6, 1, tzinfo=UTC) and sources.now_source == "config"


def test_config_unknown_key_is_a_configuration_error(tmp_path: Path) -> None:
    config = tmp_path / "triage-lens.yaml"
    config.write_text("missses: a.jsonl\n")
    with pytest.raises(SourceError) as error:
        resolve(tmp_path, str(config))
    assert str(error.value) == f"{config}: unknown key 'missses'"


def test_now_precedence_and_bad_now(tmp_path: Path) -> None:
    sources = resolve(tmp_path, str(BUNDLED_SAMPLE_DIR), now="2026-01-02T03:04:05")
    assert sources.now == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) and sources.now_source == "--now"
    with pytest.raises(SourceError, match="^--now: not an ISO-8601 timestamp: 'tomorrow'$"):
        resolve(tmp_path, now="tomorrow")


def test_sample_json_in_any_folder_pins_now(tmp_path: Path) -> None:
    (tmp_path / "sample.json").write_text(json.dumps({"seed": 1, "scale": 0.1, "now": "2026-03-04T05:06:07+00:00"}))
    sources = resolve(tmp_path, str(tmp_path))
    assert sources.now == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    (tmp_path / "sample.json").write_text("{broken")
    with pytest.raises(SourceError, match="sample.json: not valid JSON"):
        resolve(tmp_path, str(tmp_path))


def test_policy_from_the_data_folder_then_option(tmp_path: Path) -> None:
    (tmp_path / "policy.yml").write_text("misses: {quiet_after_days: 21}\n")
    assert resolve(tmp_path, str(tmp_path)).policy_path == tmp_path / "policy.yml"
    with pytest.raises(SourceError, match="^--policy: /nope.yml is not a file$"):
        resolve(tmp_path, str(tmp_path), policy="/nope.yml")


def test_data_that_is_neither_folder_nor_config(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("x")
    with pytest.raises(SourceError, match="is neither a data folder nor a triage-lens.yaml config file"):
        resolve(tmp_path, str(odd))


def test_load_all_on_an_empty_folder_gives_empty_typed_frames(tmp_path: Path) -> None:
    data = load_all(resolve(tmp_path, str(tmp_path)), Policy())
    assert all(loaded.rows == 0 and loaded.error is None for loaded in data.inputs.values())
    incidents = data.frame("incidents").collect()
    assert incidents.height == 0
    assert {"kind_derived", "signature_derived"} <= set(incidents.columns)
    assert {"group_alert", "group_taxonomy"} <= set(data.frame("misses").collect().columns)
    assert data.warning_line() is None
