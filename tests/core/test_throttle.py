from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.throttle import blocked_until, count_within

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def every_second(n: int, start: datetime = T0) -> list[datetime]:
    return [start + timedelta(seconds=i) for i in range(n)]


def test_fewer_events_than_the_limit_never_block():
    assert (
        blocked_until(every_second(4), now=T0 + timedelta(seconds=5), limit=5, window=WINDOW)
        is None
    )


def test_reaching_the_limit_blocks_for_one_window_from_the_last_event():
    events = every_second(5)
    until = blocked_until(events, now=events[-1], limit=5, window=WINDOW)
    assert until == events[-1] + WINDOW
    assert blocked_until(events, now=until, limit=5, window=WINDOW) is None


def test_events_spread_wider_than_the_window_do_not_add_up():
    events = [T0 + i * timedelta(minutes=4) for i in range(20)]
    assert blocked_until(events, now=events[-1], limit=5, window=WINDOW) is None


def test_each_new_strike_blocks_twice_as_long_as_the_one_before():
    first = every_second(5)
    second = every_second(5, start=first[-1] + WINDOW)
    third = every_second(5, start=second[-1] + 2 * WINDOW)
    events = first + second + third
    assert (
        blocked_until(first + second, now=second[-1], limit=5, window=WINDOW)
        == second[-1] + 2 * WINDOW
    )
    assert blocked_until(events, now=third[-1], limit=5, window=WINDOW) == third[-1] + 4 * WINDOW


def test_the_block_never_exceeds_the_longest_allowed():
    events: list[datetime] = []
    start = T0
    for _ in range(12):
        events += every_second(2, start=start)
        start = events[-1] + timedelta(hours=25)
    until = blocked_until(events, now=events[-1], limit=2, window=WINDOW)
    assert until == events[-1] + timedelta(hours=24)


def test_events_during_a_block_are_not_counted():
    events = every_second(5) + every_second(50, start=T0 + timedelta(minutes=1))
    assert (
        blocked_until(events, now=T0 + WINDOW + timedelta(seconds=5), limit=5, window=WINDOW)
        is None
    )


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        blocked_until([], now=T0, limit=0, window=WINDOW)


def test_count_within_counts_only_the_window_that_ends_now():
    events = [T0 - timedelta(minutes=61), T0 - timedelta(minutes=59), T0]
    assert count_within(events, now=T0, window=timedelta(hours=1)) == 2


@given(st.lists(st.integers(min_value=0, max_value=3600), max_size=60), st.integers(1, 10))
def test_a_block_always_ends_after_now_and_within_the_longest_block(offsets, limit):
    events = [T0 + timedelta(seconds=s) for s in offsets]
    now = T0 + timedelta(seconds=3600)
    until = blocked_until(events, now=now, limit=limit, window=WINDOW)
    assert until is None or now < until <= now + timedelta(hours=24)
