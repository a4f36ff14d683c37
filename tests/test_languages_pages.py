"""The pages around the forms speak each person's language too: a page before signing in follows
the browser (or the language switch) because it knows nobody; a link that no longer works is
explained in the language of the person it was made for; everyone chooses their own language on
their account page; numbers and dates read as the reader writes them, in the practice's zone."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from rapport.audit.models import AuditEvent
from rapport.care.models import Session
from rapport.measures.models import AccessLink
from rapport.measures.services import link_issue, measure_plan_set
from rapport.measures.services import session_assignments_ensure as ensure
from rapport.measures.wording import answer_problem
from rapport.people.languages import whole_number
from tests.conftest import assignment_for

SPANISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
SPANISH_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


@pytest.mark.parametrize(
    ("browser", "lang", "heading"),
    [
        ("es-ES,es;q=0.9,en;q=0.5", "es", "Iniciar sesión"),
        ("fr-FR,fr;q=0.9", "en", "Sign in"),  # a language Rapport lacks: the default
    ],
)
def test_the_sign_in_page_is_in_the_browsers_language_when_rapport_has_it(
    client, browser, lang, heading
):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=browser)

    assert f'<html lang="{lang}">' in page.text
    assert f"<h1>{heading}</h1>" in page.text
    assert 'action="/accounts/language/"' in page.text  # the switch is there to change it


def test_the_language_switch_keeps_its_choice_over_the_browsers_on_the_next_pages(client):
    reset = reverse("accounts:password_reset")

    switched = client.post(reverse("accounts:language"), {"language": "es", "next": reset})
    page = client.get(reset, **ENGLISH_BROWSER)

    assert switched.status_code == 302 and switched["Location"] == reset
    assert "<h1>Restablecer la contraseña</h1>" in page.text
    assert client.post(reverse("accounts:language"), {"language": "xx"}).status_code == 400
    # Away from this site, never: the switch goes back only to Rapport's own pages.
    away = client.post(
        reverse("accounts:language"), {"language": "en", "next": "https://evil.test/"}
    )
    assert away["Location"] == reverse("accounts:login")


def test_signing_out_leaves_the_sign_in_page_in_the_language_of_who_signed_out(cast, web_as):
    cast.guardian.language = "es"
    cast.guardian.save(update_fields=["language"])
    guardian = web_as(cast.guardian)

    guardian.post(reverse("accounts:logout"))
    page = guardian.get(reverse("accounts:login"), **ENGLISH_BROWSER)

    assert "<h1>Iniciar sesión</h1>" in page.text


@pytest.fixture
def guardians_link(cast):
    """A Check-in link for the teenager's mother, who reads Spanish."""
    cast.guardian.language = "es"
    cast.guardian.save(update_fields=["language"])
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="guardian",
        schedule="every_session",
    )
    session = Session.objects.create(
        episode=cast.adolescent_episode,
        clinician=cast.clinician,
        modality="video",
        scheduled_start=timezone.now() + timedelta(hours=6),
    )
    assignment = assignment_for(ensure(session=session), "checkin", "guardian")
    link, token = link_issue(actor=None, assignment=assignment)
    return link, reverse("measures:link_form", args=[token])


def test_an_expired_link_is_explained_in_the_language_of_the_person_it_was_for(
    guardians_link, client
):
    link, url = guardians_link
    AccessLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    page = client.get(url, **ENGLISH_BROWSER)

    assert page.status_code == 410
    assert '<html lang="es">' in page.text
    assert "Este enlace ha caducado. Pida uno nuevo a su terapeuta." in page.text
    assert "/accounts/language/" not in page.text  # the person is known: no switch


def test_a_link_that_opens_nothing_is_explained_in_the_browsers_language(db, client):
    page = client.get(reverse("measures:link_form", args=["no-such-token"]), **SPANISH_BROWSER)

    assert page.status_code == 410
    assert "Este enlace no es válido" in page.text
    assert "/accounts/language/" in page.text


def test_a_clinician_who_chooses_spanish_reads_the_staff_pages_in_spanish(cast, web_as):
    clinician = web_as(cast.clinician)
    url = reverse("accounts:account")
    assert 'value="es"' in clinician.get(url).text

    saved = clinician.post(url, {"language": "es", "submission_key": str(uuid.uuid4())})

    cast.clinician.refresh_from_db()
    assert saved.status_code == 302 and cast.clinician.language == "es"
    caseload = clinician.get(reverse("people:caseload"))
    assert '<html lang="es">' in caseload.text and "Cerrar sesión" in caseload.text
    assert AuditEvent.objects.filter(
        actor_id=cast.clinician.pk, action="update", detail__language=["en", "es"]
    ).exists()


def test_a_client_who_chooses_spanish_changes_the_language_on_their_record(cast, web_as):
    adult = web_as(cast.adult_client.user)

    adult.post(reverse("accounts:account"), {"language": "es", "submission_key": str(uuid.uuid4())})

    cast.adult_client.refresh_from_db()
    cast.adult_client.user.refresh_from_db()
    assert cast.adult_client.language == "es"
    assert cast.adult_client.user.language == "en"  # one place holds it: the record
    assert '<html lang="es">' in adult.get(reverse("portal:home")).text


@pytest.mark.parametrize(
    ("language", "four_digits", "five_digits"),
    [("en", "4,000", "12,345"), ("es", "4000", "12\xa0345")],
)
def test_numbers_are_grouped_as_the_reader_groups_them(language, four_digits, five_digits):
    with translation.override(language):
        assert (whole_number(4000), whole_number(12345)) == (four_digits, five_digits)


@pytest.mark.parametrize(
    ("language", "short", "with_year"),
    [("en", "7 Aug", "7 Aug 2026"), ("es", "7 ago", "7 ago 2026")],
)
def test_short_month_names_are_written_as_the_reader_writes_them(language, short, with_year):
    """Spanish writes a month's abbreviation in lower case ("7 ago"), never "7 Ago"."""
    day = datetime(2026, 8, 7).date()
    with translation.override(language):
        assert date_format(day, translation.gettext("j M")) == short
        assert date_format(day, translation.gettext("j M Y")) == with_year


def test_a_too_long_answer_is_measured_in_spanish_numbers():
    english = (
        "This answer is 4,123 characters long; please shorten it to 4,000 characters or fewer."
    )
    with translation.override("es"):
        said = answer_problem(english)

    assert "4123" in said and "4000" in said and "4,0" not in said


def test_a_spanish_speaking_guardian_sees_the_next_session_with_its_day_name_in_spanish(
    cast, web_as
):
    cast.guardian.language = "es"
    cast.guardian.save(update_fields=["language"])
    zone = cast.adolescent_episode.practice.zone
    # Half past midnight in London in summer: still the day before in UTC, so a page in the
    # server's zone would name the wrong day.
    start = datetime(timezone.now().year + 1, 7, 12, 0, 30, tzinfo=zone)
    Session.objects.create(
        episode=cast.adolescent_episode, clinician=cast.clinician, scheduled_start=start
    )

    page = web_as(cast.guardian).get(reverse("portal:home")).text

    with translation.override("es"), timezone.override(zone):
        expected = date_format(start, r"l j \d\e F, H:i")
    assert expected in page and expected.split()[0] in SPANISH_DAYS
    assert expected.endswith("00:30") and settings.TIME_ZONE == "UTC"
