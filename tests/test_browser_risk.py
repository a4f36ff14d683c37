"""A risk answer and a bad session as the clinician and the supervisor see them in Chromium, on a
desktop screen and a phone: the client page, the caseload, the alert list, the dashboard and the
progress chart. Screenshots go to RAPPORT_SHOTS when set, else to the test's temporary folder."""

from __future__ import annotations

import os

import pytest

from rapport.measures.services import measure_plan_set
from tests.browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    browser_fixture,
    page_fixture,
    shots_fixture,
    sign_in,
)
from tests.conftest import PASSWORD
from tests.test_alert_cards import feedback
from tests.test_progress_data import held_sessions, submit
from tests.test_risk_visibility import submit_phq9

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))


@pytest.fixture
def scene(transactional_db, cast):
    """Four sessions of PHQ-9 and feedback; the last PHQ-9 is 'Mild' with item 9 answered, and
    the last session's feedback fell hard."""
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    sessions = held_sessions(cast.adult_episode, 4)
    for session, total in zip(sessions, (16, 13, 11, 7), strict=True):
        submit_phq9(session, total=total, item9=1 if total == 7 else 0)
    for session in sessions[:-1]:
        submit(session, "feedback", feedback(9, 9, 9, 9))
        submit(session, "feedback", feedback(9, 9, 9, 9), respondent="therapist")
    submit(sessions[-1], "feedback", feedback(9, 9, 9, 9), respondent="therapist")
    submit(sessions[-1], "feedback", feedback(6, 4, 6, 6))
    return cast


@pytest.mark.parametrize("who", ["clinician", "supervisor"])
def test_the_risk_answer_is_visible_where_scores_are_shown(scene, live_server, page, shots, who):
    from playwright.sync_api import expect

    user = scene.clinician if who == "clinician" else scene.supervisor
    if who == "clinician":
        sign_in(page, live_server.url, user.email, PASSWORD)
    else:  # a supervisor lands on the team's caseloads
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Email", exact=True).fill(user.email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("tr", has_text=scene.adult_client.full_name)).to_be_visible()
    client_url = f"{live_server.url}/clients/{scene.adult_client.pk}/"
    for size, viewport in (("1280x900", {"width": 1280, "height": 900}), ("390x844", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(client_url)
        banner = page.locator(".risk-banner")
        expect(banner).to_contain_text("an answer to a risk question needs attention")
        scores = page.locator("section:has(#scores)")
        expect(scores).to_contain_text("Risk item answered")
        page.screenshot(path=shots / f"risk-client-page-{who}-{size}.png", full_page=True)
        alerts = page.locator("section:has(#alerts-head)")
        # The bad session is one card; the risk alert another
        expect(alerts.locator("li.alert")).to_have_count(2)
        expect(alerts).to_contain_text("rated goals 4 (at or below 6)")
        expect(alerts).not_to_contain_text("goals 4 (at or below 7)")
        alerts.screenshot(path=shots / f"risk-alert-cards-{who}-{size}.png")

        page.goto(f"{live_server.url}/alerts/")
        expect(page.locator("li.alert.urgent")).to_contain_text("Risk question answered")
        page.screenshot(path=shots / f"risk-alert-inbox-{who}-{size}.png", full_page=True)

        page.goto(f"{live_server.url}/dashboard/")
        row = page.locator("tr", has_text=scene.adult_client.full_name)
        expect(row.locator(".flag.risk")).to_have_text("Risk")
        page.screenshot(path=shots / f"risk-dashboard-{who}-{size}.png", full_page=True)

        page.goto(f"{live_server.url}/{'caseload' if who == 'clinician' else 'team'}/")
        row = page.locator("tr", has_text=scene.adult_client.full_name).first
        expect(row.locator(".flag.risk")).to_have_text("Risk")
        page.screenshot(path=shots / f"risk-caseload-{who}-{size}.png", full_page=True)

        page.goto(f"{live_server.url}/episodes/{scene.adult_episode.pk}/progress/")
        expect(page.locator("table.progress-table").first).to_contain_text("Answered")
        image = page.locator("figure.progress-chart img")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        page.screenshot(path=shots / f"risk-progress-{who}-{size}.png", full_page=True)
