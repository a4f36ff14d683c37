"""Reads for the care pages: what the clinician needs at a session, and sessions left unrecorded."""

from __future__ import annotations

from django.utils import timezone

from rapport.care.models import Session
from rapport.measures.availability import assignment_available, not_yet_reason
from rapport.measures.models import Assignment


def session_assignments(session: Session) -> list[Assignment]:
    """The session's forms, each marked with whether it may be answered now and, if not, why."""
    now = timezone.now()
    assignments = list(
        session.assignments.select_related(
            "plan", "episode__practice", "session__episode__practice", "respondent_user", "response"
        ).order_by("pk")
    )
    for assignment in assignments:
        assignment.available = assignment.is_open and assignment_available(assignment, now=now)
        assignment.not_yet = (
            not_yet_reason(assignment) if assignment.is_open and not assignment.available else ""
        )
    return assignments
