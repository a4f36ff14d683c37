"""Charts read on a phone, in Debian's Chromium with the demo data: on every page with a chart,
as the clinician, the client and a guardian, the smallest chart text is drawn at least 10 CSS
pixels high, no text touches a key (legend) or another text, and nothing is cut off at the
drawing's edge.

A chart is an SVG shown through <img>, whose text the page cannot reach: each drawing the
phone chose is opened on its own, its text boxes measured there, and scaled by the size the
page shows the image at.

Screenshots go to the folder named by RAPPORT_SHOTS when it is set (to be looked at), else to
the test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rapport.accounts.models import User
from rapport.people.models import GuardianLink
from tests.browser import (  # noqa: F401 (fixtures)
    PHONE,
    assert_strict_csp,
    browser_fixture,
    demo_fixture,
    page_fixture,
    shots_fixture,
)
from tests.test_browser_progress import DEMO_CLIENT, DEMO_CLINICIAN, DEMO_PASSWORD, busiest_episode

DEMO_GUARDIAN = "guardian@demo.rapport.test"
SMALLEST_TEXT_PX = 10

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))


# Text boxes and key boxes of an SVG document, in its own CSS pixels.
BOXES = """() => {
  const box = el => {
    const r = el.getBoundingClientRect();
    return {x: r.x, y: r.y, w: r.width, h: r.height};
  };
  const texts = [...document.querySelectorAll('text')]
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map(t => ({text: t.textContent.trim(), inKey: !!t.closest('g[id^="legend"]'), ...box(t)}));
  const keys = [...document.querySelectorAll('g[id^="legend"]')].map(box);
  return {texts, keys, drawing: box(document.documentElement)};
}"""


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def within(a: dict, b: dict) -> bool:
    return (
        b["x"] <= a["x"]
        and a["x"] + a["w"] <= b["x"] + b["w"]
        and b["y"] <= a["y"]
        and a["y"] + a["h"] <= b["y"] + b["h"]
    )


def measured_charts(page) -> list[dict]:
    """Each chart image on the page: the smallest text height as shown, and what overlaps."""
    charts = []
    for image in page.locator("figure img").all():
        shown = image.evaluate(
            "i => ({src: i.currentSrc, width: i.getBoundingClientRect().width,"
            " natural: i.naturalWidth})"
        )
        assert shown["natural"], f"{shown['src']} did not load"
        drawing = page.context.new_page()
        drawing.goto(shown["src"])
        boxes = drawing.evaluate(BOXES)
        drawing.close()
        scale = shown["width"] / shown["natural"]
        texts = boxes["texts"]
        loose = [t for t in texts if not t["inKey"]]
        clashes = [
            (a["text"], b["text"])
            for i, a in enumerate(loose)
            for b in loose[i + 1 :]
            if overlap(a, b)
        ]
        clashes += [
            (t["text"], "the key") for t in loose for key in boxes["keys"] if overlap(t, key)
        ]
        inside = {"x": -1, "y": -1, "w": boxes["drawing"]["w"] + 2, "h": boxes["drawing"]["h"] + 2}
        cut_off = [
            t.get("text", "a key") for t in [*texts, *boxes["keys"]] if not within(t, inside)
        ]
        smallest = min(texts, key=lambda t: t["h"])
        charts.append(
            {
                "src": shown["src"],
                "smallest": (smallest["h"] * scale, smallest["text"]),
                "clashes": clashes,
                "cut_off": cut_off,
                "keys": len(boxes["keys"]),
            }
        )
    return charts


def sign_in_as(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def assert_readable(page, url: str, shots: Path, name: str) -> list[dict]:
    page.goto(url)
    page.wait_for_load_state("load")
    charts = measured_charts(page)
    assert charts, f"no chart on {url}"
    page.locator("figure").first.screenshot(path=shots / f"chart-{name}-390x844.png")
    for chart in charts:
        assert "layout=narrow" in chart["src"], chart["src"]  # the phone's own drawing
        height, text = chart["smallest"]
        assert height >= SMALLEST_TEXT_PX, f"{chart['src']}: “{text}” is {height:.1f} px high"
        assert not chart["clashes"], f"{chart['src']}: {chart['clashes']}"
        assert not chart["cut_off"], f"{chart['src']}: cut off at the edge: {chart['cut_off']}"
    return charts


def test_on_a_phone_every_chart_text_is_legible_and_clear_of_the_keys(
    demo, live_server, page, shots
):
    page.set_viewport_size(PHONE)
    episode = busiest_episode(DEMO_CLINICIAN)
    sign_in_as(page, live_server.url, DEMO_CLINICIAN)
    base = live_server.url
    client_page = assert_readable(page, f"{base}/clients/{episode.client_id}/", shots, "client")
    progress = assert_readable(page, f"{base}/episodes/{episode.pk}/progress/", shots, "progress")
    assert_readable(page, f"{base}/episodes/{episode.pk}/alliance/", shots, "alliance")
    # The clinician's chart has keys (expected range, respondents, alerts): they were checked.
    assert progress[0]["keys"] >= 1 and client_page[0]["keys"] >= 1
    assert_strict_csp(page.watch)

    for email in (DEMO_CLIENT, DEMO_GUARDIAN):
        page.context.clear_cookies()
        sign_in_as(page, base, email)
        user = User.objects.get(email=email)
        clients = [link.client_id for link in GuardianLink.objects.filter(guardian=user)] or [
            user.client_record.pk
        ]
        for client_id in clients:
            name = f"portal-{email.split('@')[0]}-{client_id}"
            assert_readable(page, f"{base}/portal/progress/{client_id}/", shots, name)
