"""The dashboard in a real browser: first and warm visits at 1M misses, and concurrent sessions (issues 12, 13, 21).

Starts the dashboard as ``make run`` does (``triage-lens dashboard``: Streamlit with the start-up warm-up of
``dashboard/serve.py``; ``TRIAGE_LENS_WARM_UP=0`` turns it off) on a data folder and drives Debian's Chromium
(headless, Playwright).

* ``--big DIR`` (e.g. the 1M-miss ``.bench-data/ingest-real-1000000``): for each page of ``--pages`` a fresh server
  on an empty Triage Lens cache (its own ``XDG_CACHE_HOME``), then

  - **first visit**: a new browser profile opens the page (``?range=all`` unless ``--big-query`` says otherwise:
    a real-shaped file's misses are months old, and the default range would show none); the server builds the
    Parquet cache (cold);
  - **warm, same browser**: a new tab of that browser (a new Streamlit session; the browser's HTTP cache holds the
    front end, as for a user coming back);
  - **warm, new browser**: a new browser profile (a new Streamlit session that downloads the front end again);

  with the server's CPU seconds for each visit and its peak RSS (sampled every 0.1 s from start to stop). The
  same run times ``pl.read_ndjson`` of the folder's ``misses.jsonl`` in a fresh process (the issue's yardstick).
* ``--floor N`` (default 3): Streamlit's own floor in the same run, an app of one title and one line served with
  the dashboard's options: a first visit, ``N`` warm visits in the same browser, one in a new profile.
* ``--small DIR`` (e.g. ``triage-lens sample --scale 10``): one warm-up visit, then ``--sessions`` new browser
  profiles on the first page of ``--pages`` at once: seconds per session and server CPU seconds per view.

A visit is done the way Streamlit's own end-to-end suite waits (``e2e_playwright/conftest.py``,
``wait_for_app_run``), never after a fixed sleep: the page's title is shown (the script has run this far), the app
is connected and its script state is ``notRunning``, the running indicator is gone, no element is still a loading
skeleton and the main element is visible.

    .venv/bin/triage-lens sample --out /tmp/s10 --scale 10 --seed 7
    .venv/bin/python -m bench.concurrent_sessions --big .bench-data/ingest-real-1000000 --small /tmp/s10

Prints one table (and ``--json PATH`` writes every number), with the load average at start and end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
APP = "[data-testid='stApp']"
RUNNING = "[data-testid='stStatusWidgetRunningIcon'], [data-testid='stStatusWidgetRunningManIcon']"  # the indicator
# Done: connected, the run finished, no running indicator, no skeleton, the main element shown (as Streamlit's e2e).
VISIT_DONE = f"""() => {{
    const app = document.querySelector("{APP}");
    const main = document.querySelector("[data-testid='stMain']");
    return !!app && !!main && main.offsetParent !== null
        && app.getAttribute("data-test-connection-state") === "CONNECTED"
        && app.getAttribute("data-test-script-state") === "notRunning"
        && !document.querySelector("{RUNNING}")
        && !document.querySelector("[data-testid='stSkeleton']");
}}"""
TIMEOUT_MS = 600_000  # a ceiling for a loaded machine, not a delay


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


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


class PeakSampler(threading.Thread):
    """Samples a process's RSS every 0.1 s and keeps the maximum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    cache_home: Path | None  # the empty XDG_CACHE_HOME this server was given (removed at stop), or None
    sampler: PeakSampler
    launched: float  # time.perf_counter() when the process was started

    def stop(self) -> None:
        self.sampler.running = False
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.cache_home is not None:
            shutil.rmtree(self.cache_home, ignore_errors=True)


FLOOR_APP = 'import streamlit as st\n\nst.title("Floor")\nst.write("One line of text.")\n'


def start_server(data: Path, log: Path, *, fresh_cache: bool, app: Path | None = None) -> Server:
    """``triage-lens dashboard`` on ``data``; with ``fresh_cache`` on an empty Triage Lens cache of its own.
    With ``app``, ``streamlit run app`` instead, with the options ``triage-lens dashboard`` passes."""
    port = free_port()
    launched = time.perf_counter()
    env = dict(os.environ, TRIAGE_LENS_DATA=str(data))
    cache_home = Path(tempfile.mkdtemp(prefix="triage-lens-bench-cache-")) if fresh_cache else None
    if cache_home is not None:
        env["XDG_CACHE_HOME"] = str(cache_home)
    if app is None:  # as `make run` starts it: the warm-up beside Streamlit (TRIAGE_LENS_WARM_UP=0 turns it off)
        command = [str(Path(sys.executable).with_name("triage-lens")), "dashboard", "--port", str(port)]
    else:
        from triage_lens.cli.dashboard import STREAMLIT_OPTIONS

        options = [f"--{name}={value}" for name, value in STREAMLIT_OPTIONS.items()]
        command = [sys.executable, "-m", "streamlit", "run", str(app), *options, f"--server.port={port}"]
    with log.open("a") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    sampler = PeakSampler(process.pid)
    sampler.start()
    server = Server(process, f"http://127.0.0.1:{port}", cache_home, sampler, launched)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise SystemExit(f"streamlit did not come up; see {log}")


async def visit(context: Any, url: str, title: str) -> tuple[float, Any]:
    """Open ``url`` in a new tab of ``context``; seconds until the visit is done (see the module docstring)."""
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    await page.locator("h1", has_text=title).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    await page.wait_for_function(VISIT_DONE, timeout=TIMEOUT_MS, polling=50)
    seconds = time.perf_counter() - start
    if await page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count():
        raise SystemExit(f"{url}: the page shows an error")
    return seconds, page


async def new_profile(browser: Any) -> Any:
    """A new browser profile: its own cookies and HTTP cache (an isolated Chromium context)."""
    return await browser.new_context(viewport={"width": 1440, "height": 900})


async def timed(server: Server, coroutine: Any) -> tuple[float, float, Any]:
    """(seconds, server CPU seconds, page) of one visit."""
    cpu = cpu_seconds(server.process.pid)
    seconds, page = await coroutine
    return seconds, cpu_seconds(server.process.pid) - cpu, page


def read_ndjson_seconds(path: Path) -> dict[str, float]:
    """``pl.read_ndjson`` of ``path`` in a fresh process (second of two runs: the file in the page cache)."""
    code = (
        "import resource, sys, time, polars as pl\n"
        "t = time.perf_counter(); frame = pl.read_ndjson(sys.argv[1]); s = time.perf_counter() - t\n"
        "print(s, frame.height, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = ""
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True).stdout
    seconds, rows, rss = out.split()
    return {"seconds": round(float(seconds), 2), "rows": int(rows), "rss_mb": round(float(rss))}


async def big_data(browser: Any, args: argparse.Namespace, pages: list[Any], log: Path) -> dict[str, Any]:
    """First visit (cold cache) and warm visits of each page on the big folder, a fresh server per page."""
    data = Path(args.big)
    misses = data / "misses.jsonl"
    result: dict[str, Any] = {
        "data": str(data),
        "query": args.big_query,
        "file_mb": round(misses.stat().st_size / 1e6) if misses.is_file() else None,
        "load_at_start": load_average(),
        "read_ndjson": read_ndjson_seconds(misses) if misses.is_file() else None,
        "pages": {},
    }
    for spec in pages:
        server = start_server(data, log, fresh_cache=True)
        url = f"{server.url}/{spec.url_path}" + (f"?{args.big_query}" if args.big_query else "")
        try:
            profile = await new_profile(browser)
            up = time.perf_counter() - server.launched  # the server answers its health check
            await asyncio.sleep(args.arrive_after)  # a user who opens the page a little after `make run`
            first = await timed(server, visit(profile, url, spec.title))
            from_launch = time.perf_counter() - server.launched  # what `make run` then a browser waits
            cpu_from_launch = cpu_seconds(server.process.pid)
            await first[2].close()  # the tab closed, as a user leaving; the browser keeps its HTTP cache
            again = await timed(server, visit(profile, url, spec.title))  # a new tab: a new Streamlit session
            await again[2].close()
            other = await new_profile(browser)
            fresh = await timed(server, visit(other, url, spec.title))
            await profile.close()
            await other.close()
            await asyncio.sleep(args.settle)
            result["pages"][spec.url_path] = {
                "first_visit_s": round(first[0], 2),
                "server_up_s": round(up, 2),
                "arrive_after_s": args.arrive_after,
                "first_visit_from_launch_s": round(from_launch, 2),
                "first_visit_from_launch_server_cpu_s": round(cpu_from_launch, 2),
                "first_visit_server_cpu_s": round(first[1], 2),
                "warm_same_browser_s": round(again[0], 2),
                "warm_same_browser_server_cpu_s": round(again[1], 2),
                "warm_new_browser_s": round(fresh[0], 2),
                "warm_new_browser_server_cpu_s": round(fresh[1], 2),
                "server_rss_mb_peak": round(server.sampler.peak),
                "server_rss_mb_after": round(rss_mb(server.process.pid)),
                "load": load_average(),
            }
        finally:
            server.stop()
    return result


async def floor(browser: Any, args: argparse.Namespace, log: Path) -> dict[str, Any]:
    """Streamlit's own floor on this machine, in the same run: an app of one title and one line of text, served
    with the dashboard's options and timed with the same waits (first visit, then ``--floor`` warm visits in the
    same browser, then one in a new profile). A page cannot be drawn faster than this."""
    folder = Path(tempfile.mkdtemp(prefix="triage-lens-bench-floor-"))
    app = folder / "floor.py"
    app.write_text(FLOOR_APP)
    server = start_server(folder, log, fresh_cache=False, app=app)
    try:
        profile = await new_profile(browser)
        first, page = await visit(profile, server.url, "Floor")
        await page.close()
        warm: list[float] = []
        for _ in range(args.floor):
            seconds, page = await visit(profile, server.url, "Floor")
            warm.append(seconds)
            await page.close()
        other = await new_profile(browser)
        fresh, _ = await visit(other, server.url, "Floor")
        await profile.close()
        await other.close()
        return {
            "first_visit_s": round(first, 2),
            "warm_same_browser_s": [round(s, 2) for s in warm],
            "warm_new_browser_s": round(fresh, 2),
            "load": load_average(),
        }
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def concurrent(browser: Any, args: argparse.Namespace, spec: Any, log: Path) -> dict[str, Any]:
    """One warm-up visit, then ``--sessions`` new browser profiles on ``spec`` at once."""
    server = start_server(Path(args.small), log, fresh_cache=False)
    url = f"{server.url}/{spec.url_path}"
    try:
        warm_profile = await new_profile(browser)
        warm_up, _ = await visit(warm_profile, url, spec.title)
        await warm_profile.close()
        await asyncio.sleep(args.settle)
        baseline = rss_mb(server.process.pid)
        server.sampler.peak = baseline
        profiles = [await new_profile(browser) for _ in range(args.sessions)]
        cpu, wall = cpu_seconds(server.process.pid), time.perf_counter()
        results = await asyncio.gather(*(visit(profile, url, spec.title) for profile in profiles))
        server_cpu, wall = cpu_seconds(server.process.pid) - cpu, time.perf_counter() - wall
        peak = max(server.sampler.peak, rss_mb(server.process.pid))
        for profile in profiles:
            await profile.close()
        tour: dict[str, float] = {}
        if args.tour:  # then every page in turn, one session: every input loaded
            from dashboard.registry import PAGES

            profile = await new_profile(browser)
            for other in PAGES:
                tour_seconds, _ = await visit(profile, f"{server.url}/{other.url_path}", other.title)
                tour[other.url_path] = round(tour_seconds, 2)
            await profile.close()
        await asyncio.sleep(args.settle)
        seconds = [s for s, _ in results]
        return {
            "data": str(args.small),
            "page": spec.url_path,
            "sessions": args.sessions,
            "warm_up_s": round(warm_up, 2),
            "session_s": [round(s, 2) for s in seconds],
            "session_s_min": round(min(seconds), 2),
            "session_s_max": round(max(seconds), 2),
            "server_cpu_s_all": round(server_cpu, 2),
            "server_cpu_s_per_view": round(server_cpu / args.sessions, 2),
            "wall_s_all": round(wall, 2),
            "server_rss_mb_baseline": round(baseline),
            "server_rss_mb_peak": round(peak),
            "server_rss_mb_after_close": round(rss_mb(server.process.pid)),
            "tour_s": tour,
            "load": load_average(),
        }
    finally:
        server.stop()


def table(result: dict[str, Any]) -> str:
    """The numbers as one Markdown table."""
    rows = ["| what | seconds | server CPU s | server RSS MB (peak) | load |", "|---|---:|---:|---:|---:|"]
    big = result.get("big")
    if big:
        nd = big["read_ndjson"]
        if nd:
            rows.append(
                f"| `pl.read_ndjson` of misses.jsonl ({big['file_mb']} MB, {nd['rows']:,} rows), fresh process "
                f"| {nd['seconds']} | | {nd['rss_mb']} | {big['load_at_start']} |"
            )
        for page, p in big["pages"].items():
            rss, load = p["server_rss_mb_peak"], p["load"]
            rows += [
                f"| {page}: first visit (cache empty: builds it)"
                + (f", {p['arrive_after_s']:g} s after the server is up" if p["arrive_after_s"] else "")
                + f" | {p['first_visit_s']} "
                f"| {p['first_visit_server_cpu_s']} | {rss} | {load} |",
                f"| {page}: the same, counted from the server's launch (up after {p['server_up_s']} s) "
                f"| {p['first_visit_from_launch_s']} | {p['first_visit_from_launch_server_cpu_s']} | | |",
                f"| {page}: warm, new session in the same browser | {p['warm_same_browser_s']} "
                f"| {p['warm_same_browser_server_cpu_s']} | | |",
                f"| {page}: warm, new browser profile (front end downloaded again) | {p['warm_new_browser_s']} "
                f"| {p['warm_new_browser_server_cpu_s']} | | |",
            ]
    low = result.get("floor")
    if low:
        warm = low["warm_same_browser_s"]
        rows += [
            f"| Streamlit's floor (one title, one line): first visit | {low['first_visit_s']} | | | {low['load']} |",
            f"| Streamlit's floor: warm, same browser ({len(warm)} visits) | {min(warm)}–{max(warm)} | | | |",
            f"| Streamlit's floor: warm, new browser profile | {low['warm_new_browser_s']} | | | |",
        ]
    small = result.get("small")
    if small:
        rows.append(
            f"| {small['page']}: {small['sessions']} sessions at once ({Path(small['data']).name}), each "
            f"| {small['session_s_min']}–{small['session_s_max']} | {small['server_cpu_s_per_view']} per view "
            f"| {small['server_rss_mb_peak']} (baseline {small['server_rss_mb_baseline']}) | {small['load']} |"
        )
    return "\n".join(rows)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from dashboard.registry import PAGES

    by_path = {p.url_path: p for p in PAGES}
    pages = [by_path[name] for name in args.pages.split(",")]
    log = Path(args.log)
    log.write_text("")
    result: dict[str, Any] = {"cpus": os.cpu_count(), "load_at_start": load_average()}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            if args.big:
                result["big"] = await big_data(browser, args, pages, log)
            if args.floor:
                result["floor"] = await floor(browser, args, log)
            if args.small:
                result["small"] = await concurrent(browser, args, pages[0], log)
        finally:
            await browser.close()
    result["load_at_end"] = load_average()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", help="a folder with a large misses.jsonl: first and warm visits")
    parser.add_argument(
        "--big-query",
        default="range=all",
        help="the query of the --big visits (default range=all: every miss of the file in the view, whatever now is)",
    )
    parser.add_argument("--small", "--data", help="a folder for the concurrent sessions (`sample --scale 10`)")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument(
        "--arrive-after",
        type=float,
        default=0.0,
        help="seconds between the server answering and the first visit (default 0: at once, the worst case)",
    )
    parser.add_argument(
        "--pages", "--page", default="misses,overview", help="URL paths; the first is the concurrent one"
    )
    parser.add_argument(
        "--floor",
        type=int,
        default=3,
        help="warm visits of a one-line Streamlit app in the same run (Streamlit's own floor; 0: skip)",
    )
    parser.add_argument("--tour", action="store_true", help="after the sessions, visit every page (peak RSS)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait before RSS readings")
    parser.add_argument("--json", help="write every number to this file")
    parser.add_argument("--log", default=str(Path(tempfile.gettempdir()) / "triage-lens-concurrent-sessions.log"))
    args = parser.parse_args()
    if not (args.big or args.small):
        parser.error("give --big DIR, --small DIR or both")
    if args.floor < 0:
        parser.error("--floor: a number of visits, 0 or more")
    result = asyncio.run(run(args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"load average {result['load_at_start']} at start, {result['load_at_end']} at end; {result['cpus']} CPUs")
    print(table(result))


if __name__ == "__main__":
    main()
