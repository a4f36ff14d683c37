"""The session clock: which sessions count, and so which number a session is, by named rule.

Three rules, each for its own question, so they may rightly give different numbers:
- booked: every session not cancelled, past or future, a no-show included. Measure schedules
  ("every 4 sessions") count these, so a form is due at the session it was planned for even
  before anyone knows whether the client will come.
- took place: attended, or with a form answered in it (an attendance nobody recorded does not
  hide a session the client plainly took part in). Charts and trajectories count these.
- attended: recorded as attended. The plan's review schedule counts these, and "last session"
  on the caseload and dashboard is the last of them.
No rule counts a consultation (SessionKind.CONSULTATION: a client meeting a possible new
therapist): it is not a session of the therapy, so it has no number and no forms, and takes no
part in attendance, the alliance's recent sessions or dose figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from rapport.care.models import Attendance, Episode, Session, SessionKind

CANCELLED = (Attendance.CANCELLED_CLIENT, Attendance.CANCELLED_CLINICIAN)


def therapy_sessions() -> QuerySet[Session]:
    """Every session of the therapy itself: consultations are never counted."""
    return Session.objects.filter(kind=SessionKind.THERAPY)


def booked_sessions(**within: Any) -> QuerySet[Session]:
    """Sessions not cancelled (scheduled, attended or missed), narrowed by `within` lookups."""
    return therapy_sessions().filter(**within).exclude(attendance__in=CANCELLED)


def booked_number(session: Session) -> int:
    """1-based position among the episode's booked sessions: the measure schedules' count."""
    earlier = booked_sessions(episode=session.episode, scheduled_start__lt=session.scheduled_start)
    return earlier.count() + 1


def sessions_that_took_place(**within: Any) -> QuerySet[Session]:
    """Sessions attended or with a form answered in them, each once, in time order."""
    # A semi-join, not a join made distinct: a practice's refit reads every session it has.
    answered = Session.objects.filter(pk=OuterRef("pk"), assignments__response__isnull=False)
    return (
        therapy_sessions()
        .filter(**within)
        .filter(Q(attendance=Attendance.ATTENDED) | Exists(answered))
        .order_by("scheduled_start", "pk")
    )


def took_place_numbers(episode: Episode) -> list[tuple[int, datetime]]:
    """(session id, start) of the episode's sessions that took place; session n is at n - 1."""
    return list(sessions_that_took_place(episode=episode).values_list("pk", "scheduled_start"))


def attended_sessions(**within: Any) -> QuerySet[Session]:
    """Sessions recorded as attended, narrowed by `within` lookups."""
    return therapy_sessions().filter(attendance=Attendance.ATTENDED, **within)


def attended_since(episode: Episode, *, since: datetime, now: datetime) -> int:
    """Sessions attended after `since`, up to and including `now` (a future booking that was
    somehow marked attended is not counted before its time)."""
    return attended_sessions(
        episode=episode, scheduled_start__gt=since, scheduled_start__lte=now
    ).count()


def last_attended(episode: Any, *, before: datetime) -> QuerySet[Session]:
    """The episode's attended sessions before `before`, latest first; `episode` may be an
    OuterRef for a subquery."""
    return attended_sessions(episode=episode, scheduled_start__lt=before).order_by(
        "-scheduled_start"
    )
