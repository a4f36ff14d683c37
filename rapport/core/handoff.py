"""The rules of the warm handoff: moving a client to a new therapist with their consent, item by
item, and without letting them fall through the gap (issue 14, part 5).

Which steps may follow which, what the client may agree to share, how long an agreement lasts,
and when a client who has not started with the new therapist is flagged. Pure: no Django.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    CONSENT_ASKED = "consent_asked"
    CONSENTED = "consented"
    WITHDRAWN = "withdrawn"
    SUMMARY_SHARED = "summary_shared"  # the old therapist's summary, for the client to read
    JOINT_BOOKED = "joint_booked"  # a joint session (old and new therapist with the client)
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Item(StrEnum):
    """What may move to the new therapist. The old therapist's private notes are not an item:
    they never move, whatever is agreed."""

    MEASURES = "measures"
    PLAN = "plan"
    ALLIANCE = "alliance"
    RISK_ALERTS = "risk_alerts"


ITEMS = tuple(Item)

# Until the handoff completes the client may still agree, change their mind or withdraw.
OPEN = frozenset(
    {Status.CONSENT_ASKED, Status.CONSENTED, Status.SUMMARY_SHARED, Status.JOINT_BOOKED}
)
# A warm step may be taken once the client has agreed (and before the transfer).
AGREED = frozenset({Status.CONSENTED, Status.SUMMARY_SHARED, Status.JOINT_BOOKED})

# Consent lasts 30 days by default: long enough to book a joint session or read a summary in
# the weeks a re-match usually takes, short enough that an agreement given before a long pause
# is asked again rather than assumed. Below a week there is no time for the warm step; beyond
# 90 days the client's situation has usually changed.
CONSENT_DAYS = 30
CONSENT_DAYS_RANGE = (7, 90)
# A client with no session with the new therapist 21 days after the transfer is flagged to the
# coordinator: by then a weekly or fortnightly client has missed a first appointment, and the
# reported dropout after transfers happens mostly in these first weeks.
NOT_STARTED_DAYS = 21
NOT_STARTED_DAYS_RANGE = (7, 60)
# "Did you start?" emails to the client, days after the transfer.
FOLLOW_UP_DAYS = (14, 30)
# The new alliance is watched at these sessions with the new therapist (the first is often
# polite; by the fourth a low alliance predicts dropout).
WATCHED_SESSIONS = (2, 3, 4)


def consent_expiry(agreed_at: datetime, days: int) -> datetime:
    return agreed_at + timedelta(days=days)


def consent_in_force(*, status: Status, expires_at: datetime | None, now: datetime) -> bool:
    """Whether the client's agreement still holds: given, not withdrawn, not expired."""
    return status in AGREED and expires_at is not None and now < expires_at


def follow_ups_due(
    *, transferred_at: datetime, now: datetime, sent: list[int], started: bool
) -> list[int]:
    """The "did you start?" emails due now and not yet sent. A client who has started with the
    new therapist is not asked."""
    if started:
        return []
    return [
        days
        for days in FOLLOW_UP_DAYS
        if days not in sent and now >= transferred_at + timedelta(days=days)
    ]


def not_started(*, transferred_at: datetime, now: datetime, started: bool, days: int) -> bool:
    """Whether the coordinator should be told the client has not started with the new
    therapist."""
    return not started and now >= transferred_at + timedelta(days=days)
