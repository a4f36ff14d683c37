"""Progress reports for the demo's clients, printed to PDF through the pages people open: the
clinician's for the record, the client's own copy, and a guardian's copy of a young person's.

The PDFs are made once for the module (WeasyPrint is CPU heavy) and read with poppler: each is
tagged, carries its language and title, says what each section must, and the copies for a client
or a guardian hold nothing of the clinician's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from rapport.accounts.models import User
from rapport.care.models import Episode
from rapport.demo.alliance import HELPED_WORDS
from rapport.demo.practice import DemoSummary, demo_email
from rapport.people.models import GuardianLink
from tests.conftest import signed_in
from tests.demo_snapshot import demo_practice
from tests.reports_pdf import first_page_image, pdf_info, pdf_text

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("reports_progress")

TODAY = dt.date(2026, 3, 18)


@dataclass
class Printed:
    demo: DemoSummary
    episode: Episode  # the portal client's
    teen_episode: Episode  # the young person of the demo's guardian
    files: dict[str, Path]
    texts: dict[str, str]


def _get_pdf(user: User, url: str, path: Path) -> Path:
    response = signed_in(user).get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/pdf"
    path.write_bytes(response.content)
    return path


@pytest.fixture(scope="module")
def printed(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Printed]:
    """The demo, built once for the module and rolled back afterwards, and its reports."""
    from django.db import transaction

    folder = tmp_path_factory.mktemp("reports")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo = demo_practice(today=TODAY)
            client_user = User.objects.get(email=demo_email("client"))
            guardian = User.objects.get(email=demo_email("guardian"))
            episode = Episode.objects.get(client__user=client_user, status="active")
            link = GuardianLink.objects.filter(guardian=guardian).select_related("client").first()
            assert link is not None
            # The young person's answers kept back from the guardian, whatever the demo chose.
            GuardianLink.objects.filter(pk=link.pk).update(
                may_see_client_answers=False, may_see_plan_summary=True
            )
            teen_episode = link.client.episodes.get(status="active")
            clinician = episode.primary_clinician
            url = reverse("reports:progress_pdf", args=[episode.pk])
            files = {
                "clinician": _get_pdf(clinician, url, folder / "clinician.pdf"),
                "client": _get_pdf(client_user, url, folder / "client.pdf"),
                "client_by_clinician": _get_pdf(
                    clinician, url + "?audience=client", folder / "client_by_clinician.pdf"
                ),
                "guardian": _get_pdf(
                    guardian,
                    reverse("reports:progress_pdf", args=[teen_episode.pk]),
                    folder / "guardian.pdf",
                ),
            }
            yield Printed(
                demo, episode, teen_episode, files, {k: pdf_text(p) for k, p in files.items()}
            )
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# What only the clinician's report says: if any of it is in a client's copy, the copy leaks.
CLINICIAN_ONLY = (
    "Clinician’s report",
    "Outcome at a glance",
    "Alerts and how each was resolved",
    "Session feedback (alliance)",
    "Ruptures and repair",
    "The plan’s versions",
    "Trajectory:",
    "expected",
    "Expected",
    "Risk item",
    "Therapist ",
)


@pytest.mark.parametrize("name", ["clinician", "client", "client_by_clinician", "guardian"])
def test_every_progress_report_is_a_tagged_pdf_in_english_with_its_title(
    printed: Printed, name: str
) -> None:
    info = pdf_info(printed.files[name])

    assert info["Tagged"] == "yes"
    assert int(info["Pages"]) >= 1
    assert printed.demo.practice.name in info["Title"]


@pytest.mark.parametrize("name", ["clinician", "client", "guardian"])
def test_every_page_names_the_practice_and_the_report_date_and_counts_the_pages(
    printed: Printed, name: str
) -> None:
    text = printed.texts[name]
    pages = int(pdf_info(printed.files[name])["Pages"])

    assert text.count(printed.demo.practice.name) >= pages
    assert text.count("Report date:") >= pages
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in text


def test_the_clinicians_report_has_every_section_with_the_change_rule_named(
    printed: Printed,
) -> None:
    text = printed.texts["clinician"]
    client = printed.episode.client

    assert f"Progress report: {client.full_name}" in text
    for section in (
        "Outcome at a glance",
        "Scores over sessions",
        "Patient Health Questionnaire (PHQ-9)",
        "Alerts and how each was resolved",
        "Session feedback (alliance)",
        "Ruptures and repair",
        "The plan’s versions",
        "Goals of the latest version",
        "What helped, in their words",
    ):
        assert section in text, section
    assert "NHS Talking Therapies criterion" in text or "Jacobson–Truax" in text
    assert "Trajectory: " in text
    assert "Accepted by" in text


@pytest.mark.parametrize("name", ["client", "client_by_clinician"])
def test_the_clients_copy_is_in_plain_words_with_goals_and_nothing_of_the_clinicians(
    printed: Printed, name: str
) -> None:
    text = printed.texts[name]

    assert "Your progress" in text
    assert "Your PHQ-9 scores have gone" in text
    assert "Goals" in text and "Aiming for" in text
    for words in CLINICIAN_ONLY:
        assert words not in text, words
    # The client's copy calls them by their first name, never the record's full name.
    assert printed.episode.client.full_name not in text
    assert "What you said helped" in text
    assert any(words in flat(text) for words in HELPED_WORDS["client"])


def flat(text: str) -> str:
    """The PDF's text with its line breaks undone, so that wrapped words read as written."""
    return " ".join(text.split())


def test_a_guardians_copy_leaves_out_the_young_persons_answers_the_link_keeps_back(
    printed: Printed,
) -> None:
    text = printed.texts["guardian"]
    young = printed.teen_episode.client
    name = young.preferred_name or young.full_name.split(" ")[0]

    assert f"{name}’s progress" in text
    assert f"{name}’s PHQ-9" not in text and f"{name}’s GAD-7" not in text
    assert "Now: shared between the young person and their therapist" in text
    assert f"{name}’s own words stay between" in flat(text)
    assert not any(words in flat(text) for words in HELPED_WORDS["client"])
    for words in CLINICIAN_ONLY:
        assert words not in text, words


@pytest.mark.parametrize("name", ["clinician", "client"])
def test_the_first_page_turns_into_an_image(printed: Printed, name: str, tmp_path: Path) -> None:
    image = first_page_image(printed.files[name], tmp_path / name)

    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(image) > 2000  # a page with text and a chart, not a blank


def test_the_page_and_the_pdf_show_the_same_report(printed: Printed, db: None) -> None:
    page = signed_in(printed.episode.primary_clinician).get(
        reverse("reports:progress", args=[printed.episode.pk])
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "Outcome at a glance" in html and "data:image/svg+xml;base64," in html
    assert reverse("reports:progress_pdf", args=[printed.episode.pk]) in html


def test_the_clients_copy_shows_the_expected_band_explained_in_plain_words(
    printed: Printed,
) -> None:
    text = printed.texts["client"]

    assert "The blue shaded band shows the range most people who started where you" in text
    # The chart's key names it in the same words, not in percentiles.
    assert "most people starting like you" in text and "10–90%" not in text
