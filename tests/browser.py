"""Shared Playwright helpers for the browser tests (Debian's Chromium, sync API).

Import the fixtures `browser` and `page` into a test module with
`from tests.browser import browser_fixture, page_fixture  # noqa: F401`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",  # the sandbox cannot run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# How long an action, a navigation or an assertion may wait. Long, because it is only reached
# when something is wrong or the machine is busy: a passing test never waits for it, and the
# suite must pass on a busy machine (two workers may each drive a Chromium).
TIMEOUT_MS = 30_000
DEMO_PASSWORD = "rapport-demo-2026"  # every demo login's, as `make run` prints it


def require_chromium() -> None:
    """Fail in CI, skip elsewhere, when Debian's Chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(name="browser", scope="module")
def browser_fixture() -> Iterator[object]:
    """One headless Chromium per test module."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # The sync API keeps an event loop running in this thread, so Django's ORM would refuse
    # every query the test makes while the browser is up.
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watch:
    """What a page saw: CSP headers of the HTML documents it loaded, console errors."""

    csp_headers: dict[str, str | None] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)

    def csp_console_errors(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]


@pytest.fixture(name="page")
def page_fixture(browser) -> Iterator[object]:
    """A fresh desktop-sized browser context and page; `page.watch` records headers/console."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
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


def sign_in(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the real form and wait for the caseload page."""
    from playwright.sync_api import expect

    enter(page, base_url, email, password)
    expect(page.get_by_role("heading", name="Your caseload")).to_be_visible()


def enter(page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the real form as anyone (staff, client or guardian), leaving whoever was
    signed in before: for a path that passes from one person to the next in one page."""
    page.context.clear_cookies()
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def assert_strict_csp(watch: Watch) -> None:
    """Every page carried a CSP without 'unsafe-inline', and nothing violated it."""
    assert watch.csp_headers, "no HTML page was loaded"
    for url, policy in watch.csp_headers.items():
        assert policy, f"{url} has no Content-Security-Policy header"
        assert "unsafe-inline" not in policy, f"{url}: {policy}"
    assert not watch.csp_console_errors(), watch.csp_console_errors()


@pytest.fixture(name="demo")
def demo_fixture(transactional_db, settings) -> None:  # type: ignore[no-untyped-def]
    """The demo practice as `make run` loads it (the `demo` command's build, with its seed),
    replayed after the first build in this process (tests/demo_snapshot.py)."""
    from tests.demo_snapshot import demo_practice

    settings.DEBUG = True  # the demo refuses to run on a production configuration
    demo_practice(seed=7)


@pytest.fixture(name="shots")
def shots_fixture(tmp_path: Path) -> Path:
    """Where screenshots go: RAPPORT_SHOTS when set (to look at them), else the test's folder."""
    folder = Path(os.environ.get("RAPPORT_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshots(page, shots: Path, name: str, desktop: dict[str, int] = DESKTOP) -> None:  # type: ignore[no-untyped-def]
    """The whole page on a phone and on a desktop, each checked to be a real picture."""
    for viewport in (PHONE, desktop):
        page.set_viewport_size(viewport)
        path = shots / f"{name}-{viewport['width']}x{viewport['height']}.png"
        page.screenshot(path=path, full_page=True)
        assert path.stat().st_size > 1000
    page.set_viewport_size(desktop)
