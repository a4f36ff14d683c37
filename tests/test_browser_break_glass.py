"""Break-glass end to end in Debian's Chromium: a practice admin opens a client's record with a
reason, sees on every page that the access is an emergency and recorded, follows the plan and
alliance links (no 403) and never sees the clinician's private notes. Screenshots go to
RAPPORT_SHOTS when that is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rapport.alliance.services import rupture_open
from tests.authorization.cast_plans import PLANS_PRIVATE, plan_in
from tests.browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    assert_strict_csp,
    browser_fixture,
    page_fixture,
)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))

SESSION_PRIVATE = "SESSION-PRIVATE-NOTE-7c21"
REASON = "Safeguarding call from the client's GP"
BANNER = "Emergency access — every page you open is recorded."


def shoot(page, name: str) -> None:
    folder = os.environ.get("RAPPORT_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def the_record(cast) -> None:
    """A plan with a private formulation, a session with private notes, and a rupture."""

    class Extra:
        extra: dict[str, object] = {}

    plan_in(Extra(), "own", cast.adult_episode)  # type: ignore[arg-type]
    cast.adult_session.private_notes = SESSION_PRIVATE
    cast.adult_session.save(update_fields=["private_notes"])
    rupture_open(
        actor=cast.clinician,
        episode=cast.adult_episode,
        session=cast.adult_session,
        kind="withdrawal",
        client_words="I did not feel heard",
        understanding="",
    )


def test_a_break_glass_reader_follows_the_record_with_the_banner_and_no_private_notes(
    cast, transactional_db, live_server, page
):
    from playwright.sync_api import expect

    the_record(cast)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email", exact=True).fill(cast.admin.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/manage/clients/")
    page.get_by_role("row", name="Alex Adult").get_by_role("link").click()
    page.get_by_label("Why do you need to open this record?").fill(REASON)
    page.get_by_role("button", name="Open the record").click()

    visited: list[str] = []

    def check_page(name: str) -> None:
        banner = page.locator(".emergency-banner")
        expect(banner).to_contain_text(BANNER)
        expect(banner).to_contain_text(REASON)
        body = page.content()
        assert SESSION_PRIVATE not in body and PLANS_PRIVATE not in body, name
        assert "403" not in page.title() and "Forbidden" not in body, name
        visited.append(name)
        shoot(page, f"break-glass-{name}")

    expect(page.get_by_role("heading", name="Alex Adult")).to_be_visible()
    check_page("client")

    page.get_by_role("link", name="Problem list, plan and goals").click()
    expect(page.get_by_role("heading", name="Problems and plan", exact=False).first).to_be_visible()
    check_page("plan")
    page.get_by_role("link", name="Open this version").click()
    expect(page.get_by_text("Why this version")).to_be_visible()
    check_page("plan-version")
    assert page.get_by_role("button", name="Propose", exact=False).count() == 0

    page.goto(f"{base}/clients/{cast.adult_client.pk}/")
    page.get_by_role("link", name="Session by session, ruptures and repair").click()
    check_page("alliance")
    page.get_by_role("link", name="Session of", exact=False).first.click()
    expect(page.get_by_text("I did not feel heard")).to_be_visible()
    check_page("rupture")
    assert page.get_by_role("button", name="Log repair step").count() == 0

    page.goto(f"{base}/sessions/{cast.adult_session.pk}/")
    expect(page.get_by_text("not shown under emergency access")).to_be_visible()
    check_page("session")
    assert page.get_by_role("button", name="Save session").count() == 0

    assert visited == ["client", "plan", "plan-version", "alliance", "rupture", "session"]
    assert_strict_csp(page.watch)
