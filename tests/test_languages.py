"""Each person reads Rapport in their own language: a Spanish-speaking guardian gets their forms
(from a link or the portal), their portal and their emails in Spanish, whoever else is signed
in on the device; the clinician's pages stay in English; PHQ-9, which ships in English only,
tells a Spanish-speaking client so in Spanish; responses keep the language they were given in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import Session
from rapport.measures.models import Assignment, Response
from rapport.measures.services import link_email, link_issue, measure_plan_set
from rapport.measures.services import session_assignments_ensure as ensure
from tests.conftest import assignment_for

SEND_ES = "Enviar mis respuestas"
SEND_EN = "Send my answers"
ENGLISH_ONLY_ES = "Este cuestionario solo está disponible en inglés"


@pytest.fixture
def spanish(cast):
    """The teenager's mother reads Spanish; so does the adult client. The teenager does not."""
    cast.guardian.language = "es"
    cast.guardian.save(update_fields=["language"])
    cast.adult_client.language = "es"
    cast.adult_client.save(update_fields=["language"])
    for episode, family, respondent in (
        (cast.adolescent_episode, "checkin", "guardian"),
        (cast.adult_episode, "phq9", "client"),
    ):
        measure_plan_set(
            actor=cast.clinician,
            episode=episode,
            family=family,
            respondent=respondent,
            schedule="every_session",
        )
    return cast


def video_call_soon(episode) -> Session:  # type: ignore[no-untyped-def]
    """A video session in a few hours: its forms from home are open now."""
    return Session.objects.create(
        episode=episode,
        clinician=episode.primary_clinician,
        modality="video",
        scheduled_start=timezone.now() + timedelta(hours=6),
    )


def guardian_checkin(cast) -> Assignment:  # type: ignore[no-untyped-def]
    session = video_call_soon(cast.adolescent_episode)
    return assignment_for(ensure(session=session), "checkin", "guardian")


def test_a_spanish_speaking_guardians_checkin_link_is_in_spanish_and_so_is_the_thanks(
    spanish, client
):
    assignment = guardian_checkin(spanish)
    _, token = link_issue(actor=None, assignment=assignment)
    url = reverse("measures:link_form", args=[token])

    page = client.get(url)

    assert page.status_code == 200
    assert '<html lang="es">' in page.text
    assert SEND_ES in page.text and SEND_EN not in page.text
    assert "¿Cómo se ha sentido su hijo o hija?" in page.text
    assert "Muy mal" in page.text and "Very bad" not in page.text

    missing = client.post(url, {"action": "submit"})
    assert missing.status_code == 400
    assert "Responda a esta pregunta, por favor" in missing.text

    answers = {f"item:{item.link_id}": "7" for item in assignment.instrument.items}
    sent = client.post(url, {**answers, "action": "submit"})
    assert sent.status_code == 302
    assert "Gracias" in client.get(sent["Location"]).text
    assert Response.objects.get(assignment=assignment).language == "es"


def test_the_guardians_portal_and_form_are_in_spanish_and_the_teenagers_stay_english(
    spanish, web_as
):
    assignment = guardian_checkin(spanish)
    guardian = web_as(spanish.guardian)

    home = guardian.get(reverse("portal:home"))
    form = guardian.get(reverse("portal:assignment", args=[assignment.pk]))

    assert '<html lang="es">' in home.text
    assert "Pendiente de usted" in home.text and "Cerrar sesión" in home.text
    assert "Rapport: Cómo va todo, para madres, padres y cuidadores" in home.text
    assert SEND_ES in form.text and "Piense en su hijo o hija" in form.text
    teen_home = web_as(spanish.adolescent_client_user).get(reverse("portal:home"))
    assert '<html lang="en">' in teen_home.text and "Waiting for you" in teen_home.text


def test_the_clinicians_pages_stay_in_english_beside_a_spanish_speaking_family(spanish, web_as):
    guardian_checkin(spanish)
    clinician = web_as(spanish.clinician)

    page = clinician.get(reverse("people:client_detail", args=[spanish.adolescent_client.pk]))

    assert page.status_code == 200
    assert '<html lang="en">' in page.text and "Sign out" in page.text
    assert "Cerrar sesión" not in page.text


def test_the_clinician_typing_in_a_paper_form_sees_it_in_english(spanish, web_as):
    assignment = guardian_checkin(spanish)

    page = web_as(spanish.clinician).get(
        reverse("measures:assignment_complete", args=[assignment.pk])
    )

    assert SEND_ES not in page.text


def test_a_measure_link_email_to_a_spanish_speaking_client_is_in_spanish(spanish):
    spanish.adult_client.email = "alex@example.com"
    spanish.adult_client.save(update_fields=["email"])
    assignment = assignment_for(ensure(session=video_call_soon(spanish.adult_episode)), "phq9")

    assert link_email(assignment=assignment, token="t0ken", base_url="https://rapport.test")

    [message] = mail.outbox
    assert message.subject == "Un formulario breve antes de su próxima sesión"
    assert message.body.startswith("Hola:")
    assert "le pide que rellene un formulario breve antes de su sesión del" in message.body
    assert "El enlace es solo para usted" in message.body


def test_a_measure_link_email_to_an_english_speaking_client_stays_in_english(cast):
    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save(update_fields=["email"])
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(ensure(session=video_call_soon(cast.adult_episode)), "phq9")

    link_email(assignment=assignment, token="t0ken", base_url="https://rapport.test")

    [message] = mail.outbox
    assert message.subject == "A short form before your next session"
    assert "asks you to fill in a short form before your session on" in message.body


def test_phq9_for_a_spanish_speaking_client_says_in_spanish_it_is_english_only(spanish, web_as):
    assignment = assignment_for(ensure(session=video_call_soon(spanish.adult_episode)), "phq9")

    page = web_as(spanish.adult_client_user).get(reverse("portal:assignment", args=[assignment.pk]))

    assert page.status_code == 200
    assert ENGLISH_ONLY_ES in page.text
    assert "Little interest or pleasure in doing things" in page.text  # the items as published
    assert SEND_ES in page.text


def test_phq9_for_an_english_speaking_client_has_no_language_note(cast, web_as):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(ensure(session=video_call_soon(cast.adult_episode)), "phq9")

    page = web_as(cast.adult_client_user).get(reverse("portal:assignment", args=[assignment.pk]))

    assert "English only" not in page.text and ENGLISH_ONLY_ES not in page.text


def test_the_clinician_sets_a_clients_language_on_the_edit_form(cast, web_as):
    clinician = web_as(cast.clinician)
    url = reverse("people:client_edit", args=[cast.adult_client.pk])
    form = clinician.get(url)
    assert 'name="language"' in form.text and "Spanish (español)" in form.text

    data = {
        "full_name": cast.adult_client.full_name,
        "date_of_birth": cast.adult_client.date_of_birth.isoformat(),
        "preferred_language": "Spanish",
        "language": "es",
        "status": cast.adult_client.status,
    }
    saved = clinician.post(url, data)

    assert saved.status_code == 302
    cast.adult_client.refresh_from_db()
    assert cast.adult_client.language == "es"


def test_a_language_rapport_does_not_have_is_refused(cast, web_as):
    url = reverse("people:client_edit", args=[cast.adult_client.pk])
    data = {
        "full_name": cast.adult_client.full_name,
        "date_of_birth": cast.adult_client.date_of_birth.isoformat(),
        "preferred_language": "Klingon",
        "language": "tlh",
        "status": cast.adult_client.status,
    }

    page = web_as(cast.clinician).post(url, data)

    assert page.status_code == 200
    cast.adult_client.refresh_from_db()
    assert cast.adult_client.language == "en"


def test_a_fhir_export_of_answers_given_in_spanish_says_so_and_english_ones_say_nothing(
    spanish, web_as
):
    from rapport.measures.services import response_submit

    assignment = guardian_checkin(spanish)
    answers = {item.link_id: 6 for item in assignment.instrument.items}
    response = response_submit(
        assignment=assignment,
        answers=answers,
        mode="portal",
        actor=spanish.guardian,
        language="es",
    )
    clinician = web_as(spanish.clinician)

    document = clinician.get(reverse("measures:response_fhir", args=[response.pk])).json()

    assert document["language"] == "es"
    response.language = "en"
    response.save(update_fields=["language"])
    english = clinician.get(reverse("measures:response_fhir", args=[response.pk])).json()
    assert "language" not in english


def test_the_clinician_sets_a_guardians_language_from_the_childs_record(cast, web_as):
    url = reverse("people:guardian_link_edit", args=[cast.guardian_link.pk])
    clinician = web_as(cast.clinician)
    assert 'name="language"' in clinician.get(url).text

    saved = clinician.post(
        url,
        {
            "relationship": "mother",
            "consent_to_treatment": "on",
            "is_active": "on",
            "language": "es",
        },
    )

    assert saved.status_code == 302
    cast.guardian.refresh_from_db()
    assert cast.guardian.language == "es"


def test_a_password_reset_email_is_in_the_language_of_the_account(spanish, client):
    client.post(reverse("accounts:password_reset"), {"email": spanish.guardian.email})

    [message] = mail.outbox
    assert message.subject == "Restablezca su contraseña de Rapport"
    assert "Alguien ha pedido restablecer la contraseña" in message.body
