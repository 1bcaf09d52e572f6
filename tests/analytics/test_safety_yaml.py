"""#12 item 6: every YAML (policy, triage-lens.yaml, the what-if text) under a size cap and without alias bombs."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.policy import PolicyError
from triage_lens.cli.main import cli
from triage_lens.sources.config import YAML_MAX_BYTES, YamlError, load_policy, load_yaml_text, policy_from_yaml

LAUGHS = (
    "a: &a ["
    + ",".join(['"lol"'] * 9)
    + "]\n"
    + "".join(
        f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


def test_the_billion_laughs_document_is_under_1_kb_and_refused_with_small_memory() -> None:
    assert len(LAUGHS) < 1024
    tracemalloc.start()
    try:
        with pytest.raises(YamlError, match=r"^what-if: refused: expands to more than 100,000 values"):
            load_yaml_text(LAUGHS, "what-if")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_small_anchors_still_work_and_recursion_and_depth_are_refused() -> None:
    assert load_yaml_text("base: &b {x: 1}\nother: *b\n", "f") == {"base": {"x": 1}, "other": {"x": 1}}
    assert load_yaml_text("", "f") is None
    with pytest.raises(YamlError, match="recursive YAML alias"):
        load_yaml_text("&a [*a]", "f")
    with pytest.raises(YamlError, match="nested deeper than 64 levels"):
        load_yaml_text("[" * 100 + "]" * 100, "f")
    with pytest.raises(YamlError, match=r"f: refused: larger than 256 KiB"):
        load_yaml_text("# " + "x" * YAML_MAX_BYTES, "f")


def test_the_what_if_editor_text_is_refused_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from_yaml(LAUGHS, "what-if policy")
    assert str(caught.value).startswith("what-if policy: refused: expands to more than")
    assert "\n" not in str(caught.value)


def test_policy_and_config_bombs_are_one_line_errors_naming_the_file(tmp_path: Path) -> None:
    policy = tmp_path / "bomb.yml"
    policy.write_text(LAUGHS, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["--policy", str(policy), "misses", "stats"])
    assert result.exit_code == 2
    assert result.output == f"error: {policy}: refused: expands to more than 100,000 values (an alias bomb?)\n"
    config = tmp_path / "triage-lens.yaml"
    config.write_text(LAUGHS, encoding="utf-8")
    result = runner.invoke(cli, ["--data", str(config), "check"])
    assert result.exit_code == 2
    assert result.output == f"error: {config}: refused: expands to more than 100,000 values (an alias bomb?)\n"
    big = tmp_path / "big.yml"
    big.write_bytes(b"#" * (YAML_MAX_BYTES + 1))
    with pytest.raises(PolicyError, match=r"big.yml: refused: larger than 256 KiB"):
        load_policy(big)


def test_a_fifo_policy_named_by_a_config_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "policy.fifo"
    os.mkfifo(fifo)
    with pytest.raises(PolicyError, match=r"policy.fifo: refused: not a regular file"):
        load_policy(fifo)
    config = tmp_path / "triage-lens.yaml"
    config.write_text("policy: policy.fifo\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--data", str(config), "misses", "stats"])
    assert result.exit_code == 2
    assert result.output == f"error: {fifo}: refused: not a regular file\n"
