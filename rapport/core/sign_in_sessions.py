"""When a signed-in session must end: idle limit for staff, absolute limit for everyone."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class SessionVerdict(StrEnum):
    CONTINUE = "continue"
    IDLE = "idle"
    EXPIRED = "expired"


def session_verdict(
    *,
    now: datetime,
    signed_in_at: datetime,
    last_seen_at: datetime,
    idle_limit: timedelta | None,
    absolute_limit: timedelta,
) -> SessionVerdict:
    if now - signed_in_at >= absolute_limit:
        return SessionVerdict.EXPIRED
    if idle_limit is not None and now - last_seen_at >= idle_limit:
        return SessionVerdict.IDLE
    return SessionVerdict.CONTINUE
