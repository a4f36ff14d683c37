"""Reads for sign-in safety (whether an address is paused by the rate limits) and for submit-once
forms (whether a submission was already carried out)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from rapport.accounts.models import ApiToken, Submission, ThrottleEvent, User
from rapport.core.throttle import blocked_until
from rapport.core.tokens import hash_token

SIGN_IN_IP_WINDOW = timedelta(minutes=15)
# Events older than the longest block cannot change any decision.
THROTTLE_MEMORY = timedelta(hours=24)


def throttle_key(scope: str, value: str) -> str:
    """A keyed hash of an address or email: counts can be kept without naming anyone."""
    return salted_hmac(
        f"rapport.throttle.{scope}", value.strip().lower(), algorithm="sha256"
    ).hexdigest()


def throttle_events(scope: str, value: str, *, now: datetime, since: timedelta) -> list[datetime]:
    return list(
        ThrottleEvent.objects.filter(
            scope=scope, key=throttle_key(scope, value), at__gt=now - since, at__lte=now
        ).values_list("at", flat=True)
    )


def sign_in_blocked_until(ip_address: str, *, now: datetime | None = None) -> datetime | None:
    """When sign-in from this address may be tried again, or None if it may now.

    Failures from one address are limited far above the per-account lockout (a practice behind
    one office router shares an address), with a block that doubles at each new strike."""
    now = now or timezone.now()
    return blocked_until(
        throttle_events("sign_in_ip", ip_address, now=now, since=THROTTLE_MEMORY),
        now=now,
        limit=settings.RAPPORT_SIGN_IN_IP_LIMIT,
        window=SIGN_IN_IP_WINDOW,
    )


def earlier_submission(user: User, key: str) -> str | None:
    """The page that this person's submission with this one-time key led to, if it was already
    carried out; None for a new (or malformed) key."""
    try:
        parsed = uuid.UUID(key)
    except ValueError:
        return None
    return (
        Submission.objects.filter(key=parsed, user=user)
        .exclude(result_url="")
        .values_list("result_url", flat=True)
        .first()
    )


# --- API tokens -------------------------------------------------------------------------------

API_TOKEN_SHAPE = re.compile(r"rapport_pat_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


def api_tokens_of(user: User) -> list[ApiToken]:
    """A person's own tokens, newest first, for their account page (never the token itself)."""
    return list(ApiToken.objects.filter(user=user))


def api_token_for(presented: str, *, now: datetime | None = None) -> ApiToken | None:
    """The token in force that `presented` is, with its user; None for anything else: unknown,
    malformed, expired, revoked, or of an account no longer active."""
    matched = API_TOKEN_SHAPE.fullmatch(presented)
    if matched is None:
        return None
    token = ApiToken.objects.select_related("user").filter(key_id=matched.group(1)).first()
    if token is None or not constant_time_compare(token.token_hash, hash_token(presented)):
        return None
    now = now or timezone.now()
    if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    return token
