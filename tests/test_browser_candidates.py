"""Choosing a new therapist in Debian's Chromium, on the demo practice: the coordinator (a
supervisor) sees three candidates on a fit check, on a phone and a desktop, and offers them; the
client chooses one in the portal on a phone. Screenshots of each step (RAPPORT_SHOTS to keep
them)."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.matching.models import FitCheck
from rapport.matching.services import fit_check_request
from rapport.people.models import Client
from tests.browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    Watch,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    enter,
    page_fixture,
    screenshots,
    shots_fixture,
)

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group("browser"))


def test_the_coordinator_sees_three_candidates_and_the_client_chooses_one(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    watch: Watch = page.watch
    client = Client.objects.select_related("user").get(user__email__startswith="client@")
    episode = client.episodes.get(status="active")
    fit_check = fit_check_request(
        actor=client.user,
        episode=episode,
        starter="client",
        words="I would like someone who works more gently, by video.",
    )
    coordinator = User.objects.get(role=Role.SUPERVISOR, practice=client.practice)

    enter(page, live_server.url, coordinator.email)
    page.goto(f"{live_server.url}/fit-checks/{fit_check.pk}/")
    candidates = page.locator("section", has=page.get_by_role("heading", name="Possible new"))
    expect(candidates.locator("li.candidate")).to_have_count(3)
    expect(candidates).not_to_contain_text(episode.primary_clinician.full_name)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        candidates.screenshot(path=shots / f"candidates-supervisor-{viewport['width']}.png")
    screenshots(page, shots, "fit-check-candidates-supervisor")
    page.get_by_role("button", name="Offer these to the client").click()
    expect(page.get_by_text("Offered to the client:")).to_be_visible()

    page.set_viewport_size(PHONE)
    enter(page, live_server.url, client.user.email)
    page.get_by_role("link", name="Choose your new therapist").click()
    offered = page.locator("li.candidate")
    expect(offered).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text("less evidence")
    screenshots(page, shots, "portal-choose-client")
    page.set_viewport_size(PHONE)
    first = offered.first.get_by_role("heading").inner_text()
    offered.first.get_by_role("button").click()
    expect(page.get_by_text(f"Chosen: {first}.")).to_be_visible()

    fit_check = FitCheck.objects.get(pk=fit_check.pk)
    assert fit_check.status == "chosen" and fit_check.chosen_clinician is not None
    assert fit_check.chosen_clinician.full_name == first and fit_check.chosen_by == client.user
    if os.environ.get("RAPPORT_SHOTS"):  # the other pages, to look at them
        screenshots(page, shots, "portal-chosen-client")
        page.goto(live_server.url + reverse("matching:portal_preferences", args=[client.pk]))
        screenshots(page, shots, "portal-preferences-client")
        enter(page, live_server.url, coordinator.email)
        page.goto(f"{live_server.url}/therapists/")
        screenshots(page, shots, "directory-supervisor")
        page.goto(f"{live_server.url}/fit-checks/{fit_check.pk}/")
        screenshots(page, shots, "fit-check-chosen-supervisor")
        enter(page, live_server.url, episode.primary_clinician.email)
        page.goto(f"{live_server.url}/clients/{client.pk}/")
        panel = page.locator("section", has=page.get_by_role("heading", name="Case review"))
        panel.screenshot(path=shots / "client-panel-after-choice-therapist.png")
    assert_strict_csp(watch)
