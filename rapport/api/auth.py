"""Who calls the API and what they may do.

A call carries a personal access token (`Authorization: Bearer`, no CSRF: no browser sends it
by itself) or the session cookie of a signed-in member of staff, which must then pass Django's
CSRF check on every write, as a form does. The token's scope bounds what it may do on top of
what its owner may do; the session may read and write what the pages let its owner read and
write, but not use the FHIR operations, which need a token made for them.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from rapport.accounts.models import ApiToken, User
from rapport.accounts.queries import api_token_for
from rapport.accounts.services import api_idempotent, api_token_used

# What each scope allows: reading is part of every scope; a FHIR token exports whole records
# (and imports, for a practice admin) but changes nothing else.
SCOPE_ALLOWS: dict[str, frozenset[str]] = {
    ApiToken.Scope.READ: frozenset({"read"}),
    ApiToken.Scope.WRITE: frozenset({"read", "write"}),
    ApiToken.Scope.FHIR: frozenset({"read", "fhir"}),
}
SESSION_ALLOWS = frozenset({"read", "write"})
RATE_WINDOW_SECONDS = 60


class RateLimited(Exception):
    """Too many calls with one token in this window (429, with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many calls with this token; try again later.")
        self.retry_after = retry_after


def _rate_check(token: ApiToken, *, now: float | None = None) -> None:
    """A fixed window per token, counted in the cache: `RAPPORT_API_RATE_PER_MINUTE` calls in
    each minute, then 429 until the next one begins."""
    now = time.time() if now is None else now
    window = int(now // RATE_WINDOW_SECONDS)
    key = f"rapport.api.rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: this call starts the window again
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS + 5)
        count = 1
    if count > settings.RAPPORT_API_RATE_PER_MINUTE:
        raise RateLimited(max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now)))


class BearerToken(HttpBearer):
    """A personal access token in force; anything else is no caller (401)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = api_token_for(token.strip())
        if found is None:
            return None
        _rate_check(found)
        api_token_used(token=found)
        request.user = found.user
        request.api_allows = SCOPE_ALLOWS[found.scope]  # type: ignore[attr-defined]
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SignedInSession(APIKeyCookie):
    """The session of a signed-in user, as the pages know it; writes pass the CSRF check."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        request.api_allows = SESSION_ALLOWS  # type: ignore[attr-defined]
        return user


CALLERS = [BearerToken(), SignedInSession(csrf=True)]


def caller(request: HttpRequest, needs: str) -> User:
    """The user making the call, once the call's scope allows `needs` ("read", "write" or
    "fhir") and the user is practice staff (clients and guardians use the portal); 403 else."""
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User) or not user.is_practice_staff:
        raise PermissionDenied("The API is for practice staff.")
    allows: frozenset[str] = getattr(request, "api_allows", frozenset())
    if needs not in allows:
        kind = "This token's scope" if hasattr(request, "api_token") else "A signed-in session"
        raise PermissionDenied(f"{kind} does not allow this ({needs} is needed).")
    return user


def idempotent(
    request: HttpRequest,
    user: User,
    key: str | None,
    body: dict[str, Any],
    perform: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """A write carried out once per Idempotency-Key: the request (method, path and body) is
    digested, so the same key with another request is refused (409)."""
    if not key:
        return perform()
    if len(key) > 200 or not key.isprintable():
        raise HttpError(422, "An Idempotency-Key is 1 to 200 printable characters.")
    digest = hashlib.sha256(
        json.dumps([request.method, request.path, body], sort_keys=True, default=str).encode()
    ).hexdigest()
    return api_idempotent(user=user, key=key, digest=digest, perform=perform)
