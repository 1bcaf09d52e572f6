"""Concurrent browser sessions against one dashboard server (issue 12 item 10, issue 13 item 4).

Starts ``streamlit run dashboard/app.py`` on a data folder, warms it with one visit (the shared data cache is
filled), records the server's RSS as the baseline, then opens N isolated browser sessions (Chromium contexts:
separate cookies and Streamlit sessions) on one page at the same time and times each render (navigation to
the script finishing with the page title shown). It then closes them, waits for Streamlit to drop the sessions
and reports the RSS again.

    .venv/bin/triage-lens sample --out /tmp/s10 --scale 10
    .venv/bin/python -m bench.concurrent_sessions --data /tmp/s10 --sessions 8 --page misses

Prints one JSON object: render seconds per session, RSS (MB) at start, after warm-up (baseline), peak during
the sessions, and after they closed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def rss_mb(pid: int) -> float:
    """Resident set size of one process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakSampler(threading.Thread):
    """Samples a process's RSS every 0.2 s and keeps the maximum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TRIAGE_LENS_DATA=str(data))
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO / "dashboard" / "app.py"),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"streamlit did not come up; see {log}")


async def render(browser: object, url: str, title: str) -> float:
    """Open ``url`` in a fresh context; seconds until the page's script finished with its title shown."""
    context = await browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=300_000)
    await page.wait_for_selector(f"h1:has-text('{title}')", timeout=300_000)
    await page.wait_for_selector(READY, timeout=300_000)
    await page.wait_for_timeout(300)
    await page.wait_for_selector(READY, timeout=300_000)
    elapsed = time.perf_counter() - start - 0.3
    return elapsed, context  # type: ignore[return-value]


async def run(args: argparse.Namespace) -> dict[str, object]:
    from playwright.async_api import async_playwright

    from dashboard.registry import PAGES

    spec = next(p for p in PAGES if p.url_path == args.page)
    port = args.port or free_port()
    log = Path(args.log)
    server = start_server(Path(args.data), port, log)
    url = f"http://127.0.0.1:{port}/{spec.url_path}"
    try:
        start_rss = rss_mb(server.pid)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            warm_seconds, warm = await render(browser, url, spec.title)  # type: ignore[misc]
            await warm.close()
            await asyncio.sleep(args.settle)
            baseline = rss_mb(server.pid)
            sampler = PeakSampler(server.pid)
            sampler.start()
            cpu_before, wall_before = cpu_seconds(server.pid), time.perf_counter()
            results = await asyncio.gather(*(render(browser, url, spec.title) for _ in range(args.sessions)))
            server_cpu = cpu_seconds(server.pid) - cpu_before
            wall = time.perf_counter() - wall_before
            during = rss_mb(server.pid)
            for _, context in results:  # type: ignore[misc]
                await context.close()
            tour: dict[str, float] = {}
            if args.tour:  # then every page in turn, one session: every input loaded
                for other in PAGES:
                    seconds, context = await render(browser, f"http://127.0.0.1:{port}/{other.url_path}", other.title)  # type: ignore[misc]
                    tour[other.url_path] = round(seconds, 2)
                    await context.close()
            await browser.close()
        await asyncio.sleep(args.settle)
        sampler.running = False
        after = rss_mb(server.pid)
        return {
            "data": str(args.data),
            "page": spec.url_path,
            "sessions": args.sessions,
            "warm_up_render_s": round(warm_seconds, 2),
            "render_s": [round(seconds, 2) for seconds, _ in results],  # type: ignore[misc]
            "render_s_max": round(max(seconds for seconds, _ in results), 2),  # type: ignore[misc]
            "server_cpu_s_for_all_sessions": round(server_cpu, 2),
            "wall_s_for_all_sessions": round(wall, 2),
            "load_average_1min": os.getloadavg()[0],
            "cpus": os.cpu_count(),
            "rss_mb_start": round(start_rss),
            "rss_mb_baseline_after_warm_up": round(baseline),
            "rss_mb_peak": round(max(sampler.peak, during)),
            "rss_mb_after_close": round(after),
            "settle_s": args.settle,
            "tour_render_s": tour,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="data folder (e.g. from `triage-lens sample --scale 10`)")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--page", default="misses", help="the page's URL path")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tour", action="store_true", help="after the sessions, visit every page (peak RSS)")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds to wait before RSS readings")
    parser.add_argument("--log", default=str(Path(tempfile.gettempdir()) / "triage-lens-concurrent-sessions.log"))
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
