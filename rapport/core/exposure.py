"""Fear ladders: when a step counts as mastered, and how distress falls over repetitions.

Distress is rated on the Subjective Units of Distress Scale (SUDS, 0-100). A step's history is
the peak SUDS of each practice attempt, oldest first; repetition 1 is the first attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

SUDS_MIN = 0
SUDS_MAX = 100

# Move up the ladder once distress on a step has become mild or has halved, and has stayed so:
# a rule of thumb of graded exposure. Two attempts in a row, so that one good day (or a day of
# quiet avoidance) does not count. Each ladder may set its own values (exposure.Ladder).
MASTERY_PEAK_SUDS = 30
MASTERY_FALL_PERCENT = 50
MASTERY_CONSECUTIVE = 2


class StepState(StrEnum):
    NOT_STARTED = "not_started"
    PRACTISING = "practising"
    MASTERED = "mastered"


@dataclass(frozen=True)
class MasteryRule:
    """A step is mastered when each of its last `consecutive` attempts peaked at or below
    `peak_at_most`, or at least `fall_percent` per cent below the first attempt's peak (the
    first attempt itself never counts towards the fall)."""

    peak_at_most: int = MASTERY_PEAK_SUDS
    fall_percent: int = MASTERY_FALL_PERCENT
    consecutive: int = MASTERY_CONSECUTIVE

    def __post_init__(self) -> None:
        if not SUDS_MIN <= self.peak_at_most <= SUDS_MAX:
            raise ValueError("peak_at_most must be within 0-100")
        if not 0 < self.fall_percent <= 100:
            raise ValueError("fall_percent must be within 1-100")
        if self.consecutive < 1:
            raise ValueError("consecutive must be at least 1")

    def describe(self) -> str:
        times = "attempt" if self.consecutive == 1 else f"{self.consecutive} attempts in a row"
        return (
            f"peak distress of {self.peak_at_most} or less, or at least {self.fall_percent}% "
            f"below the first attempt, on {times}"
        )


def check_suds(value: float, what: str = "SUDS") -> None:
    if not SUDS_MIN <= value <= SUDS_MAX:
        raise ValueError(f"{what} must be between {SUDS_MIN} and {SUDS_MAX}")


def is_mastered(peaks: Sequence[float], rule: MasteryRule) -> bool:
    if len(peaks) < rule.consecutive:
        return False
    recent = peaks[-rule.consecutive :]
    if all(peak <= rule.peak_at_most for peak in recent):
        return True
    # The fall is measured from the first attempt, which therefore cannot be one of the recent.
    if len(peaks) <= rule.consecutive or peaks[0] <= 0:
        return False
    ceiling = peaks[0] * (1 - rule.fall_percent / 100)
    return all(peak <= ceiling for peak in recent)


def slope_per_repetition(peaks: Sequence[float]) -> float | None:
    """Least-squares change in peak SUDS per repetition (negative: distress is falling)."""
    if len(peaks) < 2:
        return None
    y = np.asarray(peaks, dtype=float)
    x = np.arange(1, len(y) + 1, dtype=float)
    dx = x - x.mean()
    return float(np.dot(dx, y - y.mean()) / np.dot(dx, dx))


@dataclass(frozen=True)
class StepProgress:
    attempts: int
    first_peak: float | None
    latest_peak: float | None
    fall: float | None  # first peak minus latest peak, SUDS points
    fall_percent: float | None  # of the first peak; None when the first peak was 0
    slope: float | None  # SUDS per repetition
    mean_overestimate: float | None  # anticipated minus peak, on attempts with both
    state: StepState


def step_progress(
    peaks: Sequence[float], anticipated: Sequence[float | None], rule: MasteryRule
) -> StepProgress:
    """Progress on one step from its attempts, oldest first."""
    if len(peaks) != len(anticipated):
        raise ValueError("peaks and anticipated need one value per attempt")
    for peak in peaks:
        check_suds(peak, "peak SUDS")
    if not peaks:
        return StepProgress(0, None, None, None, None, None, None, StepState.NOT_STARTED)
    first, latest = float(peaks[0]), float(peaks[-1])
    fall = first - latest
    paired = [(a, p) for a, p in zip(anticipated, peaks, strict=True) if a is not None]
    overestimate = float(np.mean([a - p for a, p in paired])) if paired else None
    return StepProgress(
        attempts=len(peaks),
        first_peak=first,
        latest_peak=latest,
        fall=fall if len(peaks) > 1 else None,
        fall_percent=100 * fall / first if len(peaks) > 1 and first > 0 else None,
        slope=slope_per_repetition(peaks),
        mean_overestimate=overestimate,
        state=StepState.MASTERED if is_mastered(peaks, rule) else StepState.PRACTISING,
    )


@dataclass(frozen=True)
class LadderProgress:
    steps: tuple[StepProgress, ...]
    mastered: int
    current_index: int | None  # the lowest step not yet mastered; None when all are

    @property
    def climbed_percent(self) -> float:
        return 100 * self.mastered / len(self.steps) if self.steps else 0.0


def ladder_progress(
    steps: Sequence[tuple[Sequence[float], Sequence[float | None]]], rule: MasteryRule
) -> LadderProgress:
    """Each step's progress, in ladder order (easiest first), and where the client is now."""
    progress = tuple(step_progress(peaks, anticipated, rule) for peaks, anticipated in steps)
    current = next((i for i, step in enumerate(progress) if step.state != StepState.MASTERED), None)
    mastered = sum(1 for step in progress if step.state == StepState.MASTERED)
    return LadderProgress(steps=progress, mastered=mastered, current_index=current)
