"""When rapport does not form, the whole path in Debian's Chromium, on the demo practice: a client
asks privately in the portal (phone); the current therapist sees nothing of it; the coordinator
(a supervisor, the default) sees three candidates (desktop) and offers them; the candidate records
how a short consultation went, which the coordinator reads; the client chooses (phone), then
consents item by item; the joint session is recorded and the handoff completed; the new therapist
sees only what was agreed, and the old one loses access. Screenshots on a phone and a desktop
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
from rapport.matching.services import consultation_book
from rapport.measures.models import Response
from rapport.people.models import Client
from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
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
    pytestmark.append(pytest.mark.xdist_group(__name__))

WORDS = "We keep going round in circles and I feel I cannot be honest in the sessions."
NOTE = "Easy to talk to; evenings suit her."


def test_a_client_asks_privately_chooses_consents_and_moves_to_a_new_therapist(
    demo, live_server, page, shots
):
    from playwright.sync_api import expect

    watch: Watch = page.watch
    url = live_server.url
    client = Client.objects.select_related("user").get(user__email__startswith="client@")
    assert client.user is not None and not client.is_minor
    assert not FitCheck.objects.filter(episode__client=client).exists()
    assert Response.objects.filter(episode__client=client, assignment__plan__family="feedback")
    episode = client.episodes.get(status=EpisodeStatus.ACTIVE)
    old = episode.primary_clinician
    coordinator = User.objects.get(role=Role.SUPERVISOR, practice=client.practice)
    assert coordinator != old

    # The client asks privately, on a phone.
    page.set_viewport_size(PHONE)
    enter(page, url, client.user.email)
    page.get_by_role("link", name="Is your therapist the right fit? Tell us privately").click()
    page.get_by_label("What is not working for you?").fill(WORDS)
    page.get_by_role("group", name="Would you like to talk about it").get_by_label("No").check()
    screenshots(page, shots, "portal-fit-check-client")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your therapist has not been told.")).to_be_visible()
    [fit_check] = FitCheck.objects.filter(episode__client=client)
    assert fit_check.is_private and fit_check.status == "with_coordinator"

    # The current therapist sees nothing of it.
    enter(page, url, old.email)
    page.goto(f"{url}/clients/{client.pk}/")
    expect(page.get_by_role("heading", name="Case review")).to_be_visible()
    body = page.locator("main").inner_text()
    assert WORDS not in body and "Fit check asked" not in body
    assert page.goto(f"{url}/fit-checks/{fit_check.pk}/").status == 404

    # The coordinator sees it and three candidates (not the current therapist), and offers them.
    enter(page, url, coordinator.email)
    page.goto(f"{url}/fit-checks/")
    listed = page.locator("section", has=page.get_by_role("heading", name="Open fit checks"))
    listed.get_by_role("link", name=client.display_name).click()
    expect(page.get_by_text(WORDS)).to_be_visible()
    expect(page.get_by_text("Private request.")).to_be_visible()
    candidates = page.locator("section", has=page.get_by_role("heading", name="Possible new"))
    expect(candidates.locator("li.candidate")).to_have_count(3)
    expect(candidates).not_to_contain_text(old.full_name)
    screenshots(page, shots, "fit-check-candidates-supervisor")
    page.get_by_role("button", name="Offer these to the client").click()
    expect(page.locator(".message.success")).to_contain_text("Offered to the client")

    # The first candidate met the client an hour ago and records how it went. The request was
    # made before that meeting (just after midnight, one made now is of a later day than it, and
    # the fit check lists only the consultations from the day it was asked for).
    FitCheck.objects.filter(pk=fit_check.pk).update(
        requested_at=timezone.now() - timedelta(hours=2)
    )
    new = User.objects.get(pk=FitCheck.objects.get(pk=fit_check.pk).offered_ids[0])
    consultation = consultation_book(
        actor=coordinator,
        fit_check=FitCheck.objects.get(pk=fit_check.pk),
        clinician=new,
        scheduled_start=timezone.now() - timedelta(hours=1),
        duration_minutes=20,
        modality="video",
    )
    enter(page, url, new.email)
    page.goto(f"{url}/consultations/")
    page.get_by_role("link", name="Record how it went").click()
    page.get_by_label("Attended").check()
    page.get_by_label("A short note for the coordinator").fill(NOTE)
    screenshots(page, shots, "consultation-record-candidate")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_text("The coordinator sees it on the fit check.")).to_be_visible()
    consultation.refresh_from_db()
    assert consultation.attendance == "attended"

    # The client chooses among those offered, on a phone.
    page.set_viewport_size(PHONE)
    enter(page, url, client.user.email)
    page.get_by_role("link", name="Choose your new therapist").click()
    offered = page.locator("li.candidate")
    expect(offered).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text(NOTE)
    first = offered.first.get_by_role("heading").inner_text()
    assert first == new.full_name
    offered.first.get_by_role("button").click()
    expect(page.get_by_text(f"Chosen: {first}.")).to_be_visible()

    # The coordinator reads the consultation's note and starts the handoff to the one chosen.
    enter(page, url, coordinator.email)
    page.goto(f"{url}/fit-checks/{fit_check.pk}/")
    expect(page.get_by_text(NOTE)).to_be_visible()
    page.get_by_label("Hand over to", exact=True).select_option(label=new.full_name)
    page.get_by_role("button", name="Start the handoff").click()
    expect(page.get_by_text("Waiting for the client to choose")).to_be_visible()
    handoff = Handoff.objects.get(fit_check=fit_check)

    # The client agrees to share the questionnaires only, on a phone.
    page.set_viewport_size(PHONE)
    enter(page, url, client.user.email)
    page.get_by_role("link", name="Your change of therapist: what may be shared").click()
    expect(page.get_by_text("private notes are never shared")).to_be_visible()
    page.get_by_label(re.compile("questionnaires? about how you have been")).check()
    screenshots(page, shots, "portal-handoff-client")
    page.get_by_role("button", name="I agree to move, sharing what I ticked").click()
    expect(page.get_by_text("You have agreed.")).to_be_visible()

    # The joint session is recorded and the handoff completed.
    enter(page, url, coordinator.email)
    page.goto(f"{url}/handoffs/{handoff.pk}/")
    held = timezone.localtime() - timedelta(days=2)
    page.get_by_label("When").fill(held.replace(hour=7, minute=15).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Record the joint session").click()
    expect(page.get_by_text("Joint session recorded.")).to_be_visible()
    screenshots(page, shots, "handoff-coordinator")
    page.get_by_role("button", name="Complete the handoff").click()
    expect(page.locator(".message.success")).to_contain_text("Handoff completed")
    handoff.refresh_from_db()
    assert handoff.status == "completed" and handoff.shared_items == {"measures"}

    # The new therapist sees only what was agreed; the old one no longer opens the record.
    enter(page, url, new.email)
    page.goto(f"{url}/clients/{client.pk}/")
    expect(page.get_by_text("No session feedback yet.")).to_be_visible()  # not agreed
    enter(page, url, old.email)
    assert page.goto(f"{url}/clients/{client.pk}/").status == 404
    assert_strict_csp(watch)
