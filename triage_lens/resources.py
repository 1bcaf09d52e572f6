"""Where the bundled files live, in a checkout and in an installed wheel.

The wheel carries the default policy and the bundled sample under ``triage_lens/_bundled/data`` and the page
scripts under ``dashboard/_pages`` (see ``[tool.hatch.build.targets.wheel.force-include]``); a checkout keeps
them at the top level (``data/``, ``pages/``). Everything that needs one of them asks here.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


def data_dir() -> Path:
    """The folder holding ``policy.yml`` and ``sample/``."""
    return _first_existing(_PACKAGE / "_bundled" / "data", _CHECKOUT / "data")


def default_policy_file() -> Path:
    """The shipped ``policy.yml`` (the defaults of POLICY.md)."""
    return data_dir() / "policy.yml"


def bundled_sample_dir() -> Path:
    """The bundled sample data folder."""
    return data_dir() / "sample"


def pages_dir() -> Path:
    """The page scripts (``pages/`` in a checkout; ``dashboard/_pages`` in the wheel, away from the entry script)."""
    import dashboard

    return _first_existing(Path(dashboard.__file__).resolve().parent / "_pages", _CHECKOUT / "pages")


def app_script() -> Path:
    """The Streamlit entry script (navigation only)."""
    import dashboard

    return Path(dashboard.__file__).resolve().parent / "app.py"
