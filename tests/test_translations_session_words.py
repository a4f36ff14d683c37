"""A score's words on the staff pages follow the staff reader's language (issue 17 §1): the
severity band, what changed since last time and since intake, the alliance line's respondents,
and our own measures' names. Responses keep the English the instrument gave them;
only what is shown is translated."""

from __future__ import annotations

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


READERS = ("clinician", "co_clinician")  # English, Spanish


def _seen(cast, url):  # type: ignore[no-untyped-def]
    """The page as each reader sees it, spaces folded."""
    return [" ".join(signed_in(getattr(cast, who)).get(url).text.split()) for who in READERS]


@pytest.mark.parametrize("item", SESSION_WORDS)
def test_the_session_page_says_a_scores_words_in_each_readers_language(staff, item, db):
    cast, today = staff
    english, spanish = SESSION_WORDS[item]

    seen_in_english, seen_in_spanish = _seen(cast, reverse("care:session_detail", args=[today.pk]))

    assert english in seen_in_english and spanish not in seen_in_english
    assert spanish in seen_in_spanish and english not in seen_in_spanish


def test_the_client_page_names_each_scores_band_and_change_in_each_readers_language(staff, db):
    cast, _ = staff
    url = reverse("people:client_detail", args=[cast.adult_episode.client_id])

    seen_in_english, seen_in_spanish = _seen(cast, url)

    assert all(f">{w}</td>" in seen_in_english for w in ("Mild", "recovered"))
    assert all(f">{w}</td>" in seen_in_spanish for w in ("Leve", "recuperado"))


def test_the_measures_page_names_our_own_measures_in_each_readers_language(staff, db):
    cast, _ = staff
    url = reverse("measures:episode_measures", args=[cast.adult_episode.pk])

    seen_in_english, seen_in_spanish = _seen(cast, url)

    assert ">Feedback</td>" in seen_in_english and ">Opinión</td>" in seen_in_spanish
