"""The warm handoff in Debian's Chromium, on the demo practice: the coordinator hands a client
who asked privately over to a new therapist (desktop); the client consents item by item in the
portal (phone); the joint session is recorded and the handoff completed; the new therapist sees
only what was agreed and the old one loses access. Screenshots on a phone and a desktop
(RAPPORT_SHOTS to keep them)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.care.models import EpisodeStatus
from rapport.matching.handoff_models import Handoff
from rapport.matching.models import FitCheck
from rapport.matching.services import fit_check_request
from rapport.measures.models import Response
from rapport.people.models import Client
from tests.browser import (  # noqa: F401 (fixtures)
    PHONE,
    Watch,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    screenshots,
    shots_fixture,
)
from tests.test_browser_fit_check import enter

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark.append(pytest.mark.xdist_group(__name__))


def test_a_client_consents_item_by_item_and_only_that_reaches_the_new_therapist(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    watch: Watch = page.watch
    asked = set(FitCheck.objects.values_list("episode__client_id", flat=True))
    rated = set(
        Response.objects.filter(assignment__plan__family="feedback").values_list(
            "episode__client_id", flat=True
        )
    )
    client = next(
        c
        for c in Client.objects.filter(user__isnull=False, episodes__status=EpisodeStatus.ACTIVE)
        .exclude(pk__in=asked)
        .filter(pk__in=rated)
        .select_related("user")
        .order_by("pk")
        if not c.is_minor
    )
    assert client.user is not None
    episode = client.episodes.get(status=EpisodeStatus.ACTIVE)
    old = episode.primary_clinician
    coordinator = User.objects.filter(role=Role.SUPERVISOR, practice=client.practice).exclude(
        pk=old.pk
    )[0]
    new = (
        User.objects.filter(role=Role.CLINICIAN, practice=client.practice, is_active=True)
        .exclude(pk=old.pk)
        .order_by("pk")[0]
    )
    fit_check = fit_check_request(
        actor=client.user, episode=episode, starter="client", words="We do not click."
    )

    enter(page, live_server.url, coordinator.email)
    page.goto(f"{live_server.url}/fit-checks/{fit_check.pk}/")
    page.get_by_label("Hand over to", exact=True).select_option(label=new.full_name)
    page.get_by_role("button", name="Start the handoff").click()
    expect(page.get_by_text("Waiting for the client to choose")).to_be_visible()
    handoff = Handoff.objects.get(fit_check=fit_check)

    page.set_viewport_size(PHONE)
    enter(page, live_server.url, client.user.email)
    page.get_by_role("link", name="Your change of therapist: what may be shared").click()
    expect(page.get_by_text("private notes are never shared")).to_be_visible()
    page.get_by_label(re.compile("questionnaires? about how you have been")).check()
    screenshots(page, shots, "portal-handoff-client")
    page.get_by_role("button", name="I agree to move, sharing what I ticked").click()
    expect(page.get_by_text("You have agreed.")).to_be_visible()
    screenshots(page, shots, "portal-handoff-agreed-client")

    enter(page, live_server.url, coordinator.email)
    page.goto(f"{live_server.url}/handoffs/{handoff.pk}/")
    held = timezone.localtime() - timedelta(days=2)
    page.get_by_label("When").fill(held.replace(hour=7, minute=15).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Record the joint session").click()
    expect(page.get_by_text("Joint session recorded.")).to_be_visible()
    screenshots(page, shots, "handoff-coordinator")
    page.get_by_role("button", name="Complete the handoff").click()
    expect(page.locator(".message.success")).to_contain_text("Handoff completed")
    handoff.refresh_from_db()
    assert handoff.status == "completed" and handoff.shared_items == {"measures"}

    enter(page, live_server.url, new.email)
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    expect(page.get_by_text("No session feedback yet.")).to_be_visible()  # not agreed
    page.goto(f"{live_server.url}/handoffs/{handoff.pk}/")
    screenshots(page, shots, "handoff-receiving-therapist")
    enter(page, live_server.url, old.email)
    assert page.goto(f"{live_server.url}/clients/{client.pk}/").status == 404

    if os.environ.get("RAPPORT_SHOTS"):  # the coordinator's lists, to look at them
        enter(page, live_server.url, coordinator.email)
        page.goto(f"{live_server.url}/handoffs/")
        screenshots(page, shots, "handoffs-coordinator")
        page.goto(f"{live_server.url}/rematch-outcomes/")
        screenshots(page, shots, "rematch-outcomes-supervisor")
    assert_strict_csp(watch)
