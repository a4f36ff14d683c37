"""End to end in Debian's Chromium: the demo clinician signs in, opens a client and records a
session; the caseload search narrows the list in place (htmx) without a full page load."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.models import Attendance, EpisodeStatus, Session
from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
    PHONE,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    sign_in,
)

DEMO_CLINICIAN = "clinician@demo.rapport.test"

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Keeps a module's tests on one worker (what the module builds once is built once), while
    # the modules spread over the workers: with every browser test in one group, that group was
    # the longest piece of work the scheduler could not split. Only under xdist: `--strict-markers`
    # rejects the mark when xdist is not loaded (`-p no:xdist`).
    pytestmark.append(pytest.mark.xdist_group(__name__))


def client_id_from(href: str) -> int:
    match = re.search(r"/clients/(\d+)/", href)
    assert match, href
    return int(match.group(1))


def test_demo_clinician_records_a_session(demo, live_server, page, tmp_path):
    from playwright.sync_api import expect

    sign_in(page, live_server.url, DEMO_CLINICIAN, DEMO_PASSWORD)
    table = page.locator("table.caseload")
    for name, viewport in [("desktop", None), ("phone", PHONE)]:
        if viewport:
            page.set_viewport_size(viewport)
        expect(table).to_be_visible()
        expect(table.locator("tbody a").first).to_be_visible()
        shot = tmp_path / f"caseload-{name}.png"
        page.screenshot(path=shot, full_page=True)
        assert shot.stat().st_size > 1000
    page.set_viewport_size({"width": 1280, "height": 800})

    first_client = table.locator("tbody a").first
    client_id = client_id_from(first_client.get_attribute("href"))
    first_client.click()
    expect(page).to_have_url(re.compile(rf"/clients/{client_id}/$"))

    now = timezone.now()
    past = (
        Session.objects.filter(episode__client_id=client_id, scheduled_start__lt=now)
        .exclude(episode__status=EpisodeStatus.CLOSED)
        .order_by("-scheduled_start")
    )
    # Prefer a session still waiting to be recorded; any past one will do.
    session = past.filter(attendance=Attendance.SCHEDULED).first() or past.first()
    if session is None:  # nothing in the past yet: book yesterday's session through the form
        page.get_by_text("Book a session").click()
        yesterday = timezone.localdate(now - timedelta(days=1))
        page.get_by_label("Date", exact=True).fill(yesterday.isoformat())
        page.get_by_role("button", name="Book session").click()
        expect(page.get_by_role("status")).to_contain_text("Session booked")
        session = Session.objects.filter(episode__client_id=client_id).latest("pk")

    page.locator(f'a[href="/sessions/{session.pk}/"]').click()
    page.get_by_label("Attended", exact=True).check()
    page.get_by_label("Video", exact=True).check()
    note = "Browser test: worked on a graded exposure ladder; homework agreed."
    page.get_by_label("Private notes").fill(note)
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_role("status")).to_contain_text("Session recorded.")
    session.refresh_from_db()
    assert (session.attendance, session.modality) == ("attended", "video")
    assert session.private_notes == note
    assert_strict_csp(page.watch)


def test_caseload_search_narrows_in_place(demo, live_server, page):
    from playwright.sync_api import expect

    sign_in(page, live_server.url, DEMO_CLINICIAN, DEMO_PASSWORD)
    # The clients' names: a row may also link its unrecorded sessions (a flag), once one is past.
    rows = page.locator("#caseload table.caseload tbody a:not(.flag)")
    names = rows.all_inner_texts()
    assert len(names) > 1, names

    # A piece of one name that not every client shares (ASCII: SQLite folds case only there).
    def matching(term: str) -> list[str]:
        return [n for n in names if term.lower() in n.lower()]

    term = next(
        word[:4]
        for name in names
        for word in re.findall(r"[A-Za-z]{4,}", name)
        if len(matching(word[:4])) < len(names)
    )
    expected = matching(term)

    page.evaluate("window.rapportNoReload = true")
    page.get_by_label("Search by name").press_sequentially(term, delay=20)
    expect(page.locator("#caseload")).to_contain_text(f"for “{term}”")
    expect(rows).to_have_count(len(expected))
    assert sorted(rows.all_inner_texts()) == sorted(expected)
    assert page.evaluate("window.rapportNoReload") is True, "the search reloaded the page"
    # The filters beside the search travel with it, at their defaults.
    expect(page).to_have_url(re.compile(rf"\?q={term}&status=open&since=$"))
    assert_strict_csp(page.watch)
