"""Policy files: read YAML safely, validate with :class:`analytics.policy.Policy`, and write it back."""

from __future__ import annotations

from pathlib import Path

import yaml

from analytics.policy import Policy, PolicyError, policy_from_mapping
from triage_lens.resources import default_policy_file


def policy_to_yaml(policy: Policy) -> str:
    """The effective policy as YAML (keys in model order), loadable by :func:`load_policy`."""
    return yaml.safe_dump(policy.model_dump(mode="python"), sort_keys=False, allow_unicode=True, width=120)


def policy_from_yaml(text: str, source: str = "<policy>") -> Policy:
    """Parse YAML text with the safe loader and validate it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    return policy_from_mapping(data, source)


def load_policy(path: Path | None = None) -> Policy:
    """Load ``path`` (default: the shipped ``policy.yml``); unset keys keep the defaults."""
    target = path or default_policy_file()
    try:
        text = target.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PolicyError(f"{target}: cannot read policy file ({exc.strerror or exc})") from exc
    return policy_from_yaml(text, str(target))
