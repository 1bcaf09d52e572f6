"""`misses list --json` masks personal fields unless asked for (issue 12 item 3; PRODUCT.md: personal data is never
shown or exported unless the user asks for that column)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import write_lines
from triage_lens.cli.main import cli
from triage_lens.sources.redaction import mask_record

LINE = (
    '{"miss_id": "m1", "timestamp": "2026-11-15T10:00:00Z", "alert_name": "Disk", "taxonomy": "tool_failure", '
    '"user_id": "u-42", "user_email": "ana@example.com", "org_id": "acme"}'
)


def _list(folder: Path, *extra: str) -> list[dict[str, object]]:
    args = ["--data", str(folder), "--now", "2026-11-16T09:00:00Z", "misses", "list", "--json", "--since", "", *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_misses_list_masks_user_id_and_email_by_default(tmp_path: Path) -> None:
    write_lines(tmp_path / "misses.jsonl", LINE)
    assert _list(tmp_path) == [
        {
            "miss_id": "m1",
            "timestamp": "2026-11-15T10:00:00Z",
            "alert_name": "Disk",
            "taxonomy": "tool_failure",
            "user_id": "***",
            "user_email": "***",
            "org_id": "acme",
        }
    ]


def test_misses_list_shows_a_personal_field_when_named(tmp_path: Path) -> None:
    write_lines(tmp_path / "misses.jsonl", LINE)
    (record,) = _list(tmp_path, "--show", "user_email")
    assert (record["user_email"], record["user_id"]) == ("ana@example.com", "***")
    (record,) = _list(tmp_path, "--show", "user_email", "--show", "user_id")
    assert (record["user_email"], record["user_id"]) == ("ana@example.com", "u-42")


def test_mask_record_keeps_nulls_absent_keys_and_order() -> None:
    record = {"a": 1, "user_id": None, "user_email": "x@y.io", "b": [1]}
    assert list(mask_record(record)) == ["a", "user_id", "user_email", "b"]
    assert mask_record(record) == {"a": 1, "user_id": None, "user_email": "***", "b": [1]}
    assert mask_record({"a": 1}) == {"a": 1}


def test_a_bad_show_value_is_a_usage_error(tmp_path: Path) -> None:
    write_lines(tmp_path / "misses.jsonl", LINE)
    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "misses", "list", "--show", "org_id"])
    assert result.exit_code == 2 and "Traceback" not in result.output
