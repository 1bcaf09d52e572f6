"""Policy: the shipped defaults equal RULES.md/POLICY.md; bad keys and types are errors naming file and key."""

from __future__ import annotations

import inspect
import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest
import yaml

from analytics.buckets import BucketOptions
from analytics.confidence import GateOptions
from analytics.correlation import CorrelationOptions
from analytics.learning import learning_trend, lifecycle_options, pair_lifecycle
from analytics.policy import Policy, PolicyError
from analytics.recurrence import RecurrenceOptions
from analytics.severity import SeverityOptions
from tests.conftest import SHARED
from triage_lens.resources import default_policy_file
from triage_lens.sources.config import load_policy, policy_from_yaml, policy_to_yaml


def test_defaults_are_the_numbers_of_rules_md() -> None:
    p = Policy()
    assert (p.confidence.high, p.confidence.medium) == (0.75, 0.40)
    assert (p.confidence.gate.high_min_validated, p.confidence.gate.medium_min_validated) == (1, 2)
    assert p.confidence.gate.bypass_categories == ["healthy", "unknown"]
    assert p.confidence.gate.prefix == "Most likely:"
    assert [(r.name, r.weight) for r in p.correlation.rules] == [
        ("same_signature", 100),
        ("same_service_and_kind", 60),
        ("same_service_time_cluster", 40),
        ("same_kind_cross_service", 30),
    ]
    assert [r.match.within_minutes for r in p.correlation.rules] == [None, None, 180, 120]
    assert (p.correlation.lookback_days, p.correlation.max_related, p.correlation.min_score) == (30, 10, 20)
    assert p.recurrence.windows_days == [7, 30]
    assert (p.recurrence.thresholds.signature.warn, p.recurrence.thresholds.signature.high) == (3, 6)
    assert (p.recurrence.thresholds.kind.warn, p.recurrence.thresholds.kind.high) == (5, 10)
    assert p.buckets.min_count == {7: 3, 30: 6}
    assert p.release_gate.recurrence_watch.profiles == {"dev": "warn", "staging": "strict", "prod": "warn"}
    assert p.release_gate.recurrence_watch.fail_on_severity_in == ["P0", "P1"]
    s = p.severity
    assert (s.critical_24h, s.warning_24h, s.spike_factor, s.spike_min_24h) == (10, 3, 3.0, 3)
    assert (s.historical_7d, s.recurring_error_type_7d, s.samples_top, s.sample_chars) == (50, 5, 3, 120)
    assert (s.trend_rising, s.trend_falling) == (1.5, 0.5)
    assert (s.legacy.critical_avg_daily, s.legacy.warning_avg_daily) == (50, 10)
    assert s.excluded_categories == ["config_cleanup"]
    assert (p.misses.regression_gap_days, p.misses.quiet_after_days, p.misses.new_within_days) == (14, 14, 7)
    assert (p.misses.escalating_min, p.misses.escalating_factor) == (3, 2.0)
    assert p.incidents.open_statuses == ["open", "mitigating"]
    assert list(p.incidents.kind_keywords)[:3] == ["oom", "crashloop", "disk"]


def _defaults_as_written() -> dict:
    """``Policy()`` dumped as POLICY.md writes it: every key, except that a correlation rule's ``match`` lists
    only the conditions it sets (``{signature: true}``)."""
    policy = Policy()
    dumped = policy.model_dump()
    for rule, written in zip(policy.correlation.rules, dumped["correlation"]["rules"], strict=True):
        written["match"] = rule.match.model_dump(exclude_defaults=True)
    return dumped


def test_shipped_policy_file_lists_every_model_default_key_for_key() -> None:
    # One source: the pydantic defaults. The shipped file must spell out every one of them (not lean on them).
    shipped = yaml.safe_load(default_policy_file().read_text(encoding="utf-8"))
    assert shipped == _defaults_as_written()
    assert load_policy(default_policy_file()) == Policy()


@pytest.mark.skipif(not (SHARED / "spec" / "POLICY.md").exists(), reason="shared/spec/POLICY.md not present")
def test_policy_md_block_is_the_model_defaults() -> None:
    text = (SHARED / "spec" / "POLICY.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    written = _defaults_as_written()
    written.pop("import")  # issue 15 adds the `import:` section, which POLICY.md predates
    written.pop("limits")  # issue 24 adds the `limits:` section (reader caps, docs/limits.md)
    written.pop("followups")  # issue 23 adds followups.held_days and confidence.weak_source_score (docs/traces.md)
    written["confidence"].pop("weak_source_score")
    assert yaml.safe_load(block.group(1)) == written


def test_every_options_class_defaults_to_the_policy() -> None:
    # The analytics modules keep no numbers of their own: their options come from the policy models.
    p = Policy()
    assert GateOptions.from_policy() == GateOptions.from_policy(p.confidence)
    assert SeverityOptions.from_policy() == SeverityOptions.from_policy(p.severity)
    assert RecurrenceOptions.from_policy() == RecurrenceOptions.from_policy(p.recurrence)
    assert CorrelationOptions.from_policy() == CorrelationOptions.from_policy(p.correlation)
    assert BucketOptions.from_policy() == BucketOptions.from_policy(p)
    for options in (GateOptions, SeverityOptions, RecurrenceOptions, CorrelationOptions, BucketOptions):
        assert all(f.default is MISSING for f in fields(options)), f"{options.__name__} has a default of its own"
    lifecycle = inspect.signature(pair_lifecycle).parameters
    assert {name: lifecycle[name].default for name in lifecycle_options(p.misses)} == lifecycle_options(p.misses)
    assert inspect.signature(learning_trend).parameters["z"].default == p.confidence.wilson_z


def test_a_min_count_without_one_window_keeps_that_windows_default(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("buckets:\n  min_count: {7: 5}\n")
    options = BucketOptions.from_policy(load_policy(path))
    assert (options.min_7d, options.min_30d) == (5, 6)


def test_a_partial_file_keeps_the_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("severity:\n  critical_24h: 20\n")
    policy = load_policy(path)
    assert policy.severity.critical_24h == 20
    assert policy.severity.warning_24h == 3
    assert policy.misses == Policy().misses


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("severity:\n  critical_24hours: 20\n")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value) == f"{path}: unknown key 'severity.critical_24hours'"


def test_wrong_type_names_the_key_the_file_and_the_value(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("misses:\n  quiet_after_days: two weeks\n")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value) == (
        f"{path}: invalid value for 'misses.quiet_after_days': Input should be a valid integer (got 'two weeks')"
    )


def test_unknown_top_level_section_and_bad_yaml() -> None:
    with pytest.raises(PolicyError, match=r"^p.yml: unknown key 'alerts'$"):
        policy_from_yaml("alerts: {}\n", "p.yml")
    with pytest.raises(PolicyError, match=r"^p.yml: not valid YAML"):
        policy_from_yaml("misses: [\n", "p.yml")
    with pytest.raises(PolicyError, match=r"^p.yml: the policy must be a mapping of keys, got list$"):
        policy_from_yaml("- 1\n", "p.yml")


def test_yaml_is_loaded_safely() -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        policy_from_yaml("misses: !!python/object/apply:os.system ['echo hi']\n", "p.yml")


def test_effective_policy_round_trips_through_yaml() -> None:
    assert policy_from_yaml(policy_to_yaml(Policy())) == Policy()
