"""Rate limits with back-off, as pure rules over the times of counted events.

An address is blocked once `limit` events fall within a sliding `window`; that is a strike.
Counting starts afresh after each strike, and each strike blocks for twice as long as the one
before (window, 2 x window, 4 x window ..., at most `longest`). Nothing is counted while an
address is blocked, so a guesser cannot grow the record, and the doubling makes steady guessing
ever slower while a burst of honest typos costs one short pause.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def blocked_until(
    events: Iterable[datetime],
    *,
    now: datetime,
    limit: int,
    window: timedelta,
    longest: timedelta = timedelta(hours=24),
) -> datetime | None:
    """The end of the block in force at `now`, or None when the address may try again."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    counted: list[datetime] = []
    strikes = 0
    block_end: datetime | None = None
    for at in sorted(events):
        if at > now:
            continue
        if block_end is not None and at < block_end:
            continue  # not counted while blocked (and normally never recorded)
        counted = [t for t in counted if at - t < window]
        counted.append(at)
        if len(counted) >= limit:
            strikes += 1
            block_end = at + min(window * 2 ** (strikes - 1), longest)
            counted = []
    if block_end is not None and now < block_end:
        return block_end
    return None


def count_within(events: Iterable[datetime], *, now: datetime, window: timedelta) -> int:
    """How many events happened in the window that ends now."""
    return sum(1 for at in events if now - window < at <= now)
