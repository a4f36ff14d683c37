"""Words built in Python code, not in templates, follow the staff reader's language too (issue 17
§1): a view's notice, the age band after a date of birth, a FHIR import's problems, a fit's
sources and reasons, why a goal stands where it does, the dashboard's reason for an estimate it
cannot make and the candidates' tier reasons. What is stored stays in English; only what is
shown is translated."""

from __future__ import annotations

import json
from datetime import date
from html import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from rapport.core import benchmarks
from rapport.core import candidates as cand
from rapport.core.matching import Label
from rapport.core.text import counted, plural_noop, said_again
from rapport.dashboards.figures import EPISODES, THERAPISTS, TOO_FEW_FOR_EFFECTS
from rapport.dashboards.templatetags.dashboards_tags import stored_reason
from rapport.matching.wording import DOMAIN_NAMES_ENGLISH, ranking_said
from rapport.plans import services as plans
from rapport.plans.templatetags.plans_tags import progress_said
from rapport.trajectories.models import ExpectedTrajectory
from rapport.trajectories.refresh import trajectories_refresh
from tests.conftest import build_cast, built_once, signed_in
from tests.test_interop_fhir_import_page import BASE, record
from tests.test_plans import goal_fields


def _build():  # type: ignore[no-untyped-def]
    cast = build_cast()
    for person in (cast.co_clinician, cast.supervisor, cast.admin):
        person.language = "es"
        person.save(update_fields=["language"])
    trajectories_refresh(practice=cast.practice)
    return cast


@pytest.fixture(scope="module")
def staff(django_db_blocker):  # type: ignore[no-untyped-def]
    """The primary clinician kept English; the team member, the supervisor and the admin
    chose Spanish."""
    yield from built_once(django_db_blocker, _build)


@pytest.mark.parametrize(
    ("who", "words"),
    [
        (
            "co_clinician",
            (
                "Propuesto: el plan espera la respuesta del cliente en el portal.",
                "Pendiente de: el cliente.",
            ),
        ),
        (
            "clinician",
            (
                "Proposed: the plan is waiting for the client's answer in the portal.",
                "Waiting for: the client.",
            ),
        ),
    ],
)
def test_the_notice_after_proposing_a_plan_is_in_the_readers_language(staff, who, words, db):
    draft = plans.plan_draft_start(actor=staff.clinician, episode=staff.adult_episode, reason="r")
    plans.goal_add(actor=staff.clinician, version=draft, **goal_fields())

    page = signed_in(getattr(staff, who)).post(
        reverse("plans:propose", args=[draft.pk]), follow=True
    )

    assert all(escape(w) in page.text for w in words)


@pytest.mark.parametrize(
    ("who", "band"), [("co_clinician", "(edad adulta)"), ("clinician", "(adult)")]
)
def test_the_age_band_after_the_date_of_birth_is_in_the_readers_language(staff, who, band, db):
    page = signed_in(getattr(staff, who)).get(
        reverse("people:client_detail", args=[staff.adult_client.pk])
    )

    assert band in page.text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("es", "<code>name</code>: se necesita un nombre</li>"),
        ("en", "<code>name</code>: a name is needed</li>"),
    ],
)
def test_an_import_problem_is_listed_in_the_admins_language(staff, language, words, settings, db):
    settings.RAPPORT_FHIR_BASE = BASE
    staff.admin.language = language
    staff.admin.save(update_fields=["language"])
    bundle = record()
    del bundle["entry"][1]["resource"]["name"]

    page = signed_in(staff.admin).post(
        reverse("interop:fhir_import"),
        {"bundle": SimpleUploadedFile("b.json", json.dumps(bundle).encode()), "action": "check"},
    )

    assert words in page.text


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("co_clinician", ("datos insuficientes para un modelo: ", "publicada con el instrumento")),
        ("clinician", ("too few data for a model: ", "published with the instrument")),
    ],
)
def test_a_fits_reason_and_sources_are_shown_in_the_readers_language(staff, who, words, db):
    page = signed_in(getattr(staff, who)).get(reverse("trajectories:overview"))

    assert all(w in page.text for w in words)


def test_a_fits_reason_and_sources_are_stored_in_english(staff, db):
    fits = ExpectedTrajectory.objects.filter(practice=staff.practice, method="rule")

    assert fits.exists()
    assert all(f.reason.startswith("too few data for a model: ") for f in fits)
    assert {f.reliability_source for f in fits} <= {
        "published with the instrument",
        "none published, and fewer than 20 intake answers to estimate it from",
    }


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("es", "1 episodio cerrado y clasificado de 2 terapeutas son demasiado pocos (singular)"),
        ("en", "1 classified closed episode of 2 therapists are too few (singular)"),
    ],
)
def test_the_dashboards_stored_reason_is_said_in_the_readers_language(language, words):
    stored = TOO_FEW_FOR_EFFECTS % {
        "episodes": counted(1, EPISODES),
        "therapists": counted(2, THERAPISTS),
        "error": "singular",
    }

    with translation.override(language):
        assert stored_reason(stored) == words
    assert stored == "1 classified closed episode of 2 therapists are too few (singular)"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "es",
            [
                "Nivel 1: un punto fuerte en el área más elevada del cliente (ansiedad (GAD-7)) "
                "y ninguna precaución en sus áreas elevadas.",
                "Cumple 0 de 0 preferencias marcadas como «preferible».",
                "1 plaza disponible.",
            ],
        ),
        (
            "en",
            [
                "Tier 1: a strength in the client's most elevated domain (anxiety (GAD-7)), and "
                "no caution in any of their elevated domains.",
                "Meets 0 of 0 preferences marked “prefer”.",
                "1 open place.",
            ],
        ),
    ],
)
def test_a_candidates_tier_reasons_are_said_in_the_readers_language(language, words):
    ranking = cand.rank(
        therapists=[cand.Therapist(key=1, name="A", capacity=1)],
        population="",
        preferences=[],
        current=None,
        elevated=["gad7"],
        evidence={1: {"gad7": cand.Evidence(Label.STRENGTH, 20, 0.4, 0.1, 0.6)}},
        preferences_only=False,
        domain_words=DOMAIN_NAMES_ENGLISH,
    )
    [candidate] = ranking.candidates

    with translation.override(language):
        assert [ranking_said(reason) for reason in candidate.reasons] == words
    assert candidate.reasons[0].startswith("Tier 1: a strength")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("es", "11; el objetivo es bajar de 10; la fecha objetivo ya ha pasado"),
        ("en", "11, aiming for below 10; the target date has passed"),
    ],
)
def test_why_a_goal_stands_where_it_does_is_said_in_the_readers_language(language, words):
    progress = benchmarks.target_progress(
        [benchmarks.Observation(date(2026, 1, 5), 11.0)],
        target=10.0,
        comparison=benchmarks.Comparison.BELOW,
        target_date=date(2026, 2, 1),
        today=date(2026, 3, 1),
    )

    with translation.override(language):
        assert progress_said(progress.reason) == words
    assert progress.reason == "11, aiming for below 10; the target date has passed"


SPANISH = {
    "%(n)s thing": "%(n)s cosa",
    "%(n)s things": "%(n)s cosas",
    "no %(what)s": "sin %(what)s",
}


@pytest.mark.parametrize(
    ("stored", "said"),
    [
        ("no 1 thing", "sin 1 cosa"),
        ("no 3 things", "sin 3 cosas"),
        ("a library's own words", "a library's own words"),
    ],
)
def test_stored_english_is_said_again_phrase_by_phrase_and_left_as_stored_when_unknown(
    stored, said
):
    phrases = ("no %(what)s", plural_noop("%(n)s thing", "%(n)s things"))

    def ngettext(one: str, many: str, n: int) -> str:
        return SPANISH[one if n == 1 else many]

    assert said_again(stored, phrases, SPANISH.__getitem__, ngettext) == said
