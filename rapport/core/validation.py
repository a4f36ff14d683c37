"""How well did early flags predict the final outcome? Confusion counts, rates and AUC.

The rates carry Wilson score intervals (Wilson 1927, J Am Stat Assoc 22(158), 209–212; method 3
in Newcombe 1998, Stat Med 17(8), 857–872), which behave at 0 and 1 where the textbook
p ± z·SE interval does not. The AUC is the Mann–Whitney probability that a client with the bad
outcome scored higher than one without it, ties counting one half (Hanley & McNeil 1982,
Radiology 143(1), 29–36).

`holdout_validation` applies this to expected-trajectory flags on a practice's closed episodes:
clients are split into two halves; each half is classified by a model (or the rule) fitted on the
other half only, so no flag is judged by a model that saw its own outcome.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.change import Z_TWO_TAILED
from rapport.core.reliable import ReliableChangeRule
from rapport.core.trajectory import (
    Basis,
    Series,
    Status,
    Thresholds,
    classify_series,
    fit_expected,
    improvement_index,
)

FloatArray = NDArray[np.float64]
DEFAULT_EARLY_WINDOW = 4  # flags at sessions 2–4: the first three scores after intake
OUTCOMES = ("not_improved", "deteriorated")
FLAG_LEVELS = ("off_track", "at_risk")  # off track only; at risk or worse


@dataclass(frozen=True)
class Rate:
    count: int
    n: int
    value: float | None  # None when n is 0
    low: float | None  # Wilson 95% interval
    high: float | None


def wilson_interval(count: int, n: int, z: float = Z_TWO_TAILED) -> tuple[float, float]:
    """Wilson score interval for count successes out of n (n > 0)."""
    if n <= 0 or not 0 <= count <= n:
        raise ValueError(f"need 0 ≤ count ≤ n and n > 0, got {count} of {n}")
    p = count / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = (z / (1 + z2 / n)) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def rate(count: int, n: int) -> Rate:
    if n == 0:
        return Rate(count, n, None, None, None)
    low, high = wilson_interval(count, n)
    return Rate(count, n, count / n, low, high)


def auc_mann_whitney(score: ArrayLike, outcome: ArrayLike) -> float | None:
    """P(score of a positive > score of a negative) + ½ P(tie); None without both classes."""
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(outcome, dtype=bool)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError("score and outcome must be one value per client, of equal length")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = _average_ranks(s)
    u = float(ranks[y].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def _average_ranks(values: FloatArray) -> FloatArray:
    """Ranks from 1, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], sorted_values.size]
    mean_rank = (starts + ends + 1) / 2.0  # ranks starts+1 … ends, averaged
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


@dataclass(frozen=True)
class FlagPerformance:
    true_positive: int  # flagged, bad outcome
    false_positive: int  # flagged, good outcome
    false_negative: int  # not flagged, bad outcome
    true_negative: int
    sensitivity: Rate
    specificity: Rate
    ppv: Rate  # positive predictive value
    npv: Rate
    auc: float | None

    @property
    def n(self) -> int:
        return self.true_positive + self.false_positive + self.false_negative + self.true_negative

    @property
    def n_flagged(self) -> int:
        return self.true_positive + self.false_positive

    @property
    def n_bad_outcome(self) -> int:
        return self.true_positive + self.false_negative


def flag_performance(
    flagged: ArrayLike, outcome: ArrayLike, score: ArrayLike | None = None
) -> FlagPerformance:
    """Confusion counts, rates with intervals, and the AUC of score (of the flag if no score)."""
    f = np.asarray(flagged, dtype=bool)
    y = np.asarray(outcome, dtype=bool)
    if f.shape != y.shape or f.ndim != 1:
        raise ValueError("flagged and outcome must be one value per client, of equal length")
    tp, fp = int((f & y).sum()), int((f & ~y).sum())
    fn, tn = int((~f & y).sum()), int((~f & ~y).sum())
    ranked = f.astype(np.float64) if score is None else np.asarray(score, dtype=np.float64)
    return FlagPerformance(
        true_positive=tp,
        false_positive=fp,
        false_negative=fn,
        true_negative=tn,
        sensitivity=rate(tp, tp + fn),
        specificity=rate(tn, tn + fp),
        ppv=rate(tp, tp + fp),
        npv=rate(tn, tn + fn),
        auc=auc_mann_whitney(ranked, y),
    )


# --- Expected-trajectory flags on held-out clients ---------------------------------------------


@dataclass(frozen=True)
class ValidationReport:
    n_episodes: int  # episodes judged (with an intake): a practice's closed ones
    n_evaluated: int  # with a score in the early window and a final score after it
    n_too_short: int  # without either
    window: int  # flags counted at sessions 2..window
    bases: tuple[str, ...]  # what classified each half: "model" or "rule"
    reasons: tuple[str, ...]  # and why
    results: dict[tuple[str, str], FlagPerformance] = field(default_factory=dict)
    outcome_counts: dict[str, int] = field(default_factory=dict)


def client_half(client_id: int, salt: str = "") -> int:
    """0 or 1, fixed per client: the same split every time the report is run."""
    digest = hashlib.sha256(f"{salt}:{client_id}".encode()).digest()
    return digest[0] & 1


def holdout_validation(
    data: Series,
    *,
    client_of_episode: dict[int, int],
    higher_is_worse: bool,
    thresholds: Thresholds,
    s_difference: float | None,
    min_episodes: int,
    min_observations: int,
    window: int = DEFAULT_EARLY_WINDOW,
    salt: str = "",
    judged: set[int] | None = None,
    rule: ReliableChangeRule | None = None,
) -> ValidationReport | None:
    """Early flags against final outcomes, each half of the clients judged by the other's fit.

    The outcome is the last score's reliable change from intake: "not improved" (no reliable
    improvement) and "deteriorated" (reliably worse). Only episodes with a score inside the
    window and a last score after it count; flags are any at-risk/off-track status at sessions
    2..window. The AUC ranks clients by their lowest early percentile (model) or by the flag
    (rule). None without a reliability to judge reliable change by.

    `judged` limits the judging to those episodes (a practice's closed ones); the others still
    train the half they belong to (active episodes inform the expected course).
    """
    if s_difference is None and rule is None:
        return None
    if window < 2:
        raise ValueError("the early window must include session 2")
    episodes = np.unique(data.episode)
    if judged is not None:
        episodes_judged = np.array([e for e in episodes if int(e) in judged], dtype=np.int64)
    else:
        episodes_judged = episodes
    last_session = {int(e): int(data.session[data.episode == e].max()) for e in episodes}
    halves = {int(e): client_half(client_of_episode.get(int(e), int(e)), salt) for e in episodes}
    row_half = np.array([halves[int(e)] for e in data.episode], dtype=np.int64)

    early_worst: dict[int, Status] = {}
    early_low: dict[int, float] = {}
    bases: list[str] = []
    reasons: list[str] = []
    for half in (0, 1):
        train = _subset(data, row_half != half)
        test = _subset(data, row_half == half)
        fit = fit_expected(train, min_episodes=min_episodes, min_observations=min_observations)
        bases.append(Basis.MODEL.value if fit.model else Basis.RULE.value)
        reasons.append(fit.reason)
        found = classify_series(
            test,
            higher_is_worse=higher_is_worse,
            thresholds=thresholds,
            model=fit.model,
            s_difference=s_difference,
            rule=rule,
        )
        for e, s, c in zip(test.episode, test.session, found, strict=True):
            if c is None or s > window:
                continue
            key = int(e)
            early_worst[key] = _worse(early_worst.get(key, Status.ON_TRACK), c.status)
            if c.percentile is not None:
                early_low[key] = min(early_low.get(key, 100.0), c.percentile)
            elif c.status is not Status.ON_TRACK:
                early_low[key] = 0.0  # a rule flag: the lowest rank the AUC can give
            else:
                early_low.setdefault(key, 100.0)

    # An episode needs a score in the window (a chance to be flagged: one without would count as
    # "not flagged" and dilute the sensitivity) and a final score after it.
    evaluated = [
        int(e) for e in episodes_judged if last_session[int(e)] > window and int(e) in early_worst
    ]
    better: dict[int, bool] = {}
    worse: dict[int, bool] = {}
    for e in evaluated:
        rows = data.episode == e
        last = int(np.argmax(np.where(rows, data.session, -1)))
        intake, final = float(data.intake[last]), float(data.score[last])
        if rule is not None:  # the instrument's one reliable-change rule
            better[e] = rule.is_reliably_better(intake, final)
            worse[e] = rule.is_reliably_worse(intake, final)
            continue
        assert s_difference is not None
        index = improvement_index(intake, final, s_difference, higher_is_worse=higher_is_worse)
        better[e], worse[e] = index > Z_TWO_TAILED, index < -Z_TWO_TAILED
    outcome = {
        "not_improved": np.array([not better[e] for e in evaluated], dtype=bool),
        "deteriorated": np.array([worse[e] for e in evaluated], dtype=bool),
    }
    worst = [early_worst.get(e, Status.ON_TRACK) for e in evaluated]
    flags = {
        "off_track": np.array([w is Status.OFF_TRACK for w in worst], dtype=bool),
        "at_risk": np.array([w is not Status.ON_TRACK for w in worst], dtype=bool),
    }
    score = np.array([100.0 - early_low.get(e, 100.0) for e in evaluated], dtype=np.float64)
    results = {
        (name, level): flag_performance(flags[level], outcome[name], score)
        for name in OUTCOMES
        for level in FLAG_LEVELS
    }
    return ValidationReport(
        n_episodes=int(episodes_judged.size),
        n_evaluated=len(evaluated),
        n_too_short=int(episodes_judged.size) - len(evaluated),
        window=window,
        bases=tuple(bases),
        reasons=tuple(reasons),
        results=results,
        outcome_counts={name: int(values.sum()) for name, values in outcome.items()},
    )


_SEVERITY = {Status.ON_TRACK: 0, Status.AT_RISK: 1, Status.OFF_TRACK: 2}


def _worse(a: Status, b: Status) -> Status:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def _subset(data: Series, rows: NDArray[np.bool_]) -> Series:
    return Series(
        episode=data.episode[rows],
        session=data.session[rows],
        score=data.score[rows],
        intake=data.intake[rows],
        n_dropped_episodes=0,
    )
