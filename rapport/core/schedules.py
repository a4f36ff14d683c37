"""Which measures fall due at a session, from an episode's measure plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class ScheduleKind(StrEnum):
    EVERY_SESSION = "every_session"
    EVERY_N_SESSIONS = "every_n_sessions"
    INTAKE_DISCHARGE = "intake_discharge"
    BETWEEN_SESSIONS = "between_sessions"


def due_at_session(schedule: str, *, session_number: int, every_n: int = 1) -> bool:
    """Whether a measure on this schedule is due at the episode's `session_number` (1-based).

    Every-N measures fall on sessions 1, 1 + N, 1 + 2N, … so that intake always has a baseline.
    Discharge administrations are not tied to a session number; they are made when an episode
    closes.
    """
    if session_number < 1:
        raise ValueError("session numbers start at 1")
    if every_n < 1:
        raise ValueError("every_n must be at least 1")
    kind = ScheduleKind(schedule)
    if kind in (ScheduleKind.EVERY_SESSION, ScheduleKind.BETWEEN_SESSIONS):
        return True
    if kind == ScheduleKind.EVERY_N_SESSIONS:
        return (session_number - 1) % every_n == 0
    return session_number == 1


def completed_remotely(schedule: str) -> bool:
    """Between-session measures are always completed from home, through a link."""
    return ScheduleKind(schedule) == ScheduleKind.BETWEEN_SESSIONS


# --- When a form may be answered ------------------------------------------------------------

LEAD_HOURS_DEFAULT = 24
LEAD_HOURS_MAX = 168  # a week: a check-in older than that says little about the next session


class FormTiming(StrEnum):
    """How a form relates to its session, which decides when it may be answered."""

    FEEDBACK = "feedback"  # about the session itself: once it has been held
    BEFORE = "before"  # a check-in from home ahead of the session (its lead time)
    IN_SESSION = "in_session"  # answered at the session: from its start


def form_opens_at(*, timing: FormTiming, session_start: datetime, lead_hours: int) -> datetime:
    """The earliest moment a form may be answered (feedback also needs the session held)."""
    if not 0 <= lead_hours <= LEAD_HOURS_MAX:
        raise ValueError(f"lead time must be between 0 and {LEAD_HOURS_MAX} hours")
    if timing == FormTiming.BEFORE:
        return session_start - timedelta(hours=lead_hours)
    return session_start


def form_available(
    *,
    timing: FormTiming,
    now: datetime,
    session_start: datetime,
    attendance: str,
    lead_hours: int = LEAD_HOURS_DEFAULT,
) -> bool:
    """Whether a form tied to a session may be answered now.

    Feedback about a session is asked only once the session was held (attendance recorded as
    attended): nobody rates a session that has not happened. Other forms open at the session's
    start, or its lead time before for a check-in from home, and never for a session that was
    called off or missed.
    """
    if timing == FormTiming.FEEDBACK:
        return attendance == "attended" and now >= session_start
    if attendance not in ("scheduled", "attended"):
        return False
    return now >= form_opens_at(timing=timing, session_start=session_start, lead_hours=lead_hours)
