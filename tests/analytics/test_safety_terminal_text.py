"""#24 item 1: control characters from the data (ESC c, BEL, backspace, C1, bidi overrides) never reach the
terminal or a written report raw; JSON stays standard JSON and alert.json stays byte-identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from analytics.markdown import code_span, escape_markdown, escape_slack, slack_code
from analytics.scenarios import alert_bytes
from analytics.textsafe import UNSAFE_CODEPOINTS, json_safe, safe_text
from tests.analytics.incident_helpers import incident, write_incidents
from triage_lens.cli.main import cli

HOSTILE = "Pay\u001bc\u0007\u0008\u202eDB\u009b2J\u007f"
SHOWN = "Pay\\x1bc\\x07\\x08U+202EDB\\x9b2J\\x7f"
NOW = "2026-06-12T00:00:00Z"


def test_safe_text_by_hand() -> None:
    assert safe_text(HOSTILE) == SHOWN
    assert safe_text("a\tb\nc\rd") == "a\tb\nc\\x0dd"  # tab and newline kept, CR shown
    assert safe_text("\u2066x\u2069\u202a") == "U+2066xU+2069U+202A"
    assert safe_text("ok é ✓ \\x1b") == "ok é ✓ \\x1b"  # printable text and a literal backslash unchanged
    assert safe_text(safe_text(HOSTILE)) == safe_text(HOSTILE)  # idempotent
    assert {ord(c) for c in safe_text("".join(map(chr, range(0x2100))))} & UNSAFE_CODEPOINTS == set()
    assert json.loads(json_safe(json.dumps(HOSTILE, ensure_ascii=False))) == HOSTILE
    assert json_safe(json.dumps("\u202e\u0085", ensure_ascii=False)) == '"\\u202e\\u0085"'


@pytest.mark.parametrize("render", [escape_markdown, code_span, escape_slack, slack_code])
def test_every_markdown_and_slack_context_shows_controls(render: object) -> None:
    assert callable(render)
    out = render(HOSTILE)
    assert not {ord(c) for c in out} & UNSAFE_CODEPOINTS
    assert "x1bc" in out and "U+202E" in out


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    records = [
        incident(
            f"i{n}",
            minutes=60 * n,
            service=HOSTILE,
            kind=HOSTILE,
            signature=HOSTILE,
            title=HOSTILE,
            status="open",
            severity="P1",
        )
        for n in range(6)
    ]
    write_incidents(folder, records, events=[])
    misses = [
        {
            "miss_id": f"m{n}",
            "timestamp": f"2026-06-1{n % 2}T0{n}:00:00Z",
            "run_id": f"r{n}",
            "alert_name": HOSTILE,
            "pipeline_name": HOSTILE,
            "severity": "critical",
            "rating": "partial",
            "taxonomy": "retrieval_gap",
            "root_cause": HOSTILE,
        }
        for n in range(4)
    ]
    (folder / "misses.jsonl").write_text("".join(json.dumps(m) + "\n" for m in misses), encoding="utf-8")
    return folder


def _run(folder: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data", str(folder), "--now", NOW, *args], prog_name="triage-lens")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _raw(text: str) -> set[str]:
    return {f"U+{ord(c):04X}" for c in text if ord(c) in UNSAFE_CODEPOINTS}


TEXT_COMMANDS = [
    ["incidents", "digest", "--week", "2026-W24"],
    ["incidents", "recurrence"],
    ["incidents", "buckets"],
    ["incidents", "clusters"],
    ["misses", "stats", "--since", ""],
    ["misses", "list", "--since", ""],
]


@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_text_outputs_show_control_characters_as_escapes(tmp_path: Path, args: list[str]) -> None:
    result = _run(_folder(tmp_path), *args)
    assert result.exit_code == 0, result.output
    assert _raw(result.stdout) == set() and _raw(result.stderr) == set()
    assert "\\x1bc" in result.stdout  # the data is shown, visibly


@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_json_outputs_stay_standard_json_with_the_same_values(tmp_path: Path, args: list[str]) -> None:
    result = _run(_folder(tmp_path), *args, "--json")
    assert result.exit_code == 0, result.output
    assert _raw(result.stdout) == set()
    assert any(HOSTILE in s for s in _strings(json.loads(result.stdout)))  # values decode unchanged


def test_misses_export_prints_safely_and_keeps_alert_json_bytes(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    result = _run(folder, "misses", "export", "--out", str(out), "--since", "")
    assert result.exit_code == 0, result.output
    assert _raw(result.output) == set() and "\\x1bc" in result.stdout
    (alert,) = out.glob("*/alert.json")
    first = json.loads((folder / "misses.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert alert.read_bytes() == alert_bytes(first, (folder / "misses.jsonl").read_text().splitlines()[-1])
    assert "\u202eDB\u009b2J\u007f" in alert.read_text(encoding="utf-8")  # OpenSRE-identical bytes left alone


def test_weekly_digest_files_hold_no_raw_control(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    result = _run(folder, "incidents", "digest", "--week", "2026-W24", "--out", str(tmp_path / "reports"))
    assert result.exit_code == 0, result.output
    markdown = (tmp_path / "reports" / "weekly" / "2026-W24.md").read_text(encoding="utf-8")
    summary = (tmp_path / "reports" / "weekly" / "2026-W24.json").read_text(encoding="utf-8")
    assert _raw(markdown) == set() and _raw(summary) == set()
    assert "x1bc" in markdown
    assert any(HOSTILE in s for s in _strings(json.loads(summary)))
