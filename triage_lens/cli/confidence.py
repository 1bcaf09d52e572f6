"""``triage-lens confidence``: classify one result through the sufficiency gate, or report calibration."""

from __future__ import annotations

import click

from analytics.confidence import (
    GateOptions,
    calibration,
    calibration_verdict,
    classify,
    confidence_report,
    confidence_results,
    window_text,
)
from analytics.gateway import combined, gateway_report, helpful_sentence
from analytics.misses import UsageError
from analytics.windows import window
from triage_lens.cli.common import (
    GlobalOptions,
    clean_text,
    emit_json,
    fail,
    global_options,
    load_inputs,
    note_if_empty,
    pct,
    prepare,
    render_table,
)
from triage_lens.sources.gateway import GATEWAY_INPUT_NAMES, gateway_frames


@click.group()
def confidence() -> None:
    """Confidence bands, the sufficiency gate, and calibration against human ratings."""


@confidence.command("classify")
@click.option("--score", type=float, default=None, help="validity_score 0..1 (omit for null).")
@click.option(
    "--validated", default=0, show_default=True, type=click.IntRange(min=0, max=1_000_000), help="Validated claims."
)
@click.option("--category", default="", help="Root-cause category (healthy/unknown bypass the gate).")
@click.option("--root-cause", "root_cause", default="", help="The agent's root cause text.")
@click.option("--json", "as_json", is_flag=True, help='{"band", "gate", "root_cause"}')
@global_options
@click.pass_obj
def classify_command(
    options: GlobalOptions, score: float | None, validated: int, category: str, root_cause: str, as_json: bool
) -> None:
    """Band, gate and shown root cause of one RCA result."""
    _, policy = prepare(options)
    result = classify(
        score=score,
        validated=validated,
        category=clean_text(category),
        root_cause=clean_text(root_cause),
        options=GateOptions.from_policy(policy.confidence),
    )
    if as_json:
        emit_json(result)
        return
    click.echo(f"band: {result['band']}\ngate: {result['gate']}\nroot cause: {result['root_cause']}")


@confidence.command("report")
@click.option("--since", metavar="SPEC", help="Only results since 7d, 24h, 2w or an ISO timestamp (default: all).")
@click.option("--json", "as_json", is_flag=True, help="The documented report object.")
@global_options
@click.pass_obj
def report_command(options: GlobalOptions, since: str | None, as_json: bool) -> None:
    """Calibration of each band, false-confidence rate, gate audit, single-source highs and a threshold sweep."""
    sources, policy = prepare(options)
    try:
        span = window(since, sources.now)  # the dashboard's window: (now − since, now]; none = all results
    except UsageError as exc:
        fail(str(exc))
    data = load_inputs(sources, policy, ["investigations", "feedback", *sorted(GATEWAY_INPUT_NAMES)])
    gate = GateOptions.from_policy(policy.confidence)
    claims_known = data.inputs["investigations"].available and data.inputs["investigations"].rows > 0
    results = confidence_results(
        data.frame("investigations") if claims_known else None, data.frame("feedback"), options=gate
    )
    collected = results.filter(span.contains("timestamp")).collect()
    if collected.height == 0:
        note_if_empty(data, ["investigations", "feedback"], span)
    report = confidence_report(collected, options=gate, claims_known=claims_known)
    report["gateway"] = gateway_report(combined(gateway_frames(data.frame)), z=gate.wilson_z, window=span)
    if as_json:
        emit_json(report)
        return
    verdict = calibration_verdict(calibration(collected, options=gate), window=window_text(since, span.start))
    click.echo(verdict.replace("**", ""))
    click.echo(f"basis: {report['basis']} · bands: " + ", ".join(f"{b} {n}" for b, n in report["bands"].items()))
    rows = [
        [
            c["band"],
            str(c["n"]),
            pct(c["accuracy"]),
            f"{pct(c['ci_low'])}–{pct(c['ci_high'])}",
            "—" if c["nominal_low"] is None else f"{c['nominal_low']:.2f}–{c['nominal_high']:.2f}",
            "OVERCONFIDENT" if c["overconfident"] else "",
        ]
        for c in report["calibration"]
    ]
    click.echo(render_table(["band", "rated", "accuracy", "95% CI", "nominal", ""], rows, right={1}))
    click.echo(f"\nfalse-confidence rate (high rated inaccurate): {pct(report['false_confidence_rate'])}")
    click.echo(f"single-source high results: {report['single_source_high']}")
    if report["gate_audit"]:
        audit = report["gate_audit"]
        click.echo(
            f"gate fired {report['gate_fired']}× · passed & accurate {audit['passed_accurate']}, passed & not accurate "
            f"(leaked) {audit['passed_not_accurate']}, fired & accurate (over-abstained) {audit['fired_accurate']}, "
            f"fired & not accurate {audit['fired_not_accurate']}"
        )
    click.echo(f"gateway feedback: {helpful_sentence(report['gateway'])}")
