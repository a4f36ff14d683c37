"""A session's forms are made when it is booked or recorded, never by opening a page, and each
may be answered only when its time has come: feedback once the session was held, forms for the
room from its start, check-ins from home at their plan's lead time before it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import Attendance, Modality
from rapport.care.services import session_record, session_schedule
from rapport.measures.availability import assignment_available
from rapport.measures.forms import MeasurePlanForm
from rapport.measures.models import Assignment, MeasurePlan
from rapport.measures.services import link_issue, measure_plan_set, response_submit
from tests.conftest import assignment_for, make_session

FEEDBACK = {"feedback-bond": "8", "feedback-goals": "8", "feedback-approach": "8"}
PHQ9 = {f"phq9-{n}": "0" for n in range(1, 10)}


def book(cast, *, hours_from_now: float, modality: str = Modality.IN_PERSON):
    return session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=timezone.now() + timedelta(hours=hours_from_now),
        duration_minutes=50,
        modality=modality,
    )


def plan(cast, family: str = "phq9", schedule: str = "every_session", **extra) -> MeasurePlan:
    return measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family=family,
        respondent="client",
        schedule=schedule,
        **extra,
    )


def test_booking_a_session_makes_its_forms_and_opening_its_page_makes_none(cast, web_as):
    plan(cast)
    session = book(cast, hours_from_now=72)
    made = set(session.assignments.values_list("pk", flat=True))
    assert made, "booking prepares the session's forms"

    page = web_as(cast.clinician).get(reverse("care:session_detail", args=[session.pk]))

    assert page.status_code == 200
    assert set(session.assignments.values_list("pk", flat=True)) == made


def test_opening_the_page_of_a_session_booked_before_any_plan_creates_nothing(cast, web_as):
    session = make_session(cast.adult_episode, days_from_now=3)
    before = Assignment.objects.count()

    web_as(cast.clinician).get(reverse("care:session_detail", args=[session.pk]))

    assert Assignment.objects.count() == before


def test_a_new_plan_reaches_sessions_already_booked(cast):
    session = book(cast, hours_from_now=72)
    plan(cast, family="gad7")
    assert session.assignments.filter(plan__family="gad7").exists()


def test_the_portal_offers_no_form_of_a_session_still_to_come(cast, web_as):
    plan(cast)
    session = book(cast, hours_from_now=72)

    page = web_as(cast.adult_client_user).get(reverse("portal:home"))

    waiting = page.context["cards"][0]["waiting"]
    assert not [a for a in waiting if a.session_id == session.pk]
    assert "How did today" not in page.text


def test_feedback_opens_only_once_the_session_is_recorded_as_held(cast, web_as):
    session = book(cast, hours_from_now=-1)  # started an hour ago, not recorded yet
    feedback = assignment_for(session.assignments.all(), "feedback")
    portal = web_as(cast.adult_client_user)
    assert feedback.pk not in [a.pk for a in portal.get("/portal/").context["cards"][0]["waiting"]]
    assert portal.get(reverse("portal:assignment", args=[feedback.pk])).status_code == 302

    session_record(
        actor=cast.clinician,
        session=session,
        attendance=Attendance.ATTENDED,
        modality=session.modality,
        duration_minutes=50,
        private_notes="",
    )

    assert feedback.pk in [a.pk for a in portal.get("/portal/").context["cards"][0]["waiting"]]
    assert portal.get(reverse("portal:assignment", args=[feedback.pk])).status_code == 200


def test_the_service_refuses_answers_for_a_session_that_has_not_happened(cast):
    plan(cast)
    session = book(cast, hours_from_now=72)
    for assignment in session.assignments.all():
        answers = FEEDBACK if assignment.plan.family == "feedback" else PHQ9
        with pytest.raises(ValidationError):
            response_submit(assignment=assignment, answers=answers, mode="portal", actor=None)
        assignment.refresh_from_db()
        assert assignment.status == Assignment.Status.PENDING
        assert not hasattr(assignment, "response")


def test_feedback_about_a_missed_session_is_refused(cast):
    session = book(cast, hours_from_now=-3)
    session.attendance = Attendance.NO_SHOW
    session.save()
    feedback = assignment_for(session.assignments.all(), "feedback")
    with pytest.raises(ValidationError, match="did not take place"):
        response_submit(assignment=feedback, answers=FEEDBACK, mode="portal", actor=None)


def test_a_check_in_from_home_opens_at_its_plans_lead_time(cast):
    plan(cast, family="checkin", schedule="between_sessions", lead_hours=24)
    session = book(cast, hours_from_now=48)
    checkin = assignment_for(session.assignments.all(), "checkin")
    start = session.scheduled_start

    assert not assignment_available(checkin, now=start - timedelta(hours=25))
    assert assignment_available(checkin, now=start - timedelta(hours=23))
    with pytest.raises(ValidationError, match="opens on"):
        link_issue(actor=cast.clinician, assignment=checkin)


def test_a_form_for_the_room_opens_at_the_start_of_the_session(cast):
    plan(cast)
    session = book(cast, hours_from_now=2)
    phq9 = assignment_for(session.assignments.all(), "phq9")
    assert not assignment_available(phq9)
    assert assignment_available(phq9, now=session.scheduled_start)


def test_no_link_is_issued_for_feedback_before_the_session_is_recorded_as_held(cast):
    session = book(cast, hours_from_now=-1, modality=Modality.VIDEO)
    feedback = assignment_for(session.assignments.all(), "feedback")
    with pytest.raises(ValidationError, match="held"):
        link_issue(actor=cast.clinician, assignment=feedback)


@pytest.mark.parametrize("hours", [-1, 169, "x"])
def test_the_lead_time_of_a_plan_is_range_checked(hours):
    form = MeasurePlanForm(
        {
            "family": "checkin",
            "respondent": "client",
            "schedule": "between_sessions",
            "every_n": 1,
            "lead_hours": hours,
        },
        families=[("checkin", "Check-in")],
    )
    assert not form.is_valid() and "lead_hours" in form.errors


def test_the_plan_model_refuses_a_lead_time_beyond_a_week(cast):
    with pytest.raises(ValidationError):
        plan(cast, family="checkin", schedule="between_sessions", lead_hours=500)


def test_the_client_mode_button_does_not_hand_over_feedback_before_the_session(cast, web_as):
    session = book(cast, hours_from_now=24)
    feedback = assignment_for(session.assignments.all(), "feedback")
    web = web_as(cast.clinician)

    response = web.post(reverse("measures:client_mode_start", args=[feedback.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("care:session_detail", args=[session.pk])
    page = web.get(response["Location"])
    assert "opens once the session has been held" in page.text
    assert "Hand device to client" not in page.text
