"""The client's progress report in its reader's language: a Spanish-speaking client's copy is in
Spanish (words, dates, page margins, the PDF's language tag), the report of the same episode
for its clinician, who kept English, stays in English (a clinician's copy follows the clinician's
own language), and a guardian's copy is in the guardian's own language, whatever the
young person's. The portal pages that show the same words follow the client too.

The demo is built once for the module and its PDFs printed once (WeasyPrint is CPU heavy).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from rapport.accounts.models import User
from rapport.care.models import Episode
from rapport.demo.practice import demo_email
from rapport.people.models import Client, GuardianLink
from rapport.reports.services import letter_write
from tests.conftest import signed_in
from tests.demo_snapshot import demo_practice
from tests.reports_pdf import pdf_language, pdf_text

TODAY = dt.date(2026, 3, 18)

# One worker prints the module's PDFs once, rather than each worker that picks up one of its tests.
pytestmark = pytest.mark.xdist_group("reports_language")


@dataclass
class Printed:
    client_user: User
    client: Client
    teen: Client
    files: dict[str, Path]
    texts: dict[str, str]
    # The clinician's copies of the plan summary and the discharge letter, as pages.
    pages: dict[str, str]


def _get_pdf(user: User, url: str, path: Path) -> Path:
    response = signed_in(user).get(url)
    assert response.status_code == 200, url
    path.write_bytes(response.content)
    return path


def _page(user: User, url: str) -> str:
    response = signed_in(user).get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture(scope="module")
def printed(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Printed]:
    """The demo's portal client reading Spanish, and the demo's guardian reading Spanish while
    the young person reads English; their reports printed once, rolled back afterwards."""
    from django.db import transaction

    folder = tmp_path_factory.mktemp("reports-es")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo_practice(today=TODAY)
            client_user = User.objects.get(email=demo_email("client"))
            guardian = User.objects.get(email=demo_email("guardian"))
            Client.objects.filter(user=client_user).update(language="es")
            User.objects.filter(pk=guardian.pk).update(language="es")
            link = GuardianLink.objects.filter(guardian=guardian).select_related("client").first()
            assert link is not None
            Client.objects.filter(pk=link.client_id).update(language="en")
            episode = Episode.objects.get(client__user=client_user, status="active")
            teen_episode = link.client.episodes.get(status="active")
            url = reverse("reports:progress_pdf", args=[episode.pk])
            clinician = episode.primary_clinician
            # A closed episode of a Spanish-speaking client, its letter written.
            closed = Episode.objects.filter(status="closed").select_related("client").first()
            assert closed is not None
            Client.objects.filter(pk=closed.client_id).update(language="es")
            letter_write(
                actor=closed.primary_clinician,
                episode=closed,
                addressee="Dr Ana Ruiz",
                organisation="Centro de Salud Norte",
                recommendations="Keep the routine going.",
            )
            files = {
                "plan": _get_pdf(
                    client_user, reverse("reports:plan_pdf", args=[episode.pk]), folder / "p.pdf"
                ),
                "discharge": _get_pdf(
                    closed.primary_clinician,
                    reverse("reports:discharge_pdf", args=[closed.pk]) + "?audience=client",
                    folder / "d.pdf",
                ),
                "client": _get_pdf(client_user, url, folder / "client.pdf"),
                "clinician": _get_pdf(clinician, url, folder / "clinician.pdf"),
                "guardian": _get_pdf(
                    guardian,
                    reverse("reports:progress_pdf", args=[teen_episode.pk]),
                    folder / "guardian.pdf",
                ),
            }
            yield Printed(
                client_user,
                episode.client,
                link.client,
                files,
                {name: pdf_text(path) for name, path in files.items()},
                {
                    "plan": _page(clinician, reverse("reports:plan", args=[episode.pk])),
                    "discharge": _page(
                        closed.primary_clinician, reverse("reports:discharge", args=[closed.pk])
                    ),
                },
            )
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


SPANISH_HEADINGS = ("Cómo han ido las cosas", "Objetivos", "Lo que usted dijo que le ayudó")
ENGLISH_WORDS = (
    "How things have gone",
    "Goals",
    "What you said helped",
    "Your progress",
    "Report date",
    "Page 1 of",
    "Session",
    "lower is better",
    "Aiming for",
    "Your therapist",
)


def test_a_spanish_clients_copy_is_in_spanish_with_no_english_heading(printed: Printed) -> None:
    text = printed.texts["client"]

    for heading in SPANISH_HEADINGS:
        assert heading in text, heading
    assert "Sus avances" in text
    assert re.search(r"Sus puntuaciones en el PHQ-9 (han bajado|han subido|siguen)", text)
    assert re.search(r"Fecha del informe: \d{1,2} de [a-z]+ de \d{4}", text)
    assert "Página 1 de" in text and "Meta: por debajo de" in text
    for words in ENGLISH_WORDS:
        assert words not in text, words


def test_a_spanish_clients_pdf_declares_its_language_as_spanish(printed: Printed) -> None:
    assert pdf_language(printed.files["client"]) == "es"


def test_the_clinicians_report_of_the_same_episode_stays_in_english(printed: Printed) -> None:
    text = printed.texts["clinician"]

    assert pdf_language(printed.files["clinician"]) == "en"
    assert "Outcome at a glance" in text and "Report date:" in text
    for heading in SPANISH_HEADINGS:
        assert heading not in text, heading


def test_a_guardian_reads_the_young_persons_report_in_their_own_language(
    printed: Printed,
) -> None:
    text = printed.texts["guardian"]
    name = printed.teen.preferred_name or printed.teen.full_name.split(" ")[0]

    assert pdf_language(printed.files["guardian"]) == "es"
    assert f"Avances de {name}" in text and "Cómo han ido las cosas" in text
    assert "How things have gone" not in text


@pytest.mark.parametrize(
    ("page", "spanish", "english"),
    [
        ("progress:portal", "Sus avances", ("Your progress", "lower is better", "Session")),
        ("plans:portal_plan", "Su plan", ("Your plan", "Goals", "How we will work")),
    ],
)
def test_the_portal_shows_a_spanish_client_the_same_words_in_spanish(
    printed: Printed, db: None, page: str, spanish: str, english: tuple[str, ...]
) -> None:
    response = signed_in(printed.client_user).get(reverse(page, args=[printed.client.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert spanish in html
    for words in english:
        assert words not in html, words


@pytest.mark.parametrize(
    ("copy", "spanish", "english"),
    [
        (
            "plan",
            ("El plan vigente", "Objetivos y cómo sabremos que los alcanzamos", "Firmas"),
            ("The plan in force", "Goals and how we will know", "Signed off", "Report date"),
        ),
        (
            "discharge",
            ("Estimado/a Dr Ana Ruiz:", "Cómo terminó la atención", "Recomendaciones"),
            ("Dear ", "How care ended", "Recommendations", "sessions attended", "Page 1 of"),
        ),
    ],
)
def test_a_spanish_clients_copy_of_the_plan_and_the_letter_is_in_spanish(
    printed: Printed, copy: str, spanish: tuple[str, ...], english: tuple[str, ...]
) -> None:
    text = printed.texts[copy]

    assert pdf_language(printed.files[copy]) == "es"
    assert re.search(r"Fecha del informe: \d{1,2} de [a-z]+ de \d{4}", text)
    for words in spanish:
        assert words in text, words
    for words in english:
        assert words not in text, words


@pytest.mark.parametrize(
    ("copy", "english"),
    [
        ("plan", ("The plan in force", "Goals and how we will know", "Signed off")),
        ("discharge", ("Dear Dr Ana Ruiz,", "How care ended", "Recommendations")),
    ],
)
def test_the_clinicians_copy_of_the_plan_and_the_letter_stays_in_english(
    printed: Printed, copy: str, english: tuple[str, ...]
) -> None:
    html = printed.pages[copy]

    assert '<article class="report" lang="en">' in html
    for words in english:
        assert words in html, words
