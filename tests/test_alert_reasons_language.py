"""Alert reasons are stored in English, the words of the rule with its figures, and each staff
member reads them in their own language (issue 17 §1): the alerts inbox, the acknowledgement
page, the rupture and case review pages, the session and answers pages all say them with one
helper. A reason made of no known phrase (an older wording) is shown as stored."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from rapport.alerts.models import Alert
from rapport.alerts.queries import reason_lines
from rapport.alerts.wording import RISK_MESSAGES, reason_said
from rapport.core import alliance
from rapport.demo.practice import DemoSummary
from rapport.plans.queries import (
    CHANGES_ASKED,
    GUARDIAN_OF,
    PROMPTED_REVIEW,
    REVIEW_AGREED,
    REVIEW_REASON,
)
from tests.conftest import built_once, signed_in
from tests.demo_snapshot import demo_practice

pytestmark = pytest.mark.xdist_group("alert_reasons_language")

TODAY = dt.date(2026, 3, 18)
# The kinds the demo practice raises, each from its own rule's words.
DEMO_KINDS = ("risk", "low_alliance", "alliance_drop", "goals_low", "off_track", "plan_review")


@pytest.fixture(scope="module")
def built_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    yield from built_once(django_db_blocker, lambda: demo_practice(today=TODAY))


@pytest.fixture
def demo(built_demo: DemoSummary, db: None) -> DemoSummary:
    return built_demo


def _said(language: str, text: str) -> str:
    with translation.override(language):
        return reason_said(text)


def _lines_of(kind: str, practice_id: int) -> list[str]:
    alert = Alert.objects.filter(practice_id=practice_id, kind=kind).order_by("pk").first()
    assert alert is not None, f"the demo raises no {kind} alert"
    return reason_lines(alert)


@pytest.mark.parametrize("kind", DEMO_KINDS)
def test_a_spanish_reader_reads_every_line_of_each_kind_of_reason_in_spanish(
    demo: DemoSummary, kind: str
) -> None:
    for line in _lines_of(kind, demo.practice.pk):
        said = _said("es", line)
        assert said != line, line
        assert _said("en", line) == line


# Reasons the demo does not raise, built with the same English their rules use.
BUILT = [
    (
        alliance._ITEM_APART
        % {"item": "Bond", "therapist": "9", "client": "5", "points": "4 points"},
        "Vínculo: terapeuta 9, cliente 5 (4 puntos de diferencia)",
    ),
    (
        alliance._CHILD_GUARDIAN
        % {"child": "20", "guardian": "31", "points": "11 points", "threshold": "8"},
        "El total del menor, 20, y el del tutor, 31, difieren en 11 puntos (umbral del centro: 8)",
    ),
    (
        alliance._CEILING[1] % {"max": 40, "n": 4},
        "El cliente dio el máximo de 40 durante 4 sesiones seguidas",
    ),
    (
        "PHQ-9 19 at session 18 (intake 13) is reliably worse than at intake: a change of +6, "
        "where the NHS Talking Therapies criterion counts a rise of 6 or more points as reliable "
        "deterioration. It is behind the course expected in this practice: only about 6 in 100 "
        "clients who started at 13 had improved this little, and most would be about 8 by now "
        "(at risk when fewer than 25 in 100, off track when fewer than 10 in 100).",
        "PHQ-9 19 en la sesión 18 (13 al inicio) es fiablemente peor que al inicio: un cambio de "
        "+6, cuando el criterio de NHS Talking Therapies considera un aumento de 6 puntos o más un "
        "empeoramiento fiable. El resultado va por detrás",
    ),
    (
        PROMPTED_REVIEW % {"kind": "Off track"},
        "Fuera de trayectoria: conviene revisar el plan con el cliente.",
    ),
    (
        CHANGES_ASKED
        % {
            "who": GUARDIAN_OF % {"guardian": "Ana Ruiz", "client": "Leo"},
            "number": 2,
            "comment": "More on sleep",
        },
        "Ana Ruiz (padre, madre o tutor de Leo) pidió cambios en el plan (versión 2): "
        "«More on sleep»",
    ),
    (
        REVIEW_REASON % {"changes": REVIEW_AGREED},
        "Revisión del plan: cambios acordados en la revisión",
    ),
    (
        "The plan is reviewed every 4 weeks; the last was 02 Mar 2026.",
        "El plan se revisa cada 4 semanas; la última revisión fue el 02 mar 2026.",
    ),
]


@pytest.mark.parametrize(("stored", "spanish"), BUILT)
def test_reasons_of_the_other_rules_are_said_in_spanish_and_kept_for_an_english_reader(
    stored: str, spanish: str
) -> None:
    assert spanish in _said("es", stored)
    assert _said("en", stored) == stored


def test_the_alliance_rules_still_store_their_reasons_in_english_whatever_the_language() -> None:
    settings = alliance.AllianceSettings()
    ratings = [
        alliance.AllianceRating(1, 36, {"bond": 9, "goals": 9, "approach": 9, "overall": 9}),
        alliance.AllianceRating(2, 18, {"bond": 3, "goals": 5, "approach": 5, "overall": 5}),
    ]
    with translation.override("es"):
        found = alliance.evaluate_session(
            client_history=ratings, therapist=None, guardian=None, settings=settings
        )
    reasons = [reason for finding in found for reason in finding.reasons]
    assert "Client rated bond 3 (at or below 7)" in reasons
    assert "18 points below last session (36 → 18)" in reasons
    assert "El cliente puntuó vínculo con 3 (7 o menos)" in [_said("es", r) for r in reasons]


def test_every_risk_message_of_a_shipped_instrument_is_said_in_the_readers_language() -> None:
    folder = Path(__file__).resolve().parent.parent / "rapport" / "instruments"
    messages = {
        rule["message"]
        for path in folder.glob("*.json")
        for rule in json.loads(path.read_text())["scoring"].get("risk_rules", [])
    }
    assert messages
    assert messages <= set(RISK_MESSAGES)
    assert all(_said("es", message) != message for message in messages)


def test_a_reason_made_of_no_known_phrase_is_shown_as_stored() -> None:
    older = "An older wording of a reason, kept as it was"
    assert _said("es", older) == older


def test_the_inbox_says_the_reasons_in_the_clinicians_language_and_keeps_them_english(
    demo: DemoSummary,
) -> None:
    alert = (
        Alert.objects.filter(practice=demo.practice, kind__in=DEMO_KINDS)
        .unresolved()
        .order_by("pk")
        .select_related("episode__primary_clinician")
        .first()
    )
    assert alert is not None
    clinician = alert.episode.primary_clinician
    stored = alert.reason
    line = reason_lines(alert)[0]
    url = reverse("alerts:inbox")
    clinician.language = "es"
    clinician.save(update_fields=["language"])
    spanish = signed_in(clinician).get(url).content.decode()
    assert escape(_said("es", line)) in spanish
    assert escape(line) not in spanish
    clinician.language = "en"
    clinician.save(update_fields=["language"])
    english = signed_in(clinician).get(url).content.decode()
    assert escape(line) in english
    alert.refresh_from_db()
    assert alert.reason == stored


def test_the_session_page_says_the_risk_answer_in_the_clinicians_language(
    demo: DemoSummary,
) -> None:
    alert = (
        Alert.objects.filter(practice=demo.practice, kind="risk", source_response__isnull=False)
        .exclude(session=None)
        .select_related("episode__primary_clinician", "source_response")
        .first()
    )
    assert alert is not None and alert.source_response is not None
    clinician = alert.episode.primary_clinician
    clinician.language = "es"
    clinician.save(update_fields=["language"])
    url = reverse("measures:response_detail", args=[alert.source_response.pk])
    page = signed_in(clinician).get(url).content.decode()
    assert "valore el riesgo sin demora" in page
    assert "assess risk promptly" not in page


def test_the_plan_page_says_a_plan_review_alert_in_the_clinicians_language(
    demo: DemoSummary,
) -> None:
    alert = (
        Alert.objects.filter(practice=demo.practice, kind="plan_review")
        .unresolved()
        .select_related("episode__primary_clinician")
        .order_by("pk")
        .first()
    )
    assert alert is not None
    clinician = alert.episode.primary_clinician
    clinician.language = "es"
    clinician.save(update_fields=["language"])
    url = reverse("plans:episode", args=[alert.episode_id])
    page = signed_in(clinician).get(url).content.decode()
    assert escape(_said("es", alert.reason)) in page
    assert escape(alert.reason) not in page
