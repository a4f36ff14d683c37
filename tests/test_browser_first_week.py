"""The first week of a new client, walked in Chromium as a clinic would: the therapist registers the
client at intake (the practice's default measures for an adult are planned at once), books today's
session and next week's, hands the tablet over for the PHQ-9 (the client answers the risk question)
and sees the risk on the session view; writes a plan that the client, invited to the portal by
email, asks to change on a phone; answers the request; and the client finds no form for the session
that has not happened yet.

Screenshots go to RAPPORT_SHOTS when that is set (desktop and phone of every step)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from rapport.care.models import Session
from rapport.measures.models import Assignment, Response
from rapport.people.models import Client
from tests.browser import (  # noqa: F401 (fixtures)
    PHONE,
    TIMEOUT_MS,
    assert_strict_csp,
    browser_fixture,
    page_fixture,
    sign_in,
)
from tests.conftest import PASSWORD, years_ago
from tests.test_browser_plans import add_problem, shoot

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))

NAME = "Noor Nowak"
EMAIL = "noor.nowak@example.org"
CLIENT_PASSWORD = "a long passphrase for Noor"
ASK = "Could we look at sleep before work?"
ANSWER = "Yes, we will put sleep first and talk it through next week."


def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def register_client(page, base_url: str) -> Client:
    from playwright.sync_api import expect

    page.goto(base_url + "/clients/new/")
    page.get_by_label("Full name").fill(NAME)
    page.get_by_label("Date of birth").fill(years_ago(34).isoformat())
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Reason for referral").fill("Low mood and worry since a job loss")
    shoot(page, "first-week-1-intake-form")
    page.get_by_role("button", name="Register and open episode").click()
    expect(page.locator(".messages")).to_contain_text(f"{NAME} is registered.")
    return Client.objects.get(full_name=NAME)


def the_default_measures_are_planned(page, base_url: str, episode_id: int) -> None:
    """Registering an adult planned the practice's adult defaults: nothing to add by hand."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/episodes/{episode_id}/measures/")
    rows = page.locator("table tbody")
    for title in ("PHQ-9", "GAD-7"):
        expect(rows.locator("tr", has_text=title)).to_contain_text("Every session")
    shoot(page, "first-week-2b-default-measures")


def book_session(page, base_url: str, client: Client, when) -> Session:
    from playwright.sync_api import expect

    local = timezone.localtime(when)
    page.goto(f"{base_url}/clients/{client.pk}/")
    page.get_by_text("Book a session").click()
    page.get_by_label("Date").fill(local.date().isoformat())
    page.get_by_label("Start time").fill(local.strftime("%H:%M"))
    page.get_by_role("button", name="Book session").click()
    expect(page.locator(".messages")).to_be_visible()
    return Session.objects.filter(episode__client=client).order_by("-pk").first()


def sessions_of_waiting_forms(phone) -> set[int]:
    """The sessions of the forms the portal home offers ("Waiting for you")."""
    hrefs = phone.locator("a.button[href*='/portal/forms/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    ids = [int(href.rstrip("/").rsplit("/", 1)[1]) for href in hrefs]
    return {a.session_id for a in Assignment.objects.filter(pk__in=ids)}


def answer_phq9_with_the_risk_item(page) -> None:
    """The client fills the PHQ-9 on the handed-over device: 11, item 9 'Several days'."""
    questions = page.locator("fieldset")
    for n in range(9):
        choice = {8: "Several days"}.get(n, "More than half the days" if n < 5 else "Not at all")
        questions.nth(n).get_by_label(choice, exact=True).check()


def test_the_first_week_of_a_new_client_as_the_clinic_lives_it(
    cast, transactional_db, live_server, browser, page, settings
):
    from playwright.sync_api import expect

    base = live_server.url
    settings.RAPPORT_BASE_URL = base  # emailed links point at this server
    # Intake: the therapist registers the client at the desk.
    sign_in(page, base, cast.clinician.email, PASSWORD)
    client = register_client(page, base)
    episode = client.episodes.get()
    expect(page.locator("main")).to_contain_text("No problems listed yet; no plan proposed yet.")
    shoot(page, "first-week-2-client-page")
    the_default_measures_are_planned(page, base, episode.pk)

    # Today's session, started a few minutes ago, and next week's.
    today = book_session(page, base, client, timezone.now() - timedelta(minutes=5))
    next_week = book_session(page, base, client, timezone.now() + timedelta(days=7))
    assert today.pk != next_week.pk

    # In the room: the tablet is handed to the client for the PHQ-9.
    page.goto(f"{base}/sessions/{today.pk}/")
    phq9 = page.locator(".assignment", has_text="PHQ-9")
    phq9.get_by_role("button", name="Hand device to client").click()
    answer_phq9_with_the_risk_item(page)
    shoot(page, "first-week-3-phq9-in-session")
    page.get_by_role("button", name=re.compile("^(Send|Submit)")).click()
    page.get_by_label("Therapist's password").fill(PASSWORD)
    page.get_by_role("button", name="Unlock").click()
    page.goto(f"{base}/sessions/{today.pk}/")
    expect(page.locator(".risk-banner")).to_contain_text("Risk: PHQ-9")
    expect(page.locator(".risk-banner")).to_contain_text("Check safety today")
    expect(page.locator(".glance .score.urgent")).to_contain_text("Risk")
    shoot(page, "first-week-4-session-view-risk")
    response = Response.objects.get(assignment__session=today)
    assert response.carries_risk_flag

    # The plan: a problem, a goal, proposed to the client.
    page.goto(f"{base}/episodes/{episode.pk}/plan/")
    add_problem(page, "Low mood", "I can't get going in the mornings")
    page.get_by_role("link", name="Write the plan").click()
    page.get_by_label("Why this version").fill("First plan, agreed at intake")
    page.get_by_role("button", name="Start the draft").click()
    page.get_by_label("Our shared understanding").fill("Low mood keeps you in bed; bed feeds it.")
    page.get_by_label("What we will do").fill("Plan small morning steps, then look at sleep.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name="Add a goal").click()
    page.get_by_label("Goal, in the client's words").fill("Get up by 8 on weekdays")
    page.get_by_label("Low mood").check()
    page.get_by_label("How we will know").select_option("measure_target")
    page.get_by_label("Measure", exact=True).select_option("phq9")
    page.get_by_label("Target", exact=True).fill("10")
    page.get_by_role("button", name="Save goal").click()
    page.get_by_role("button", name="Propose version 1").click()
    expect(page.locator("#goals")).to_contain_text("Get up by 8 on weekdays")
    shoot(page, "first-week-5-plan-proposed")

    # The client is invited to the portal and sets a password from the email.
    page.goto(f"{base}/clients/{client.pk}/")
    page.get_by_role("button", name=re.compile("invit", re.I)).click()
    expect(page.locator(".messages")).to_contain_text(f"Portal invitation emailed to {EMAIL}")
    invitation = next(m for m in mail.outbox if EMAIL in m.to)
    link = re.search(r"https?://\S+", invitation.body).group(0)
    context, phone = phone_page(browser)
    phone.goto(link)
    phone.get_by_label("New password", exact=True).fill(CLIENT_PASSWORD)
    phone.get_by_label(re.compile("(Confirm|Repeat|again)", re.I)).fill(CLIENT_PASSWORD)
    phone.get_by_role("button", name=re.compile("(Set|Save)")).click()
    phone.goto(base + "/accounts/login/")
    phone.get_by_label("Email", exact=True).fill(EMAIL)
    phone.get_by_label("Password", exact=True).fill(CLIENT_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name=re.compile("^Hello"))).to_be_visible()

    # Next week's session offers no form yet: nothing to rate before it has happened.
    home = phone.locator("main")
    waiting = home.locator("section.card").first.locator("a.button[href*='/portal/forms/']")
    expect(waiting).to_have_text(["Generalized Anxiety Disorder scale (GAD-7)"])  # today's
    assert sessions_of_waiting_forms(phone) == {today.pk}
    expect(home.locator("section", has_text="Next appointments")).to_contain_text(
        timezone.localtime(next_week.scheduled_start).strftime("%-d %B")
    )
    assert not Assignment.objects.filter(session=next_week).exclude(status="pending").exists()
    shoot(phone, "first-week-6-portal-home-client")

    # The client asks for a change to the plan on the phone.
    phone.get_by_role("link", name="Read and answer").click()
    phone.get_by_label("What would you like to change?").fill(ASK)
    phone.get_by_role("button", name="Ask for changes").click()
    expect(phone.locator("main")).to_contain_text("Your therapist has your request")
    shoot(phone, "first-week-7-portal-plan-asked")

    # The therapist sees it on the caseload and answers in words.
    page.goto(f"{base}/caseload/")
    expect(page.locator("tr", has_text=NAME)).to_contain_text("Plan: changes asked for")
    expect(page.locator("tr", has_text=NAME).locator(".flag.risk")).to_have_text("Risk")
    shoot(page, "first-week-8-caseload")
    page.goto(f"{base}/clients/{client.pk}/")
    alert = page.locator("li.alert", has_text="Changes to the plan asked for")
    alert.get_by_role("link", name="Answer on the plan").click()
    page.get_by_role("link", name="Answer the request").click()
    page.get_by_label(re.compile("^Your answer to")).fill(ANSWER)
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator(".messages")).to_contain_text("Answer sent")

    phone.goto(f"{base}/portal/clients/{client.pk}/plan/")
    expect(phone.locator("section", has_text="Your request for changes")).to_contain_text(ANSWER)
    shoot(phone, "first-week-9-portal-plan-answered")

    # The therapist opens next week's session page: still no form for the client, and the
    # portal still offers none.
    page.goto(f"{base}/sessions/{next_week.pk}/")
    expect(page.locator("main")).not_to_contain_text("Hand device to client")
    shoot(page, "first-week-10-future-session")
    phone.goto(base + "/portal/")
    assert next_week.pk not in sessions_of_waiting_forms(phone)
    assert_strict_csp(page.watch)
    context.close()
