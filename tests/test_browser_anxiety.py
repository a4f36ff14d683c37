"""Child anxiety and default measures in Debian's Chromium, with the demo practice: the admin sets
the default measures, the clinician sees SCARED subscales on a young person's session and
progress pages, a new child is registered with their default measures, and a child answers the
check-in from a link. Screenshots go to RAPPORT_SHOTS when it is set, else to a temporary folder.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.models import Attendance, Modality, Session
from rapport.measures.models import Response
from rapport.measures.services import link_issue, session_assignments_ensure
from tests.browser import (  # noqa: F401 (fixtures)
    PHONE,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    screenshots,
    shots_fixture,
)

PASSWORD = "rapport-demo-2026"
DESKTOP_SHOT = {"width": 1280, "height": 900}

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))


def sign_in(page, base_url: str, who: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(f"{who}@demo.rapport.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_the_admin_sets_the_default_measures(demo, live_server, page, shots):
    from playwright.sync_api import expect

    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/manage/")
    page.get_by_role("link", name="Default measures").click()
    expect(page.get_by_role("heading", name="Default measures", level=1)).to_be_visible()
    choice = page.get_by_label("SCARED, answered by the client").first
    expect(choice).to_have_value("every_n_sessions:4")
    screenshots(page, shots, "default-measures-admin", DESKTOP_SHOT)
    choice.select_option("every_n_sessions:2")
    page.get_by_role("button", name="Save default measures").click()
    expect(page.get_by_text("Default measures saved")).to_be_visible()
    expect(page.get_by_label("SCARED, answered by the client").first).to_have_value(
        "every_n_sessions:2"
    )
    assert_strict_csp(page.watch)


def test_the_clinician_sees_scared_subscales_and_registers_a_child(demo, live_server, page, shots):
    from playwright.sync_api import expect

    response = (
        Response.objects.filter(
            instrument_id="scared-child", episode__primary_clinician__email__startswith="clinician@"
        )
        .order_by("-completed_at")
        .first()
    )
    assert response is not None, "the demo has no SCARED on clinician@'s caseload"
    sign_in(page, live_server.url, "clinician")
    page.goto(f"{live_server.url}/sessions/{response.assignment.session_id}/")
    expect(page.get_by_text("Separation anxiety").first).to_be_visible()
    screenshots(page, shots, "session-scared-clinician", DESKTOP_SHOT)
    page.goto(f"{live_server.url}/episodes/{response.episode_id}/progress/")
    expect(page.get_by_role("heading", name="Subscales").first).to_be_visible()
    screenshots(page, shots, "progress-scared-clinician", DESKTOP_SHOT)

    page.goto(live_server.url + "/clients/new/")
    page.get_by_label("Full name").fill("Zofia Wójcik")
    born = timezone.localdate().replace(year=timezone.localdate().year - 9, day=1)
    page.get_by_label("Date of birth").fill(born.isoformat())
    page.get_by_role("button", name="Register and open episode").click()
    expect(page.get_by_role("heading", name="Zofia Wójcik")).to_be_visible()
    page.goto(live_server.url + "/caseload/?q=wojcik")
    expect(page.get_by_role("link", name="Zofia Wójcik")).to_be_visible()
    screenshots(page, shots, "caseload-search-clinician", DESKTOP_SHOT)
    page.get_by_role("link", name="Zofia Wójcik").click()
    page.get_by_role("link", name="Plan measures").click()
    expect(page.get_by_role("cell", name="SCARED").first).to_be_visible()
    expect(page.get_by_text("scared-child")).to_have_count(0)
    screenshots(page, shots, "new-child-measures-clinician", DESKTOP_SHOT)
    assert_strict_csp(page.watch)


def test_a_child_answers_the_check_in_from_a_link(demo, live_server, page, shots):
    from playwright.sync_api import expect

    young = Response.objects.filter(instrument_id="checkin-child").first()
    assert young is not None
    now = timezone.now()
    session = Session.objects.create(
        episode=young.episode,
        clinician=young.episode.primary_clinician,
        scheduled_start=now - timedelta(minutes=5),
        duration_minutes=50,
        modality=Modality.VIDEO,
        attendance=Attendance.SCHEDULED,
    )
    [checkin] = [
        a for a in session_assignments_ensure(session=session) if a.instrument_id == "checkin-child"
    ]
    _, token = link_issue(actor=None, assignment=checkin)
    page.goto(f"{live_server.url}/m/{token}/")
    expect(page.get_by_role("heading", name="Rapport Check-in for children")).to_be_visible()
    body = page.locator("main").inner_text().lower()
    assert body.count("no right or wrong") == 1
    assert "licence" not in body
    screenshots(page, shots, "checkin-child-link", DESKTOP_SHOT)
