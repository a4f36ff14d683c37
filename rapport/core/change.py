"""Reliable change and clinical significance of pre–post scores (Jacobson & Truax 1991).

Two questions are asked of every client. Is the change bigger than measurement error alone would
plausibly produce (the reliable change index, RCI)? And did the client end up on the functional
side of a cut-off between the clinical and the functional population? The Jacobson–Truax index is
the one clinicians meet; the other five indices correct for regression to the mean in different
ways and are offered for research, because published studies use them and their counts differ.

Every index here is "post minus pre" in the scale's own direction, so a negative index on a scale
where lower is better is an improvement. Decisions use strict inequalities: an index exactly at the
critical value is unchanged, and a score exactly at the cut-off has not crossed it.

Sources (formulas only):
- Jacobson, N. S. & Truax, P. (1991). J Consult Clin Psychol 59(1), 12–19.
- Gulliksen, H. (1950). Theory of Mental Tests; Lord, F. M. & Novick, M. R. (1968). Statistical
  Theories of Mental Test Scores — as set out for clinical change by Hsu (1989).
- Hsu, L. M. (1989). J Consult Clin Psychol 57(1), 131–137 (Hsu–Linn–Lord).
- Edwards, D. W., Yarvis, R. M., Mueller, D. P., Zingale, H. C. & Wagman, W. J. (1978). Evaluation
  Quarterly 2, 275–291; in the RCI form of Speer, D. C. (1992). J Consult Clin Psychol 60(3),
  402–408 (Edwards–Nunnally).
- Nunnally, J. C. & Kotsch, W. E. (1983). J Clin Psychol 39(4), 613–625.
- Hageman, W. J. J. M. & Arrindell, W. A. (1999). Behav Res Ther 37(12), 1169–1193.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Two-tailed 5% test on a standard normal index; Jacobson & Truax (1991, p. 14) round it to 1.96.
Z_TWO_TAILED = NormalDist().inv_cdf(0.975)  # 1.959964
# Hageman & Arrindell (1999) test the direction of change one-tailed at 5%.
Z_ONE_TAILED = NormalDist().inv_cdf(0.95)  # 1.644854
# Cut-offs a and b sit two standard deviations from a population mean (Jacobson & Truax 1991,
# p. 13): about 98% of that population lies on its own side of the line.
CUTOFF_SDS = 2.0


class Direction(StrEnum):
    LOWER = "lower"  # lower scores are better (most symptom scales)
    HIGHER = "higher"  # higher scores are better (wellbeing, functioning)

    @property
    def sign(self) -> int:
        return -1 if self is Direction.LOWER else 1


class Method(StrEnum):
    JT = "jt"  # Jacobson–Truax
    GLN = "gln"  # Gulliksen–Lord–Novick
    HLL = "hll"  # Hsu–Linn–Lord
    EN = "en"  # Edwards–Nunnally
    NK = "nk"  # Nunnally–Kotsch
    HA = "ha"  # Hageman–Arrindell


class CutoffKind(StrEnum):
    A = "a"  # two SDs beyond the clinical mean; needs no functional norms
    B = "b"  # two SDs inside the functional mean
    C = "c"  # where the two distributions meet, weighted by their SDs


class Category(StrEnum):
    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"
    HARMED = "harmed"


CATEGORIES_WITHOUT_CUTOFF = (Category.IMPROVED, Category.UNCHANGED, Category.DETERIORATED)
CATEGORIES_WITH_CUTOFF = tuple(Category)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SampleStats:
    """Descriptives of the complete pairs; standard deviations use n − 1."""

    n: int
    mean_pre: float
    sd_pre: float
    mean_post: float
    sd_post: float
    r_pre_post: float  # NaN when either occasion has no spread


@dataclass(frozen=True)
class ChangeResult:
    method: Method
    direction: Direction
    reliability: float
    critical_value: float
    stats: SampleStats
    s_diff: float  # Jacobson–Truax standard error of the difference, whatever the method
    index: FloatArray  # per client: the method's change index (the RCI for Jacobson–Truax)
    categories: tuple[Category, ...]  # per client, in input order
    percent_change: FloatArray  # per client: 100 · (post − pre) / pre; NaN where pre is 0
    cutoff: float | None  # None when only reliable change was asked for

    @property
    def counts(self) -> dict[Category, int]:
        """Clients per category, in order from best to worst outcome."""
        names = CATEGORIES_WITHOUT_CUTOFF if self.cutoff is None else CATEGORIES_WITH_CUTOFF
        return {name: self.categories.count(name) for name in names}


def standard_error_of_difference(sd: float, reliability: float) -> float:
    """S_diff = √(2 · SE²), SE = SD · √(1 − r) (Jacobson & Truax 1991, p. 14)."""
    _check_reliability(reliability, "reliability")
    if not sd > 0:
        raise ValueError(f"the standard deviation must be positive, got {sd}")
    # Squaring under one root keeps round numbers exact (SD² from a variance, not √ then ²).
    return math.sqrt(2.0 * sd * sd * (1.0 - reliability))


def rci_single(pre: float, post: float, sd_pre: float, reliability: float) -> float:
    """One client's Jacobson–Truax RCI against published norms (SD of the norm group)."""
    return (post - pre) / standard_error_of_difference(sd_pre, reliability)


def percentage_change(pre: ArrayLike, post: ArrayLike) -> FloatArray:
    """100 · (post − pre) / pre per client; NaN where the pre score is 0 (no baseline to scale)."""
    x1, x2 = _pairs(pre, post)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * (x2 - x1) / x1
    return np.where(x1 == 0, np.nan, pct)


def sample_stats(pre: ArrayLike, post: ArrayLike) -> SampleStats:
    x1, x2 = _pairs(pre, post)
    if x1.size < 2:
        raise ValueError(
            f"need at least 2 complete pre–post pairs for sample statistics, got {x1.size}"
        )
    var1, var2 = float(np.var(x1, ddof=1)), float(np.var(x2, ddof=1))
    cov = float(np.sum((x1 - x1.mean()) * (x2 - x2.mean()))) / (x1.size - 1)
    r = cov / math.sqrt(var1 * var2) if var1 > 0 and var2 > 0 else math.nan
    return SampleStats(
        n=int(x1.size),
        mean_pre=float(x1.mean()),
        sd_pre=math.sqrt(var1),
        mean_post=float(x2.mean()),
        sd_post=math.sqrt(var2),
        r_pre_post=r,
    )


def cutoff_value(
    kind: CutoffKind | str,
    *,
    direction: Direction | str,
    clinical_mean: float,
    clinical_sd: float,
    functional_mean: float | None = None,
    functional_sd: float | None = None,
) -> float:
    """Jacobson & Truax (1991, p. 13) cut-offs a, b and c.

    b uses the functional SD, as the paper defines it (some software uses the clinical SD there).
    """
    kind = _enum(CutoffKind, kind, "cut-off")
    sign = _enum(Direction, direction, "direction").sign
    if not clinical_sd > 0:
        raise ValueError(f"the clinical standard deviation must be positive, got {clinical_sd}")
    if kind is CutoffKind.A:
        return clinical_mean + sign * CUTOFF_SDS * clinical_sd
    if functional_mean is None or functional_sd is None:
        raise ValueError(f"cut-off {kind} needs the functional population's mean and SD")
    if not functional_sd > 0:
        raise ValueError(f"the functional standard deviation must be positive, got {functional_sd}")
    if kind is CutoffKind.B:
        return functional_mean - sign * CUTOFF_SDS * functional_sd
    return (clinical_sd * functional_mean + functional_sd * clinical_mean) / (
        clinical_sd + functional_sd
    )


def reliable_change(
    pre: ArrayLike,
    post: ArrayLike,
    *,
    reliability: float,
    direction: Direction | str,
    method: Method | str = Method.JT,
    reliability_post: float | None = None,
    cutoff: CutoffKind | str | None = None,
    cutoff_fixed: float | None = None,
    functional_mean: float | None = None,
    functional_sd: float | None = None,
    critical_value: float | None = None,
) -> ChangeResult:
    """Classify each complete pre–post pair by reliable change and, optionally, a cut-off.

    The clinical population is this sample at pre (mean and SD of `pre`). Give `cutoff` ("a", "b"
    or "c") to derive the cut-off from it and the functional norms, or `cutoff_fixed` for a
    published cut-off score. `critical_value` defaults to 1.959964, or 1.644854 for
    Hageman–Arrindell; it is there for other alpha levels.

    With a cut-off, "recovered" means reliably improved and moved from the clinical side (at or
    beyond the cut-off) to the functional side (strictly past it); "harmed" is the mirror image:
    reliably deteriorated and moved from the functional side to the clinical side. A reliable
    change that does not cross the line stays "improved" or "deteriorated".
    """
    method = _enum(Method, method, "method")
    direction = _enum(Direction, direction, "direction")
    _check_reliability(reliability, "reliability")
    if method is Method.NK:
        if reliability_post is None:
            raise ValueError("the Nunnally–Kotsch method needs the post-test reliability")
        _check_reliability(reliability_post, "post-test reliability")
    if cutoff is not None and cutoff_fixed is not None:
        raise ValueError("give either a cut-off kind or a fixed cut-off score, not both")
    x1, x2 = _pairs(pre, post)
    stats = sample_stats(x1, x2)
    if not stats.sd_pre > 0:
        raise ValueError("the pre scores have no spread (SD 0), so measurement error is unknown")

    index = _INDEX[method](x1, x2, stats, reliability, reliability_post)
    crit = critical_value
    if crit is None:
        crit = Z_ONE_TAILED if method is Method.HA else Z_TWO_TAILED
    if not crit > 0:
        raise ValueError(f"the critical value must be positive, got {crit}")
    signed = direction.sign * index
    improved = signed > crit
    deteriorated = signed < -crit

    cut: float | None = cutoff_fixed
    if cutoff is not None:
        cut = cutoff_value(
            cutoff,
            direction=direction,
            clinical_mean=stats.mean_pre,
            clinical_sd=stats.sd_pre,
            functional_mean=functional_mean,
            functional_sd=functional_sd,
        )
    labels = np.full(x1.shape, Category.UNCHANGED.value, dtype=object)
    labels[improved] = Category.IMPROVED.value
    labels[deteriorated] = Category.DETERIORATED.value
    if cut is not None:
        functional_pre = direction.sign * (x1 - cut) > 0
        functional_post = direction.sign * (x2 - cut) > 0
        labels[improved & ~functional_pre & functional_post] = Category.RECOVERED.value
        labels[deteriorated & functional_pre & ~functional_post] = Category.HARMED.value

    return ChangeResult(
        method=method,
        direction=direction,
        reliability=reliability,
        critical_value=crit,
        stats=stats,
        s_diff=standard_error_of_difference(stats.sd_pre, reliability),
        index=index,
        categories=tuple(Category(label) for label in labels),
        percent_change=percentage_change(x1, x2),
        cutoff=cut,
    )


# Each index: (pre, post, sample stats, reliability, post reliability) -> per-client index.
_Index = Callable[[FloatArray, FloatArray, SampleStats, float, float | None], FloatArray]


def _jt(x1: FloatArray, x2: FloatArray, s: SampleStats, r: float, _: float | None) -> FloatArray:
    # (x2 − x1) / S_diff, S_diff = √2 · SD_pre · √(1 − r)   (Jacobson & Truax 1991)
    return (x2 - x1) / standard_error_of_difference(s.sd_pre, r)


def _gln(x1: FloatArray, x2: FloatArray, s: SampleStats, r: float, _: float | None) -> FloatArray:
    # Post compared with the pre score regressed towards the pre mean; the error is that of
    # predicting post from pre: [(x2 − M1) − r(x1 − M1)] / (SD1 · √(1 − r²))
    return ((x2 - s.mean_pre) - r * (x1 - s.mean_pre)) / (s.sd_pre * math.sqrt(1.0 - r * r))


def _hll(x1: FloatArray, x2: FloatArray, s: SampleStats, r: float, _: float | None) -> FloatArray:
    # As GLN, but post is centred on the post mean, so the whole group's change is taken out:
    # [(x2 − M2) − r(x1 − M1)] / (SD1 · √(1 − r²))
    centred = (x2 - s.mean_post) - r * (x1 - s.mean_pre)
    return centred / (s.sd_pre * math.sqrt(1.0 - r * r))


def _en(x1: FloatArray, x2: FloatArray, s: SampleStats, r: float, _: float | None) -> FloatArray:
    # Post against the estimated true pre score, in units of the standard error of measurement:
    # [x2 − (r(x1 − M1) + M1)] / (SD1 · √(1 − r))
    true_pre = r * (x1 - s.mean_pre) + s.mean_pre
    return (x2 - true_pre) / (s.sd_pre * math.sqrt(1.0 - r))


def _nk(x1: FloatArray, x2: FloatArray, s: SampleStats, r: float, r2: float | None) -> FloatArray:
    # As EN, with the error of both the true-score estimate and the post score:
    # [x2 − (r1(x1 − M1) + M1)] / √(r1² · SD1² · (1 − r1) + SD1² · (1 − r2))
    assert r2 is not None  # reliable_change checks this before dispatching
    true_pre = r * (x1 - s.mean_pre) + s.mean_pre
    var1 = s.sd_pre * s.sd_pre
    return (x2 - true_pre) / math.sqrt(r * r * var1 * (1.0 - r) + var1 * (1.0 - r2))


def _ha(x1: FloatArray, x2: FloatArray, s: SampleStats, r: float, _: float | None) -> FloatArray:
    # RC_ID = [(x2 − x1) · r_dd + (M2 − M1)(1 − r_dd)] / √(r_dd · 2 · SE²), with SE from pre and
    # each occasion's reliability r_t = (SD_t² − SE²) / SD_t², and the reliability of the
    # difference r_dd = (SD1² r_1 + SD2² r_2 − 2 r12 SD1 SD2) / (SD1² + SD2² − 2 r12 SD1 SD2).
    if not s.sd_post > 0 or math.isnan(s.r_pre_post):
        raise ValueError("the Hageman–Arrindell method needs post scores with some spread")
    var1, var2 = s.sd_pre * s.sd_pre, s.sd_post * s.sd_post
    se2 = var1 * (1.0 - r)
    rel1, rel2 = (var1 - se2) / var1, (var2 - se2) / var2
    cross = 2.0 * s.r_pre_post * s.sd_pre * s.sd_post
    r_dd = (var1 * rel1 + var2 * rel2 - cross) / (var1 + var2 - cross)
    if not r_dd > 0:
        raise ValueError(
            f"the Hageman–Arrindell reliability of the difference is {r_dd:.3f}; it must be "
            "positive (post scores vary less than measurement error)"
        )
    shift = (s.mean_post - s.mean_pre) * (1.0 - r_dd)
    return ((x2 - x1) * r_dd + shift) / math.sqrt(r_dd * 2.0 * se2)


_INDEX: dict[Method, _Index] = {
    Method.JT: _jt,
    Method.GLN: _gln,
    Method.HLL: _hll,
    Method.EN: _en,
    Method.NK: _nk,
    Method.HA: _ha,
}


def _pairs(pre: ArrayLike, post: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x1 = np.asarray(pre, dtype=np.float64)
    x2 = np.asarray(post, dtype=np.float64)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError("pre and post must be one-dimensional sequences of scores")
    if x1.shape != x2.shape:
        raise ValueError(f"pre and post differ in length ({x1.size} and {x2.size})")
    if not (np.all(np.isfinite(x1)) and np.all(np.isfinite(x2))):
        raise ValueError("pre and post contain missing values; keep complete pairs only")
    return x1, x2


def _check_reliability(value: float, name: str) -> None:
    # r = 1 would make the error zero and every change "reliable"; r = 0 makes nothing reliable.
    if not 0.0 < value < 1.0:
        raise ValueError(f"the {name} must be between 0 and 1 (exclusive), got {value}")


def _enum[E: StrEnum](kind: type[E], value: E | str, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ValueError(f"unknown {what} {value!r}; choose one of {choices}") from None
