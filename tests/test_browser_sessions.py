"""In Chromium, where a person would see it: the client's portal offers no feedback form for a
session still to come, and the session page puts a PHQ-9 item 9 answer in front of the
clinician on a tablet, a phone and a desktop (screenshots under /tmp/shots/sessions/)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rapport.care.models import Modality
from rapport.care.services import session_schedule
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from tests.browser import DESKTOP, PHONE, TIMEOUT_MS, browser_fixture  # noqa: F401
from tests.conftest import PASSWORD, assignment_for, make_session

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))

TABLET = {"width": 820, "height": 1180}
SHOTS = Path("/tmp/shots/sessions")


def open_as(browser, base_url: str, user, viewport):
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_portal_offers_no_feedback_form_for_a_session_still_to_come(
    cast, transactional_db, live_server, browser
):
    from playwright.sync_api import expect

    session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=timezone.now() + timedelta(days=3),
        duration_minutes=50,
        modality=Modality.IN_PERSON,
    )
    context, page = open_as(browser, live_server.url, cast.adult_client_user, PHONE)
    try:
        expect(page.get_by_text("Nothing to fill in right now")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Feedback"))).to_have_count(0)
        shot(page, "portal-client-phone")
    finally:
        context.close()


def test_the_session_page_shows_the_risk_flag_after_phq9_item_9(
    cast, transactional_db, live_server, browser
):
    from playwright.sync_api import expect

    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    intake = make_session(cast.adult_episode, days_from_now=-14, held=True)
    first = assignment_for(session_assignments_ensure(session=intake), "phq9")
    answers = {f"phq9-{n}": "2" for n in range(1, 9)} | {"phq9-9": "0"}
    response_submit(assignment=first, answers=answers, mode="in_session", actor=None)
    today = cast.adult_session
    now = assignment_for(session_assignments_ensure(session=today), "phq9")
    answers = {f"phq9-{n}": "1" for n in range(2, 10)} | {"phq9-1": "0"}  # item 9 endorsed
    response_submit(assignment=now, answers=answers, mode="in_session", actor=None)  # 8, Mild

    for user, who in ((cast.clinician, "clinician"), (cast.supervisor, "supervisor")):
        for viewport, size in ((TABLET, "tablet"), (PHONE, "phone"), (DESKTOP, "desktop")):
            context, page = open_as(browser, live_server.url, user, viewport)
            try:
                page.goto(f"{live_server.url}/sessions/{today.pk}/")
                banner = page.get_by_role("alert").filter(has_text="Risk: PHQ-9")
                expect(banner).to_be_visible()
                box = banner.bounding_box()
                assert box is not None and box["y"] < viewport["height"], "risk below the fold"
                expect(page.get_by_text("8 points lower than last time")).to_be_visible()
                shot(page, f"session-{who}-{size}")
            finally:
                context.close()
