"""The wheel runs outside the checkout (issue 14 item 2).

``uv build`` (the sdist, then the wheel from it, as a user builds it) must carry the policy, the bundled
sample, the entry script and every page; unpacked on its own (``PYTHONPATH`` = the unpacked wheel, the
current venv giving only the dependencies) and run from an unrelated folder, ``misses stats`` reads the
bundled sample, the app renders it, and ``triage-lens dashboard`` answers on ``/_stcore/health``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.registry import PAGES
from tests.conftest import REPO, SAMPLE_DIR


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [sys.executable, "-m", "uv"]
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but uv is missing: the wheel must be built in CI (`make install` installs uv)")
    pytest.skip("building the wheel needs uv (`make install` installs it)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [*_uv(), "build", "--quiet", "--python", sys.executable, "--out-dir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("triage_lens-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


@pytest.fixture
def elsewhere(tmp_path: Path, site: Path) -> tuple[Path, dict[str, str]]:
    """An empty working folder and an environment that sees the unpacked wheel, not the checkout."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_LENS_")}
    # HOME moves too, so a developer's ~/.opensre is not picked up instead of the bundled sample.
    env.update(PYTHONPATH=str(site), HOME=str(folder), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return folder, env


def test_the_wheel_carries_policy_sample_app_and_every_page(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = "triage_lens/_bundled/data/"
    assert bundled + "policy.yml" in names
    sample = {p.relative_to(SAMPLE_DIR).as_posix() for p in SAMPLE_DIR.rglob("*") if p.is_file()}
    assert {"misses.jsonl", "feedback.jsonl", "incidents.jsonl", "events.jsonl", "sample.json"} <= sample
    assert {bundled + "sample/" + name for name in sample} <= names
    pages = sorted(p.name for p in (REPO / "pages").glob("*.py"))
    assert pages == sorted(page.script for page in PAGES)  # every registered page, nothing else
    assert {"dashboard/_pages/" + name for name in pages} <= names
    assert {"dashboard/app.py", "dashboard/registry.py", "triage_lens/__main__.py", "analytics/policy.py"} <= names
    assert not any(n.startswith(("tests/", "bench/", "pages/", "data/")) for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "triage-lens = triage_lens.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_code_finds_its_files_inside_the_wheel(site: Path, elsewhere: tuple[Path, dict[str, str]]) -> None:
    folder, env = elsewhere
    probe = (
        "import json, analytics, dashboard\n"
        "from triage_lens import resources\n"
        "from dashboard.registry import PAGES\n"
        "print(json.dumps({'analytics': analytics.__file__, 'policy': str(resources.default_policy_file()),\n"
        "    'sample': str(resources.bundled_sample_dir()), 'app': str(resources.app_script()),\n"
        "    'pages': [str(p.path) for p in PAGES], 'missing': [str(p.path) for p in PAGES if not p.path.is_file()]}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    root = site.resolve()
    assert found["missing"] == []
    assert len(found["pages"]) == len(PAGES)
    for path in [found["analytics"], found["policy"], found["sample"], found["app"], *found["pages"]]:
        assert Path(path).resolve().is_relative_to(root), path


def test_misses_stats_runs_from_another_folder_on_the_bundled_sample(elsewhere: tuple[Path, dict[str, str]]) -> None:
    folder, env = elsewhere
    result = subprocess.run(
        [sys.executable, "-m", "triage_lens", "misses", "stats", "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    with (SAMPLE_DIR / "misses.jsonl").open(encoding="utf-8") as lines:
        assert stats["total"] == sum(1 for line in lines if line.strip())
    assert sorted(stats) == ["by_taxonomy", "recurring", "total", "unique_alerts"]
    assert list(folder.iterdir()) == []  # nothing written next to the user


def test_the_installed_app_renders_the_bundled_sample(elsewhere: tuple[Path, dict[str, str]]) -> None:
    folder, env = elsewhere
    probe = (
        "import json\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from triage_lens.resources import app_script\n"
        "app = AppTest.from_file(str(app_script()), default_timeout=60).run()\n"
        "print(json.dumps({'exceptions': [e.value for e in app.exception], 'title': app.title[0].value,\n"
        "    'sample_banner': any('Sample data' in w.value for w in app.sidebar.warning),\n"
        "    'metrics': [m.value for m in app.metric]}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["exceptions"] == []
    assert page["title"] == "Overview"
    assert page["sample_banner"] is True
    assert page["metrics"], "the Overview shows no tile"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dashboard_process(
    elsewhere: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    folder, env = elsewhere
    port = _free_port()
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "triage_lens", "dashboard", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # `dashboard` starts streamlit as a child: stop the whole group
        )
    try:
        yield process, f"http://127.0.0.1:{port}", log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_dashboard_command_serves_from_the_wheel(
    dashboard_process: tuple[subprocess.Popen[bytes], str, Path], site: Path
) -> None:
    process, url, log = dashboard_process
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                assert response.read() == b"ok"
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the dashboard did not come up:\n{log.read_text()}")
        time.sleep(0.3)
    # The command names the bundled sample it serves, inside the unpacked wheel.
    assert f"bundled sample data ({site.resolve()}" in log.read_text()
