"""Reads for sign-in safety (whether an address is paused by the rate limits) and for submit-once
forms (whether a submission was already carried out)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from rapport.accounts.models import Submission, ThrottleEvent, User
from rapport.core.throttle import blocked_until

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
