"""Completion of the forms clients and guardians are asked to fill in: the funnel from sent to
completed, the monthly rate and its trend, and who has stopped answering.

Definitions (one owner for each):
- *asked*: every form due in the period, however it reached the person (in session, the portal,
  an emailed link), cancelled ones aside;
- *sent*: asked through an emailed link;
- *opened*: the form was opened (its link or its portal page) or completed;
- *completed* and *expired*: the form's outcome; a form still waiting has none yet;
- *completion rate*: completed over completed + expired. Forms still waiting are left out, so a
  week that has just ended is not counted as a bad week before its forms could expire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# How far a month's rate must move from the three months before it to be called a change: five
# percentage points is about one form in twenty, the smallest difference a supervisor would act
# on; smaller moves are noise at a small practice's numbers.
TREND_POINTS = 5.0
TREND_MONTHS = 3
# A client who let this many forms in a row expire has stopped answering, not missed one:
# three is one form a session for three sessions, or a month of weekly forms.
MISSED_IN_A_ROW = 3


@dataclass(frozen=True)
class Funnel:
    asked: int = 0
    sent: int = 0
    opened: int = 0
    completed: int = 0
    expired: int = 0

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(
            self.asked + other.asked,
            self.sent + other.sent,
            self.opened + other.opened,
            self.completed + other.completed,
            self.expired + other.expired,
        )

    @property
    def rate(self) -> float | None:
        """Completed over forms with an outcome, as a percentage; None before any outcome."""
        settled = self.completed + self.expired
        return 100.0 * self.completed / settled if settled else None


class Trend(StrEnum):
    RISING = "rising"
    FALLING = "falling"
    STEADY = "steady"
    UNKNOWN = "not enough months yet"


@dataclass(frozen=True)
class MonthTrend:
    rate: float | None
    before: float | None  # the mean rate of the months before, those that had outcomes
    trend: Trend


def month_trend(rates: Sequence[float | None]) -> MonthTrend:
    """The last month's rate against the mean of up to three months before it (oldest first)."""
    if not rates:
        return MonthTrend(None, None, Trend.UNKNOWN)
    current = rates[-1]
    earlier = [r for r in rates[-1 - TREND_MONTHS : -1] if r is not None]
    if current is None or not earlier:
        return MonthTrend(current, None, Trend.UNKNOWN)
    before = sum(earlier) / len(earlier)
    if current >= before + TREND_POINTS:
        trend = Trend.RISING
    elif current <= before - TREND_POINTS:
        trend = Trend.FALLING
    else:
        trend = Trend.STEADY
    return MonthTrend(current, before, trend)


def stopped_answering(outcomes: Sequence[str], n: int = MISSED_IN_A_ROW) -> bool:
    """The latest `n` forms with an outcome (newest first: "completed" or "expired") all
    expired."""
    latest = list(outcomes[:n])
    return len(latest) == n and all(outcome == "expired" for outcome in latest)
