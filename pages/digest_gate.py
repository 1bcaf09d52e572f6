"""Digest & gate: the weekly incident digest for a chosen week (rendered safely, .md and .json downloads) and the
release-gate check per service and profile."""

from __future__ import annotations

from dashboard.context import current_context, page_title
from dashboard.digest_view import digest_section, gate_section
from dashboard.guards import require_inputs

context = current_context()
page_title(
    "Digest & gate",
    context,
    range_note="the digest covers the chosen ISO week and the gate its policy windows",
    services_scope="the gate's service choices",
)
require_inputs(context, "incidents", purpose="no incidents to digest or gate on")
digest_section(context)
gate_section(context)
