from __future__ import annotations

from django.conf import settings
from django.tasks import task

from rapport.accounts.models import User
from rapport.care.models import Episode
from rapport.reports.services import report_link_send


@task
def email_report_link(*, episode_id: int, kind: str, recipient_id: int, sender_id: int) -> int:
    """Email a single-use link to the client's copy of a report. The token is made here, in the
    worker, so that it is never stored in the task queue."""
    report_link_send(
        actor=User.objects.get(pk=sender_id),
        episode=Episode.objects.select_related("client", "practice").get(pk=episode_id),
        kind=kind,
        recipient=User.objects.get(pk=recipient_id),
        base_url=settings.RAPPORT_BASE_URL,
    )
    return 1
