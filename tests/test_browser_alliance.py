"""Rupture and repair end to end in Debian's Chromium: a client rates a video session low through
their feedback link on a phone; the therapist sees the alert on the caseload, opens the rupture,
logs a repair step; the next session's feedback recovers and the rupture shows as repaired."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alliance.models import RepairAction, Rupture
from rapport.care.models import Attendance, Modality, Session
from rapport.measures.models import Response
from rapport.measures.services import link_issue, response_submit, session_assignments_ensure
from tests.browser import (  # noqa: F401 (fixtures)
    PHONE,
    TIMEOUT_MS,
    Watch,
    assert_strict_csp,
    browser_fixture,
    page_fixture,
    sign_in,
)
from tests.conftest import PASSWORD, assignment_for

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))

ITEMS = ("bond", "goals", "approach", "overall")


def attended_session(episode, *, ago: timedelta) -> Session:
    return Session.objects.create(
        episode=episode,
        clinician=episode.primary_clinician,
        modality=Modality.VIDEO,
        scheduled_start=timezone.now() - ago,
        attendance=Attendance.ATTENDED,
    )


def client_feedback(session: Session, each: int) -> Response:
    assignment = assignment_for(session_assignments_ensure(session=session), "feedback")
    answers = {f"feedback-{name}": str(each) for name in ITEMS}
    return response_submit(assignment=assignment, answers=answers, mode="in_session", actor=None)


def test_a_low_rating_opens_a_rupture_that_the_therapist_repairs(
    cast, transactional_db, live_server, browser, page
):
    from playwright.sync_api import expect

    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save()
    episode = cast.adult_episode
    for weeks in (5, 4, 3):
        client_feedback(attended_session(episode, ago=timedelta(weeks=weeks)), 40 // 4)
    # The video session that just ended, and its feedback link.
    current = attended_session(episode, ago=timedelta(hours=2))
    assignment = assignment_for(session_assignments_ensure(session=current), "feedback")
    _, token = link_issue(actor=None, assignment=assignment)

    # The client, on a phone.
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    phone = context.new_page()
    phone_watch = Watch()
    phone.on(
        "response",
        lambda r: (
            phone_watch.csp_headers.__setitem__(r.url, r.headers.get("content-security-policy"))
            if r.request.resource_type == "document" and r.status < 300
            else None
        ),
    )
    phone.on(
        "console",
        lambda m: phone_watch.console_errors.append(m.text) if m.type == "error" else None,
    )
    try:
        phone.goto(f"{live_server.url}/m/{token}/")
        questions = phone.locator("fieldset.question")
        for n in range(len(ITEMS)):
            option = questions.nth(n).locator("label.option", has=phone.locator("input[value='7']"))
            option.scroll_into_view_if_needed()
            option.click()
            expect(option.locator("input[type=radio]")).to_be_checked()
        phone.get_by_label("What could have been better").fill("I felt rushed")
        with phone.expect_navigation():
            phone.get_by_role("button", name="Send my answers").click()
        expect(phone.locator("main")).to_contain_text("Thank you")
    finally:
        context.close()
    assert_strict_csp(phone_watch)

    stored = Response.objects.get(assignment=assignment)
    assert stored.total == 28 and stored.mode == Response.Mode.LINK
    assert stored.answers["feedback-better"] == "I felt rushed"
    rupture = Rupture.objects.get(episode=episode)
    assert rupture.session_id == current.pk and rupture.client_words == "I felt rushed"
    assert Alert.objects.filter(episode=episode, status=Alert.Status.OPEN).exists()

    # The therapist sees the flag, and follows it to the rupture.
    sign_in(page, live_server.url, cast.clinician.email, PASSWORD)
    row = page.locator("tr", has=page.get_by_text(cast.adult_client.display_name))
    expect(row.locator("td[data-label=Flags]")).to_contain_text(re.compile(r"\d+ open alerts?"))
    row.get_by_role("link", name=cast.adult_client.display_name).first.click()
    page.get_by_role("link", name="Session by session, ruptures and repair").click()
    page.locator(f"a[href$='/ruptures/{rupture.pk}/']").click()
    expect(page.get_by_role("status")).to_contain_text("open")
    repair = page.locator(f"form[action$='/ruptures/{rupture.pk}/repairs/']")
    page.get_by_label("What you did").select_option(label="Talked about it in session")
    repair.get_by_label("Note").fill("Slowed down and left time to check in.")
    repair.get_by_role("button", name="Log repair step").click()
    expect(page.locator("main")).to_contain_text("Talked about it in session")
    action = RepairAction.objects.get(rupture=rupture)
    assert action.taken_by == cast.clinician and action.kind == "talked"

    # The next session goes well again: back to the baseline, so the rupture is repaired.
    client_feedback(attended_session(episode, ago=timedelta(hours=1)), 40 // 4)
    page.goto(f"{live_server.url}/ruptures/{rupture.pk}/")
    expect(page.get_by_role("status")).to_contain_text("repaired")
    assert_strict_csp(page.watch)
