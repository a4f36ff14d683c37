"""A fear ladder end to end in Debian's Chromium: the client adds a practice record from the
portal on a phone; the clinician sees it on the ladder page, in the progress table and chart."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rapport.exposure.models import Attempt
from rapport.exposure.services import attempt_record, ladder_create
from tests.browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    Watch,
    assert_strict_csp,
    browser_fixture,
    page_fixture,
    sign_in,
)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))

# Screenshots for a person to look at; set RAPPORT_SHOTS to a folder to keep them.
SHOTS = os.environ.get("RAPPORT_SHOTS", "")


def shoot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"{name}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 1000


def watched(page) -> Watch:  # type: ignore[no-untyped-def]
    watch = Watch()

    def on_response(response) -> None:  # type: ignore[no-untyped-def]
        if response.request.resource_type == "document" and response.status < 300:
            watch.csp_headers[response.url] = response.headers.get("content-security-policy")

    page.on("response", on_response)
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    return watch


def chart_is_drawn(page) -> bool:  # type: ignore[no-untyped-def]
    """Waits for the chart image to load; False if it never draws (a broken image)."""
    page.wait_for_function(
        "() => { const img = document.querySelector('figure.ladder-chart img');"
        " return img && img.complete; }"
    )
    return page.locator("figure.ladder-chart img").evaluate("img => img.naturalWidth > 0")


def test_the_client_records_practice_on_a_phone_and_the_clinician_sees_it(
    cast, transactional_db, live_server, browser, page, tmp_path
):
    from playwright.sync_api import expect

    ladder = ladder_create(
        actor=cast.clinician,
        episode=cast.adult_episode,
        title="Travelling by bus again",
        steps=[
            ("Stand at the bus stop for ten minutes", 35),
            ("Ride the bus one stop with my partner", 45),
            ("Ride the bus one stop alone", 60),
            ("Ride into town at a quiet time", 70),
            ("Ride into town at rush hour", 90),
        ],
    )
    first_step = ladder.steps.first()
    for days, peak in ((9, 55), (6, 30), (2, 25)):  # mastered: 30 and 25 in a row
        attempt_record(
            actor=cast.clinician,
            step=first_step,
            practised_on=timezone.localdate() - timedelta(days=days),
            setting="in_session",
            anticipated_suds=peak + 15,
            peak_suds=peak,
        )
    second_step = ladder.steps.all()[1]
    attempt_record(
        actor=cast.clinician,
        step=second_step,
        practised_on=timezone.localdate() - timedelta(days=2),
        setting="in_session",
        anticipated_suds=70,
        peak_suds=60,
    )

    # The client, on a phone.
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    phone = context.new_page()
    phone_watch = watched(phone)
    try:
        phone.goto(f"{live_server.url}/accounts/login/")
        phone.get_by_label("Email", exact=True).fill(cast.adult_client_user.email)
        phone.get_by_label("Password", exact=True).fill(PASSWORD)
        phone.get_by_role("button", name="Sign in").click()
        phone.get_by_role("link", name="Travelling by bus again").click()
        expect(phone.get_by_role("heading", level=1)).to_contain_text("Your ladder")
        expect(phone.locator("#progress")).to_contain_text("working on step 2")
        form = phone.locator("form", has=phone.get_by_role("button", name="Save my practice"))
        expect(form.get_by_label("Which step did you practise?")).to_have_value(str(second_step.pk))
        expect(form.get_by_label("On my own, between sessions")).to_be_checked()
        form.get_by_label("Before you started, how anxious did you expect to feel?").fill("75")
        form.get_by_label("What was the most anxious you felt?").fill("45")
        form.get_by_label("How anxious were you at the end?").fill("20")
        form.get_by_label("How many minutes did you stay?").fill("25")
        form.get_by_label("Anything you noticed").fill("Got off one stop early, then walked.")
        with phone.expect_navigation():
            form.get_by_role("button", name="Save my practice").click()
        expect(phone.get_by_role("status").first).to_contain_text("Practice recorded")
        expect(phone.locator("#progress")).to_contain_text(
            "come down from 60 the first time to 45 last time"
        )
        expect(phone.locator("figure.ladder-chart img")).to_be_visible()
        assert chart_is_drawn(phone)
        # Nothing wider than the phone: no sideways scrolling on the page itself.
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(phone, tmp_path, "exposure-portal-390x844")
        phone.set_viewport_size(DESKTOP)
        phone.reload()
        shoot(phone, tmp_path, "exposure-portal-1280x800")
    finally:
        context.close()
    assert_strict_csp(phone_watch)

    attempt = Attempt.objects.get(step=second_step, peak_suds=45)
    assert attempt.recorded_by == cast.adult_client_user and attempt.recorded_via == "portal"
    assert (attempt.anticipated_suds, attempt.end_suds, attempt.duration_minutes) == (75, 20, 25)

    # The clinician, at a desk, then on a phone.
    sign_in(page, live_server.url, cast.clinician.email, PASSWORD)
    page.goto(f"{live_server.url}/clients/{cast.adult_client.pk}/")
    page.get_by_role("link", name="Travelling by bus again").click()
    steps = page.locator("table.ladder-steps")
    expect(steps.locator("tr", has_text="Stand at the bus stop")).to_contain_text("mastered")
    current = steps.locator("tr.current")
    expect(current).to_contain_text("Ride the bus one stop with my partner")
    expect(current).to_contain_text("60 → 45")
    expect(current).to_contain_text("25%")
    records = page.locator("table.attempts", has_text="Ride the bus one stop with my partner")
    expect(records).to_contain_text(f"in the portal by {cast.adult_client_user.full_name}")
    expect(records).to_contain_text("Got off one stop early, then walked.")
    assert chart_is_drawn(page)
    shoot(page, tmp_path, "exposure-ladder-1280x800")
    page.set_viewport_size(PHONE)
    page.reload()
    assert chart_is_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, tmp_path, "exposure-ladder-390x844")
    assert_strict_csp(page.watch)
