"""Sudden gains between consecutive sessions (Tang & DeRubeis 1999), and their reversals.

A sudden gain is a large, stable improvement from one session (pre-gain) to the next (post-gain).
All three criteria must hold:
1. the gain is at least `min_gain` points (7 on the BDI, Tang & DeRubeis 1999);
2. the gain is at least `min_percent` % of the pre-gain score (25%, same source);
3. the mean of up to three sessions ending with the pre-gain session differs from the mean of up
   to three sessions starting with the post-gain session by more than t(1 − α/2, n1 + n2 − 2)
   times their pooled SD. At least two scores are needed on each side; missing scores shrink a
   window rather than reaching further back or forward, and change the degrees of freedom
   (Lutz et al. 2013), as the R package suddengains does.
A missing pre-gain or post-gain score means no gain can be claimed at that interval.

A gain is reversed when any later session is worse than the post-gain score by more than half of
the gain (Tang & DeRubeis 1999), strictly.

Scores are a clients × sessions matrix in session order; missing values are NaN. A gain is an
improvement in the scale's direction: a fall where lower is better, a rise where higher is better.

Sources: Tang, T. Z. & DeRubeis, R. J. (1999). J Consult Clin Psychol 67(6), 894–904.
Lutz, W. et al. (2013). Psychother Res 23(1), 14–24.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.change import Direction

# Tang & DeRubeis (1999) for the BDI; other measures need their own (e.g. from the RCI).
BDI_MIN_GAIN = 7.0
MIN_PERCENT = 25.0  # Tang & DeRubeis (1999)
ALPHA = 0.05  # two-tailed; t(.975, 4) = 2.776 with three sessions on each side
WINDOW = 3  # sessions on each side for criterion 3 (Tang & DeRubeis 1999)
MIN_PER_SIDE = 2  # fewer gives no SD on that side
MIN_SESSIONS = 2 * MIN_PER_SIDE


@dataclass(frozen=True)
class SuddenGain:
    client: int  # row of the score matrix
    pregain_session: int  # column of the pre-gain score (0-based)
    postgain_session: int  # column of the post-gain score, always pregain_session + 1
    pregain: float
    postgain: float
    magnitude: float  # the improvement in score points, always positive
    reversed: bool


@dataclass(frozen=True)
class SuddenGainsResult:
    gains: tuple[SuddenGain, ...]  # ordered by client, then session
    n_clients: int

    @property
    def n_gains(self) -> int:
        return len(self.gains)

    @property
    def n_clients_with_gain(self) -> int:
        return len({gain.client for gain in self.gains})

    @property
    def n_reversals(self) -> int:
        return sum(gain.reversed for gain in self.gains)

    @property
    def mean_magnitude(self) -> float:
        """NaN when there are no gains."""
        if not self.gains:
            return math.nan
        return float(np.mean([gain.magnitude for gain in self.gains]))

    @property
    def sd_magnitude(self) -> float:
        """Sample SD (n − 1); NaN with fewer than two gains."""
        if len(self.gains) < 2:
            return math.nan
        return float(np.std([gain.magnitude for gain in self.gains], ddof=1))


def sudden_gains(
    scores: ArrayLike,
    *,
    min_gain: float = BDI_MIN_GAIN,
    min_percent: float = MIN_PERCENT,
    direction: Direction | str = Direction.LOWER,
    alpha: float = ALPHA,
) -> SuddenGainsResult:
    """Find every sudden gain in a clients × sessions matrix (one client may be a 1-D series)."""
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2:
        raise ValueError("scores must be a clients × sessions table")
    if x.shape[1] < MIN_SESSIONS:
        raise ValueError(
            f"sudden gains need at least {MIN_SESSIONS} sessions (two on each side of a gain), "
            f"got {x.shape[1]}"
        )
    if not min_gain >= 0:
        raise ValueError(f"the minimum gain must be 0 or more, got {min_gain}")
    if not 0 <= min_percent <= 100:
        raise ValueError(f"the minimum percentage must be between 0 and 100, got {min_percent}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    try:
        sign = Direction(direction).sign
    except ValueError:
        raise ValueError(f"unknown direction {direction!r}; choose lower or higher") from None

    # Imported here: scipy.stats takes over half a second to load, which every `rapport` command
    # and web worker importing this module would otherwise pay.
    from scipy import stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    t_quantile = stats.t.ppf
    found = np.zeros((x.shape[0], x.shape[1]), dtype=bool)  # [client, post-gain column]
    for column in range(1, x.shape[1]):
        found[:, column] = _criteria_met(x, column, sign, min_gain, min_percent, alpha, t_quantile)

    gains = []
    for row, col in zip(*np.nonzero(found), strict=True):
        client, post = int(row), int(col)
        pregain, postgain = float(x[client, post - 1]), float(x[client, post])
        magnitude = sign * (postgain - pregain)
        # Worse than the post-gain score by more than half the gain, at any later session.
        threshold = postgain - sign * magnitude / 2
        later = x[client, post + 1 :]
        reversed_ = bool(np.any(sign * later < sign * threshold))  # NaN compares False
        gains.append(
            SuddenGain(
                client=client,
                pregain_session=post - 1,
                postgain_session=post,
                pregain=pregain,
                postgain=postgain,
                magnitude=magnitude,
                reversed=reversed_,
            )
        )
    return SuddenGainsResult(gains=tuple(gains), n_clients=int(x.shape[0]))


def _criteria_met(
    x: NDArray[np.float64],
    post: int,
    sign: int,
    min_gain: float,
    min_percent: float,
    alpha: float,
    t_quantile: Callable[[float, NDArray[np.int_]], NDArray[np.float64]],
) -> NDArray[np.bool_]:
    """All clients at once: is the interval from column post − 1 to post a sudden gain?"""
    pregain, postgain = x[:, post - 1], x[:, post]
    gain = sign * (postgain - pregain)
    # NaN in either score makes every comparison False, so a missing score is never a gain.
    crit1 = gain >= min_gain
    # abs() so a scale with negative scores is not let through by a negative threshold.
    crit2 = gain >= (min_percent / 100.0) * np.abs(pregain)

    before = x[:, max(0, post - WINDOW) : post]
    after = x[:, post : post + WINDOW]
    n1, mean1, ss1 = _window(before)
    n2, mean2, ss2 = _window(after)
    enough = (n1 >= MIN_PER_SIDE) & (n2 >= MIN_PER_SIDE)
    df = np.where(enough, n1 + n2 - 2, 1)  # placeholder df where the test is not made
    pooled_sd = np.sqrt((ss1 + ss2) / df)
    t_crit = t_quantile(1.0 - alpha / 2.0, df)
    crit3 = enough & (sign * (mean2 - mean1) > t_crit * pooled_sd)
    result: NDArray[np.bool_] = crit1 & crit2 & crit3
    return result


def _window(
    block: NDArray[np.float64],
) -> tuple[NDArray[np.int_], NDArray[np.float64], NDArray[np.float64]]:
    """Per row: count of scores, their mean and sum of squared deviations, ignoring NaN."""
    present = ~np.isnan(block)
    n = present.sum(axis=1)
    filled = np.where(present, block, 0.0)
    mean = filled.sum(axis=1) / np.maximum(n, 1)
    ss = (np.where(present, block - mean[:, np.newaxis], 0.0) ** 2).sum(axis=1)
    return n, mean, ss
