"""Two clinicians have the same draft plan open in their browsers and both save: the second is
told, in words, that the other saved first, sees what they saved next to their own text (still
in the form), and can save again on purpose. Screenshots go to RAPPORT_SHOTS when set."""

from __future__ import annotations

import os

import pytest

from rapport.plans import services
from rapport.plans.models import PlanVersion
from tests.browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    TIMEOUT_MS,
    assert_strict_csp,
    browser_fixture,
    page_fixture,
    sign_in,
)
from tests.conftest import PASSWORD
from tests.test_browser_plans import shoot

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))


def test_the_second_clinician_to_save_a_draft_sees_the_first_ones_change_and_keeps_their_text(
    cast, transactional_db, live_server, browser, page
):
    from playwright.sync_api import expect

    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="First plan, agreed at intake"
    )
    url = f"{live_server.url}/plan-versions/{draft.pk}/"
    other = browser.new_context(viewport=DESKTOP, locale="en-GB")
    other.set_default_timeout(TIMEOUT_MS)
    colleague = other.new_page()
    try:
        sign_in(page, live_server.url, cast.clinician.email, PASSWORD)
        sign_in(colleague, live_server.url, cast.co_clinician.email, PASSWORD)
        page.goto(url)
        colleague.goto(url)

        colleague.get_by_label("What we will do").fill("Worry time each evening first")
        colleague.get_by_role("button", name="Save draft").click()
        expect(colleague.get_by_text("Draft saved.")).to_be_visible()

        page.get_by_label("What we will do").fill("Sleep diary for two weeks first")
        page.get_by_role("button", name="Save draft").click()

        expect(
            page.get_by_text("Someone else saved this while you were editing it")
        ).to_be_visible()
        expect(page.get_by_text("Saved meanwhile by Co Clinician")).to_be_visible()
        table = page.locator(".conflict-table")
        expect(table).to_contain_text("Worry time each evening first")
        expect(table).to_contain_text("Sleep diary for two weeks first")
        expect(page.get_by_label("What we will do")).to_have_value(
            "Sleep diary for two weeks first"
        )
        shoot(page, "plan-draft-conflict")
        assert PlanVersion.objects.get(pk=draft.pk).approach == "Worry time each evening first"

        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_text("Draft saved.")).to_be_visible()
        assert PlanVersion.objects.get(pk=draft.pk).approach == "Sleep diary for two weeks first"
        assert_strict_csp(page.watch)
    finally:
        other.close()
