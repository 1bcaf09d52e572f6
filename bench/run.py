"""Benchmark: time every analytic and every page at a stated data size, against the plain-Python references.

    python -m bench.run --scale 100          # 1M misses, 2.5M feedback, 200k incidents, 10M ledger rows
    python -m bench.run --scale 10 --skip-pages

Data is generated with ``triage-lens sample --scale S`` into ``.bench-data/scale-S`` and reused when its
``sample.json`` matches. Every step runs in this process, warm (a first untimed run) unless it says cold.
References are the plain-Python implementations the property tests use, at the same size (capped: 1M rows,
and 3 000 incidents for the O(n²) pairwise clustering); nothing is extrapolated. Peak RSS is sampled from
/proc every 5 ms during the step. Prints a table and writes ``results-scale-S.json`` beside the data.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO / ".bench-data"
REFERENCE_CAP = 1_000_000
PAIRWISE_CAP = 3_000
SPEEDUP_TARGET = 20.0
SPEEDUP_FROM_ROWS = 100_000
# Profiles behind the speedups that stay under 20× (measured here, 2 cores; see docs/performance.md).
EXPLAINED = {
    "timestamp parsing": (
        "Polars' native parse of '%Y-%m-%dT%H:%M:%S%.f%z' costs ~225 ns per unique value (0.227 s for 1M with "
        "cache=False); the reference is CPython's C datetime.fromisoformat after one regex (~1.8 µs). A fixed-width "
        "path (19-char slice: 31 ms) plus vectorised fraction/offset arithmetic measured 0.21 s, the string slicing "
        "and tail regex dominating, so it was not kept. Only cold ingest parses text: warm ingest reads typed "
        "timestamps from the Parquet cache."
    ),
    "correlate one incident": (
        "12 ms in all: ~1.3 ms to find the target, the rest a fixed cost of planning and running one query over "
        "the ±30-day window (~86k of 200k incidents). The reference is one linear Python scan (0.16 s). Pre-filtering "
        "candidates by the rules' equalities measured 10.5–12 ms (no gain) and was dropped. 12 ms is interactive."
    ),
    "confidence gate (at reference size)": (
        "Band + gate alone take 23.5 ms for 1M rows (14× the reference); writing the shown root cause ('Most likely: "
        "' added or stripped) materialises a new string per row (~30 ms more), where the reference mostly returns "
        "the same Python string object."
    ),
}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(seconds, peak RSS in MB during the call, result)."""
    peak = [rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    done.set()
    thread.join()
    return elapsed, max(peak[0], rss_mb()), result


def ensure_data(scale: float, seed: int) -> Path:
    from triage_lens.sample.generator import generate_sample

    folder = DATA_ROOT / f"scale-{scale:g}"
    manifest = folder / "sample.json"
    if manifest.is_file():
        info = json.loads(manifest.read_text())
        if info.get("scale") == scale and info.get("seed") == seed:
            print(f"reusing {folder}", flush=True)
            return folder
    shutil.rmtree(folder, ignore_errors=True)
    seconds, peak, _ = measure(lambda: generate_sample(folder, seed=seed, scale=scale))
    print(f"generated {folder} in {seconds:.1f}s (peak RSS {peak:.0f} MB)", flush=True)
    return folder


class Bench:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        step: str,
        rows: int,
        seconds: float,
        peak: float,
        *,
        ref: tuple[float, int] | None = None,
        target: str = "",
        met: bool | None = None,
        note: str = "",
    ) -> None:
        entry: dict[str, Any] = {"step": step, "rows": rows, "seconds": round(seconds, 4), "peak_rss_mb": round(peak)}
        if ref is not None:
            ref_seconds, ref_rows = ref
            entry.update(ref_seconds=round(ref_seconds, 3), ref_rows=ref_rows)
            entry["speedup"] = round(ref_seconds / seconds, 1) if seconds > 0 else None
            if ref_rows >= SPEEDUP_FROM_ROWS and not target:
                target, met = f"≥ {SPEEDUP_TARGET:g}× reference", (entry["speedup"] or 0) >= SPEEDUP_TARGET
        entry.update(target=target, met=met, note=note)
        if met is False and step in EXPLAINED:
            entry["explanation"] = EXPLAINED[step]
        self.rows.append(entry)
        speed = (
            f" speedup {entry.get('speedup')}× (ref {entry['ref_seconds']}s at {entry['ref_rows']:,} rows)"
            if ref
            else ""
        )
        flag = "" if met is None else (" ✓" if met else " ✗")
        print(f"{step:<34} {rows:>11,} rows {seconds:>8.3f}s {peak:>7.0f} MB{speed} {target}{flag}", flush=True)

    def time(self, step: str, rows: int, fn: Callable[[], Any], *, warm: bool = True, **kw: Any) -> Any:
        if warm:
            fn()
        seconds, peak, result = measure(fn)
        target_seconds = kw.pop("target_seconds", None)
        met = None if target_seconds is None else seconds < target_seconds
        self.add(step, rows, seconds, peak, met=met, **kw)
        return result


def run_analytics(bench: Bench, folder: Path) -> dict[str, Any]:
    import polars as pl

    from analytics.buckets import BucketOptions, buckets_json
    from analytics.confidence import GateOptions, classify, classify_frame, confidence_report, confidence_results
    from analytics.correlation import CorrelationOptions, clusters, related_incidents
    from analytics.digest import build_digest, default_week
    from analytics.learning import learning_trend, lifecycle_options
    from analytics.misses import filter_misses, miss_stats, parse_since, top_groups
    from analytics.policy import Policy
    from analytics.recurrence import RecurrenceOptions, recurrence
    from analytics.scenarios import build_cases, manifest_bytes, zip_bytes
    from analytics.severity import SeverityOptions, backtest_frame, severity_frame, severity_report
    from analytics.timeparse import parse_timestamp, parse_timestamp_series
    from triage_lens.sources.inputs import LoadedInput
    from triage_lens.sources.loading import apply_derived_columns, cache_dir, load_input, resolve_sources

    sources = resolve_sources(str(folder))
    policy = Policy()
    now = sources.now
    shutil.rmtree(cache_dir(), ignore_errors=True)

    frames: dict[str, pl.DataFrame] = {}
    for name in ("misses", "feedback", "investigations", "incidents", "error_ledger"):
        path = sources.paths[name]
        assert path is not None

        def cold(p: Path = path, n: str = name) -> LoadedInput:
            return load_input(n, p)

        def warm_frame(p: Path = path, n: str = name) -> pl.DataFrame:
            return load_input(n, p).frame.collect()

        loaded = bench.time(f"ingest cold: {name}", 0, cold, warm=False)
        bench.rows[-1]["rows"] = loaded.rows
        target = 1.0 if name == "misses" else None
        warm = bench.time(
            f"ingest warm (Parquet cache): {name}",
            loaded.rows,
            warm_frame,
            warm=False,
            target="< 1 s" if target else "",
            target_seconds=target,
        )
        frames[name] = apply_derived_columns(name, warm.lazy(), policy).collect()
    misses, feedback = frames["misses"].lazy(), frames["feedback"].lazy()
    incidents, ledger = frames["incidents"].lazy(), frames["error_ledger"].lazy()
    n_misses, n_incidents, n_ledger = frames["misses"].height, frames["incidents"].height, frames["error_ledger"].height

    # --- misses -------------------------------------------------------------------------------------------
    from reference.models import reference_stats, reference_top

    sample_records = (
        frames["misses"]
        .head(REFERENCE_CAP)
        .select("alert_name", "taxonomy", pl.col("timestamp_text").alias("timestamp"))
        .to_dicts()
    )
    ref_seconds, _, _ = measure(lambda: reference_stats(sample_records))
    bench.time("misses stats", n_misses, lambda: miss_stats(misses), ref=(ref_seconds, len(sample_records)))
    if len(sample_records) < n_misses:
        capped = misses.head(REFERENCE_CAP)
        bench.time(
            "misses stats (at reference size)",
            len(sample_records),
            lambda: miss_stats(capped),
            ref=(ref_seconds, len(sample_records)),
        )
    ref_top, _, _ = measure(lambda: reference_top(sample_records, 10))
    bench.time(
        "misses top-N groups",
        n_misses,
        lambda: top_groups(misses.head(REFERENCE_CAP), top=10),
        ref=(ref_top, len(sample_records)),
    )

    def export() -> bytes:
        cases = build_cases(top_groups(filter_misses(misses, since=parse_since("7d", now)), top=10))
        return zip_bytes(cases, manifest_bytes(cases, exported_at=now, since="7d", top=10, taxonomy=None))

    bench.time("misses export top-10 (ZIP bytes)", n_misses, export)
    bench.time(
        "misses trend (8 weeks + lifecycle)",
        n_misses + frames["feedback"].height,
        lambda: learning_trend(misses, feedback, now=now, weeks=8, lifecycle_options=lifecycle_options(policy.misses)),
    )

    texts = frames["misses"].head(REFERENCE_CAP).select("timestamp_text")
    ref_parse, _, _ = measure(lambda: [parse_timestamp(t) for t in texts["timestamp_text"].to_list()])
    bench.time(
        "timestamp parsing",
        texts.height,
        lambda: parse_timestamp_series(texts["timestamp_text"]),
        ref=(ref_parse, texts.height),
    )

    # --- incidents ----------------------------------------------------------------------------------------
    from reference.models import pair_score, reference_components

    corr = CorrelationOptions.from_policy(policy.correlation)
    target_id = frames["incidents"]["id"][n_incidents // 2]
    enriched = [
        {
            "id": r["id"],
            "service": r["service"],
            "_kind": r["kind"],
            "_sig": r["signature"],
            "_t": r["started_at"].timestamp() / 60,
        }
        for r in frames["incidents"].filter(pl.col("started_at").is_not_null()).iter_rows(named=True)
    ]
    target_incident = next(e for e in enriched if e["id"] == target_id)

    def reference_correlate() -> list[tuple[int, str]]:
        scored = [(pair_score(target_incident, o, corr), o["id"]) for o in enriched if o["id"] != target_id]
        return sorted([s for s in scored if s[0] >= corr.min_score], key=lambda s: (-s[0], s[1]))[: corr.max_related]

    ref_corr, _, _ = measure(reference_correlate)
    bench.time(
        "correlate one incident",
        n_incidents,
        lambda: related_incidents(incidents, target_id, corr),
        ref=(ref_corr, len(enriched)),
    )
    bench.time(
        "clusters (all incidents)", n_incidents, lambda: clusters(incidents, corr), target="< 10 s", target_seconds=10.0
    )
    small = enriched[:PAIRWISE_CAP]
    small_frame = incidents.head(PAIRWISE_CAP).collect().lazy()
    ref_clusters, _, _ = measure(lambda: reference_components(small, corr))
    bench.time(
        "clusters (at pairwise-reference size)",
        len(small),
        lambda: clusters(small_frame, corr),
        ref=(ref_clusters, len(small)),
    )
    rec = RecurrenceOptions.from_policy(policy.recurrence)
    bench.time(
        "recurrence 7d + 30d",
        n_incidents,
        lambda: [recurrence(incidents, now=now, days=d, options=rec) for d in (7, 30)],
    )
    bench.time(
        "buckets",
        n_incidents,
        lambda: buckets_json(
            incidents, now=now, options=BucketOptions.from_policy(policy), service=None, window_days=30
        ),
    )
    bench.time(
        "weekly digest", n_incidents, lambda: build_digest(incidents, week_monday=default_week(now), policy=policy)
    )

    # --- severity -----------------------------------------------------------------------------------------
    from reference.models import severity_reference

    sev = SeverityOptions.from_policy(policy.severity)
    bench.time(
        "severity (current state)",
        n_ledger,
        lambda: severity_report(ledger, now=now, options=sev),
        note="process holding every input",
    )
    ref_rows = (
        frames["error_ledger"]
        .filter(pl.col("timestamp").is_not_null() & (pl.col("category") != "config_cleanup"))
        .tail(REFERENCE_CAP)
        .select((pl.lit(now) - pl.col("timestamp")).alias("age"), "provider", "error_type")
        .rows()
    )
    ref_sev, _, _ = measure(lambda: severity_reference(ref_rows))
    # materialised first, so the timing is the analytic's, not re-filtering the 10M rows
    capped_ledger = ledger.filter(pl.col("category") != "config_cleanup").tail(REFERENCE_CAP).collect().lazy()
    bench.time(
        "severity counts (at reference size)",
        len(ref_rows),
        lambda: severity_frame(capped_ledger, now=now, options=sev),
        ref=(ref_sev, len(ref_rows)),
    )
    bench.time("severity backtest (30 days)", n_ledger, lambda: backtest_frame(ledger, now=now, days=30, options=sev))

    # --- confidence ---------------------------------------------------------------------------------------
    from reference.models import confidence_reference

    gate = GateOptions.from_policy(policy.confidence)
    inv = frames["investigations"].lazy()
    n_results = frames["investigations"].height
    bench.time(
        "confidence report",
        n_results,
        lambda: confidence_report(
            confidence_results(inv, feedback, options=gate).collect(), options=gate, claims_known=True
        ),
    )
    results = confidence_results(inv, feedback, options=gate).collect().head(REFERENCE_CAP)
    inputs = results.select("score", "validated", pl.col("category").fill_null(""), pl.col("root_cause").fill_null(""))
    rows = inputs.rows()
    ref_conf, _, _ = measure(lambda: [confidence_reference(s, v, c, r) for s, v, c, r in rows])
    bench.time(
        "confidence gate (at reference size)",
        len(rows),
        lambda: classify_frame(inputs.lazy(), gate).collect(),
        ref=(ref_conf, len(rows)),
    )
    assert classify(score=0.9, validated=0, category="x", root_cause="y", options=gate)["gate"] == "fired"
    return {"misses": n_misses, "incidents": n_incidents, "ledger": n_ledger}


def run_severity_alone(bench: Bench, folder: Path) -> None:
    """Severity in a process that holds only the ledger: its own peak RSS, as the 3 GB target means it."""
    import polars as pl

    from analytics.policy import Policy
    from analytics.severity import SeverityOptions, severity_report
    from triage_lens.sources.loading import load_input, resolve_sources

    sources = resolve_sources(str(folder))
    path = sources.paths["error_ledger"]
    assert path is not None
    ledger = load_input("error_ledger", path).frame.collect().lazy()
    options = SeverityOptions.from_policy(Policy().severity)
    rows = ledger.select(pl.len()).collect().item()
    bench.time(
        "severity alone (ledger-only process)",
        rows,
        lambda: severity_report(ledger, now=sources.now, options=options),
        target="< 2 s, < 3 GB",
        target_seconds=2.0,
    )
    bench.rows[-1]["met"] = bool(bench.rows[-1]["met"]) and bench.rows[-1]["peak_rss_mb"] < 3072


def run_pages(bench: Bench, folder: Path) -> None:
    os.environ["TRIAGE_LENS_DATA"] = str(folder)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard.registry import PAGES

    st.cache_resource.clear()
    st.cache_data.clear()
    app_path = str(REPO / "dashboard" / "app.py")
    for index, spec in enumerate(PAGES):

        def run_page(script: str = spec.script) -> AppTest:
            app = AppTest.from_file(app_path, default_timeout=900)
            app.run()
            app.switch_page(f"pages/{script}")
            app.run()
            if app.exception:
                raise RuntimeError(f"{script}: {app.exception[0].value}")
            return app

        if index == 0:
            seconds, peak, _ = measure(run_page)
            bench.add(
                f"page cold (first load): {spec.title}", 0, seconds, peak, note="includes reading the Parquet caches"
            )
        app = AppTest.from_file(app_path, default_timeout=900)
        app.run()
        app.switch_page(f"pages/{spec.script}")
        app.run()  # warm-up run of this page

        def rerun(a: AppTest = app) -> AppTest:
            return a.run()

        seconds, peak, _ = measure(rerun)
        bench.add(f"page warm: {spec.title}", 0, seconds, peak, target="< 1 s", met=seconds < 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--only", choices=["severity"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.environ["XDG_CACHE_HOME"] = str(DATA_ROOT / "cache")
    folder = ensure_data(args.scale, args.seed)
    bench = Bench()
    started = time.perf_counter()
    if args.only == "severity":
        run_severity_alone(bench, folder)
        (DATA_ROOT / "severity-alone.json").write_text(json.dumps(bench.rows))
        return
    sizes = run_analytics(bench, folder)
    import subprocess

    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--scale",
        str(args.scale),
        "--seed",
        str(args.seed),
        "--only",
        "severity",
    ]
    subprocess.run(command, check=True, cwd=REPO)
    bench.rows.extend(json.loads((DATA_ROOT / "severity-alone.json").read_text()))
    if not args.skip_pages:
        run_pages(bench, folder)
    total = time.perf_counter() - started
    report = {
        "scale": args.scale,
        "sizes": sizes,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "total_seconds": round(total, 1),
        "steps": bench.rows,
        "targets_met": all(r["met"] is not False for r in bench.rows),
        "misses_explained": all(r["met"] is not False or "explanation" in r for r in bench.rows),
    }
    out = DATA_ROOT / f"results-scale-{args.scale:g}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{len(bench.rows)} steps in {timedelta(seconds=round(total))}; targets met: {report['targets_met']}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
