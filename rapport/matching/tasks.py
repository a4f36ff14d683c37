from __future__ import annotations

from django.conf import settings
from django.tasks import task

from rapport.matching.handoff_services import handoff_follow_ups_send


@task
def send_handoff_follow_ups() -> int:
    """Email the "did you start?" checks due after a change of therapist."""
    return handoff_follow_ups_send(base_url=settings.RAPPORT_BASE_URL)
