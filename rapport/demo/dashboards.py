"""Dashboard figures for the demo practice: computed once at load, as the worker would later."""

from __future__ import annotations

from rapport.dashboards.refresh import dashboards_refresh
from rapport.practices.models import Practice


def build_demo_dashboards(*, practice: Practice) -> dict[str, int]:
    snapshot = dashboards_refresh(practice=practice)
    return {"dashboard_closed_episodes": snapshot.closed_episodes}
