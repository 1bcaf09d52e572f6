"""#12 items 2-3: connection passwords never printed, personal data masked in every excerpt and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import write_lines
from triage_lens.cli.main import cli
from triage_lens.sources.readers import ReportItem
from triage_lens.sources.redaction import dsn_secrets, mask_personal, redact, redact_error, report_records
from triage_lens.sources.store import StoreError, init_postgres

SECRET = "p@ssw0rd"
DSN = f"postgresql://bob:{SECRET}@127.0.0.1:1/incidents"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://bob:hunter22@db/app", "postgresql://***@db/app"),
        ("postgresql://bob:p@ss@db.local:5432/app", "postgresql://***@db.local:5432/app"),
        ("postgres://bob@db/app", "postgres://***@db/app"),
        ("postgresql://db/app?sslmode=require&password=hunter22", "postgresql://db/app?sslmode=require&password=***"),
        ("host=db password=hunter22 user=bob", "host=db password=*** user=bob"),
        ("host=db password='hunter 22' user=bob", "host=db password=*** user=bob"),
        ("host=db PASSWORD = hunter22", "host=db PASSWORD = ***"),
        ("reading postgresql://a:b@h/d failed", "reading postgresql://***@h/d failed"),
        # malformed: several "@", or no ":" at all: nothing between "://" and the last "@" survives
        ("postgresql://alice:S3cr@tPW@127.0.0.1:1/db", "postgresql://***@127.0.0.1:1/db"),
        ("postgresql://S3cr@tPW@127.0.0.1:1/db", "postgresql://***@127.0.0.1:1/db"),
        ("x postgresql://a:b@c:d@@h/db y", "x postgresql://***@h/db y"),
        ("no secret here: bob@example.com", "no secret here: bob@example.com"),
    ],
)
def test_redact_masks_userinfo_and_keyword_passwords(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_error_masks_password_fragments_a_driver_quotes() -> None:
    # what psycopg says for DSN: libpq splits at the first "@" and quotes the rest of the password as a host
    message = "failed to resolve host 'ssw0rd@127.0.0.1': [Errno -2] Name or service not known\n\tmore"
    assert (
        redact_error(message, [DSN])
        == "failed to resolve host '***@127.0.0.1': [Errno -2] Name or service not known more"
    )
    assert dsn_secrets("postgresql://u:a%40bcd@h/d") == ["u:a%40bcd", "a%40bcd", "u:a@bcd", "bcd"]
    # fragments are masked as whole words only: "ss" of a password does not mangle "address"
    assert redact_error("bad address 'ss'", ["postgresql://u:p@ss@h/d"]) == "bad address '***'"


def test_a_refused_connection_with_an_at_sign_in_the_password_never_shows_it() -> None:
    with pytest.raises(StoreError) as caught:
        init_postgres(DSN)
    message = str(caught.value)
    assert "ssw0rd" not in message and SECRET not in message
    assert message.startswith("cannot connect to postgresql://***@127.0.0.1:1/incidents: ")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_store_init_and_check_never_print_the_password(tmp_path: Path) -> None:
    runner = CliRunner()
    for dsn in (DSN, "postgresql://bob@127.0.0.1:1/x?password=topsecret99"):
        result = runner.invoke(cli, ["store", "init", "--dsn", dsn])
        assert result.exit_code == 1
        assert "ssw0rd" not in result.output and "topsecret99" not in result.output
        assert result.output.startswith("error: cannot connect to postgresql://***@127.0.0.1:1/")
    result = runner.invoke(cli, ["store", "init", "--dsn", "mysql://bob:hunter22@db/x"])
    assert result.exit_code == 2 and "hunter22" not in result.output
    config = tmp_path / "triage-lens.yaml"
    config.write_text(f"incidents: {DSN}\n", encoding="utf-8")
    text = runner.invoke(cli, ["--data", str(config), "check"])
    payload = runner.invoke(cli, ["--data", str(config), "check", "--json"])
    for output in (text.output, payload.output):
        assert "ssw0rd" not in output and SECRET not in output
        assert "postgresql://***@127.0.0.1:1/incidents" in output
    assert "Data:   config " in text.output and "incident store postgresql://***@" in text.output


EMAIL_LINE = (
    '{"feedback_id": "f1", "timestamp": "2026-06-02T10:00:00Z", "user_id": "u-4711", '
    '"user_email": "alice@corp.example", "validity_score": "high", "rating": "accurate"}'
)


def test_mask_personal_in_whole_and_broken_json() -> None:
    assert mask_personal(EMAIL_LINE) == (
        '{"feedback_id": "f1", "timestamp": "2026-06-02T10:00:00Z", "user_id": "***", '
        '"user_email": "***", "validity_score": "high", "rating": "accurate"}'
    )
    assert mask_personal('{"a": 1, "user_id": 4711, "user_email": "alice@corp.exa') == (
        '{"a": 1, "user_id": "***", "user_email": "***"'
    )
    assert mask_personal('{"user_email": "al\\"ice@x.io", "b": 2}') == '{"user_email": "***", "b": 2}'
    assert mask_personal('{"user_email":null}') == '{"user_email":"***"}'
    assert mask_personal("not json: write to alice@corp.example") == "not json: write to ***"
    # asked for: left as is
    assert mask_personal(EMAIL_LINE, ["user_email", "user_id"]) == EMAIL_LINE
    assert '"user_email": "alice@corp.example"' in mask_personal(EMAIL_LINE, ["user_email"])
    assert '"user_id": "***"' in mask_personal(EMAIL_LINE, ["user_email"])


def test_report_records_mask_excerpts() -> None:
    item = ReportItem("f.jsonl", 3, "field 'validity_score' is string", EMAIL_LINE[:120], "flagged")
    (record,) = report_records([item])
    assert record == {
        "file": "f.jsonl",
        "line": 3,
        "reason": "field 'validity_score' is string",
        "excerpt": '{"feedback_id": "f1", "timestamp": "2026-06-02T10:00:00Z", "user_id": "***", "user_email": "***", "val',
        "action": "flagged",
    }


def test_check_masks_personal_data_in_excerpts_unless_asked(tmp_path: Path) -> None:
    write_lines(tmp_path / "feedback.jsonl", EMAIL_LINE, '{"feedback_id": "f2", "user_email": "bob@corp.example", ')
    runner = CliRunner()
    text = runner.invoke(cli, ["--data", str(tmp_path), "check"]).output
    payload = json.loads(runner.invoke(cli, ["--data", str(tmp_path), "check", "--json"]).output)
    excerpts = [item["excerpt"] for item in payload["items"]]
    assert len(excerpts) == 2
    for output in (text, json.dumps(payload)):
        assert "alice@corp.example" not in output and "u-4711" not in output and "bob@corp.example" not in output
    assert '"user_email": "***"' in excerpts[0] and '"user_id": "***"' in excerpts[0]
    shown = runner.invoke(cli, ["--data", str(tmp_path), "check", "--show", "user_email"]).output
    assert "alice@corp.example" in shown and "u-4711" not in shown


def test_redact_masks_fragments_of_a_malformed_dsn_quoted_in_the_same_text() -> None:
    text = "postgresql://alice:S3cr@tPW@127.0.0.1:1/db: cannot connect: failed to resolve host 'tPW@127.0.0.1'"
    assert redact(text) == "postgresql://***@127.0.0.1:1/db: cannot connect: failed to resolve host '***@127.0.0.1'"


def test_import_to_a_malformed_dsn_never_prints_any_part_of_its_credentials(tmp_path: Path) -> None:
    export = tmp_path / "statuspage.json"
    export.write_text(json.dumps({"incidents": []}), encoding="utf-8")
    for dsn in ("postgresql://alice:S3cr@tPW@127.0.0.1:1/db", "postgresql://S3cr@tPW@127.0.0.1:1/db"):
        result = CliRunner().invoke(cli, ["import", "statuspage", str(export), "--out", dsn])
        assert result.exit_code == 1, result.output
        for piece in ("tPW", "S3cr", "alice"):
            assert piece not in result.output
        assert "postgresql://***@127.0.0.1:1/db" in result.output


def test_every_cli_text_write_is_redacted_at_the_output_choke_point() -> None:
    import io

    from triage_lens.cli.common import SafeTextStream

    inner = io.StringIO()
    stream = SafeTextStream(inner)
    stream.write("wrote 3 → postgresql://alice:S3cr@tPW@db/x\n")
    stream.write("host=db password=hunter22\n")
    assert inner.getvalue() == "wrote 3 → postgresql://***@db/x\nhost=db password=***\n"
