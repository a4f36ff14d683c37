"""The last English a staff member who chose Spanish still read (issue 17 §1): why a case review
is overdue on the dashboard, and the full dates heading a session and a response."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3

from rapport.alerts.wording import reason_said
from rapport.matching.models import StuckCaseReview
from tests.conftest import build_cast, built_once, signed_in
from tests.core.test_candidates import prefer, ranked, therapist
from tests.test_partitions import a_response

# A Tuesday at five in the afternoon in London (the cast's practice), winter time.
TUESDAY = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    def _build():  # type: ignore[no-untyped-def]
        cast = build_cast()
        for person in (cast.clinician, cast.supervisor):
            person.language = "es"
            person.save(update_fields=["language"])
        cast.adult_session.scheduled_start = TUESDAY
        cast.adult_session.save(update_fields=["scheduled_start"])
        StuckCaseReview.objects.create(
            episode=cast.adult_episode,
            opened_by=cast.clinician,
            opened_at=timezone.now() - timedelta(days=40),
            trigger="by_hand",
        )
        StuckCaseReview.objects.create(
            episode=cast.adolescent_episode,
            opened_by=cast.clinician,
            opened_at=timezone.now() - timedelta(days=30),
            trigger="by_hand",
            status=StuckCaseReview.Status.DONE,
            completed_at=timezone.now() - timedelta(days=29),
            decided_by=cast.clinician,
            follow_up_on=timezone.localdate() - timedelta(days=3),
        )
        return cast, a_response(cast, TUESDAY)

    yield from built_once(django_db_blocker, _build)


@pytest.fixture
def cast(built):  # type: ignore[no-untyped-def]
    return built[0]


def spanish_day(day):  # type: ignore[no-untyped-def]
    """ "3 dic 2026": the day, the month's short Spanish name, the year."""
    with translation.override("es"):
        return f"{day.day} {MONTHS_3[day.month]} {day.year}"


def test_a_spanish_supervisor_reads_why_case_reviews_are_overdue_in_spanish(cast, db):
    page = signed_in(cast.supervisor).get(reverse("dashboards:therapist")).content.decode()

    opened = timezone.localdate(timezone.now() - timedelta(days=40))
    due = timezone.localdate() - timedelta(days=3)
    assert f"Abierta el {spanish_day(opened)} y sin completar" in page
    assert f"El seguimiento vencía el {spanish_day(due)}" in page
    assert "not completed" not in page and "Follow-up was due" not in page


@pytest.mark.parametrize("where", ["session", "response"])
def test_a_spanish_clinician_reads_a_full_date_with_its_de(cast, built, where, db):
    url = (
        reverse("care:session_detail", args=[cast.adult_session.pk])
        if where == "session"
        else reverse("measures:response_detail", args=[built[1].pk])
    )
    page = signed_in(cast.clinician).get(url).content.decode()

    assert "martes 1 de diciembre de 2026, 17:00" in page


@pytest.mark.parametrize(
    ("team", "musts", "spanish", "english"),
    [
        (
            [therapist(2, capacity=0)],
            (),
            "No hay ningún otro terapeuta que trabaje con adultos con plazas libres.",
            "No other therapist who works with adults has an open place.",
        ),
        (
            [therapist(2)],
            (("language", "Welsh"),),
            "Ningún terapeuta con plazas libres cumple: idioma «Welsh» (obligatoria).",
            "No therapist with an open place meets: language “Welsh” (must).",
        ),
        (
            [therapist(2, languages=("Polish",)), therapist(3, modalities=("phone",))],
            (("language", "Polish"), ("modality", "phone")),
            "pero ningún terapeuta con plazas libres las cumple todas a la vez: idioma «Polish»; "
            "cómo son las sesiones «phone».",
            # The kind in the page's words, as the client's preferences are listed.
            "meets them all together: language “Polish”; how sessions happen “phone”.",
        ),
    ],
)
def test_a_spanish_coordinator_reads_why_nobody_can_be_offered_in_spanish(
    team, musts, spanish, english
):  # type: ignore[no-untyped-def]
    from rapport.matching.wording import nobody_said

    ranking = ranked(team, [prefer(kind, value, must=True) for kind, value in musts])

    with translation.override("es"):
        assert spanish in nobody_said(ranking)
    with translation.override("en"):
        assert english in nobody_said(ranking)


@pytest.mark.parametrize(
    ("stored", "spanish"),
    [
        (
            "7.5 below last session (30.0 → 22.5)",
            "7,5 por debajo de la sesión anterior (30,0 → 22,5)",
        ),
        (
            "The plan is reviewed every 4 weeks; the last was 02 Mar 2026.",
            "la última revisión fue el 02 mar 2026.",
        ),
    ],
)
def test_a_stored_reasons_numbers_and_days_are_said_in_the_readers_format(stored, spanish):  # type: ignore[no-untyped-def]
    with translation.override("es"):
        assert spanish in reason_said(stored)
    with translation.override("en"):
        assert reason_said(stored) == stored
