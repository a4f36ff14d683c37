"""Scores over sessions for the progress tests (helpers, no tests): PHQ-9, feedback, check-ins."""

from __future__ import annotations

from rapport.care.models import Attendance, Episode, Session
from rapport.measures.models import Response
from rapport.measures.services import (
    measure_plan_set,
    response_submit,
    session_assignments_ensure,
)
from tests.conftest import assignment_for, make_session

ADULT_PHQ9 = (18, 15, 14, 12, 9)


def phq9_answers(total: int) -> dict[str, str]:
    """Items 1-8 adding up to `total` (at most 24); item 9 (the risk item) left at 0."""
    assert 0 <= total <= 24
    values = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    values += [0] * (9 - len(values))
    return {f"phq9-{n}": str(value) for n, value in enumerate(values, start=1)}


def checkin_answers(total: int) -> dict[str, str]:
    each, rest = divmod(total, 4)
    values = [each + (1 if n < rest else 0) for n in range(4)]
    names = ("feeling", "home", "school", "overall")
    return {f"checkin-{name}": str(v) for name, v in zip(names, values, strict=True)}


def feedback_answers(each: int) -> dict[str, str]:
    return {f"feedback-{name}": str(each) for name in ("bond", "goals", "approach", "overall")}


def held_sessions(episode: Episode, count: int) -> list[Session]:
    sessions = []
    for weeks in range(count, 0, -1):
        session = make_session(episode, days_from_now=-7 * weeks - 3)
        session.attendance = Attendance.ATTENDED
        session.save()
        sessions.append(session)
    return sessions


def submit(session: Session, family: str, answers: dict[str, str], respondent: str = "client"):
    assignment = assignment_for(session_assignments_ensure(session=session), family, respondent)
    return response_submit(
        assignment=assignment, answers=answers, mode=Response.Mode.IN_SESSION, actor=None
    )


def adult_history(episode: Episode, phq9: tuple[int, ...] = ADULT_PHQ9) -> list[Session]:
    """One PHQ-9 and the session feedback from client and therapist at each session."""
    measure_plan_set(
        actor=episode.primary_clinician,
        episode=episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    sessions = held_sessions(episode, len(phq9))
    for n, (session, total) in enumerate(zip(sessions, phq9, strict=True)):
        submit(session, "phq9", phq9_answers(total))
        submit(session, "feedback", feedback_answers(9 if n != 2 else 8))
        submit(session, "feedback", feedback_answers(8), respondent="therapist")
    return sessions


def teen_history(episode: Episode, client_totals=(14, 18, 24), guardian_totals=(12, 20, 22)):
    """Check-ins from the young person and from their guardian at each session."""
    for respondent in ("client", "guardian"):
        measure_plan_set(
            actor=episode.primary_clinician,
            episode=episode,
            family="checkin",
            respondent=respondent,
            schedule="every_session",
        )
    sessions = held_sessions(episode, len(client_totals))
    for session, mine, theirs in zip(sessions, client_totals, guardian_totals, strict=True):
        submit(session, "checkin", checkin_answers(mine))
        submit(session, "checkin", checkin_answers(theirs), respondent="guardian")
    return sessions
