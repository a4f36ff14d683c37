"""Telehealth end to end in Debian's Chromium, on a phone: a client gets the PHQ-9 link by email
before a video session, answers it, taps "Send my answers" twice, and exactly one response is
stored; the link is dead afterwards. The form page stays light and within its CSP."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from rapport.care.models import Modality
from rapport.measures.models import AccessLink, Assignment, Response
from rapport.measures.services import links_send_due, measure_plan_set
from tests.browser import (  # noqa: F401 (fixtures)
    PHONE,
    TIMEOUT_MS,
    Watch,
    assert_strict_csp,
    browser_fixture,
)
from tests.conftest import assignment_for, make_session

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))

# The form page and its stylesheet, as sent: a phone on a poor connection should not wait.
PAGE_BUDGET_BYTES = 50 * 1024
# One per PHQ-9 item, by position of the answer: 0 "Not at all" … 3 "Nearly every day".
ANSWERS = (1, 2, 0, 1, 1, 0, 2, 1, 0)


@pytest.fixture
def phone(browser) -> Iterator[object]:
    """A phone-sized touch screen (390×844); `phone.watch` records CSP headers and errors."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    watch = Watch()

    def on_response(response) -> None:
        if response.request.resource_type == "document" and response.status < 300:
            watch.csp_headers[response.url] = response.headers.get("content-security-policy")

    def on_console(message) -> None:
        if message.type == "error":
            watch.console_errors.append(message.text)

    tab.on("response", on_response)
    tab.on("console", on_console)
    tab.watch = watch
    try:
        yield tab
    finally:
        context.close()


def emailed_link(base_url: str) -> str:
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == ["alex@example.com"]
    found = re.findall(rf"{re.escape(base_url)}/m/[A-Za-z0-9_-]+/", message.body)
    assert len(found) == 1, message.body
    return found[0]


def wait_until(condition, *, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_client_completes_an_emailed_phq9_on_a_phone_once(
    cast, transactional_db, live_server, phone
):
    from playwright.sync_api import expect

    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save()
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    session = make_session(cast.adult_episode, days_from_now=0)
    session.scheduled_start = timezone.now() + timedelta(hours=5)  # within the 24 h lead time
    session.modality = Modality.VIDEO
    session.save()
    mail.outbox.clear()
    assert links_send_due(base_url=live_server.url) == 1
    link = emailed_link(live_server.url)

    # The form page and what it pulls in, as transferred.
    loaded = []

    def on_response(response) -> None:
        loaded.append(response)

    phone.on("response", on_response)
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("PHQ-9")
    phone.wait_for_load_state("load")
    phone.remove_listener("response", on_response)
    weight = {}
    for response in loaded:
        kind = response.request.resource_type
        if kind in {"document", "stylesheet"}:
            sizes = response.request.sizes()
            sent = max(sizes["responseBodySize"], len(response.body()))
            weight[response.url] = sent + sizes["responseHeadersSize"]
    assert any(url.endswith(".css") for url in weight), weight
    assert sum(weight.values()) <= PAGE_BUDGET_BYTES, weight
    # Fits the phone: nothing to scroll sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    questions = phone.locator("form.answers fieldset.question")
    expect(questions.nth(8)).to_contain_text("better off dead")  # item 9 is the ninth
    for n, value in enumerate(ANSWERS):
        option = questions.nth(n).locator("label.option").nth(value)
        option.scroll_into_view_if_needed()
        option.click()
        expect(option.locator("input[type=radio]")).to_be_checked()
    phone.wait_for_timeout(800)  # let any autosave of the last answer land first
    assignment = Assignment.objects.get(session=session, plan__family="phq9")
    assert assignment.status == Assignment.Status.PENDING

    # Double submit: the same answers go to the server twice at once, as a second tap does —
    # one copy by fetch, the other through the button, whose answer the phone then shows.
    submits = []

    def on_request(request) -> None:
        if request.method == "POST" and "x-rapport-autosave" not in request.headers:
            submits.append(request)

    phone.on("request", on_request)
    with phone.expect_navigation():
        phone.evaluate(
            """() => {
                const form = document.querySelector("form.answers");
                const button = form.querySelector('button[value="submit"]');
                const data = new FormData(form);
                data.set(button.name, button.value);
                // Not form.action: the buttons named "action" shadow that property.
                const url = form.getAttribute("action");
                fetch(url, { method: "POST", body: data, credentials: "same-origin" });
                form.requestSubmit(button);
            }"""
        )
    phone.remove_listener("request", on_request)
    assert len(submits) == 2 and all(r.url == link for r in submits), submits
    # Whichever copy the server took second, the client is thanked: by the done page when the
    # button's copy came first (or found the stored response), else by the used link's page.
    expect(phone.locator("main")).to_contain_text("Thank you")
    if not phone.url.endswith("/m/done/"):
        expect(phone.locator("main")).to_contain_text("already been completed")
    # Working links are no longer counted (only failures are), so wait for the stored answer;
    # then give the slower copy time to land before checking that it stored nothing more.
    wait_until(lambda: Response.objects.exists())
    phone.wait_for_timeout(500)

    [stored] = Response.objects.all()
    assert stored.assignment_id == assignment.pk and stored.mode == Response.Mode.LINK
    assert stored.total == sum(ANSWERS) and stored.band == "Mild"
    assert [stored.answers[f"phq9-{n}"] for n in range(1, 10)] == list(ANSWERS)
    assert not stored.flags
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.COMPLETED
    assert AccessLink.objects.get(assignment=assignment).used_at is not None

    # The link works once.
    again = phone.goto(link)
    assert again.status == 410
    expect(phone.locator("main")).to_contain_text("already been completed")
    assert Response.objects.count() == 1
    assert_strict_csp(phone.watch)


def test_answers_survive_a_reload_because_the_form_saves_a_draft_as_you_go(
    cast, transactional_db, live_server, phone
):
    from rapport.measures.models import Assignment
    from rapport.measures.services import link_issue, session_assignments_ensure

    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")
    _, token = link_issue(actor=None, assignment=assignment)
    phone.goto(f"{live_server.url}/m/{token}/")
    phone.locator("fieldset.question").nth(1).locator("label.option").nth(2).click()
    wait_until(lambda: Assignment.objects.get(pk=assignment.pk).draft.get("phq9-2") == "2")
    phone.reload()
    checked = phone.locator("fieldset.question").nth(1).locator("input:checked")
    assert checked.get_attribute("value") == "2"
    assert not phone.watch.console_errors
