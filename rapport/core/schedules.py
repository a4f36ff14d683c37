"""Which measures fall due at a session, from an episode's measure plan."""

from __future__ import annotations

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
