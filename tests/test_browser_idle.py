"""A clinician left idle is warned before being signed out, keeps the session with one button and
the page as it was, and, signed out all the same, finds the text they had typed back in its box
after signing in again — on a phone and on a desktop.

The page's clock is Playwright's (no waiting): the warning and the end come when the page thinks
the time has passed. The server's end of the session (tests/test_accounts_session_policy.py) is
stood in for by signing out behind the page's back, as the idle limit would.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser import DESKTOP, PHONE, TIMEOUT_MS, browser_fixture  # noqa: F401
from tests.conftest import PASSWORD
from tests.test_accessibility import AXE, RUN_AXE, WCAG_AA

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))

UNSENT = "(store) => Object.keys(window[store]).filter((key) => key.startsWith('rapport-unsent:'))"
TYPED = "Panic on the bus since March;\nworse when alone."


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """To look at (RAPPORT_SHOTS set): the page as the clinician sees it."""
    if os.environ.get("RAPPORT_SHOTS"):
        page.screenshot(path=str(Path(os.environ["RAPPORT_SHOTS"]) / f"{name}.png"))


def _sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _signed_out_behind_the_pages_back(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    page.request.post(base_url + reverse("accounts:logout"), form={"csrfmiddlewaretoken": token})


def test_an_idle_clinician_is_warned_stays_signed_in_and_keeps_what_they_typed(
    cast, transactional_db, live_server, browser, settings
):
    from playwright.sync_api import expect

    settings.RAPPORT_STAFF_IDLE_TIMEOUT = timedelta(
        minutes=1
    )  # the shortest setting: warns at 30 s
    form_url = live_server.url + reverse("plans:problem_new", args=[cast.adult_episode.pk])
    for viewport, after_the_end in ((PHONE, "sign in again"), (DESKTOP, "send the form")):
        # The CSP is bypassed only so that axe may run in the page.
        context = browser.new_context(viewport=viewport, locale="en-GB", bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.clock.install()
        page.goto(live_server.url + reverse("accounts:login") + "?next=" + form_url)
        _sign_in(page, cast.clinician.email)
        words = page.get_by_label("In the client's words")
        words.fill(TYPED)
        warning = page.get_by_role("alertdialog")
        stay = warning.get_by_role("button", name="Stay signed in")

        page.clock.run_for(25_000)
        expect(warning).to_be_hidden()
        page.clock.run_for(10_000)
        expect(warning).to_contain_text("You will be signed out in 30 seconds")
        expect(stay).to_be_focused()
        if viewport == PHONE:  # the same markup on both: axe once
            page.add_script_tag(content=AXE)
            assert page.evaluate(RUN_AXE, WCAG_AA) == []
        _shot(page, f"idle-warning-{viewport['width']}")
        page.keyboard.press("Enter")
        expect(warning).to_be_hidden()
        expect(words).to_be_focused()
        expect(words).to_have_value(TYPED)

        page.clock.run_for(61_000)
        expect(warning).to_contain_text("You have been signed out")
        expect(warning.get_by_role("link", name="Sign in again")).to_be_focused()
        _shot(page, f"idle-ended-{viewport['width']}")
        # Kept in this tab only, never where it would outlive the session.
        assert page.evaluate(UNSENT, "localStorage") == []
        assert len(page.evaluate(UNSENT, "sessionStorage")) == 1
        _signed_out_behind_the_pages_back(page, live_server.url)
        if after_the_end == "sign in again":
            warning.get_by_role("link", name="Sign in again").click()
        else:
            page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/accounts/login/**")
        _sign_in(page, cast.clinician.email)

        assert page.url == form_url
        expect(page.get_by_label("In the client's words")).to_have_value(TYPED)
        expect(page.get_by_role("status").filter(has_text="back in its box")).to_be_visible()
        assert page.evaluate(UNSENT, "sessionStorage") == []
        context.close()
