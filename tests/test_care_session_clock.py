"""Which session number a session is, by the clock's three named rules: booked (schedules),
took place (charts and trajectories) and attended (plan reviews, "last session"). One episode
with one session of each kind: attended, cancelled, missed, unrecorded but with a form answered,
attended again, and one still to come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.clock import (
    attended_since,
    booked_number,
    last_attended,
    sessions_that_took_place,
    took_place_numbers,
)
from rapport.care.models import Attendance, Session
from rapport.measures.services import measure_plan_set
from rapport.progress.queries import session_clock
from tests.conftest import make_session
from tests.test_progress_data import phq9_answers, submit


@dataclass
class Week:
    attended: Session
    cancelled: Session
    missed: Session
    answered: Session
    again: Session
    coming: Session


@pytest.fixture
def week(cast) -> Week:  # type: ignore[no-untyped-def]
    episode = cast.adult_episode
    measure_plan_set(
        actor=cast.clinician,
        episode=episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )

    def session(days: int, attendance: str) -> Session:
        made = make_session(episode, days_from_now=days)
        made.attendance = attendance
        made.save()
        return made

    answered = session(-15, Attendance.SCHEDULED)
    made = Week(
        attended=session(-30, Attendance.ATTENDED),
        cancelled=session(-25, Attendance.CANCELLED_CLIENT),
        missed=session(-20, Attendance.NO_SHOW),
        answered=answered,
        again=cast.adult_session,  # attended, two days ago
        coming=session(5, Attendance.SCHEDULED),
    )
    submit(answered, "phq9", phq9_answers(12))
    return made


def test_booked_numbers_count_missed_and_future_sessions_but_not_cancelled_ones(week):
    numbers = [
        booked_number(s)
        for s in (week.attended, week.missed, week.answered, week.again, week.coming)
    ]
    assert numbers == [1, 2, 3, 4, 5]


def test_a_session_took_place_when_attended_or_when_a_form_was_answered_in_it(cast, week):
    took_place = list(sessions_that_took_place(episode=cast.adult_episode))

    assert took_place == [week.attended, week.answered, week.again]


def test_the_took_place_numbers_skip_cancelled_missed_and_future_sessions(cast, week):
    numbers = took_place_numbers(cast.adult_episode)

    assert [pk for pk, _ in numbers] == [week.attended.pk, week.answered.pk, week.again.pk]


def test_the_progress_chart_numbers_sessions_by_the_took_place_rule(cast, week):
    clock = session_clock(cast.adult_episode)

    assert clock.numbers == {week.attended.pk: 1, week.answered.pk: 2, week.again.pk: 3}


def test_sessions_attended_since_a_date_count_only_attended_ones_up_to_now(cast, week):
    now = timezone.now()
    week.coming.attendance = Attendance.ATTENDED  # recorded ahead of time by mistake
    week.coming.save()

    since_start = attended_since(cast.adult_episode, since=now - timedelta(days=31), now=now)
    since_cancelled = attended_since(cast.adult_episode, since=now - timedelta(days=26), now=now)

    assert (since_start, since_cancelled) == (2, 1)


def test_the_last_attended_session_is_the_latest_before_the_moment_asked(cast, week):
    now = timezone.now()

    assert last_attended(cast.adult_episode, before=now).first() == week.again
    assert last_attended(cast.adult_episode, before=now - timedelta(days=10)).first() == (
        week.attended
    )
