"""The one page registry: every page of PRODUCT.md, titled as PRODUCT.md names them.

``app.py`` builds ``st.navigation`` from it and the tests walk it, so a page cannot exist without being
registered, tested and reachable from the sidebar.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from triage_lens.resources import pages_dir

PAGES_DIR = pages_dir()
# What a page that raised shows instead of a traceback (dashboard/app.py); the details go to the terminal's log.
PAGE_ERROR = (
    "This page hit an unexpected problem and stopped. The other pages still work; the details are in the "
    "terminal that runs the dashboard."
)


@dataclass(frozen=True)
class PageSpec:
    """One page: its script, sidebar title, icon, URL path and what it is for."""

    script: str
    title: str
    icon: str
    url_path: str
    purpose: str
    needs: tuple[str, ...]

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.script


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "overview.py",
        "Overview",
        ":material/dashboard:",
        "overview",
        "This week vs last: misses, pair fix rate, RCA accuracy with intervals, open incidents, the severity "
        "header, top recurring pairs and high-recurrence buckets — each tile linking to its page.",
        ("misses", "feedback", "incidents", "error_ledger"),
    ),
    PageSpec(
        "misses.py",
        "Misses",
        ":material/error:",
        "misses",
        "Weekly taxonomy trend, recurring (alert, taxonomy) pairs with lifecycle badges (new / ongoing / "
        "escalating / regressed / quiet), and the miss table with a detail panel; CSV and JSON downloads.",
        ("misses",),
    ),
    PageSpec(
        "scenarios.py",
        "Scenarios",
        ":material/science:",
        "scenarios",
        "Top-N recurring pairs as benchmark scenarios, the alert.json preview, ZIP download with the same tree "
        "as `opensre misses export`, and coverage from a scenarios folder (covered, time to coverage, fix held).",
        ("misses",),
    ),
    PageSpec(
        "benchmark_runs.py",
        "Benchmark runs",
        ":material/fact_check:",
        "runs",
        "Pass rate per benchmark run over the exported scenarios, two runs compared (regressions first), the "
        "scenario × run grid with its CSV, and the funnel per recurring pair: missed → exported → passing → held.",
        ("misses",),
    ),
    PageSpec(
        "confidence.py",
        "Confidence",
        ":material/verified:",
        "confidence",
        "Band distribution, calibration of each band against human ratings (with intervals), the sufficiency "
        "gate audit, what-if thresholds, single-source high-confidence results and one investigation's detail.",
        ("investigations", "feedback"),
    ),
    PageSpec(
        "incidents.py",
        "Incidents",
        ":material/emergency:",
        "incidents",
        "The incident table; pick one to see related incidents with a per-rule score breakdown, a timeline "
        "around it and its cluster.",
        ("incidents", "events"),
    ),
    PageSpec(
        "recurrence.py",
        "Recurrence",
        ":material/repeat:",
        "recurrence",
        "7-day and 30-day recurrence by signature, kind and service with warn/high levels, root-cause buckets "
        "with recommendations, and the follow-up preview.",
        ("incidents",),
    ),
    PageSpec(
        "digest_gate.py",
        "Digest & gate",
        ":material/summarize:",
        "digest",
        "The weekly incident digest (Markdown and JSON) for a chosen week and the release-gate check per "
        "service and profile.",
        ("incidents", "events"),
    ),
    PageSpec(
        "error_severity.py",
        "Error severity",
        ":material/local_fire_department:",
        "severity",
        "Current-state severity per provider (last 24 hours vs 7 days), the digest header, spikes, trends, "
        "samples, and the backtest of the legacy 7-day-average rule against the current one.",
        ("error_ledger",),
    ),
    PageSpec(
        "data_policy.py",
        "Data & policy",
        ":material/database:",
        "data",
        "Which sources are loaded (rows, time span, file), the quarantine report of bad lines and fields, and "
        "the effective policy with what-if edits.",
        ("misses", "feedback", "investigations", "incidents", "events", "error_ledger"),
    ),
)

PAGES_BY_SCRIPT: dict[str, PageSpec] = {p.script: p for p in PAGES}
