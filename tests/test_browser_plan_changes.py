"""A request for changes to the plan, end to end in Chromium: the client asks in the portal on a
phone; the therapist sees the alert on the client page and the flag on the caseload, answers in
words; the client reads the answer under their request. Then the parent of a child asks too.
Screenshots go to RAPPORT_SHOTS when that is set."""

from __future__ import annotations

import os
import re

import pytest

from rapport.alerts.models import Alert
from rapport.plans import services
from tests.browser import (  # noqa: F401 (fixtures)
    PHONE,
    TIMEOUT_MS,
    assert_strict_csp,
    browser_fixture,
    page_fixture,
    sign_in,
)
from tests.conftest import PASSWORD, years_ago
from tests.test_browser_plans import portal_sign_in, shoot
from tests.test_plans import proposed_plan

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))

ASK = "Could we start with sleep? Work can wait."
ANSWER = "Yes — let's talk it through on Tuesday and put sleep first."


def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def test_the_clients_request_reaches_the_therapist_who_answers_and_the_client_reads_it(
    cast, transactional_db, live_server, browser, page
):
    from playwright.sync_api import expect

    version = proposed_plan(cast)
    context, client = phone_page(browser)

    # The client asks for a change in the portal.
    portal_sign_in(client, live_server.url, cast.adult_client_user.email)
    client.get_by_role("link", name="Read and answer").click()
    client.get_by_label("What would you like to change?").fill(ASK)
    client.get_by_role("button", name="Ask for changes").click()
    expect(client.locator(".messages")).to_contain_text("your therapist will look at your changes")
    expect(client.locator("main")).to_contain_text("Your request for changes")
    expect(client.locator("main")).to_contain_text("Your therapist has your request")

    # The therapist: the caseload flags it, the client page shows the alert with the words.
    sign_in(page, live_server.url, cast.clinician.email, PASSWORD)
    page.goto(f"{live_server.url}/caseload/")
    row = page.locator("tr", has_text="Alex Adult")
    expect(row).to_contain_text("Plan: changes asked for")
    shoot(page, "caseload-plan-changes")
    page.goto(f"{live_server.url}/clients/{cast.adult_client.pk}/")
    alert = page.locator("li.alert", has_text="Changes to the plan asked for")
    expect(alert).to_contain_text(f"Alex Adult asked for changes to the plan (version 1): “{ASK}”")
    shoot(page, "client-page-plan-changes-alert")
    alert.get_by_role("link", name="Answer on the plan").click()
    expect(page.locator("main")).to_contain_text("Changes asked for.")
    shoot(page, "plan-page-changes-asked")
    page.get_by_role("link", name="Answer the request").click()
    page.get_by_label(re.compile("^Your answer to")).fill(ANSWER)
    shoot(page, "version-page-answer")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator(".messages")).to_contain_text("Answer sent")
    expect(page.locator("main")).to_contain_text(f"Answered by {cast.clinician.full_name}")
    assert Alert.objects.get(kind="plan_changes").status == "resolved"
    page.goto(f"{live_server.url}/caseload/")
    expect(page.locator("tr", has_text="Alex Adult")).not_to_contain_text("Plan: changes asked")

    # The client reads the answer under their request.
    client.goto(f"{live_server.url}/portal/clients/{cast.adult_client.pk}/plan/")
    request = client.locator("section", has_text="Your request for changes")
    expect(request).to_contain_text(ASK)
    expect(request).to_contain_text(ANSWER)
    shoot(client, "portal-plan-reply-client")
    assert version.decisions.get().reply == ANSWER
    assert_strict_csp(page.watch)
    context.close()


def test_the_parent_of_a_child_asks_for_changes_and_a_new_version_answers_it(
    cast, transactional_db, live_server, browser, page
):
    from playwright.sync_api import expect

    cast.adolescent_client.date_of_birth = years_ago(9)
    cast.adolescent_client.save()
    version = proposed_plan(cast, episode=cast.adolescent_episode)
    assert version.reviewers == "guardian"
    context, parent = phone_page(browser)

    portal_sign_in(parent, live_server.url, cast.guardian.email)
    parent.goto(f"{live_server.url}/portal/clients/{cast.adolescent_client.pk}/plan/")
    expect(parent.get_by_role("heading", name="Ti’s plan")).to_be_visible()
    shoot(parent, "portal-plan-guardian")
    parent.get_by_label("What would you like to change?").fill("Sessions after school, please")
    parent.get_by_role("button", name="Ask for changes").click()
    expect(parent.locator("main")).to_contain_text("Your request for changes")

    sign_in(page, live_server.url, cast.clinician.email, PASSWORD)
    page.goto(f"{live_server.url}/clients/{cast.adolescent_client.pk}/")
    expect(page.locator("li.alert", has_text="Changes to the plan asked for")).to_contain_text(
        "(Ti's parent or guardian) asked for changes to the plan (version 1)"
    )
    # The therapist answers with a new version: the alert is resolved.
    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adolescent_episode, reason="Sessions after school"
    )
    services.plan_propose(actor=cast.clinician, version=draft)
    page.reload()
    expect(page.locator("li.alert", has_text="Changes to the plan asked for")).to_have_count(0)
    parent.reload()
    expect(parent.get_by_role("heading", name="Does this plan work for you?")).to_be_visible()
    context.close()
