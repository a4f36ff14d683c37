"""A Spanish-speaking mother, on her phone and with the keyboard only, answers the caregiver
Check-in before her son's video session and her feedback after the last one, both in Spanish;
her portal is in Spanish; the clinician's page about the same young person stays in English.
Set RAPPORT_SHOTS to a folder to keep screenshots of each page."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import Session
from rapport.measures.models import Response
from rapport.measures.services import link_issue, measure_plan_set, session_assignments_ensure
from tests.browser import DESKTOP, PHONE, browser_fixture  # noqa: F401
from tests.conftest import PASSWORD, assignment_for, make_session

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ["RAPPORT_SHOTS"]) if os.environ.get("RAPPORT_SHOTS") else None
DESKTOP_TALL = {"width": DESKTOP["width"], "height": 900}


def _shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _answer_with_the_keyboard(
    page, questions: int, value: int, texts: tuple[str, ...] = ()
) -> None:
    """Tab into each 0-10 scale, Space picks 0, the right arrow moves to `value`; then each
    written answer in form order, and Enter on the send button."""
    for _ in range(questions):
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        for _ in range(value):
            page.keyboard.press("ArrowRight")
    for text in texts:
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Enviar mis respuestas"
    page.keyboard.press("Enter")


@pytest.fixture
def spanish_family(cast):
    cast.guardian.language = "es"
    cast.guardian.save(update_fields=["language"])
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="guardian",
        schedule="every_session",
    )
    held = make_session(cast.adolescent_episode, days_from_now=-2, held=True)
    soon = Session.objects.create(
        episode=cast.adolescent_episode,
        clinician=cast.clinician,
        modality="video",
        scheduled_start=timezone.now() + timedelta(hours=6),
    )
    checkin = assignment_for(session_assignments_ensure(session=soon), "checkin", "guardian")
    feedback = assignment_for(session_assignments_ensure(session=held), "feedback", "guardian")
    return cast, checkin, feedback


def test_a_spanish_speaking_guardian_answers_on_a_phone_with_the_keyboard_in_spanish(
    spanish_family, transactional_db, live_server, browser
):
    cast, checkin, feedback = spanish_family
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    for assignment, name, questions, texts in (
        (checkin, "guardian-checkin", 4, ()),
        # What helped, then what could be better.
        (
            feedback,
            "guardian-feedback",
            4,
            ("Los ejercicios de respiración", "Más tiempo para hablar"),
        ),
    ):
        _, token = link_issue(actor=None, assignment=assignment)
        page.goto(live_server.url + reverse("measures:link_form", args=[token]))
        assert page.locator("html").get_attribute("lang") == "es"
        _shot(page, f"{name}-phone")
        _answer_with_the_keyboard(page, questions, value=7, texts=texts)
        page.wait_for_url("**/m/done/**")
        assert "Gracias" in page.locator("h1").inner_text()
        _shot(page, f"{name}-done-phone")
        assert Response.objects.get(assignment=assignment).language == "es"
    written = Response.objects.get(assignment=feedback).answers
    assert written["feedback-helped"] == "Los ejercicios de respiración"
    assert written["feedback-better"] == "Más tiempo para hablar"
    context.close()


def _sign_in(browser, live_server, user, viewport):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def test_her_portal_is_in_spanish_and_the_clinicians_page_stays_in_english(
    spanish_family, transactional_db, live_server, browser
):
    cast, checkin, _ = spanish_family
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP_TALL)):
        context, page = _sign_in(browser, live_server, cast.guardian, viewport)
        page.goto(live_server.url + reverse("portal:home"))
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_text("Pendiente de usted").is_visible()
        _shot(page, f"guardian-portal-{size}")
        page.goto(live_server.url + reverse("portal:assignment", args=[checkin.pk]))
        _shot(page, f"guardian-portal-checkin-{size}")
        context.close()

        context, page = _sign_in(browser, live_server, cast.clinician, viewport)
        page.goto(
            live_server.url + reverse("people:client_detail", args=[cast.adolescent_client.pk])
        )
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("button", name="Sign out").is_visible() or size == "phone"
        _shot(page, f"clinician-client-page-{size}")
        context.close()
