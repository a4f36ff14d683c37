"""Rules the database keeps for episodes and sessions whatever code writes them: a closed
episode has a reason and an end on or after its start, an open one has no reason, and a session
lasts from five minutes to eight hours. Sessions read in the practice's local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.care.models import Episode, EpisodeStatus, Session, when_label
from tests.conftest import make_session


def refused(**changes) -> bool:
    """Whether the database refuses saving the cast's adult episode with these changes."""
    episode = Episode.objects.get(client__full_name="Alex Adult")
    for field, value in changes.items():
        setattr(episode, field, value)
    try:
        with transaction.atomic():
            episode.save()
    except IntegrityError:
        return True
    return False


def test_a_closed_episode_without_a_reason_is_refused(cast):
    assert refused(status=EpisodeStatus.CLOSED, end_date=timezone.localdate(), closure_reason="")


def test_a_closed_episode_without_an_end_date_is_refused(cast):
    assert refused(status=EpisodeStatus.CLOSED, end_date=None, closure_reason="completed")


def test_an_open_episode_with_a_closure_reason_is_refused(cast):
    assert refused(status=EpisodeStatus.ON_HOLD, closure_reason="completed")


def test_an_episode_ending_before_it_started_is_refused(cast):
    start = cast.adult_episode.start_date
    assert refused(
        status=EpisodeStatus.CLOSED,
        closure_reason="completed",
        end_date=start - timedelta(days=1),
    )


def test_a_properly_closed_episode_is_accepted(cast):
    assert not refused(
        status=EpisodeStatus.CLOSED,
        closure_reason="dropped_out",
        end_date=cast.adult_episode.start_date,
    )


@pytest.mark.parametrize("minutes,accepted", [(4, False), (5, True), (480, True), (481, False)])
def test_a_session_lasts_from_five_minutes_to_eight_hours(cast, minutes, accepted):
    session = make_session(cast.adult_episode, days_from_now=3)
    session.duration_minutes = minutes
    try:
        with transaction.atomic():
            session.save()
        saved = True
    except IntegrityError:
        saved = False
    assert saved is accepted


def test_a_session_ends_its_length_after_it_starts(cast):
    session = make_session(cast.adult_episode, days_from_now=3)
    session.duration_minutes = 75
    assert session.scheduled_end - session.scheduled_start == timedelta(minutes=75)


def test_a_session_reads_as_local_day_and_time_never_as_utc():
    moment = datetime(2026, 7, 1, 13, 0, tzinfo=ZoneInfo("UTC"))
    assert when_label(moment, ZoneInfo("Europe/London")) == "Wed 1 Jul 2026, 14:00"
    assert when_label(moment, ZoneInfo("America/New_York")) == "Wed 1 Jul 2026, 09:00"
    assert when_label(moment, ZoneInfo("Pacific/Auckland")) == "Thu 2 Jul 2026, 01:00"


def test_a_session_label_follows_the_active_zone(cast):
    session = Session(
        scheduled_start=datetime(2026, 12, 24, 23, 30, tzinfo=ZoneInfo("UTC")),
        duration_minutes=50,
    )
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert str(session) == "Fri 25 Dec 2026, 08:30"


def test_only_cancellations_count_as_cancelled(cast):
    session = make_session(cast.adult_episode, days_from_now=3)
    outcomes = {}
    for attendance in (
        "scheduled",
        "attended",
        "no_show",
        "cancelled_client",
        "cancelled_clinician",
    ):
        session.attendance = attendance
        outcomes[attendance] = session.is_cancelled
    assert outcomes == {
        "scheduled": False,
        "attended": False,
        "no_show": False,
        "cancelled_client": True,
        "cancelled_clinician": True,
    }
