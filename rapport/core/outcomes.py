"""Outcomes of closed episodes for a whole practice: categories, rates, effect size, shrinkage.

Everything here works on flat arrays (one entry per episode, or per administration) and groups
with bincount, so a practice of 100,000 clients is a handful of vector operations, not a loop.

- Each episode's first and last score on an instrument are its pre and post scores
  (`first_and_last`). Its Jacobson–Truax category (`jt_categories`) uses the standard error of the
  difference of rapport.core.change with a *given* SD — the instrument's published clinical SD
  where its definition has one, else the SD of the practice's own intake scores — and the
  instrument's published reliability. "Recovered" needs a cut-off: c from the published clinical
  and functional norms where the definition has both, else the instrument's published cut-off
  score (for example 10 on the PHQ-9), else there is no "recovered" and no "harmed".
- Percentages carry Wilson score intervals (Wilson 1927), which stay inside [0, 1] and behave
  with small counts, unlike the Wald interval.
- The pre–post effect size is the standardised mean change with the pre-treatment SD as the
  unit, d = (M_pre − M_post) / SD_pre on a scale where lower is better (sign flipped where higher
  is better, so a positive d is always improvement) — Becker's (1988) g without the small-sample
  correction. Its interval uses Becker's large-sample variance 2(1 − r)/n + d²/(2n), r the
  pre–post correlation.
- Therapists are compared on the rate of reliable improvement (recovered or improved) with
  empirical-Bayes shrinkage (`beta_binomial_shrinkage`): a beta prior fitted to all therapists by
  maximum marginal likelihood, each therapist's rate the posterior mean with an equal-tailed
  posterior interval. A therapist with few clients is pulled most towards the practice's rate.

Sources (formulas only):
- Jacobson, N. S. & Truax, P. (1991). J Consult Clin Psychol 59(1), 12–19.
- Wilson, E. B. (1927). J Am Stat Assoc 22(158), 209–212.
- Becker, B. J. (1988). Br J Math Stat Psychol 41(2), 257–278.
- Morris, S. B. & DeShon, R. P. (2002). Psychol Methods 7(1), 105–125 (the pre-test SD metric).
- Efron, B. & Morris, C. (1975). J Am Stat Assoc 70(350), 311–319 (empirical Bayes shrinkage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.change import (
    Z_TWO_TAILED,
    Category,
    CutoffKind,
    Direction,
    cutoff_value,
    standard_error_of_difference,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Category codes, best outcome first; an episode's category is an index into this tuple.
CATEGORIES: tuple[Category, ...] = (
    Category.RECOVERED,
    Category.IMPROVED,
    Category.UNCHANGED,
    Category.DETERIORATED,
    Category.HARMED,
)
RECOVERED, IMPROVED, UNCHANGED, DETERIORATED, HARMED = range(len(CATEGORIES))
CONFIDENCE = 0.95
# The beta prior's concentration (α + β) is searched between these: below, the prior is flatter
# than a uniform; above, every therapist is the practice mean to four decimals.
_CONCENTRATION_BOUNDS = (1e-2, 1e7)


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


# --- Pre and post per episode -----------------------------------------------------------------


@dataclass(frozen=True)
class FirstLast:
    """Per key (sorted): the row of its first and of its last administration, and how many."""

    keys: IntArray
    first: IntArray
    last: IntArray
    count: IntArray


def first_and_last(keys: ArrayLike) -> FirstLast:
    """Group administrations by key; rows must already be in time order within each key.

    A stable sort keeps that order, so the first row of a key is its earliest administration.
    """
    k = np.asarray(keys, dtype=np.int64)
    if k.ndim != 1:
        raise ValueError("keys must be one-dimensional")
    if k.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return FirstLast(empty, empty, empty, empty)
    order = np.argsort(k, kind="stable")
    ordered = k[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], ordered.size]
    return FirstLast(
        keys=ordered[starts],
        first=order[starts].astype(np.int64),
        last=order[ends - 1].astype(np.int64),
        count=(ends - starts).astype(np.int64),
    )


# --- Jacobson–Truax categories -----------------------------------------------------------------


def recovery_cutoff(
    *,
    direction: Direction | str,
    published_cutoff: float | None,
    clinical_mean: float | None,
    clinical_sd: float | None,
    functional_mean: float | None,
    functional_sd: float | None,
) -> tuple[float | None, str]:
    """The cut-off for "recovered" and where it comes from.

    Jacobson & Truax's c where the instrument publishes clinical and functional norms, else its
    published cut-off score, else none (then no episode can be "recovered" or "harmed").
    """
    norms = (clinical_mean, clinical_sd, functional_mean, functional_sd)
    if all(value is not None for value in norms):
        assert clinical_mean is not None and clinical_sd is not None
        value = cutoff_value(
            CutoffKind.C,
            direction=direction,
            clinical_mean=clinical_mean,
            clinical_sd=clinical_sd,
            functional_mean=functional_mean,
            functional_sd=functional_sd,
        )
        return value, "c"
    if published_cutoff is not None:
        return float(published_cutoff), "published"
    return None, "none"


def jt_categories(
    pre: ArrayLike,
    post: ArrayLike,
    *,
    sd: float,
    reliability: float,
    direction: Direction | str,
    cutoff: float | None,
    critical_value: float = Z_TWO_TAILED,
) -> IntArray:
    """Each pair's Jacobson–Truax category as an index into CATEGORIES.

    As in rapport.core.change.reliable_change, but with the SD given rather than taken from the
    sample: RCI = (post − pre) / S_diff; strict inequalities, so an RCI exactly at the critical
    value is unchanged and a score exactly at the cut-off has not crossed it.
    """
    x1 = np.asarray(pre, dtype=np.float64)
    x2 = np.asarray(post, dtype=np.float64)
    if x1.shape != x2.shape or x1.ndim != 1:
        raise ValueError("pre and post must be one-dimensional and of the same length")
    sign = Direction(direction).sign
    s_diff = standard_error_of_difference(sd, reliability)
    signed = sign * (x2 - x1) / s_diff
    improved = signed > critical_value
    deteriorated = signed < -critical_value
    codes = np.full(x1.shape, UNCHANGED, dtype=np.int64)
    codes[improved] = IMPROVED
    codes[deteriorated] = DETERIORATED
    if cutoff is not None:
        functional_pre = sign * (x1 - cutoff) > 0
        functional_post = sign * (x2 - cutoff) > 0
        codes[improved & ~functional_pre & functional_post] = RECOVERED
        codes[deteriorated & functional_pre & ~functional_post] = HARMED
    return codes


def category_counts(
    codes: ArrayLike, groups: ArrayLike | None = None, n_groups: int = 1
) -> IntArray:
    """Episodes per category (n_groups × 5); groups are 0-based codes, all in one group if None."""
    c = np.asarray(codes, dtype=np.int64)
    g = np.zeros(c.shape, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    width = len(CATEGORIES)
    counts = np.bincount(g * width + c, minlength=n_groups * width)
    return counts[: n_groups * width].reshape(n_groups, width).astype(np.int64)


# --- Proportions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    count: int
    n: int
    value: float  # NaN when n is 0
    lower: float
    upper: float


def wilson(
    count: ArrayLike, n: ArrayLike, *, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Proportions with Wilson score intervals, elementwise; NaN where n is 0.

    (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)   (Wilson 1927)
    """
    k = np.asarray(count, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(k > m):
        raise ValueError("counts must lie between 0 and n")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        z2n = z * z / m
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z * np.sqrt(p * (1.0 - p) / m + z2n / (4.0 * m)) / (1.0 + z2n)
    empty = m == 0
    p = np.where(empty, np.nan, p)
    # At 0 or n successes the bound is exactly 0 or 1; rounding would leave a trace.
    lower = np.where(empty, np.nan, np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0)))
    upper = np.where(empty, np.nan, np.where(k == m, 1.0, np.clip(centre + half, 0.0, 1.0)))
    return p, lower, upper


def proportion(count: int, n: int, *, confidence: float = CONFIDENCE) -> Proportion:
    p, lower, upper = wilson(count, n, confidence=confidence)
    return Proportion(int(count), int(n), float(p), float(lower), float(upper))


# --- Pre–post effect size -----------------------------------------------------------------------


@dataclass(frozen=True)
class EffectSize:
    n: int
    mean_pre: float
    mean_post: float
    sd_pre: float
    r_pre_post: float  # NaN when either occasion has no spread
    d: float  # (M_pre − M_post) / SD_pre, signed so that positive is improvement
    lower: float
    upper: float
    confidence: float


def pre_post_effect(
    pre: ArrayLike, post: ArrayLike, *, direction: Direction | str, confidence: float = CONFIDENCE
) -> EffectSize | None:
    """Standardised mean change in pre-test SD units (Becker 1988); None under 3 pairs or SD 0."""
    x1 = np.asarray(pre, dtype=np.float64)
    x2 = np.asarray(post, dtype=np.float64)
    n = int(x1.size)
    if n < 3 or x2.shape != x1.shape:
        return None
    sd_pre = float(np.std(x1, ddof=1))
    if not sd_pre > 0:
        return None
    sd_post = float(np.std(x2, ddof=1))
    m1, m2 = float(x1.mean()), float(x2.mean())
    if sd_post > 0:
        r = float(np.sum((x1 - m1) * (x2 - m2)) / ((n - 1) * sd_pre * sd_post))
    else:
        r = math.nan
    d = Direction(direction).sign * (m2 - m1) / sd_pre
    # Without a correlation (post all equal), r = 0 gives the wider, conservative interval.
    r_used = 0.0 if math.isnan(r) else r
    se = math.sqrt(2.0 * (1.0 - r_used) / n + d * d / (2.0 * n))
    z = _z(confidence)
    return EffectSize(n, m1, m2, sd_pre, r, d, d - z * se, d + z * se, confidence)


# --- Empirical-Bayes shrinkage of rates ---------------------------------------------------------


@dataclass(frozen=True)
class ShrunkRates:
    prior_mean: float  # the beta prior's mean: the practice's typical rate
    prior_concentration: float  # α + β: how many clients' worth of weight the prior carries
    raw: FloatArray  # successes / trials (NaN where trials is 0)
    mean: FloatArray  # posterior mean per group
    lower: FloatArray  # equal-tailed posterior interval
    upper: FloatArray
    confidence: float


def _beta_binomial_nll(params: FloatArray, k: FloatArray, n: FloatArray) -> float:
    from scipy import special  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    mu = special.expit(params[0])
    m = math.exp(params[1])
    a, b = mu * m, (1.0 - mu) * m
    # The binomial coefficient does not depend on the prior, so it is left out.
    return -float(np.sum(special.betaln(a + k, b + n - k) - special.betaln(a, b)))


def beta_binomial_shrinkage(
    successes: ArrayLike, trials: ArrayLike, *, confidence: float = CONFIDENCE
) -> ShrunkRates:
    """Shrink each group's rate towards the others' with a beta prior fitted to all groups.

    The prior Beta(μM, (1 − μ)M) maximises the beta-binomial marginal likelihood of all groups;
    each group's posterior is Beta(μM + k, (1 − μ)M + n − k). When groups vary no more than
    chance would make them, M runs to its upper bound and every group gets the practice's rate.
    """
    # Imported here: scipy takes a noticeable time to load, which pages need not pay.
    from scipy import optimize, special, stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if k.shape != n.shape or k.ndim != 1:
        raise ValueError("successes and trials must be one-dimensional and of the same length")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must lie between 0 and trials")
    z_tail = (1.0 - confidence) / 2.0
    used = n > 0
    total = float(n[used].sum())
    if total == 0:
        nan = np.full(k.shape, np.nan)
        return ShrunkRates(math.nan, math.nan, nan, nan, nan, nan, confidence)
    pooled = min(max(float(k[used].sum()) / total, 0.5 / total), 1.0 - 0.5 / total)
    low, high = (math.log(v) for v in _CONCENTRATION_BOUNDS)
    result = optimize.minimize(
        _beta_binomial_nll,
        np.array([special.logit(pooled), math.log(10.0)]),
        args=(k[used], n[used]),
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0), (low, high)],
    )
    mu = float(special.expit(result.x[0]))
    m = float(math.exp(result.x[1]))
    a = mu * m + k
    b = (1.0 - mu) * m + n - k
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(used, k / n, np.nan)
    return ShrunkRates(
        prior_mean=mu,
        prior_concentration=m,
        raw=raw,
        mean=a / (a + b),
        lower=np.asarray(stats.beta.ppf(z_tail, a, b), dtype=np.float64),
        upper=np.asarray(stats.beta.ppf(1.0 - z_tail, a, b), dtype=np.float64),
        confidence=confidence,
    )


# --- Distributions and grouping ----------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    edges: FloatArray  # bin edges; the last bin includes its upper edge
    counts: IntArray
    n: int
    median: float  # NaN without values
    below: int  # values strictly below the threshold given (0 without one)


def histogram(
    values: ArrayLike,
    *,
    low: float,
    high: float,
    bins: int,
    threshold: float | None = None,
    weights: ArrayLike | None = None,
) -> Histogram:
    """Counts in equal bins over [low, high]; `weights` counts each value that many times (for
    values already tallied by a GROUP BY). Values outside the range go to the end bins."""
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != x.shape:
        raise ValueError("values and weights differ in length")
    keep = np.isfinite(x)
    x, w = x[keep], w[keep]
    if not high > low or bins < 1:
        raise ValueError("a histogram needs high > low and at least one bin")
    counts, edges = np.histogram(np.clip(x, low, high), bins=bins, range=(low, high), weights=w)
    below = int(w[x < threshold].sum()) if threshold is not None else 0
    n = int(w.sum())
    median = math.nan
    if n:
        order = np.argsort(x, kind="stable")
        cumulative = np.cumsum(w[order])
        # The mean of the two middle values when n is even, as np.median does.
        lower = x[order][np.searchsorted(cumulative, (n + 1) // 2)]
        upper = x[order][np.searchsorted(cumulative, n // 2 + 1)]
        median = float((lower + upper) / 2.0)
    return Histogram(edges, np.round(counts).astype(np.int64), n, median, below)


def predominant(
    groups: ArrayLike, labels: ArrayLike, weights: ArrayLike, *, n_groups: int, n_labels: int
) -> IntArray:
    """Per group, the label with the largest total weight (ties: the lowest label); −1 if none.

    Rows are (group, label, count) as a GROUP BY returns them; groups and labels are 0-based.
    """
    g = np.asarray(groups, dtype=np.int64)
    lab = np.asarray(labels, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    flat = np.bincount(g * n_labels + lab, weights=w, minlength=n_groups * n_labels)
    table = flat[: n_groups * n_labels].reshape(n_groups, n_labels)
    best = np.argmax(table, axis=1).astype(np.int64)
    return np.where(table.sum(axis=1) > 0, best, -1)
