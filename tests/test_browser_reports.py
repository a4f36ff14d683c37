"""Reports in Debian's Chromium with the demo data: the demo clinician opens a client's progress
report from the client page, the demo client theirs from the portal's home; each page shows its
chart, fits a phone, keeps to the strict CSP, and its PDF's first page turns into an image.

Screenshots (and page 1 of each PDF as an image) go to the folder named by RAPPORT_SHOTS when it
is set (to be looked at), else to the test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
from tests.reports_pdf import first_page_image

DEMO_CLINICIAN = "clinician@demo.rapport.test"
DEMO_CLIENT = "client@demo.rapport.test"

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))


def chart_drawn(page) -> bool:  # type: ignore[no-untyped-def]
    image = page.locator("figure.report-chart img")
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def look_at(page, shots: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page on a desktop and on a phone, where nothing is wider than the screen but the
    tables' own scroll areas."""
    for size, viewport in (("1280x800", DESKTOP), ("390x844", PHONE)):
        page.set_viewport_size(viewport)
        page.reload()
        page.wait_for_load_state("load")
        assert chart_drawn(page)
        page.screenshot(path=shots / f"{name}-{size}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)


def pdf_first_page(page, base_url: str, shots: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """The PDF as the page's own link fetches it, and its first page as an image."""
    href = page.get_by_role("link", name="Download as PDF").get_attribute("href")
    response = page.request.get(base_url + href)
    assert response.headers["content-type"] == "application/pdf"
    pdf = shots / f"{name}.pdf"
    pdf.write_bytes(response.body())
    assert first_page_image(pdf, shots / f"{name}-pdf-page1").startswith(b"\x89PNG")


def test_the_clinician_opens_the_progress_report_from_the_client_page(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    client = User.objects.get(email=DEMO_CLIENT).client_record
    sign_in(page, live_server.url, DEMO_CLINICIAN, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.locator("section[aria-labelledby=reports-head]").get_by_role(
        "link", name="page"
    ).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Progress report:")
    expect(page.get_by_role("heading", name="Outcome at a glance")).to_be_visible()

    look_at(page, shots, "report-clinician")
    pdf_first_page(page, live_server.url, shots, "report-clinician")
    assert_strict_csp(page.watch)


def test_the_client_opens_their_progress_report_from_the_portal(demo, live_server, page, shots):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(DEMO_CLIENT)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Progress report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")

    look_at(page, shots, "report-client")
    main = page.locator("main").inner_text()
    assert "Alerts" not in main and "expected" not in main.lower()
    pdf_first_page(page, live_server.url, shots, "report-client")
    assert_strict_csp(page.watch)


def test_the_clinician_writes_a_discharge_letter_and_the_client_keeps_a_copy(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    from rapport.care.models import Episode, EpisodeStatus
    from tests.browser import screenshots

    clinician = User.objects.get(email=DEMO_CLINICIAN)
    episode = Episode.objects.filter(
        primary_clinician=clinician, status=EpisodeStatus.CLOSED
    ).first()
    assert episode is not None
    sign_in(page, live_server.url, DEMO_CLINICIAN, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/reports/episode/{episode.pk}/discharge/")
    screenshots(page, shots, "discharge-form")
    page.get_by_label("To (the referrer's name)").fill("Dr Amara Rivers")
    page.get_by_label("Organisation").fill("Riverside Surgery")
    page.get_by_role("textbox", name="Recommendations").fill(
        "Carry on with the relapse-prevention plan; a review in three months."
    )
    page.get_by_role("button", name="Save the letter").click()
    expect(page.get_by_text("Dear Dr Amara Rivers")).to_be_visible()
    screenshots(page, shots, "discharge-letter")
    page.goto(f"{live_server.url}/reports/episode/{episode.pk}/discharge/?audience=client")
    expect(page.get_by_text("this is your copy")).to_be_visible()
    screenshots(page, shots, "discharge-client-copy")
    pdf_first_page(page, live_server.url, shots, "discharge-letter")
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert_strict_csp(page.watch)


def test_the_supervisor_opens_last_months_practice_report(demo, live_server, page, shots):
    from playwright.sync_api import expect

    from tests.browser import screenshots

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill("supervisor@demo.rapport.test")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    page.goto(f"{live_server.url}/dashboard/practice/")
    page.get_by_role("link", name="PDF").nth(1).wait_for()
    page.locator("a", has_text=" 20").nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Practice report:")
    screenshots(page, shots, "practice-report")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.set_viewport_size(DESKTOP)
    pdf_first_page(page, live_server.url, shots, "practice-report")
    assert_strict_csp(page.watch)
