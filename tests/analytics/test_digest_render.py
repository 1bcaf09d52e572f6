"""Digest text escaped by context (issue 11 item 6, issue 12 item 4): ids and keys in code spans without
backslashes, prose Markdown-escaped, Slack mrkdwn with only &, <, > escaped, a cut preview that says so.
Every expected text below is written out by hand."""

from __future__ import annotations

from typing import Any

from analytics.digest import Digest, render_markdown, render_slack, slack_bytes
from analytics.markdown import WORD_JOINER as WJ


def hostile_summary() -> dict[str, Any]:
    return {
        "week": "2026-W24",
        "as_of": "2026-06-15T00:00:00+00:00",
        "open_incidents_count": 1,
        "recent_7d_count": 6,
        "severity_mix": {"P0": 0, "P1": 6, "P2": 0, "P3": 0, "INFO": 0},
        "recurrence": [
            {
                "window_days": 7,
                "high_recurrence": [
                    {
                        "type": "signature",
                        "prefix": "ab`cd",
                        "key": "ab`cdefgh",
                        "count": 6,
                        "level": "high",
                        "recommendation": "Fix <b>now</b> & add a test",
                    }
                ],
                "warn_recurrence": [
                    {"type": "kind", "key": "error_rate", "count": 3, "level": "warn", "recommendation": ""}
                ],
            }
        ],
        "buckets": [
            {
                "bucket_key": "pay`ments|error_rate",
                "counts": {"7d": 6, "30d": 6, "open": 1},
                "high": True,
                "last_seen": "2026-06-10T11:00:00+00:00",
            }
        ],
        "recommendations": ["Check ![b](http://127.0.0.2:9/x.png) first", "Use www.example.com"],
        "incidents": [
            {
                "id": "inc_`1",
                "title": "Gateway **5xx** <b>spike</b> [x](http://127.0.0.2:9/w)",
                "service": "pay`ments",
                "kind": "error_rate",
                "severity": "P1",
                "status": "open",
                "started_at": "2026-06-10T11:00:00Z",
            }
        ],
    }


EXPECTED_MARKDOWN = f"""# Weekly Incident Digest — 2026-W24

As of 2026-06-15 00:00 UTC: **6** incidents in the last 7 days, **1** open.

## Severity mix (last 7 days)

P0 **0** · P1 **6** · P2 **0** · P3 **0** · INFO **0**

## Recurrence, last 7 days

- **high** — signature ``ab`cd``: 6 incidents. Fix \\<b\\>now\\</b\\> & add a test
- **warn** — kind `error_rate`: 3 incidents.

## Root-cause buckets

- ``pay`ments|error_rate`` **high** — 7d 6 · 30d 6 · open 1 · last seen 2026-06-10 11:00 UTC

## Recommendations

- Check !\\[b\\](http{WJ}://127.0.0.2:9/x.png) first
- Use www{WJ}.example.com

## Incidents this week

- **P1** Gateway \\*\\*5xx\\*\\* \\<b\\>spike\\</b\\> \\[x\\](http{WJ}://127.0.0.2:9/w) — ``pay`ments``, open, \
2026-06-10 11:00 UTC (``inc_`1``)
"""

EXPECTED_SLACK = f"""*Weekly Incident Digest — 2026-W24*

As of 2026-06-15 00:00 UTC: *6* incidents in the last 7 days, *1* open.

*Severity mix (last 7 days)*

P0 *0* · P1 *6* · P2 *0* · P3 *0* · INFO *0*

*Recurrence, last 7 days*

• *high* — signature ab`cd: 6 incidents. Fix &lt;b&gt;now&lt;/b&gt; &amp; add a test
• *warn* — kind `error_rate`: 3 incidents.

*Root-cause buckets*

• pay`ments|error_rate *high* — 7d 6 · 30d 6 · open 1 · last seen 2026-06-10 11:00 UTC

*Recommendations*

• Check ![b](http{WJ}://127.0.0.2:9/x.png) first
• Use www{WJ}.example.com

*Incidents this week*

• *P1* Gateway **5xx** &lt;b&gt;spike&lt;/b&gt; [x](http{WJ}://127.0.0.2:9/w) — pay`ments, open, \
2026-06-10 11:00 UTC (inc_`1)
"""


def test_markdown_puts_ids_in_code_spans_and_escapes_prose() -> None:
    assert render_markdown(hostile_summary(), max_chars=10_000) == EXPECTED_MARKDOWN


def test_slack_mrkdwn_escapes_only_entities() -> None:
    assert render_slack(hostile_summary(), max_chars=10_000) == EXPECTED_SLACK
    digest = Digest("2026-W24", hostile_summary(), EXPECTED_MARKDOWN)
    assert slack_bytes(digest, max_chars=10_000) == EXPECTED_SLACK.encode("utf-8")


def test_plain_ids_need_no_escaping() -> None:
    summary = hostile_summary()
    summary["buckets"][0]["bucket_key"] = "payments|error_rate"
    summary["incidents"][0] |= {"id": "inc_1", "service": "payments", "title": "Gateway 5xx spike"}
    text = render_markdown(summary, max_chars=10_000)
    assert "- `payments|error_rate` **high** — 7d 6" in text
    assert "- **P1** Gateway 5xx spike — `payments`, open, 2026-06-10 11:00 UTC (`inc_1`)\n" in text
    assert "\\" not in text.split("## Incidents this week")[1]


def test_a_cut_preview_says_it_was_cut_at_a_line_boundary() -> None:
    markdown = render_markdown(hostile_summary(), max_chars=200)
    assert markdown == (
        "# Weekly Incident Digest — 2026-W24\n"
        "\n"
        "As of 2026-06-15 00:00 UTC: **6** incidents in the last 7 days, **1** open.\n"
        "\n"
        "\n"
        "_Cut to 200 characters: the JSON summary has everything._\n"
    )
    slack = render_slack(hostile_summary(), max_chars=120)
    assert (
        slack == "*Weekly Incident Digest — 2026-W24*\n\n\n_Cut to 120 characters: the JSON summary has everything._\n"
    )
    assert len(markdown) <= 200 and len(slack) <= 120
