"""The progress chart in Debian's Chromium with the demo data: the demo clinician opens a client's
progress from the client page, on a desktop screen, on a phone and in print; the demo client opens
their own simplified chart from the portal. Each time the chart image loads, the data table is
there, and the page keeps to the strict CSP.

Screenshots go to the folder named by RAPPORT_SHOTS when it is set (to be looked at), else to
the test's temporary folder.
"""

from __future__ import annotations

import os

import pytest
from django.db.models import Count, Q

from rapport.access import caseload_episodes
from rapport.accounts.models import User
from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
    DESKTOP,
    PHONE,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    shots_fixture,
    sign_in,
)

DEMO_CLINICIAN = "clinician@demo.rapport.test"
DEMO_CLIENT = "client@demo.rapport.test"

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))


def chart_loaded(page) -> bool:
    image = page.locator("figure.progress-chart img")
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def busiest_episode(email: str):
    """The demo clinician's episode with the most PHQ-9 scores."""
    clinician = User.objects.get(email=email)
    scored = Count("responses", filter=Q(responses__instrument_id="phq9"))
    return caseload_episodes(clinician).annotate(scored=scored).order_by("-scored").first()


def test_the_clinician_reads_a_clients_progress_on_screen_phone_and_paper(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    episode = busiest_episode(DEMO_CLINICIAN)
    sign_in(page, live_server.url, DEMO_CLINICIAN, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/clients/{episode.client_id}/")
    panel = page.locator("section.progress-panel")
    panel.scroll_into_view_if_needed()
    assert chart_loaded(page)
    panel.screenshot(path=shots / "progress-client-page-panel-1280x800.png")
    page.get_by_role("link", name="Chart and data tables, ready to print").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Progress of")

    for name, viewport in (("1280x800", DESKTOP), ("390x844", PHONE)):
        page.set_viewport_size(viewport)
        page.reload()
        expect(page.locator("table.progress-table").first).to_be_visible()
        page.wait_for_load_state("load")
        assert chart_loaded(page)
        layout = page.locator("figure.progress-chart img").evaluate("img => img.currentSrc")
        assert ("layout=narrow" in layout) == (viewport == PHONE), layout
        page.screenshot(path=shots / f"progress-clinician-{name}.png", full_page=True)
    phq9 = page.locator("section[aria-labelledby=family-phq9]")
    assert phq9.locator("tbody tr").count() >= 3
    # The demo practice has enough PHQ-9 histories for an expected band, and plans.
    expect(phq9.get_by_role("columnheader", name="Expected (middle half)")).to_be_visible()
    expect(page.get_by_role("heading", name="Plan revisions")).to_be_visible()
    # The page fits the phone: nothing wider than the screen but the tables' own scroll areas.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    page.reload()
    page.wait_for_load_state("load")
    expect(page.locator("header.topbar")).to_be_hidden()
    assert chart_loaded(page)
    page.screenshot(path=shots / "progress-clinician-print.png", full_page=True)
    assert_strict_csp(page.watch)


def test_the_client_reads_their_own_simplified_progress_in_the_portal(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(DEMO_CLIENT)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="See your progress as a chart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")

    for name, viewport in (("1280x800", DESKTOP), ("390x844", PHONE)):
        page.set_viewport_size(viewport)
        page.reload()
        page.wait_for_load_state("load")
        expect(page.locator("table.progress-table").first).to_be_visible()
        assert chart_loaded(page)
        page.screenshot(path=shots / f"progress-portal-{name}.png", full_page=True)
    words = page.locator("p.progress-words").first.inner_text()
    assert words.startswith("Your ") and " means " in words
    main = page.locator("main").inner_text()
    assert "Therapist" not in main and "expected" not in main.lower()
    assert_strict_csp(page.watch)
