"""Reads for the care pages: a session's forms, and sessions left unrecorded."""

from __future__ import annotations

from django.utils import timezone

from rapport.care.models import Attendance, Session, SessionKind
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
        available = assignment.is_open and assignment_available(assignment, now=now)
        # Two display values for the session page's template, set on the instance: they are not
        # fields of Assignment, so the model's type does not declare them.
        assignment.available = available  # type: ignore[attr-defined]
        assignment.not_yet = (  # type: ignore[attr-defined]
            not_yet_reason(assignment) if assignment.is_open and not available else ""
        )
    return assignments


# --- Sessions left unrecorded ---------------------------------------------------------------------


def unrecorded_counts(episode_ids: list[int]) -> dict[int, int]:
    """Per episode, the sessions that have ended with attendance still not recorded.

    A session in progress is not "unrecorded": flagging it would nag the clinician in the room.
    """
    now = timezone.now()
    started = Session.objects.filter(
        episode_id__in=episode_ids,
        attendance=Attendance.SCHEDULED,
        scheduled_start__lt=now,
        kind=SessionKind.THERAPY,
    ).only("episode_id", "scheduled_start", "duration_minutes")
    counts: dict[int, int] = {}
    for session in started:
        if session.scheduled_end <= now:
            counts[session.episode_id] = counts.get(session.episode_id, 0) + 1
    return counts


def unrecorded(sessions: list[Session]) -> list[Session]:
    now = timezone.now()
    return [s for s in sessions if s.attendance == Attendance.SCHEDULED and s.scheduled_end <= now]
