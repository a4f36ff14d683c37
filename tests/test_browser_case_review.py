"""A stuck-case review in Debian's Chromium, on the demo practice: the clinician opens one from
an alert on the client page, goes through the checklist and decides; the client page shows the
decision and the alert is resolved; the supervisor sees the demo's overdue review on the
dashboard and opens it. Screenshots on a phone and a desktop (RAPPORT_SHOTS to keep them)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.core import case_review as rules
from rapport.matching.models import StuckCaseReview
from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
    Watch,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    screenshots,
    shots_fixture,
    sign_in,
)

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))


def test_a_clinician_reviews_a_stuck_case_and_the_supervisor_sees_the_overdue_one(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    page_watch: Watch = page.watch
    [demo_review] = StuckCaseReview.objects.all()  # overdue: its follow-up has passed
    alert = (
        Alert.objects.filter(kind__in=rules.OFF_TRACK_ALERT_KINDS)
        .exclude(status=Alert.Status.RESOLVED)
        .exclude(episode=demo_review.episode)
        .select_related("client", "episode__primary_clinician")
        .order_by("-opened_at")
        .first()
    )
    assert alert is not None, "the demo has an open off-track alert"
    clinician = alert.episode.primary_clinician

    sign_in(page, live_server.url, clinician.email, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/clients/{alert.client_id}/")
    card = page.locator("li.alert", has_text=alert.get_kind_display()).first
    card.get_by_role("button", name="Review this case").click()
    expect(page.get_by_role("heading", name="What the data say")).to_be_visible()
    screenshots(page, shots, "review-open-clinician")

    for item in rules.CHECKLIST:
        answer = "A concern" if item.key in ("alliance", "agreement") else "Fine"
        page.get_by_role("group", name=item.title).get_by_label(answer).check()
    page.get_by_label(rules.OPTION_WORDS[rules.Option.RUPTURE_CONVERSATION]).check()
    page.get_by_label(rules.OPTION_WORDS[rules.Option.SUPERVISION]).check()
    page.get_by_label("What we decided").fill("Talk about how sessions feel; supervision Friday.")
    follow_up = timezone.localdate() + timedelta(days=21)
    page.get_by_label("Look at the case again on").fill(follow_up.isoformat())
    page.get_by_role("button", name="Save the review").click()

    expect(page.get_by_text("Case review saved.")).to_be_visible()
    panel = page.locator("section", has=page.get_by_role("heading", name="Case review"))
    expect(panel).to_contain_text("Talk about how sessions feel; supervision Friday.")
    expect(panel).to_contain_text(f"{follow_up:%-d %b %Y}")
    panel.scroll_into_view_if_needed()
    screenshots(page, shots, "client-page-clinician")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED

    supervisor = demo_review.episode.primary_clinician.team.supervisor
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(supervisor.email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Team caseloads")).to_be_visible()
    page.goto(f"{live_server.url}/dashboard/")
    overdue = page.locator("section", has=page.get_by_role("heading", name="Case reviews overdue"))
    expect(overdue).to_contain_text("Follow-up was due")
    screenshots(page, shots, "dashboard-supervisor")
    overdue.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Decision")).to_be_visible()
    screenshots(page, shots, "review-done-supervisor")
    page.goto(f"{live_server.url}/clients/{alert.client_id}/")
    screenshots(page, shots, "client-page-supervisor")

    assert StuckCaseReview.objects.filter(status="done").count() == 2
    assert_strict_csp(page_watch)
