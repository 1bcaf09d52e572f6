"""Who "mine" is: ``me:`` / ``team:`` in ``triage-lens.yaml``, or ``--me NAME`` given to ``triage-lens dashboard``
(passed on as ``$TRIAGE_LENS_ME``, which wins over the config's ``me``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from triage_lens.sources.config import YamlError, read_yaml_file

if TYPE_CHECKING:
    from triage_lens.sources.loading import DataSources


def who_am_i(sources: DataSources, environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(me, team) for the "mine" filter; None where nothing says."""
    env = os.environ if environ is None else environ
    me: str | None = None
    team: str | None = None
    if sources.origin == "config" and sources.root is not None and sources.root.is_file():
        try:
            raw = read_yaml_file(sources.root)
        except YamlError:
            raw = None  # resolving the sources already read this file; a change since then is not ours to report
        if isinstance(raw, dict):
            me = str(raw["me"]) if raw.get("me") else None
            team = str(raw["team"]) if raw.get("team") else None
    if env.get("TRIAGE_LENS_ME"):
        me = env["TRIAGE_LENS_ME"]
    return me, team
