"""Agreement between raters: client vs therapist, child vs guardian.

Two views, because they answer different questions:
- Bland–Altman limits of agreement (Bland & Altman 1986) say how far apart two raters' scores
  of the same session typically are, in scale points: the mean difference (bias) and the range
  that holds about 95% of differences, each with a confidence interval.
- Intraclass correlations (Shrout & Fleiss 1979; McGraw & Wong 1996) say how well the raters
  tell sessions apart in the same way, relative to how much sessions differ: ICC(2,1) — McGraw &
  Wong's ICC(A,1) — counts a rater who is consistently higher as disagreement (absolute
  agreement, two-way random, single rater); ICC(3,1) — ICC(C,1) — forgives a constant offset
  (consistency, two-way mixed, single rater).

The ICC is computed from the two-way ANOVA of an n targets × k raters table and works for any k;
paired scores are the k = 2 case. Differences are `rater_a − rater_b`, first minus second as in
Bland & Altman (1986), so with `agreement(therapist, client)` a positive bias is the therapist
rating higher.

Missing values: a pair (or a table row) with any NaN is dropped and the count is reported. At
least three complete targets are required: with two, the SD of differences rests on one degree
of freedom and every interval is too wide to mean anything.

Zero variance: when every difference is the same, the SD is 0 and the limits and their intervals
collapse onto the bias. When the raters agree perfectly the ICCs are 1 with the interval [1, 1].
Two cases leave an ICC not estimable: its value, interval, F and p are NaN and `not_estimable`
says why (a `NotEstimable`), so a page can say it in words instead of showing a number:
- every score in the table is the same (`NO_VARIATION`): there is no variance to apportion;
- the targets do not differ (`TARGETS_ALIKE`): each rater gave every target the same score, but
  the raters differ — a client always at the ceiling and a therapist always a little lower. An
  ICC asks how well raters tell targets apart, and here there is nothing to tell apart (McGraw &
  Wong's ICC(A,1) formula gives 0 with an F of 0/0 and no interval; ICC(C,1) is 0/0).
Should Satterthwaite's degrees of freedom for the ICC(A,1) interval come out 0/0 in any other
case, the value stands and only the interval is NaN.

The intervals are the published formulas as they stand: with few targets an ICC interval can
reach below −1/(k − 1), the lowest value an ICC can take. All of them assume independent targets;
many sessions of the same client are not, and make every interval too narrow, so a caller pooling
a caseload should pair one value per client (a session, or the client's mean).

Sources (formulas only):
- Bland, J. M. & Altman, D. G. (1986). Lancet 327(8476), 307–310.
- Bland, J. M. & Altman, D. G. (1999). Stat Methods Med Res 8(2), 135–160.
- Shrout, P. E. & Fleiss, J. L. (1979). Psychol Bull 86(2), 420–428.
- McGraw, K. O. & Wong, S. P. (1996). Psychol Methods 1(1), 30–46; correction 1(4), 390.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# 95% limits of agreement lie 1.96 SD either side of the bias (Bland & Altman 1999; the 1986
# paper rounded it to 2).
LOA_Z = 1.96
MIN_TARGETS = 3
CONFIDENCE = 0.95
# A sum of squares this small relative to the total is rounding error, not variation.
_NEGLIGIBLE = 1e-12


@dataclass(frozen=True)
class BlandAltman:
    n: int
    bias: float  # mean of rater_a − rater_b
    sd: float  # sample SD of the differences (n − 1)
    lower_limit: float  # bias − 1.96 SD
    upper_limit: float  # bias + 1.96 SD
    bias_ci: tuple[float, float]
    lower_limit_ci: tuple[float, float]
    upper_limit_ci: tuple[float, float]
    confidence: float  # of the three intervals; the limits themselves are always 95%


@dataclass(frozen=True)
class MeanSquares:
    """The two-way ANOVA of a targets × raters table, as in Shrout & Fleiss (1979, Table 2)."""

    n_targets: int
    n_raters: int
    targets: float  # between targets: BMS in Shrout & Fleiss, MSR in McGraw & Wong
    raters: float  # between raters: JMS / MSC
    error: float  # residual: EMS / MSE
    within: float  # within targets (raters + residual): WMS / MSW


class NotEstimable(StrEnum):
    """Why an ICC has no value (see the module notes)."""

    NO_VARIATION = "no_variation"  # every score in the table the same
    TARGETS_ALIKE = "targets_alike"  # each rater scored every target alike; the raters differ


@dataclass(frozen=True)
class ICC:
    value: float
    lower: float
    upper: float
    confidence: float
    f_value: float  # MSR / MSE, the test of ICC = 0 (the same F for both forms)
    df1: int
    df2: int
    p_value: float  # one-sided, against ICC = 0
    not_estimable: NotEstimable | None = None  # set exactly when value is NaN


@dataclass(frozen=True)
class IntraclassCorrelations:
    n_targets: int
    n_raters: int
    n_dropped: int  # targets left out for a missing rating
    mean_squares: MeanSquares
    absolute: ICC  # ICC(2,1) = ICC(A,1)
    consistency: ICC  # ICC(3,1) = ICC(C,1)


@dataclass(frozen=True)
class Agreement:
    n: int  # complete pairs used
    n_dropped: int  # pairs left out for a missing score
    bland_altman: BlandAltman
    intraclass: IntraclassCorrelations

    # The figures a chart shows in one line: the gap in points and the ICC that counts it.
    @property
    def bias(self) -> float:
        return self.bland_altman.bias

    @property
    def bias_size(self) -> float:
        """How far apart the raters are on average, whichever of them is higher."""
        return abs(self.bland_altman.bias)

    @property
    def lower(self) -> float:
        return self.bland_altman.lower_limit

    @property
    def upper(self) -> float:
        return self.bland_altman.upper_limit

    @property
    def icc(self) -> float | None:
        """ICC(2,1): whether two raters give the same numbers, not just the same ranking.

        None when not estimable; `icc_not_estimable` says why.
        """
        value = self.intraclass.absolute.value
        return None if math.isnan(value) else value

    @property
    def icc_not_estimable(self) -> NotEstimable | None:
        return self.intraclass.absolute.not_estimable

    @property
    def icc_words(self) -> str | None:
        """The ICC in a clinician's words, by Cicchetti's (1994) bands: below 0.40 poor,
        0.40–0.59 fair, 0.60–0.74 good, 0.75 and above excellent (Psychological Assessment
        6(4):284–290). None when not estimable."""
        value = self.icc
        if value is None:
            return None
        if value < 0.40:
            return "poorly"
        if value < 0.60:
            return "fairly"
        if value < 0.75:
            return "well"
        return "very well"


def agreement(
    rater_a: ArrayLike, rater_b: ArrayLike, *, confidence: float = CONFIDENCE
) -> Agreement:
    """Bland–Altman and both ICCs for paired scores (one pair per rated target)."""
    a, b, dropped = _complete_pairs(rater_a, rater_b)
    table = np.column_stack([a, b])
    return Agreement(
        n=int(a.size),
        n_dropped=dropped,
        bland_altman=_bland_altman(a, b, confidence),
        intraclass=_intraclass(table, dropped, confidence),
    )


def bland_altman(
    rater_a: ArrayLike, rater_b: ArrayLike, *, confidence: float = CONFIDENCE
) -> BlandAltman:
    """Bias and 95% limits of agreement of rater_a − rater_b, with confidence intervals."""
    a, b, _ = _complete_pairs(rater_a, rater_b)
    return _bland_altman(a, b, confidence)


def intraclass_correlations(
    ratings: ArrayLike, *, confidence: float = CONFIDENCE
) -> IntraclassCorrelations:
    """ICC(2,1) and ICC(3,1) of a targets × raters table (rows with a missing rating dropped)."""
    table = np.asarray(ratings, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError("ratings must be a targets × raters table with at least two raters")
    complete = ~np.isnan(table).any(axis=1)
    dropped = int(table.shape[0] - complete.sum())
    table = table[complete]
    _check_usable(table, dropped, "targets")
    return _intraclass(table, dropped, confidence)


def mean_squares(ratings: ArrayLike) -> MeanSquares:
    """The two-way ANOVA mean squares of a complete targets × raters table."""
    table = np.asarray(ratings, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 2 or table.shape[0] < 2:
        raise ValueError("ratings must be a targets × raters table, at least 2 × 2")
    if not np.isfinite(table).all():
        raise ValueError("mean squares need a complete table of finite ratings")
    return _mean_squares(table)


# --- Bland–Altman ------------------------------------------------------------------------------


def _bland_altman(a: NDArray[np.float64], b: NDArray[np.float64], confidence: float) -> BlandAltman:
    _check_confidence(confidence)
    diff = a - b
    n = int(diff.size)
    bias = float(diff.mean())
    sd = float(diff.std(ddof=1))
    # Imported here: scipy.stats is slow to load (see suddengains).
    from scipy import stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    t = float(stats.t.ppf((1 + confidence) / 2, n - 1))
    # Bland & Altman (1999): var(bias ± 1.96 s) ≈ (1/n + 1.96² / (2(n − 1))) s².
    limit_se = sd * math.sqrt(1 / n + LOA_Z**2 / (2 * (n - 1)))
    bias_half = t * sd / math.sqrt(n)
    lower, upper = bias - LOA_Z * sd, bias + LOA_Z * sd
    return BlandAltman(
        n=n,
        bias=bias,
        sd=sd,
        lower_limit=lower,
        upper_limit=upper,
        bias_ci=(bias - bias_half, bias + bias_half),
        lower_limit_ci=(lower - t * limit_se, lower + t * limit_se),
        upper_limit_ci=(upper - t * limit_se, upper + t * limit_se),
        confidence=confidence,
    )


# --- Intraclass correlation --------------------------------------------------------------------


def _mean_squares(table: NDArray[np.float64]) -> MeanSquares:
    n, k = table.shape
    grand = table.mean()
    target_means = table.mean(axis=1)
    rater_means = table.mean(axis=0)
    ss_targets = k * float(((target_means - grand) ** 2).sum())
    ss_raters = n * float(((rater_means - grand) ** 2).sum())
    # The residual from its own definition rather than by subtraction, so that perfect agreement
    # gives a residual of (nearly) exactly zero instead of a difference of two large numbers.
    residual = table - target_means[:, np.newaxis] - rater_means[np.newaxis, :] + grand
    ss_error = float((residual**2).sum())
    return MeanSquares(
        n_targets=n,
        n_raters=k,
        targets=ss_targets / (n - 1),
        raters=ss_raters / (k - 1),
        error=ss_error / ((n - 1) * (k - 1)),
        within=(ss_raters + ss_error) / (n * (k - 1)),
    )


def _intraclass(
    table: NDArray[np.float64], dropped: int, confidence: float
) -> IntraclassCorrelations:
    _check_confidence(confidence)
    ms = _mean_squares(table)
    n, k = ms.n_targets, ms.n_raters
    ss_total = ms.targets * (n - 1) + ms.raters * (k - 1) + ms.error * (n - 1) * (k - 1)
    scale = float((table**2).sum())
    if ss_total <= _NEGLIGIBLE * scale:
        nan = _undefined(n, k, confidence, NotEstimable.NO_VARIATION)
        return IntraclassCorrelations(n, k, dropped, ms, absolute=nan, consistency=nan)
    # Rounding can leave a hair of residual where the raters agree exactly; treat it as none.
    error = 0.0 if ms.error * (n - 1) * (k - 1) <= _NEGLIGIBLE * ss_total else ms.error
    raters = 0.0 if ms.raters * (k - 1) <= _NEGLIGIBLE * ss_total else ms.raters
    targets = 0.0 if ms.targets * (n - 1) <= _NEGLIGIBLE * ss_total else ms.targets
    if targets == 0 and error == 0:
        # All the variance lies between the raters: no target differs from another.
        nan = _undefined(n, k, confidence, NotEstimable.TARGETS_ALIKE)
        return IntraclassCorrelations(n, k, dropped, ms, absolute=nan, consistency=nan)
    # Imported here: scipy.stats is slow to load (see suddengains).
    from scipy import stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    df1, df2 = n - 1, (n - 1) * (k - 1)
    # Targets differ here (else returned above), so with no residual the F is infinite.
    f_value = targets / error if error > 0 else math.inf
    p_value = float(stats.f.sf(f_value, df1, df2)) if error > 0 else 0.0
    common = {"confidence": confidence, "f_value": f_value, "df1": df1, "df2": df2}
    return IntraclassCorrelations(
        n_targets=n,
        n_raters=k,
        n_dropped=dropped,
        mean_squares=ms,
        absolute=_absolute(targets, raters, error, n, k, confidence, p_value, common),
        consistency=_consistency(targets, error, n, k, confidence, p_value, common),
    )


def _consistency(
    msr: float,
    mse: float,
    n: int,
    k: int,
    confidence: float,
    p_value: float,
    common: dict[str, Any],
) -> ICC:
    """ICC(C,1) with McGraw & Wong's (1996, Table 7) exact F interval."""
    denominator = msr + (k - 1) * mse
    if denominator <= 0:  # no variation between targets and none left over
        return _undefined(n, k, confidence, NotEstimable.TARGETS_ALIKE)
    if mse == 0:  # perfect consistency
        return ICC(value=1.0, lower=1.0, upper=1.0, p_value=p_value, **common)
    value = (msr - mse) / denominator
    from scipy import stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    q = (1 + confidence) / 2
    f_obs = msr / mse
    df1, df2 = n - 1, (n - 1) * (k - 1)
    f_low = f_obs / float(stats.f.ppf(q, df1, df2))
    f_high = f_obs * float(stats.f.ppf(q, df2, df1))
    return ICC(
        value=value,
        lower=(f_low - 1) / (f_low + k - 1),
        upper=(f_high - 1) / (f_high + k - 1),
        p_value=p_value,
        **common,
    )


def _absolute(
    msr: float,
    msc: float,
    mse: float,
    n: int,
    k: int,
    confidence: float,
    p_value: float,
    common: dict[str, Any],
) -> ICC:
    """ICC(A,1) with McGraw & Wong's (1996, Table 7) interval.

    The F for the interval has Satterthwaite's approximate denominator degrees of freedom v,
    because the error term mixes rater and residual variance (Fleiss & Shrout 1978).
    """
    denominator = msr + (k - 1) * mse + k * (msc - mse) / n
    if denominator <= 0:
        return _undefined(n, k, confidence, NotEstimable.TARGETS_ALIKE)
    if mse == 0 and msc == 0:  # identical ratings from every rater
        return ICC(value=1.0, lower=1.0, upper=1.0, p_value=p_value, **common)
    rho = (msr - mse) / denominator
    a = k * rho / (n * (1 - rho))
    b = 1 + k * rho * (n - 1) / (n * (1 - rho))
    v_denominator = (a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1))
    if not v_denominator > 0:  # Satterthwaite's 0/0: the value stands, the interval does not
        return ICC(value=rho, lower=math.nan, upper=math.nan, p_value=p_value, **common)
    v = (a * msc + b * mse) ** 2 / v_denominator
    from scipy import stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    q = (1 + confidence) / 2
    f_star = float(stats.f.ppf(q, n - 1, v))
    f_star2 = float(stats.f.ppf(q, v, n - 1))
    spread = k * msc + (k * n - k - n) * mse
    lower = n * (msr - f_star * mse) / (f_star * spread + n * msr)
    upper = n * (f_star2 * msr - mse) / (spread + n * f_star2 * msr)
    if not lower <= upper:
        # Far below zero the weights of Satterthwaite's degrees of freedom turn negative and
        # the interval comes out inverted (found with 4 targets, ICC −0.63): the value stands,
        # the interval does not.
        lower = upper = math.nan
    return ICC(value=rho, lower=lower, upper=upper, p_value=p_value, **common)


def _undefined(n: int, k: int, confidence: float, why: NotEstimable) -> ICC:
    nan = math.nan
    return ICC(nan, nan, nan, confidence, nan, n - 1, (n - 1) * (k - 1), nan, not_estimable=why)


# --- Input -------------------------------------------------------------------------------------


def _complete_pairs(
    rater_a: ArrayLike, rater_b: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    a = np.asarray(rater_a, dtype=np.float64)
    b = np.asarray(rater_b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            f"paired scores must be two lists of the same length, got {a.shape} and {b.shape}"
        )
    complete = ~(np.isnan(a) | np.isnan(b))
    dropped = int(a.size - complete.sum())
    a, b = a[complete], b[complete]
    _check_usable(np.column_stack([a, b]), dropped, "pairs")
    return a, b, dropped


def _check_usable(table: NDArray[np.float64], dropped: int, unit: str) -> None:
    if not np.isfinite(table).all():
        raise ValueError("scores must be finite numbers (NaN marks a missing one)")
    if table.shape[0] < MIN_TARGETS:
        left_out = f" ({dropped} left out for a missing score)" if dropped else ""
        raise ValueError(
            f"agreement needs at least {MIN_TARGETS} complete {unit}, "
            f"got {table.shape[0]}{left_out}"
        )


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
