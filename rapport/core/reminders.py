"""When a link to a form, or a reminder of it, may be sent: pure rules for the worker."""

from __future__ import annotations

from datetime import datetime, timedelta


def in_quiet_hours(hour: int, *, quiet_from: int, quiet_until: int) -> bool:
    """Whether a local hour falls in the quiet hours [quiet_from, quiet_until), which may span
    midnight (21 to 8); the same hour twice means no quiet hours."""
    if quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= hour < quiet_until
    return hour >= quiet_from or hour < quiet_until


def reminder_due(
    *,
    now: datetime,
    first_reminder_at: datetime,
    reminders_sent: int,
    limit: int,
    every: timedelta,
) -> bool:
    """The next reminder (number reminders_sent + 1) is due: the first at first_reminder_at,
    each later one `every` after the one before, never more than `limit`."""
    if reminders_sent >= limit:
        return False
    return now >= first_reminder_at + reminders_sent * every


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


def reply_keyword(body: str) -> str | None:
    """ "stop" or "start" for the carriers' standard keywords (the whole message, any case);
    None for anything else, which is not read (texts are never a channel for clinical talk)."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


def phone_key(number: str) -> str:
    """A number reduced to its digits, to match a reply's sender to the number on record
    whatever spaces, dashes or brackets either was written with."""
    return "".join(ch for ch in number if ch.isdigit())
