"""Expected trajectories in Debian's Chromium with the demo practice: the supervisor opens the
trajectories page (PHQ-9 by model, a measure with few data by rule), refits on demand, reads the
PHQ-9 validation report, and follows an off-track client from the alert to the scores against the
expected course.

Screenshots go to the folder named by RAPPORT_SHOTS when it is set (to be looked at), else to the
test's temporary folder.
"""

from __future__ import annotations

import os

import pytest

from rapport.alerts.models import Alert
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


def test_the_supervisor_reads_the_trajectories_and_their_validation(demo, live_server, page, shots):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(DEMO_SUPERVISOR)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Trajectories").click()
    expect(page.get_by_role("heading", name="Expected trajectories")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="PHQ-9")).to_contain_text(
        "Expected-trajectory model"
    )
    # Which other measures have enough data for a model depends on the demo's history; at least
    # one (the check-in) stays on the rule.
    expect(table).to_contain_text("Reliable-change rule")
    screenshots(page, shots, "trajectories-overview")

    page.get_by_role("button", name="Refit now").click()
    expect(page.get_by_text("every score was classified again")).to_be_visible()

    page.get_by_role("row").filter(has_text="PHQ-9").get_by_role("link").click()
    expect(page.get_by_role("heading", name="PHQ-9: did early flags predict")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Sensitivity")
    screenshots(page, shots, "trajectories-validation")
    assert_strict_csp(page.watch)


def test_an_off_track_alert_leads_to_the_scores_against_the_expected_course(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    alert = (
        # A reliably worse score is off track too; its alert is the deterioration one.
        Alert.objects.filter(kind__in=["off_track", "deterioration"], reason__contains="in 100")
        .select_related("client", "episode")
        .first()
    )
    assert alert is not None
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(DEMO_SUPERVISOR)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Trajectories")).to_be_visible()
    page.goto(f"{live_server.url}/clients/{alert.client_id}/")
    panel = page.locator("section").filter(has=page.get_by_role("heading", name="On track?"))
    expect(panel).to_contain_text("PHQ-9")
    panel.get_by_role("link", name="Scores against the expected course").click()
    expect(page.get_by_role("heading", name="Is ")).to_be_visible()
    expect(page.get_by_role("cell", name="Off track").first).to_be_visible()
    expect(page.get_by_role("heading", name="PHQ-9: expected range")).to_be_visible()
    screenshots(page, shots, "trajectories-episode")
    assert_strict_csp(page.watch)
