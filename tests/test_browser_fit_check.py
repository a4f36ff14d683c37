"""A fit check in Debian's Chromium, on the demo practice: a client asks privately in the portal
on a phone; the coordinator (a supervisor, the default) sees it on a desktop; the current
therapist's client page shows nothing of it. Screenshots on a phone and a desktop
(RAPPORT_SHOTS to keep them, which also photographs the therapist's form and the settings)."""

from __future__ import annotations

import os

import pytest

from rapport.accounts.models import Role, User
from rapport.care.models import EpisodeStatus
from rapport.matching.models import FitCheck
from rapport.people.models import Client
from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
    DESKTOP,
    PHONE,
    Watch,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    screenshots,
    shots_fixture,
)

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))

WORDS = "We keep going round in circles and I feel I cannot be honest in the sessions."


def enter(page, base_url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_client_asks_privately_and_only_the_coordinator_sees_it(demo, live_server, page, shots):
    from playwright.sync_api import expect

    watch: Watch = page.watch
    asked = set(FitCheck.objects.values_list("episode__client_id", flat=True))
    client = next(
        c
        for c in Client.objects.filter(user__isnull=False, episodes__status=EpisodeStatus.ACTIVE)
        .exclude(pk__in=asked)
        .select_related("user")
        .order_by("pk")
        if not c.is_minor
    )
    client_user = client.user
    assert client_user is not None
    therapist = client.episodes.get(status=EpisodeStatus.ACTIVE).primary_clinician

    page.set_viewport_size(PHONE)
    enter(page, live_server.url, client_user.email)
    page.get_by_role("link", name="Is your therapist the right fit? Tell us privately").click()
    page.get_by_label("What is not working for you?").fill(WORDS)
    page.get_by_role("group", name="Would you like to talk about it").get_by_label("No").check()
    screenshots(page, shots, "portal-fit-check-client")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your therapist has not been told.")).to_be_visible()
    screenshots(page, shots, "portal-fit-check-sent-client")
    [fit_check] = FitCheck.objects.filter(episode__client=client)
    assert fit_check.is_private and fit_check.status == "with_coordinator"

    coordinator = User.objects.filter(role=Role.SUPERVISOR, practice=client.practice).first()
    assert coordinator is not None
    enter(page, live_server.url, coordinator.email)
    page.goto(f"{live_server.url}/fit-checks/")
    listed = page.locator("section", has=page.get_by_role("heading", name="Open fit checks"))
    expect(listed).to_contain_text(client.full_name)
    screenshots(page, shots, "fit-checks-coordinator")
    listed.get_by_role("link", name=client.display_name).click()
    expect(page.get_by_text(WORDS)).to_be_visible()
    expect(page.get_by_text("Private request.")).to_be_visible()
    screenshots(page, shots, "fit-check-coordinator")

    enter(page, live_server.url, therapist.email)
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    expect(page.get_by_role("heading", name="Case review")).to_be_visible()
    body = page.locator("main").inner_text()
    assert WORDS not in body and "Fit check asked" not in body
    # The panel where fit checks and suggestions show, not the whole (very long) record.
    panel = page.locator("section", has=page.get_by_role("heading", name="Case review"))
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        panel.screenshot(path=shots / f"client-panel-therapist-{viewport['width']}.png")
    assert page.goto(f"{live_server.url}/fit-checks/{fit_check.pk}/").status == 404

    if os.environ.get("RAPPORT_SHOTS"):  # the other pages, to look at them
        page.goto(f"{live_server.url}/episodes/{fit_check.episode_id}/fit-checks/new/")
        screenshots(page, shots, "fit-check-new-therapist")
        admin = User.objects.filter(role=Role.ADMIN, practice=client.practice).first()
        assert admin is not None
        enter(page, live_server.url, admin.email)
        page.goto(f"{live_server.url}/manage/fit-checks/")
        screenshots(page, shots, "fit-settings-admin")
        page.goto(f"{live_server.url}/fit-checks/")
        screenshots(page, shots, "fit-checks-admin")
    assert_strict_csp(watch)
