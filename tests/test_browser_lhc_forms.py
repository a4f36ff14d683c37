"""A QuestionnaireResponse made by a real FHIR form renderer, LHC-Forms (vendored for the tests
in tests/vendor/lhc-forms), imported into Rapport and scored as the same answers entered in
Rapport are.

The renderer's page is served to the browser through Playwright's routing (no server): the
PHQ-9 Questionnaire Rapport exports is rendered, the answers are clicked in the form, and the
QuestionnaireResponse is what LHC-Forms' own API makes of them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from rapport.core.fhir.questionnaires import questionnaire_resource
from rapport.core.instruments import clean_answers, score
from rapport.interop.importing import plan_import
from rapport.interop.services import fhir_import
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument
from tests.browser import browser_fixture, page_fixture, screenshots, shots_fixture  # noqa: F401
from tests.conftest import Cast

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))

VENDOR = Path(__file__).with_name("vendor") / "lhc-forms"
ORIGIN = "https://lhc-forms.test"
BASE = "https://fhir.lhc.test/fhir"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>LHC-Forms</title><link rel="stylesheet" href="styles.css"></head>
<body><div id="form"></div>
<script src="zone.min.js"></script><script src="lhc-forms.js"></script>
<script src="lformsFHIR.min.js"></script></body></html>"""
TYPES = {".js": "text/javascript", ".css": "text/css"}
ANSWERS = [1, 2, 0, 3, 1, 0, 2, 1, 1]  # item 9 above "Not at all": a risk answer too


def serve(route: Any) -> None:
    name = route.request.url.removeprefix(ORIGIN + "/")
    if name in ("", "form.html"):
        route.fulfill(status=200, content_type="text/html", body=PAGE)
        return
    path = VENDOR / name
    if path.parent != VENDOR or not path.is_file():
        route.fulfill(status=404, body="")
        return
    route.fulfill(
        status=200, content_type=TYPES.get(path.suffix, "text/plain"), body=path.read_bytes()
    )


def test_a_phq9_answered_in_lhc_forms_imports_with_the_score_rapport_gives_the_same_answers(
    cast: Cast, page: Any, shots: Path, settings: Any
) -> None:
    settings.RAPPORT_FHIR_BASE = BASE
    instrument = get_instrument("phq9")
    page.route(ORIGIN + "/**", serve)
    page.goto(ORIGIN + "/form.html")
    page.wait_for_function("window.LForms && window.LForms.Util && window.LForms.FHIR")
    page.evaluate(
        "q => LForms.Util.addFormToPage(q, 'form', {fhirVersion: 'R4'})",
        questionnaire_resource(instrument, BASE),
    )
    for number, value in enumerate(ANSWERS):
        option = instrument.items[number].options[value]
        page.get_by_text(f"{option.label} - {option.value}", exact=True).nth(number).click()
    screenshots(page, shots, "lhc-forms-phq9")
    made = page.evaluate("LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4')")

    # What the renderer cannot know: whose answers they are, and when they were given.
    made |= {
        "id": "lhc-forms-1",
        "status": "completed",
        "subject": {"reference": f"Patient/rapport-client-{cast.adult_client.pk}"},
        "authored": (timezone.now() - timedelta(days=1)).isoformat(),
    }
    plan = plan_import([made], cast.practice.pk, BASE)
    assert plan.problems == []
    fhir_import(practice=cast.practice, plan=plan)

    imported = Response.objects.get(episode=cast.adult_episode, instrument_id="phq9")
    in_rapport = {item.link_id: v for item, v in zip(instrument.items, ANSWERS, strict=False)}
    expected = score(instrument, clean_answers(instrument, in_rapport))
    assert imported.total == expected.total == sum(ANSWERS)
    assert imported.band == (expected.band.label if expected.band else "")
    assert imported.mode == Response.Mode.IMPORTED
    assert imported.flags  # the risk answer came through as the form in Rapport raises it
