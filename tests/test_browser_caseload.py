"""The paginated caseload in Debian's Chromium with the demo practice grown past one page: the
clinician pages through their caseload in place (htmx), the supervisor pages through their
team's. Phone and desktop screenshots of both.

Screenshots go to the folder named by RAPPORT_SHOTS when it is set (to be looked at), else to the
test's temporary folder.
"""

from __future__ import annotations

import os
import re

import pytest

from rapport import access
from rapport.accounts.models import User
from rapport.people.models import Client
from rapport.people.queries import PAGE_SIZE, caseload_filter
from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    screenshots,
    shots_fixture,
    sign_in,
)
from tests.conftest import make_episode, years_ago

DEMO_CLINICIAN = "clinician@demo.rapport.test"
DEMO_SUPERVISOR = "supervisor@demo.rapport.test"

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))


@pytest.fixture
def long_caseload(demo) -> int:
    """More than a page of open episodes for the demo clinician; how many they now hold."""
    clinician = User.objects.get(email=DEMO_CLINICIAN)
    for i in range(PAGE_SIZE + 10):
        client = Client.objects.create(
            practice=clinician.practice,
            full_name=f"Waiting List {i:03d}",
            date_of_birth=years_ago(30),
        )
        make_episode(clinician.practice, client, clinician)
    # Team memberships count too: the caseload is every episode the clinician is on.
    return caseload_filter(access.caseload_episodes(clinician)).count()


def test_the_clinician_pages_through_a_long_caseload_in_place(
    long_caseload, live_server, page, shots
):
    from playwright.sync_api import expect

    sign_in(page, live_server.url, DEMO_CLINICIAN, DEMO_PASSWORD)
    rows = page.locator("#caseload table.caseload tbody tr")
    expect(rows).to_have_count(PAGE_SIZE)
    expect(page.locator("#caseload")).to_contain_text(f"{long_caseload} episodes")
    screenshots(page, shots, "caseload-page-1")

    page.evaluate("window.rapportNoReload = true")
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#caseload")).to_contain_text("Page 2 of")
    expect(rows).to_have_count(min(PAGE_SIZE, long_caseload - PAGE_SIZE))
    assert page.evaluate("window.rapportNoReload") is True, "paging reloaded the page"
    assert "page=2" in page.url
    screenshots(page, shots, "caseload-page-2")
    assert_strict_csp(page.watch)


def test_the_supervisor_pages_through_their_teams_caseloads(
    long_caseload, live_server, page, shots
):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(DEMO_SUPERVISOR)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Team caseloads")).to_be_visible()
    expect(page.locator("table.caseload tbody tr")).to_have_count(PAGE_SIZE)
    expect(page.get_by_role("navigation", name="Pages of the caseload")).to_be_visible()
    screenshots(page, shots, "team-page-1")

    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2$"))
    expect(page.locator("body")).to_contain_text("Page 2 of")
    screenshots(page, shots, "team-page-2")
    assert_strict_csp(page.watch)
