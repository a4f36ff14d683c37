from __future__ import annotations

from django.conf import settings
from django.tasks import task

from rapport.measures.services import links_send_due


@task
def send_due_links() -> int:
    """Email the links due before upcoming sessions, and reminders."""
    return links_send_due(base_url=settings.RAPPORT_BASE_URL)
