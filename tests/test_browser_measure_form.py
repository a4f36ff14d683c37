"""The measure form in a browser: a 0–10 scale whose every answer box is at least 44 px wide and
tall (one row on a desktop, two on a phone), and an overlong answer that says what to change —
through a link from home and in the portal."""

from __future__ import annotations

import os
from pathlib import Path

from django.urls import reverse

from rapport.core.instruments import MAX_TEXT_LENGTH
from rapport.measures.services import link_issue, session_assignments_ensure
from tests.browser import DESKTOP, PHONE, browser_fixture, page_fixture  # noqa: F401
from tests.conftest import PASSWORD, assignment_for

SHOTS = Path(os.environ.get("RAPPORT_SHOTS", "")) if os.environ.get("RAPPORT_SHOTS") else None


def _shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _scales_fit(page, rows: int) -> None:
    """Each 0–10 scale's eleven boxes on `rows` rows, every box 44 px or more each way."""
    for scale in page.locator("fieldset.slider").all():
        boxes = _boxes(scale.locator("label.option"))
        tops = {round(box["y"]) for box in boxes}
        assert len(tops) == rows, f"a 0–10 scale is on {len(tops)} rows, not {rows}"
        assert len(boxes) == 11
        small = [(n, box["width"], box["height"]) for n, box in enumerate(boxes)]
        assert all(w >= 44 and h >= 44 for _, w, h in small), small


def _boxes(options) -> list[dict[str, float]]:
    return [options.nth(n).bounding_box() for n in range(options.count())]


def _fill_and_send_too_long(page, expect) -> None:
    for name in ("bond", "goals", "approach", "overall"):
        page.locator(f'input[name="item:feedback-{name}"][value="8"]').check()
    page.locator('textarea[name="item:feedback-better"]').fill("x" * (MAX_TEXT_LENGTH + 5))
    page.get_by_role("button", name="Send my answers").click()
    expect(
        page.get_by_text(f"This answer is {MAX_TEXT_LENGTH + 5:,} characters long")
    ).to_be_visible()


def test_through_a_link_the_scales_fit_a_phone_and_a_too_long_answer_says_so(
    cast, transactional_db, live_server, browser
):
    from playwright.sync_api import expect

    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "feedback")
    _, token = link_issue(actor=None, assignment=assignment)
    url = live_server.url + reverse("measures:link_form", args=[token])
    for name, viewport, rows in [("phone", PHONE, 2), ("desktop", DESKTOP, 1)]:
        context = browser.new_context(viewport=viewport, locale="en-GB")
        page = context.new_page()
        page.goto(url)
        _scales_fit(page, rows)
        _fill_and_send_too_long(page, expect)
        _scales_fit(page, rows)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        _shot(page, f"link-{name}")
        context.close()


def test_in_the_portal_the_scales_fit_a_phone_and_a_too_long_answer_says_so(
    cast, transactional_db, live_server, browser
):
    from playwright.sync_api import expect

    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "feedback")
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("Email", exact=True).fill(cast.adult_client_user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("portal:assignment", args=[assignment.pk]))
    _scales_fit(page, rows=2)
    _fill_and_send_too_long(page, expect)
    _scales_fit(page, rows=2)
    _shot(page, "portal-phone")
    page.set_viewport_size(DESKTOP)
    _shot(page, "portal-desktop")
    context.close()
