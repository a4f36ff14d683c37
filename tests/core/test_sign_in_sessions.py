from datetime import UTC, datetime, timedelta

from rapport.core.sign_in_sessions import SessionVerdict, session_verdict

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=15)
ABSOLUTE = timedelta(hours=12)


def verdict(
    now_offset: timedelta, last_seen_offset: timedelta, idle: timedelta | None = IDLE
) -> SessionVerdict:
    return session_verdict(
        now=START + now_offset,
        signed_in_at=START,
        last_seen_at=START + last_seen_offset,
        idle_limit=idle,
        absolute_limit=ABSOLUTE,
    )


def test_staff_session_continues_just_under_fifteen_idle_minutes() -> None:
    assert verdict(timedelta(minutes=14, seconds=59), timedelta(0)) == SessionVerdict.CONTINUE


def test_staff_session_ends_at_fifteen_idle_minutes() -> None:
    assert verdict(timedelta(minutes=15), timedelta(0)) == SessionVerdict.IDLE


def test_any_session_ends_after_twelve_hours_even_when_active() -> None:
    assert (
        verdict(timedelta(hours=12), timedelta(hours=11, minutes=59), idle=None)
        == SessionVerdict.EXPIRED
    )
    assert (
        verdict(timedelta(hours=11, minutes=59), timedelta(hours=1), idle=None)
        == SessionVerdict.CONTINUE
    )
