from __future__ import annotations

from django.conf import settings
from django.tasks import task

from rapport.alerts.notify import urgent_alerts_sweep


@task
def sweep_urgent_alerts() -> int:
    """Email urgent-alert notices missed at opening, and escalate unacknowledged ones."""
    notified, escalated = urgent_alerts_sweep(base_url=settings.RAPPORT_BASE_URL)
    return notified + escalated
