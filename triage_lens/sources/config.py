"""Policy files: read YAML safely, validate with :class:`analytics.policy.Policy`, and write it back.

Every YAML the tool reads (the policy, ``triage-lens.yaml``, the what-if editor's text) goes through
:func:`load_yaml_text` / :func:`read_yaml_file`: the safe loader, at most :data:`YAML_MAX_BYTES`, a regular
file only, and no alias bomb — anchors may be reused, but the document they expand to is capped at
:data:`YAML_MAX_NODES` nodes (a billion-laughs file under 1 KB is refused before anything walks it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from analytics.policy import Policy, PolicyError, policy_from_mapping
from triage_lens.resources import default_policy_file

YAML_MAX_BYTES = 256 * 1024
YAML_MAX_NODES = 100_000  # nodes after alias expansion; the shipped policy has about 200
YAML_MAX_DEPTH = 64


class YamlError(ValueError):
    """A YAML text or file that is refused; the message names the source and the reason, on one line."""


def _expanded_size(root: yaml.Node, source: str) -> int:
    """How many nodes the document has once every alias is expanded (PyYAML shares aliased nodes, so a
    walk by pydantic or by us would visit them again and again). Raises :class:`YamlError` past the caps."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise YamlError(f"{source}: refused: a recursive YAML alias")
        if depth > YAML_MAX_DEPTH:
            raise YamlError(f"{source}: refused: nested deeper than {YAML_MAX_DEPTH} levels")
        on_path.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        on_path.discard(key)
        if total > YAML_MAX_NODES:
            raise YamlError(f"{source}: refused: expands to more than {YAML_MAX_NODES:,} values (an alias bomb?)")
        sizes[key] = total
        return total

    return size(root, 0)


_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_text(text: str, source: str) -> Any:
    """Parse ``text`` with the safe loader under the caps; None for an empty document."""
    if len(text.encode("utf-8", errors="surrogatepass")) > YAML_MAX_BYTES:
        raise YamlError(f"{source}: refused: larger than {YAML_MAX_BYTES // 1024} KiB")
    # libyaml's parser when PyYAML has it (ten times faster: a CLI call parses the policy every time)
    loader = _SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: not valid YAML ({' '.join(str(exc).split())[:200]})") from None
    except RecursionError:
        raise YamlError(f"{source}: refused: nested too deeply") from None
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Any:
    """Read a YAML file under the caps: a regular file (never a FIFO or device), at most YAML_MAX_BYTES."""
    try:
        # O_NONBLOCK: opening a FIFO never waits for a writer; fstat on the open file (no swap after the check)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise YamlError(f"{path}: refused: not a regular file")
            if info.st_size > YAML_MAX_BYTES:
                raise YamlError(f"{path}: refused: larger than {YAML_MAX_BYTES // 1024} KiB")
            raw = handle.read(YAML_MAX_BYTES + 1)
    except OSError as exc:
        raise YamlError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > YAML_MAX_BYTES:
        raise YamlError(f"{path}: refused: larger than {YAML_MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return load_yaml_text(text, str(path))


def policy_to_yaml(policy: Policy) -> str:
    """The effective policy as YAML (keys in model order), loadable by :func:`load_policy`."""
    return yaml.safe_dump(policy.model_dump(mode="python"), sort_keys=False, allow_unicode=True, width=120)


def policy_from_yaml(text: str, source: str = "<policy>") -> Policy:
    """Parse YAML text with the safe loader (under the caps) and validate it."""
    try:
        data = load_yaml_text(text, source)
    except YamlError as exc:
        raise PolicyError(str(exc)) from None
    return policy_from_mapping(data, source)


def load_policy(path: Path | None = None) -> Policy:
    """Load ``path`` (default: the shipped ``policy.yml``); unset keys keep the defaults."""
    target = path or default_policy_file()
    try:
        data = read_yaml_file(target)
    except YamlError as exc:
        message = str(exc).replace(": cannot read (", ": cannot read policy file (", 1)
        raise PolicyError(message) from None
    return policy_from_mapping(data, str(target))
