from __future__ import annotations

from django.tasks import task

from rapport.dashboards.refresh import dashboards_refresh_due


@task
def refresh_due_dashboards() -> int:
    """Recompute the dashboard figures of every practice whose data changed."""
    return dashboards_refresh_due()
