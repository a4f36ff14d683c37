"""The one write of a report: the audit trail's record that it was issued."""

from __future__ import annotations

from django.db import transaction

from rapport.accounts.models import User
from rapport.audit.models import AuditEvent
from rapport.audit.services import audit_record
from rapport.care.models import Episode


@transaction.atomic
def report_issue(
    *, actor: User | None, episode: Episode, kind: str, for_whom: str, fmt: str, via: str = "web"
) -> AuditEvent:
    """Who issued which report (its kind, audience and format) on whose record. `actor` is None
    for the command line. The load of the episode is audited on its own, as every read is."""
    return audit_record(
        actor=actor,
        action="report",
        object_type=f"reports.{kind}",
        object_id=episode.pk,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"report": kind, "for": for_whom, "format": fmt, "via": via},
    )
