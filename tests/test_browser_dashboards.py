"""The dashboards in Debian's Chromium with the demo practice: the supervisor opens the practice
dashboard (figures computed when the demo was loaded), then their caseload dashboard and sorts it.

Screenshots go to the folder named by RAPPORT_SHOTS when it is set (to be looked at), else to the
test's temporary folder.
"""

from __future__ import annotations

import os

import pytest

from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
    DESKTOP,
    PHONE,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    screenshots,
    shots_fixture,
)

DEMO_SUPERVISOR = "supervisor@demo.rapport.test"

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))


def sign_in_supervisor(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(DEMO_SUPERVISOR)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()


def test_the_practice_dashboard_renders_the_demo_figures(demo, live_server, page, shots):
    from playwright.sync_api import expect

    sign_in_supervisor(page, live_server.url)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard: you and your team")).to_be_visible()
    page.get_by_role("link", name="Practice dashboard").click()
    expect(page.get_by_role("heading", name="Practice dashboard")).to_be_visible()
    outcomes = page.get_by_role("table").filter(has_text="Closed episodes by outcome")
    expect(outcomes).to_be_visible()
    expect(outcomes.get_by_role("rowheader", name="Improved")).to_be_visible()
    expect(page.get_by_role("heading", name="Therapist effect")).to_be_visible()
    alliance = page.get_by_role("table").filter(has_text="Client session ratings by total")
    expect(alliance.locator("tbody tr")).to_have_count(10)
    screenshots(page, shots, "dashboard-practice")

    page.get_by_role("button", name="Recompute now").click()
    expect(page.get_by_role("status")).to_contain_text("Figures recomputed")
    assert_strict_csp(page.watch)


def test_the_caseload_dashboard_sorts_without_javascript_and_with_it(
    demo, live_server, browser, shots
):
    from playwright.sync_api import expect

    for javascript in (False, True):
        context = browser.new_context(
            viewport=DESKTOP, locale="en-GB", java_script_enabled=javascript
        )
        page = context.new_page()
        sign_in_supervisor(page, live_server.url)
        page.goto(live_server.url + "/dashboard/")
        table = page.locator("table.dashboard-caseload")
        expect(table).to_be_visible()
        table.get_by_role("link", name="Client").click()
        expect(page).to_have_url(live_server.url + "/dashboard/?sort=client")
        names = table.locator("tbody tr td:first-child a").all_inner_texts()
        assert names == sorted(names, key=str.casefold) and len(names) > 10
        table.get_by_role("link", name="Client").click()
        expect(page).to_have_url(live_server.url + "/dashboard/?sort=-client")
        expect(table.locator("tbody tr td:first-child a").first).to_have_text(names[-1])
        if javascript:
            screenshots(page, shots, "dashboard-caseload")
        context.close()
