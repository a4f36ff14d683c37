"""Recording what happened at a session: attendance, way of meeting, length and private notes.

What has not happened yet can be cancelled but not attended or missed; every recording is
audited by field name only, and a repeated post changes nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, Session
from rapport.care.services import session_record, session_schedule
from rapport.measures.models import Assignment
from rapport.measures.services import measure_plan_set
from tests.conftest import make_session


def record(session: Session, actor, **changes):
    values = {
        "attendance": session.attendance,
        "modality": session.modality,
        "duration_minutes": session.duration_minutes,
        "private_notes": session.private_notes,
    }
    values.update(changes)
    return session_record(actor=actor, session=session, **values)


def page(session: Session) -> str:
    return reverse("care:session_detail", args=[session.pk])


def posted(session: Session, **changes):
    data = {
        "attendance": session.attendance,
        "modality": session.modality,
        "duration_minutes": session.duration_minutes,
        "private_notes": session.private_notes,
    }
    data.update(changes)
    return data


def test_a_past_session_can_be_recorded_as_missed(cast):
    missed = make_session(cast.adult_episode, days_from_now=-1)
    record(missed, cast.clinician, attendance=Attendance.NO_SHOW)
    missed.refresh_from_db()
    assert missed.attendance == Attendance.NO_SHOW
    assert missed.get_attendance_display() == "Did not attend"


@pytest.mark.parametrize("cancelled", [Attendance.CANCELLED_CLIENT, Attendance.CANCELLED_CLINICIAN])
def test_a_session_still_to_come_can_be_cancelled_by_either_side(cast, cancelled):
    future = make_session(cast.adult_episode, days_from_now=3)
    record(future, cast.clinician, attendance=cancelled)
    future.refresh_from_db()
    assert future.attendance == cancelled and future.is_cancelled


def test_a_session_still_to_come_can_have_its_length_and_way_of_meeting_changed(cast):
    future = make_session(cast.adult_episode, days_from_now=3)
    record(future, cast.clinician, modality="phone", duration_minutes=30)
    future.refresh_from_db()
    assert (future.attendance, future.modality, future.duration_minutes) == (
        Attendance.SCHEDULED,
        "phone",
        30,
    )


def test_a_session_that_has_started_may_be_recorded_as_attended(cast):
    started = make_session(cast.adult_episode, days_from_now=0)
    started.scheduled_start = timezone.now() - timedelta(minutes=1)
    started.save()
    record(started, cast.clinician, attendance=Attendance.ATTENDED)
    started.refresh_from_db()
    assert started.attendance == Attendance.ATTENDED


def test_an_unknown_attendance_or_way_of_meeting_is_refused_by_the_service(cast):
    with pytest.raises(ValidationError, match="attendance outcome"):
        record(cast.adult_session, cast.clinician, attendance="late")
    with pytest.raises(ValidationError, match="how the session took place"):
        record(cast.adult_session, cast.clinician, modality="letter")
    cast.adult_session.refresh_from_db()
    assert (cast.adult_session.attendance, cast.adult_session.modality) == ("attended", "video")


@pytest.mark.parametrize("minutes", [4, 481])
def test_a_length_out_of_range_is_refused_by_the_service_and_nothing_is_saved(cast, minutes):
    with pytest.raises(ValidationError):
        record(cast.adult_session, cast.clinician, duration_minutes=minutes, private_notes="x")
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.duration_minutes == 50 and cast.adult_session.private_notes == ""


def test_recording_through_the_page_saves_and_says_so(cast, web_as):
    response = web_as(cast.clinician).post(
        page(cast.adult_session),
        posted(cast.adult_session, modality="in_person", private_notes="Worked on sleep."),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == page(cast.adult_session)
    assert "Session recorded." in response.text
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.modality == "in_person"
    assert cast.adult_session.private_notes == "Worked on sleep."


def test_marking_a_future_session_attended_on_the_page_is_a_clear_error(cast, web_as):
    future = make_session(cast.adult_episode, days_from_now=2)
    response = web_as(cast.clinician).post(page(future), posted(future, attendance="attended"))
    assert response.status_code == 400
    assert "cannot be marked attended before it has started" in response.text
    future.refresh_from_db()
    assert future.attendance == Attendance.SCHEDULED


def test_the_audit_names_the_changed_fields_but_never_holds_the_notes(cast):
    secret = "Client disclosed a family matter"
    record(cast.adult_session, cast.clinician, private_notes=secret, duration_minutes=45)
    event = AuditEvent.objects.filter(
        action="update", object_type="care.session", object_id=str(cast.adult_session.pk)
    ).get()
    assert sorted(event.detail["changed"]) == ["duration_minutes", "private_notes"]
    assert event.detail["attendance"] == "attended"
    assert event.actor_id == cast.clinician.pk and event.client_id == cast.adult_client.pk
    assert secret not in str(event.detail)


def test_posting_the_same_record_twice_changes_nothing_the_second_time(cast, web_as):
    web = web_as(cast.clinician)
    data = posted(cast.adult_session, private_notes="Same words")
    web.post(page(cast.adult_session), data)
    web.post(page(cast.adult_session), data)
    details = [
        event.detail["changed"]
        for event in AuditEvent.objects.filter(action="update", object_type="care.session")
    ]
    assert details == [["private_notes"], []]
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.private_notes == "Same words"


def test_a_team_member_and_the_supervisor_may_record_the_session(cast, web_as):
    for who, minutes in ((cast.co_clinician, 40), (cast.supervisor, 45)):
        response = web_as(who).post(
            page(cast.adult_session), posted(cast.adult_session, duration_minutes=minutes)
        )
        assert response.status_code == 302
        cast.adult_session.refresh_from_db()
        assert cast.adult_session.duration_minutes == minutes


def test_a_clinician_outside_the_care_of_the_client_cannot_record(cast, web_as):
    response = web_as(cast.outsider_clinician).post(
        page(cast.adult_session), posted(cast.adult_session, private_notes="not mine")
    )
    assert response.status_code == 404
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.private_notes == ""
    assert AuditEvent.objects.filter(
        actor_id=cast.outsider_clinician.pk, action="write", outcome="denied"
    ).exists()


def test_recording_a_session_as_held_makes_its_forms(cast):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    past = Session.objects.create(
        episode=cast.adult_episode,
        clinician=cast.clinician,
        modality="in_person",
        scheduled_start=timezone.now() - timedelta(days=5),
    )
    assert not past.assignments.exists()  # made behind the services' back, as an import would
    record(past, cast.clinician, attendance=Attendance.ATTENDED)
    assert past.assignments.filter(plan__family="phq9").exists()


def test_a_cancelled_session_gets_no_forms(cast):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    future = Session.objects.create(
        episode=cast.adult_episode,
        clinician=cast.clinician,
        modality="in_person",
        scheduled_start=timezone.now() + timedelta(days=5),
    )
    record(future, cast.clinician, attendance=Attendance.CANCELLED_CLIENT)
    assert not future.assignments.exists()


def test_the_forms_of_a_session_that_did_not_take_place_say_they_are_closed(cast, web_as):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    session = session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=timezone.now() + timedelta(days=1),
        duration_minutes=50,
        modality="in_person",
    )
    assert Assignment.objects.filter(session=session).exists()
    record(session, cast.clinician, attendance=Attendance.CANCELLED_CLINICIAN)
    text = web_as(cast.clinician).get(page(session)).text
    assert "This session did not take place, so its form is closed." in text
    assert "Hand device to client" not in text
