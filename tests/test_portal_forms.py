"""Filling in a form in the portal: the person it waits for opens it, keeps a draft, sends it
once; anyone else gets 404 (staff 403) and changes nothing; a completed form cannot be sent
again; a form not open yet, or of a session that did not happen, sends the person home with
the reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance
from rapport.measures.models import Assignment, Response
from rapport.measures.services import session_assignments_ensure
from tests.conftest import assignment_for, make_session

HOME = reverse("portal:home")


def feedback(each: str = "8", **extra: str) -> dict[str, str]:
    answers = {f"item:feedback-{n}": each for n in ("bond", "goals", "approach", "overall")}
    return {**answers, **extra}


def url(assignment: Assignment) -> str:
    return reverse("portal:assignment", args=[assignment.pk])


def fresh(assignment: Assignment) -> Assignment:
    return Assignment.objects.get(pk=assignment.pk)


@pytest.fixture
def adult_form(cast) -> Assignment:
    """The adult's feedback about a session held two days ago."""
    return assignment_for(session_assignments_ensure(session=cast.adult_session), "feedback")


@pytest.fixture
def teen_forms(cast) -> dict[str, Assignment]:
    session = make_session(cast.adolescent_episode, days_from_now=-2, held=True)
    assignments = session_assignments_ensure(session=session)
    return {
        "teen": assignment_for(assignments, "feedback", "client"),
        "guardian": assignment_for(assignments, "feedback", "guardian"),
    }


# --- The person it waits for --------------------------------------------------------------------


def test_the_client_opens_their_form_and_it_is_never_cached(cast, adult_form, web_as):
    page = web_as(cast.adult_client_user).get(url(adult_form))

    assert page.status_code == 200
    assert page.context["instrument"].id == "feedback-client"
    assert "Send my answers" in page.text and "Save and finish later" in page.text
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]


def test_opening_a_form_is_audited_and_changes_nothing(cast, adult_form, web_as):
    before = Assignment.objects.filter(pk=adult_form.pk).values().get()

    web_as(cast.adult_client_user).get(url(adult_form))

    assert Assignment.objects.filter(pk=adult_form.pk).values().get() == before
    assert not Response.objects.exists()
    event = AuditEvent.objects.get(action="portal_read", object_type="measures.assignment")
    assert (event.actor_id, event.object_id, event.client_id) == (
        cast.adult_client_user.pk,
        str(adult_form.pk),
        cast.adult_client.pk,
    )


def test_sending_the_form_stores_one_portal_response_and_thanks_the_client(
    cast, adult_form, web_as
):
    web = web_as(cast.adult_client_user)

    sent = web.post(url(adult_form), feedback("7"))

    assert sent.status_code == 302 and sent["Location"] == HOME
    response = Response.objects.get(assignment=adult_form)
    assert (response.mode, response.respondent, response.total) == ("portal", "client", 28)
    assert fresh(adult_form).status == Assignment.Status.COMPLETED
    assert "Thank you — your answers have been sent to your therapist." in web.get(HOME).text


def test_the_guardian_sends_their_own_form(cast, teen_forms, web_as):
    sent = web_as(cast.guardian).post(url(teen_forms["guardian"]), feedback("6"))

    assert sent.status_code == 302
    response = Response.objects.get(assignment=teen_forms["guardian"])
    assert (response.respondent, response.mode) == ("guardian", "portal")
    assert fresh(teen_forms["teen"]).status == Assignment.Status.PENDING


def test_a_draft_is_kept_and_shown_again_without_sending(cast, adult_form, web_as):
    web = web_as(cast.adult_client_user)

    saved = web.post(url(adult_form), {"item:feedback-bond": "4", "action": "draft"})

    assert saved.status_code == 200
    assert "Saved. You can come back to this page to finish." in saved.text
    assert fresh(adult_form).draft == {"feedback-bond": "4"}
    assert not Response.objects.exists()
    again = web.get(url(adult_form))
    assert 'name="item:feedback-bond" value="4" checked' in again.text


def test_incomplete_answers_are_refused_with_a_reason_and_kept_as_a_draft(cast, adult_form, web_as):
    page = web_as(cast.adult_client_user).post(url(adult_form), {"item:feedback-bond": "9"})

    assert page.status_code == 400
    assert page.context["error_count"] >= 1
    assert "Please check" in page.text
    assert not Response.objects.exists()
    assert fresh(adult_form).status == Assignment.Status.PENDING
    assert fresh(adult_form).draft == {"feedback-bond": "9"}


def test_an_answer_out_of_range_is_refused(cast, adult_form, web_as):
    page = web_as(cast.adult_client_user).post(url(adult_form), feedback("11"))

    assert page.status_code == 400
    assert not Response.objects.exists()


# --- Once only ----------------------------------------------------------------------------------


def test_a_completed_form_cannot_be_sent_again(cast, adult_form, web_as):
    web = web_as(cast.adult_client_user)
    web.post(url(adult_form), feedback("7"))

    again = web.post(url(adult_form), feedback("2"))

    assert again.status_code == 302 and again["Location"] == HOME
    [response] = Response.objects.filter(assignment=adult_form)
    assert response.total == 28
    assert AuditEvent.objects.filter(action="submit", object_type="measures.response").count() == 1


def test_a_completed_form_is_not_shown_again(cast, adult_form, web_as):
    web = web_as(cast.adult_client_user)
    web.post(url(adult_form), feedback("7"))

    page = web.get(url(adult_form))

    assert page.status_code == 302 and page["Location"] == HOME


# --- Opened by the wrong person -----------------------------------------------------------------


def test_another_client_gets_not_found_and_the_attempt_is_audited(cast, adult_form, web_as):
    web = web_as(cast.adolescent_client_user)

    assert web.get(url(adult_form)).status_code == 404
    assert web.post(url(adult_form), feedback()).status_code == 404

    assert not Response.objects.exists()
    assert fresh(adult_form).status == Assignment.Status.PENDING
    denied = AuditEvent.objects.filter(
        actor_id=cast.adolescent_client_user.pk,
        object_type="measures.assignment",
        object_id=str(adult_form.pk),
        outcome=AuditEvent.Outcome.DENIED,
    )
    assert denied.count() == 2


def test_a_guardian_cannot_open_the_young_persons_own_form(cast, teen_forms, web_as):
    web = web_as(cast.guardian)

    assert web.get(url(teen_forms["teen"])).status_code == 404
    assert web.post(url(teen_forms["teen"]), feedback()).status_code == 404
    assert fresh(teen_forms["teen"]).status == Assignment.Status.PENDING


def test_the_young_person_cannot_open_their_guardians_form(cast, teen_forms, web_as):
    web = web_as(cast.adolescent_client_user)

    assert web.post(url(teen_forms["guardian"]), feedback()).status_code == 404
    assert fresh(teen_forms["guardian"]).status == Assignment.Status.PENDING


def test_another_childs_guardian_cannot_open_a_guardians_form(cast, teen_forms, web_as):
    other_guardian = cast.other_guardian_link.guardian

    assert web_as(other_guardian).get(url(teen_forms["guardian"])).status_code == 404


def test_a_guardian_whose_link_has_ended_can_no_longer_open_their_form(cast, teen_forms, web_as):
    cast.guardian_link.is_active = False
    cast.guardian_link.save()

    page = web_as(cast.guardian).post(url(teen_forms["guardian"]), feedback())

    assert page.status_code == 404
    assert not Response.objects.exists()


@pytest.mark.parametrize("role", ["clinician", "supervisor", "admin"], ids=str)
def test_staff_are_refused_the_portal_form(cast, adult_form, web_as, role):
    page = web_as(cast.person(role)).post(url(adult_form), feedback())

    assert page.status_code == 403
    assert not Response.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_stored(adult_form, client):
    page = client.post(url(adult_form), feedback())

    assert page.status_code == 302 and page["Location"].startswith(reverse("accounts:login"))
    assert not Response.objects.exists()


def test_a_form_that_does_not_exist_is_not_found(cast, web_as):
    page = web_as(cast.adult_client_user).get(reverse("portal:assignment", args=[987654]))

    assert page.status_code == 404


# --- Not open ------------------------------------------------------------------------------------


def test_feedback_about_a_session_not_yet_held_sends_the_client_home_with_the_reason(cast, web_as):
    session = make_session(cast.adult_episode, days_from_now=0)  # today, not recorded yet
    form = assignment_for(session_assignments_ensure(session=session), "feedback")
    web = web_as(cast.adult_client_user)

    page = web.post(url(form), feedback())

    assert page.status_code == 302 and page["Location"] == HOME
    assert not Response.objects.exists()
    assert "Feedback about a session opens once the session has been held." in web.get(HOME).text


def test_the_form_of_a_session_that_did_not_take_place_is_closed(cast, adult_form, web_as):
    cast.adult_session.attendance = Attendance.CANCELLED_CLIENT
    cast.adult_session.save()
    web = web_as(cast.adult_client_user)

    page = web.get(url(adult_form))

    assert page.status_code == 302
    assert "This session did not take place, so its form is closed." in web.get(HOME).text


def test_other_methods_than_get_and_post_are_not_allowed(cast, adult_form, web_as):
    assert web_as(cast.adult_client_user).put(url(adult_form)).status_code == 405
