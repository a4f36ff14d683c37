"""Administering measures: plans, assignments, links from home, client mode, alerts."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.care.models import Modality
from rapport.core.tokens import hash_token
from rapport.measures.models import AccessLink, Assignment, Response
from rapport.measures.services import (
    link_issue,
    links_send_due,
    measure_plan_set,
    session_assignments_ensure,
)
from tests.conftest import PASSWORD, assignment_for, make_session, phq9_before_video

PHQ9_LOW = {f"item:phq9-{n}": "0" for n in range(1, 10)}


def phq9_answers(item9: str = "0", **overrides: str) -> dict[str, str]:
    answers = {**PHQ9_LOW, "item:phq9-9": item9}
    answers.update(overrides)
    return answers


@pytest.fixture
def phq9_due(cast):
    """PHQ-9 every session for the adult client; the cast's past video session has it due."""
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")
    return assignment


def test_assignments_follow_the_plan_and_the_persons_age(cast):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="client",
        schedule="every_session",
    )
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="guardian",
        schedule="every_session",
    )
    session = make_session(cast.adolescent_episode, days_from_now=1)
    assignments = session_assignments_ensure(session=session)
    by_respondent = {a.respondent: a for a in assignments if a.plan.family == "checkin"}
    assert set(by_respondent) == {"client", "guardian"}
    assert "adolescent" in by_respondent["client"].instrument.age_bands
    assert by_respondent["client"].instrument.respondent == "client"
    assert by_respondent["guardian"].instrument_id == "checkin-caregiver"
    assert by_respondent["guardian"].respondent_user == cast.guardian
    again = session_assignments_ensure(session=session)
    assert [a.pk for a in again] == [a.pk for a in assignments]  # created once


def test_a_link_token_is_long_random_and_only_its_hash_is_stored(phq9_due):
    link, token = link_issue(actor=None, assignment=phq9_due)
    assert len(token) >= 43  # 32 random bytes, base64url: 256 bits
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert not AccessLink.objects.filter(token_hash=token).exists()


def test_completing_a_phq9_through_a_link_stores_one_response_and_kills_the_link(phq9_due, client):
    _, token = link_issue(actor=None, assignment=phq9_due)
    url = reverse("measures:link_form", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and "Little interest or pleasure in doing things" in page.text
    done = client.post(url, phq9_answers(**{"item:phq9-1": "2", "item:phq9-2": "3"}))
    assert done.status_code == 302 and done["Location"] == reverse("measures:link_done")
    again = client.post(url, phq9_answers())
    assert again.status_code == 302 and again["Location"] == reverse("measures:link_done")
    response = Response.objects.get(assignment=phq9_due)
    assert response.total == 5 and response.band == "Mild" and response.mode == "link"
    assert client.get(url).status_code == 410


def test_out_of_range_and_missing_answers_are_refused_next_to_the_field(phq9_due, client):
    _, token = link_issue(actor=None, assignment=phq9_due)
    url = reverse("measures:link_form", args=[token])
    answers = phq9_answers(**{"item:phq9-3": "7"})
    del answers["item:phq9-4"]
    page = client.post(url, answers)
    assert page.status_code == 400
    assert 'id="q-phq9-3-error"' in page.text and 'id="q-phq9-4-error"' in page.text
    assert not Response.objects.exists()
    # What was typed is kept for the next try.
    phq9_due.refresh_from_db()
    assert phq9_due.draft["phq9-1"] == "0"


def test_an_unknown_item_is_refused(phq9_due, client):
    _, token = link_issue(actor=None, assignment=phq9_due)
    page = client.post(
        reverse("measures:link_form", args=[token]), phq9_answers(**{"item:extra": "1"})
    )
    assert page.status_code == 400
    assert not Response.objects.exists()


def test_a_draft_survives_a_reload(phq9_due, client):
    _, token = link_issue(actor=None, assignment=phq9_due)
    url = reverse("measures:link_form", args=[token])
    client.post(url, {"item:phq9-1": "2", "action": "draft"})
    page = client.get(url)
    assert 'name="item:phq9-1" value="2" checked' in page.text


def test_an_expired_or_replaced_link_no_longer_opens(phq9_due, client):
    old, old_token = link_issue(actor=None, assignment=phq9_due)
    _, new_token = link_issue(actor=None, assignment=phq9_due)
    assert "replaced" in client.get(reverse("measures:link_form", args=[old_token])).text
    AccessLink.objects.filter(token_hash=hash_token(new_token)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert "expired" in client.get(reverse("measures:link_form", args=[new_token])).text


def test_guessing_tokens_is_rate_limited(db, client):
    for n in range(10):
        assert client.get(reverse("measures:link_form", args=[f"guess{n}"])).status_code == 410
    assert client.get(reverse("measures:link_form", args=["guess-again"])).status_code == 429


def test_a_link_page_shows_no_earlier_clinical_data(phq9_due, cast, client):
    cast.adult_session.private_notes = "NOTE-NOT-FOR-THE-LINK"
    cast.adult_session.save()
    _, token = link_issue(actor=None, assignment=phq9_due)
    page = client.get(reverse("measures:link_form", args=[token]))
    assert "NOTE-NOT-FOR-THE-LINK" not in page.text
    assert cast.adult_client.full_name not in page.text


def test_phq9_item_nine_raises_an_urgent_alert_that_needs_a_note(phq9_due, cast, client, web_as):
    _, token = link_issue(actor=None, assignment=phq9_due)
    client.post(reverse("measures:link_form", args=[token]), phq9_answers(item9="1"))
    alert = Alert.objects.get(client=cast.adult_client)
    assert alert.urgent and alert.status == "open"
    web = web_as(cast.clinician)
    rows = web.get(reverse("people:caseload")).context["rows"]
    assert "Risk" in next(r.flags for r in rows if r.episode.client_id == cast.adult_client.pk)
    refused = web.post(reverse("alerts:acknowledge", args=[alert.pk]), {"note": ""})
    assert refused.status_code == 200 and "note" in refused.context["form"].errors
    web.post(
        reverse("alerts:acknowledge", args=[alert.pk]), {"note": "Phoned; safety plan agreed."}
    )
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == cast.clinician
    rows = web.get(reverse("people:caseload")).context["rows"]
    # Acknowledged is not resolved: the caseload keeps the risk flag (tests/test_risk_visibility)
    flags = next(r.flags for r in rows if r.episode.client_id == cast.adult_client.pk)
    assert "Risk" in flags and "1 open alert" not in flags


def test_client_mode_shows_only_the_form_and_needs_the_clinicians_password(phq9_due, cast, client):
    client.force_login(cast.clinician)
    client.post(reverse("measures:client_mode_start", args=[phq9_due.pk]))
    assert client.get(reverse("people:caseload"))["Location"] == reverse(
        "measures:client_mode_unlock"
    )
    assert client.get(reverse("measures:client_mode_form")).status_code == 200
    done = client.post(reverse("measures:client_mode_form"), phq9_answers())
    assert done["Location"] == reverse("measures:client_mode_unlock")
    assert Response.objects.get(assignment=phq9_due).mode == "in_session"
    wrong = client.post(reverse("measures:client_mode_unlock"), {"password": "guess"})
    assert wrong.status_code == 400
    assert client.get(reverse("people:caseload")).status_code == 302
    right = client.post(reverse("measures:client_mode_unlock"), {"password": PASSWORD})
    assert right["Location"] == reverse("care:session_detail", args=[cast.adult_session.pk])
    assert client.get(reverse("people:caseload")).status_code == 200


def test_the_worker_emails_links_before_video_sessions_and_reminds_once(cast, settings):
    soon = phq9_before_video(cast, timezone.now() + timedelta(hours=5))
    in_person = make_session(cast.adult_episode, days_from_now=0)
    in_person.scheduled_start = timezone.now() + timedelta(hours=6)
    in_person.modality = Modality.IN_PERSON
    in_person.save()
    assert links_send_due(base_url="https://rapport.example.org") == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alex@example.com"]
    assert "https://rapport.example.org/m/" in mail.outbox[0].body
    assert links_send_due(base_url="https://rapport.example.org") == 0  # nothing new yet
    later = soon.scheduled_start - timedelta(hours=1)
    assert links_send_due(now=later, base_url="https://rapport.example.org") == 1
    assert mail.outbox[1].subject.startswith("Reminder")
    assert links_send_due(now=later, base_url="https://rapport.example.org") == 0


def test_a_response_exports_as_a_valid_fhir_questionnaire_response(phq9_due, cast, client, web_as):
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    _, token = link_issue(actor=None, assignment=phq9_due)
    client.post(reverse("measures:link_form", args=[token]), phq9_answers(**{"item:phq9-1": "1"}))
    response = Response.objects.get()
    exported = web_as(cast.clinician).get(reverse("measures:response_fhir", args=[response.pk]))
    assert exported["Content-Type"] == "application/fhir+json"
    resource = QuestionnaireResponse.model_validate_json(exported.content)
    assert resource.status == "completed"


def test_a_client_completes_a_waiting_form_in_the_portal(phq9_due, cast, web_as):
    web = web_as(cast.adult_client_user)
    home = web.get(reverse("portal:home"))
    assert reverse("portal:assignment", args=[phq9_due.pk]) in home.text
    done = web.post(reverse("portal:assignment", args=[phq9_due.pk]), phq9_answers())
    assert done.status_code == 302
    assert Response.objects.get(assignment=phq9_due).mode == "portal"
    assert "Your progress" in web.get(reverse("portal:home")).text


def test_another_client_cannot_open_someone_elses_form(phq9_due, cast, web_as):
    response = web_as(cast.adolescent_client_user).get(
        reverse("portal:assignment", args=[phq9_due.pk])
    )
    assert response.status_code == 404
    assert Assignment.objects.get(pk=phq9_due.pk).status == "pending"


def test_an_autosave_keeps_a_draft_without_sending_a_page(phq9_due, client):
    _, token = link_issue(actor=None, assignment=phq9_due)
    url = reverse("measures:link_form", args=[token])
    saved = client.post(url, {"item:phq9-2": "3", "action": "draft"}, HTTP_X_RAPPORT_AUTOSAVE="1")
    assert saved.status_code == 204 and saved.content == b""
    phq9_due.refresh_from_db()
    assert phq9_due.draft == {"phq9-2": "3"}
    assert not Response.objects.exists()


def test_rapport_worker_once_sends_the_due_links(transactional_db, cast, settings):
    # The worker closes stale connections as a long-running process should; outside a test
    # transaction that is harmless.
    from django.core.management import call_command

    settings.RAPPORT_BASE_URL = "https://rapport.example.org"
    phq9_before_video(cast, timezone.now() + timedelta(hours=3))
    call_command("worker", "--once")
    assert [m.to for m in mail.outbox] == [["alex@example.com"]]


def test_rapport_worker_refuses_to_start_without_a_base_url(db, settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.RAPPORT_BASE_URL = ""
    with pytest.raises(CommandError, match="RAPPORT_BASE_URL"):
        call_command("worker", "--once")


def test_closing_an_episode_sends_the_discharge_measures_from_home(cast):
    from rapport.care.services import episode_close

    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save()
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="intake_discharge",
    )
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )
    [discharge] = Assignment.objects.filter(episode=cast.adult_episode, session__isnull=True)
    assert discharge.remote and discharge.instrument_id == "phq9"
    assert links_send_due(base_url="https://rapport.example.org") == 1
    assert mail.outbox[0].to == ["alex@example.com"]
    assert links_send_due(base_url="https://rapport.example.org") == 0


def test_ending_a_guardian_link_withdraws_their_forms_and_kills_their_links(cast, client, web_as):
    from rapport.people.services import guardian_link_update

    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="guardian",
        schedule="every_session",
    )
    session = make_session(cast.adolescent_episode, days_from_now=1)
    assignment = assignment_for(session_assignments_ensure(session=session), "checkin", "guardian")
    _, token = link_issue(actor=None, assignment=assignment)
    guardian_link_update(
        actor=cast.clinician, link=cast.guardian_link, settings={"is_active": False}
    )
    page = client.get(reverse("measures:link_form", args=[token]))
    assert page.status_code == 410
    assignment.refresh_from_db()
    assert assignment.status == "cancelled"
    with pytest.raises(Exception, match="no longer"):
        link_issue(actor=None, assignment=assignment)
