"""Who sees the session page and what they see on it: the clinicians on the episode and their
supervisor read and record it, a practice admin only reads it under break-glass and never the
private notes, and everybody else learns nothing. Every opening is audited; none writes."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.models import Session
from rapport.measures.models import Assignment

NOTES = "Talked about the move; sleep still poor."


@pytest.fixture
def session(cast) -> Session:
    cast.adult_session.private_notes = NOTES
    cast.adult_session.save()
    return cast.adult_session


def url(session: Session) -> str:
    return reverse("care:session_detail", args=[session.pk])


def grant_break_glass(web, client) -> None:
    response = web.post(
        reverse("people:break_glass", args=[client.pk]),
        {"reason": "Safeguarding call from the school", "submission_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["clinician", "co_clinician", "supervisor"])
def test_the_care_team_opens_the_page_with_the_recording_form_and_the_notes(
    cast, web_as, session, who
):
    response = web_as(getattr(cast, who)).get(url(session))
    assert response.status_code == 200
    assert response.context["can_write"] is True
    assert "Save session" in response.text
    assert NOTES in response.text
    assert "Alex" in response.text


@pytest.mark.parametrize(
    "who", ["outsider_clinician", "other_supervisor", "foreign_clinician", "admin"]
)
def test_staff_outside_the_clients_care_get_not_found(cast, web_as, session, who):
    response = web_as(getattr(cast, who)).get(url(session))
    assert response.status_code == 404
    assert NOTES not in response.text


@pytest.mark.parametrize("who", ["adult_client_user", "guardian"])
def test_the_client_and_family_are_refused_the_clinicians_page(cast, web_as, session, who):
    response = web_as(getattr(cast, who)).get(url(session))
    assert response.status_code == 403
    assert NOTES not in response.text


def test_an_anonymous_visitor_is_sent_to_sign_in_and_comes_back_after(cast, web_as, session):
    response = web_as(None).get(url(session))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url(session)}"


def test_an_admin_under_break_glass_reads_the_page_without_notes_or_form(cast, web_as, session):
    web = web_as(cast.admin)
    grant_break_glass(web, cast.adult_client)
    response = web.get(url(session))
    assert response.status_code == 200
    assert response.context["can_write"] is False
    assert "Save session" not in response.text
    assert NOTES not in response.text
    assert "not shown under emergency access" in response.text


def test_an_admins_reading_under_break_glass_is_marked_in_the_audit(cast, web_as, session):
    web = web_as(cast.admin)
    grant_break_glass(web, cast.adult_client)
    web.get(url(session))
    event = AuditEvent.objects.get(
        actor_id=cast.admin.pk, action="read", object_type="care.session"
    )
    assert event.detail == {"access": "break_glass"}
    assert event.client_id == cast.adult_client.pk


def test_break_glass_for_one_client_does_not_open_another_clients_session(cast, web_as):
    web = web_as(cast.admin)
    grant_break_glass(web, cast.adult_client)
    assert web.get(url(cast.other_session)).status_code == 404


def test_each_opening_by_the_care_team_is_audited_as_a_read(cast, web_as, session):
    web_as(cast.supervisor).get(url(session))
    event = AuditEvent.objects.get(actor_id=cast.supervisor.pk, object_type="care.session")
    assert (event.action, event.outcome, event.object_id) == ("read", "ok", str(session.pk))
    assert event.detail == {}


def test_a_refused_opening_is_audited_as_denied(cast, web_as, session):
    web_as(cast.outsider_clinician).get(url(session))
    assert AuditEvent.objects.filter(
        actor_id=cast.outsider_clinician.pk,
        object_type="care.session",
        object_id=str(session.pk),
        outcome="denied",
    ).exists()


def test_a_session_of_another_practice_is_found_only_by_its_own_clinician(cast, web_as):
    assert web_as(cast.clinician).get(url(cast.foreign_session)).status_code == 404
    assert web_as(cast.foreign_clinician).get(url(cast.foreign_session)).status_code == 200


def test_a_session_that_does_not_exist_is_not_found(cast, web_as):
    assert (
        web_as(cast.clinician).get(reverse("care:session_detail", args=[999999])).status_code == 404
    )


def test_opening_the_page_changes_neither_the_session_nor_its_forms(cast, web_as, session):
    before = Session.objects.filter(pk=session.pk).values().get()
    forms_before = Assignment.objects.count()
    webs = [web_as(who) for who in (cast.clinician, cast.supervisor, cast.co_clinician)]
    # Events are numbered in the chain when sealed; the order of their rows is the order made.
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    for web in webs:
        web.get(url(session))
    assert Session.objects.filter(pk=session.pk).values().get() == before
    assert Assignment.objects.count() == forms_before
    since = AuditEvent.objects.filter(id__gt=last_event).order_by("id")
    assert list(since.values_list("action", flat=True)) == ["read"] * 3


def test_the_page_shows_the_session_in_the_practices_local_time(cast, web_as, session):
    cast.practice.time_zone = "Asia/Tokyo"
    cast.practice.save()
    local = timezone.localtime(session.scheduled_start, cast.practice.zone)
    text = web_as(cast.clinician).get(url(session)).text
    assert f"{local:%H:%M}" in text and local.strftime("%B") in text


def test_the_page_says_how_long_how_and_with_whom_the_session_was(cast, web_as, session):
    text = web_as(cast.clinician).get(url(session)).text
    assert "50 minutes" in text and "Video" in text and cast.clinician.full_name in text
    assert "Attended" in text


def test_other_methods_than_get_and_post_are_refused(cast, web_as, session):
    assert web_as(cast.clinician).put(url(session)).status_code == 405
    assert web_as(cast.clinician).delete(url(session)).status_code == 405
