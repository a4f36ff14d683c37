"""Is a treatment-plan goal met? Benchmarks judged from the data, never typed in.

A goal's benchmark is one of:
- a measure score reaching a target ("PHQ-9 below 10", "a subscale below its cut-off", "check-in
  at least 28"): the latest score is compared with the target;
- reliable improvement on a measure since the first score of the episode, by the instrument's
  one reliable-change rule (rapport.core.reliable: a published criterion such as NHS Talking
  Therapies', else Jacobson & Truax 1991 from a reliability and SD); without one the answer is
  "cannot be judged", never a guess;
- the client's own 0–10 rating of the goal reaching a target;
- a behaviour count recorded in session, at least or at most a target.

Each is "met", "not yet", "at risk" or (without data) "no data yet". "At risk" means not met and
either the target date is near or past, or the recent trend goes the wrong way. The trend is the
least-squares slope over the last few values, read as the change it implies across them; a
change smaller than `steady_within` is "steady".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from rapport.core.reliable import ReliableChangeRule, jacobson_truax_rule
from rapport.core.text import gettext_noop

TREND_WINDOW = 4  # the last four values: about a month of weekly sessions
NEAR_DAYS = 14  # a target date this close, with the goal not met, puts it at risk


class Comparison(StrEnum):
    BELOW = "below"  # strictly below: "PHQ-9 below 10" is 9 or less
    AT_MOST = "at_most"
    AT_LEAST = "at_least"

    @property
    def lower_is_better(self) -> bool:
        return self is not Comparison.AT_LEAST


class Status(StrEnum):
    MET = "met"
    NOT_YET = "not_yet"
    AT_RISK = "at_risk"
    CANNOT_JUDGE = "cannot_judge"
    NO_DATA = "no_data"


class Trend(StrEnum):
    BETTER = "better"
    STEADY = "steady"
    WORSE = "worse"
    UNKNOWN = "unknown"  # fewer than two values


@dataclass(frozen=True)
class Observation:
    on: date
    value: float


@dataclass(frozen=True)
class Progress:
    status: Status
    current: float | None
    trend: Trend
    reason: str


def reaches(value: float, target: float, comparison: Comparison) -> bool:
    if comparison is Comparison.BELOW:
        return value < target
    if comparison is Comparison.AT_MOST:
        return value <= target
    return value >= target


def trend_of(values: Sequence[float], *, lower_is_better: bool, steady_within: float) -> Trend:
    """Better, steady or worse over the last TREND_WINDOW values."""
    recent = np.asarray(values[-TREND_WINDOW:], dtype=np.float64)
    if recent.size < 2:
        return Trend.UNKNOWN
    slope = float(np.polyfit(np.arange(recent.size, dtype=np.float64), recent, 1)[0])
    change = slope * (recent.size - 1)
    if abs(change) < steady_within:
        return Trend.STEADY
    improving = change < 0 if lower_is_better else change > 0
    return Trend.BETTER if improving else Trend.WORSE


# Why a goal stands where it does, in English: a page says it in its reader's language
# (rapport.core.text.said_again with PROGRESS_REASONS).
REACHED = {
    Comparison.BELOW: gettext_noop("%(current)s is below %(target)s"),
    Comparison.AT_MOST: gettext_noop("%(current)s is at most %(target)s"),
    Comparison.AT_LEAST: gettext_noop("%(current)s is at least %(target)s"),
}
AIMING = {
    Comparison.BELOW: gettext_noop("%(current)s, aiming for below %(target)s"),
    Comparison.AT_MOST: gettext_noop("%(current)s, aiming for at most %(target)s"),
    Comparison.AT_LEAST: gettext_noop("%(current)s, aiming for at least %(target)s"),
}
DATE_PASSED = gettext_noop("%(reason)s; the target date has passed")
DATE_NEAR = gettext_noop("%(reason)s; the target date is near")
WRONG_WAY = gettext_noop("%(reason)s, and going the wrong way")
NO_DATA_LATE = gettext_noop("no data yet and the target date has passed")
NO_DATA = gettext_noop("no data yet")
NO_CRITERION = gettext_noop(
    "cannot be judged: the measure has no published reliable-change criterion, and too few "
    "scores in the practice to estimate one"
)
SO_FAR = gettext_noop("%(current)s so far: change is judged from the second score on")
RELIABLY_BETTER = gettext_noop("reliably better: %(first)s → %(current)s (%(by)s)")
NOT_YET_RELIABLE = gettext_noop("%(first)s → %(current)s, not yet a reliable improvement (%(by)s)")
PROGRESS_REASONS = (
    *REACHED.values(),
    *AIMING.values(),
    DATE_PASSED,
    DATE_NEAR,
    WRONG_WAY,
    NO_DATA_LATE,
    NO_DATA,
    NO_CRITERION,
    SO_FAR,
    RELIABLY_BETTER,
    NOT_YET_RELIABLE,
)


def _judge(
    met: bool,
    *,
    current: float,
    trend: Trend,
    target_date: date | None,
    today: date,
    met_reason: str,
    open_reason: str,
) -> Progress:
    if met:
        return Progress(Status.MET, current, trend, met_reason)
    if target_date is not None and (target_date - today).days <= NEAR_DAYS:
        when = DATE_PASSED if target_date < today else DATE_NEAR
        return Progress(Status.AT_RISK, current, trend, when % {"reason": open_reason})
    if trend is Trend.WORSE:
        return Progress(Status.AT_RISK, current, trend, WRONG_WAY % {"reason": open_reason})
    return Progress(Status.NOT_YET, current, trend, open_reason)


def _no_data(target_date: date | None, today: date) -> Progress:
    if target_date is not None and target_date < today:
        return Progress(Status.AT_RISK, None, Trend.UNKNOWN, NO_DATA_LATE)
    return Progress(Status.NO_DATA, None, Trend.UNKNOWN, NO_DATA)


def target_progress(
    observations: Sequence[Observation],
    *,
    target: float,
    comparison: Comparison,
    target_date: date | None,
    today: date,
    steady_within: float = 1.0,
) -> Progress:
    """A score, rating or count against its target, judged on the latest value."""
    if not observations:
        return _no_data(target_date, today)
    values = [o.value for o in observations]
    current = values[-1]
    trend = trend_of(
        values, lower_is_better=comparison.lower_is_better, steady_within=steady_within
    )
    figures = {"current": f"{current:g}", "target": f"{target:g}"}
    return _judge(
        reaches(current, target, comparison),
        current=current,
        trend=trend,
        target_date=target_date,
        today=today,
        met_reason=REACHED[comparison] % figures,
        open_reason=AIMING[comparison] % figures,
    )


def reliable_improvement_progress(
    observations: Sequence[Observation],
    *,
    lower_is_better: bool,
    reliability: float | None = None,
    sd: float | None = None,
    target_date: date | None,
    today: date,
    steady_within: float = 1.0,
    rule: ReliableChangeRule | None = None,
) -> Progress:
    """Reliable improvement from the first to the latest score, by the instrument's rule
    (rapport.core.reliable) — or, without one, Jacobson & Truax (1991) from `sd` and
    `reliability`."""
    current = observations[-1].value if observations else None
    direction = "lower" if lower_is_better else "higher"
    rule = rule or jacobson_truax_rule(sd=sd, reliability=reliability, direction=direction)
    if rule is None:
        return Progress(
            Status.CANNOT_JUDGE,
            current,
            Trend.UNKNOWN,
            NO_CRITERION,
        )
    if current is None:
        return _no_data(target_date, today)
    if len(observations) < 2:
        return _judge(
            False,
            current=current,
            trend=Trend.UNKNOWN,
            target_date=target_date,
            today=today,
            met_reason="",
            open_reason=SO_FAR % {"current": f"{current:g}"},
        )
    values = [o.value for o in observations]
    trend = trend_of(values, lower_is_better=lower_is_better, steady_within=steady_within)
    figures = {
        "first": f"{values[0]:g}",
        "current": f"{current:g}",
        "by": f"{rule.name}: {rule.improvement_words}",
    }
    return _judge(
        rule.is_reliably_better(values[0], values[-1]),
        current=current,
        trend=trend,
        target_date=target_date,
        today=today,
        met_reason=RELIABLY_BETTER % figures,
        open_reason=NOT_YET_RELIABLE % figures,
    )
