"""Shared fixtures: an isolated cache and environment for every test, and paths to the shared material."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO / "data" / "sample"
# The shared material sits next to the checkout (/work/shared beside /work/main), or one level up from a
# helper's worktree (/work/wt/<name>).
SHARED = next(
    (p for p in (REPO.parent / "shared", REPO.parent.parent / "shared") if p.is_dir()), REPO.parent / "shared"
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Caches go to a temp dir; no TRIAGE_LENS_* setting leaks in from the developer's shell."""
    cache_home = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    for name in (
        "TRIAGE_LENS_DATA",
        "TRIAGE_LENS_POLICY",
        "TRIAGE_LENS_NOW",
        "TRIAGE_LENS_WRITE",
        "TRIAGE_LENS_NO_CACHE",
    ):
        monkeypatch.delenv(name, raising=False)
    return cache_home


def write_lines(path: Path, *lines: str, bom: bool = False) -> Path:
    """Write ``lines`` joined by newlines (with a trailing newline), optionally with a UTF-8 BOM."""
    text = "\n".join(lines) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path
