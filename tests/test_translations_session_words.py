"""A score's words on the staff pages follow the staff reader's language (issue 17 §1): the
severity band, what changed since last time and since intake, the alliance line's respondents
and our own measures' names. Responses keep the English the instrument gave them; only what is
shown is translated."""

from __future__ import annotations

from html import escape

import pytest
from django.urls import reverse

from tests.conftest import build_cast, built_once, signed_in
from tests.test_session_page import setup_history


def _build():  # type: ignore[no-untyped-def]
    cast = build_cast()
    cast.co_clinician.language = "es"
    cast.co_clinician.save(update_fields=["language"])
    today = setup_history(cast)  # PHQ-9 16, 8, then 9; feedback 32 from the client, 36 ours
    return cast, today


@pytest.fixture(scope="module")
def staff(django_db_blocker):  # type: ignore[no-untyped-def]
    """The primary clinician kept English; the team member chose Spanish."""
    yield from built_once(django_db_blocker, _build)


SESSION_WORDS = {
    "band": ("9 Mild", "9 Leve"),
    "change since last time": (
        "1 point higher than last time (worse).",
        "1 punto más que la última vez (peor).",
    ),
    "change since intake": (
        "7 points lower than at intake (better): reliably better, and now in the healthy range.",
        "7 puntos menos que al inicio (mejor): claramente mejor, y ahora en el rango saludable.",
    ),
    "alliance": ("Client 32 · Therapist 36", "Cliente 32 · Terapeuta 36"),
    "measure title": (
        "<strong>Feedback (therapist)</strong>",
        "<strong>Opinión (terapeuta)</strong>",
    ),
}


@pytest.mark.parametrize("item", SESSION_WORDS)
@pytest.mark.parametrize(("who", "language"), [("clinician", 0), ("co_clinician", 1)])
def test_the_session_page_says_a_scores_words_in_the_readers_language(
    staff, who, language, item, db
):
    cast, today = staff
    page = signed_in(getattr(cast, who)).get(reverse("care:session_detail", args=[today.pk]))

    shown = " ".join(page.text.split())
    assert SESSION_WORDS[item][language] in shown
    assert SESSION_WORDS[item][1 - language] not in shown


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("clinician", ("Mild", "recovered")),
        ("co_clinician", ("Leve", "recuperado")),
    ],
)
def test_the_client_page_names_each_scores_band_and_change_in_the_readers_language(
    staff, who, words, db
):
    cast, _ = staff
    page = signed_in(getattr(cast, who)).get(
        reverse("people:client_detail", args=[cast.adult_episode.client_id])
    )

    assert all(f">{escape(w)}</td>" in page.text for w in words)


@pytest.mark.parametrize(("who", "title"), [("clinician", "Feedback"), ("co_clinician", "Opinión")])
def test_the_measures_page_names_our_own_measures_in_the_readers_language(staff, who, title, db):
    cast, _ = staff
    page = signed_in(getattr(cast, who)).get(
        reverse("measures:episode_measures", args=[cast.adult_episode.pk])
    )

    assert f">{escape(title)}</td>" in page.text
