from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp import user_has_device

from rapport.core.sign_in_sessions import SessionVerdict, session_verdict
from rapport.people.languages import language_of

SIGNED_IN_AT = "rapport_signed_in_at"
LAST_SEEN_AT = "rapport_last_seen_at"
# Saving the session is a database write; recording activity once a minute keeps reads free of
# writes, at the cost of ending an idle session up to this much earlier than the exact limit.
LAST_SEEN_RESOLUTION = 60.0


def _as_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def idle_seconds_left(request: HttpRequest) -> int | None:
    """Seconds until a signed-in staff member's session ends for want of activity, as this
    request leaves it (None: no idle limit, or nobody signed in). For the page's warning."""
    user = request.user
    if not user.is_authenticated or not user.is_practice_staff:
        return None
    limit = settings.RAPPORT_STAFF_IDLE_TIMEOUT.total_seconds()
    last_seen = request.session.get(LAST_SEEN_AT, time.time())
    return max(0, int(limit - (time.time() - last_seen)))


def activity_record(request: HttpRequest) -> None:
    """Counts this moment as the staff member's last activity, to the second (a page view counts
    only to the minute: LAST_SEEN_RESOLUTION)."""
    request.session[LAST_SEEN_AT] = time.time()


class SessionPolicyMiddleware:
    """Ends staff sessions after 15 idle minutes and everyone's after 12 hours."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            signed_in = request.session.get(SIGNED_IN_AT, now)
            last_seen = request.session.get(LAST_SEEN_AT, now)
            verdict = session_verdict(
                now=_as_datetime(now),
                signed_in_at=_as_datetime(signed_in),
                last_seen_at=_as_datetime(last_seen),
                idle_limit=settings.RAPPORT_STAFF_IDLE_TIMEOUT if user.is_practice_staff else None,
                absolute_limit=settings.RAPPORT_SESSION_ABSOLUTE_TIMEOUT,
            )
            if verdict != SessionVerdict.CONTINUE:
                logout(request)
                # Said in the language of the person signed out: the language middleware
                # comes later and never sees them.
                with translation.override(language_of(user)):
                    messages.info(
                        request,
                        gettext("You were signed out after a period without activity.")
                        if verdict == SessionVerdict.IDLE
                        else gettext("Your session has ended. Please sign in again."),
                    )
                if request.htmx:  # type: ignore[attr-defined]
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                    return response
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
            if SIGNED_IN_AT not in request.session:
                request.session[SIGNED_IN_AT] = signed_in
            if LAST_SEEN_AT not in request.session or now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_AT] = now
        return self.get_response(request)


TWO_FACTOR_EXEMPT_URLS = (
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "accounts:logout",
)


class TwoFactorRequiredMiddleware:
    """Staff must complete TOTP verification (or set it up) before anything else.

    Required for all staff when RAPPORT_REQUIRE_STAFF_2FA is on (production), and for anyone
    who has set up a device.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._exempt: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # is_verified is put on the user by django_otp's middleware, which runs before this one.
        if user.is_authenticated and not user.is_verified():  # type: ignore[attr-defined]
            has_device = user_has_device(user)
            required = has_device or (settings.RAPPORT_REQUIRE_STAFF_2FA and user.is_practice_staff)
            if required and not self._is_exempt(request.path):
                target = "accounts:two_factor_verify" if has_device else "accounts:two_factor_setup"
                return redirect(f"{reverse(target)}?next={request.path}")
        return self.get_response(request)

    def _is_exempt(self, path: str) -> bool:
        if self._exempt is None:
            self._exempt = {reverse(name) for name in TWO_FACTOR_EXEMPT_URLS}
        return path in self._exempt or path.startswith(settings.STATIC_URL)
