"""Therapists' measured effectiveness per outcome domain, with its uncertainty, for matching.

The outcome of a closed episode is its standardized improvement: the pre–post change signed so that
improvement is positive (by the measure's direction), divided by the sample SD of the intake scores
of that domain in the data. For episode i of therapist t in domain d,

    y_i = x_iᵀβ + u_t + v_td + e_i,   u_t ~ N(0, τ²),  v_td ~ N(0, ω²),  e_i ~ N(0, σ²),

with fixed effects x: per domain an intercept and a slope on the standardized intake score (the case
mix: severity predicts change differently per measure), and any further covariates (age band …),
centred. A therapist's effect in a domain is θ_td = u_t + v_td: a general effect shared across
domains plus that domain's deviation, so that a therapist with few cases in one domain borrows
from their others. Positive θ means more improvement than expected for the case mix.

Cases are not assigned at random: harder cases may go to therapists thought better. The case-mix
slopes are therefore estimated by default from variation within each therapist's caseload in a
domain (Adjustment.WITHIN, the fixed-effects estimator), which that selection cannot bias, and
then held fixed; the textbook mixed model (Adjustment.POOLED, as lme4 or statsmodels fit it)
estimates them by GLS, mixing in the between-therapist relation of severity and outcome, which
carries part of the very effects sought. In simulations with harder cases sent to better
therapists (rapport.speed.episodes, ten seeds) the pooled fit's 80 % intervals covered the truth
75 % of the time at 60 therapists and 77 % at 150; the within fit's 78 % and 80 %.

Estimation is REML over the two variance ratios λ₁ = τ²/σ², λ₂ = ω²/σ², with σ² profiled out, as
in core.multilevel, one level deeper. With k_c = n_c/(1 + n_cλ₂) per therapist×domain cell c,
K_t = Σ_c k_c and g_t = 1/(1 + λ₁K_t), the inverse of a therapist's W_t = V_t/σ² is explicit
(Woodbury twice), so that for any a, b on that therapist's episodes

    aᵀW_t⁻¹b = Σ_i (a_i − ā_c)(b_i − b̄_c) + Σ_c k_c ā_c b̄_c − λ₁g_t (Σ_c k_c ā_c)(Σ_c k_c b̄_c),
    log|W_t| = Σ_c log(1 + n_cλ₂) + log(1 + λ₁K_t).

Every cross-product of [X y] is then a within-cell part that does not depend on λ plus sums over
cells and therapists: one evaluation of the criterion costs O(cells · p²) however many episodes
there are. The criterion −2 log L_R = log|W| + log|XᵀW⁻¹X| + ν(1 + log(2π r²/ν)), ν = n − p, is
minimised over (√λ₁, √λ₂) ≥ 0 (lme4's relative-SD parametrisation: bounded, smooth at zero) by
Nelder–Mead from the best point of a small grid.

Each θ_td's empirical-Bayes (posterior) estimate starts from its BLUP and its prediction error
variance including the uncertainty of β̂ (Henderson's; the variance components taken as known):

    θ̂_c = λ₁g_tS_t + λ₂k_c(e_c − λ₁g_tS_t),  e_c = ȳ_c − x̄_cᵀβ̂,  S_t = Σ_c k_c e_c,
    PEV_c/σ² = λ₁ + λ₂ − hᵀW_t⁻¹h + dᵀA⁻¹d,  h = λ₁1 + λ₂1_c,  d = XᵀW⁻¹h,  A = XᵀW⁻¹X.

These are then averaged over a grid of variance ratios weighted by the restricted likelihood (see
_integrated_posterior), and the within-caseload slopes' own uncertainty is added by the delta
method. Intervals at level L and P(θ > δ), P(θ < −δ) come from the normal with that mean and
variance.

Whether the estimates may be used at all: the therapist variance (τ² and ω² together) is tested
against zero by the REML likelihood ratio, whose null distribution on the boundary of two variance
components is the mixture ¼χ²₀ + ½χ²₁ + ¼χ²₂ (Self & Liang 1987; Stram & Lee 1994). Labels are
given only when that test rejects at ALPHA and at least MIN_THERAPISTS therapists have
MIN_EPISODES episodes in some domain; otherwise the result says "preferences only", and why.

Sources (formulas only):
- Patterson & Thompson (1971), Biometrika 58(3) (REML); Bates et al. (2015), J Stat Softw 67(1)
  (profiled criterion, relative-SD parametrisation).
- Henderson, C. R. (1975), Biometrics 31(2), 423–447 (BLUP and its prediction error variance).
- Self, S. G. & Liang, K.-Y. (1987), JASA 82(398); Stram, D. O. & Lee, J. W. (1994), Biometrics
  50(4) (likelihood-ratio tests of variance components on the boundary).
- Constantino, M. J. et al. (2021), JAMA Psychiatry 78(9), 960–969: therapists classified per
  outcome domain from 15 or more historical cases, and patients matched to domain strengths.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.change import Direction
from rapport.core.text import gettext_noop

# Why the outcome data cannot tell therapists apart: kept in English, said in the reader's
# language where shown (rapport.core.text.said_again).
TOO_FEW_THERAPISTS = gettext_noop(
    "only %(n)s therapists have %(episodes)s or more closed episodes in a domain; "
    "at least %(needed)s are needed to tell therapists apart"
)
NO_VARIANCE = gettext_noop(
    "the therapist variance is indistinguishable from 0 "
    "(likelihood ratio %(statistic)s, p = %(p)s ≥ %(alpha)s)"
)

FloatArray = NDArray[np.float64]
LOG_2PI = math.log(2.0 * math.pi)

# Effects smaller than a tenth of an intake SD are not worth steering a client for (the issue's
# threshold: about a third of what separates "effective" from "neutral" in Constantino et al.).
DELTA = 0.10
# 80 % intervals: the level at which the labels' probability rule is stated.
LEVEL = 0.80
# Constantino et al. (2021) classified a therapist in a domain from 15 or more historical cases.
MIN_EPISODES = 15
# A label needs four chances in five that the effect lies beyond ±δ: with a calibrated posterior,
# fewer than one label in five can be on the wrong side of δ, and far fewer on the wrong side of 0.
PROBABILITY = 0.80
# A between-therapist variance is estimated from therapists, not episodes: with fewer than about
# ten units at that level it is little more than a guess (Snijders & Bosker, Multilevel Analysis,
# 2nd ed. 2012, § 12.2 on sample sizes at the higher level).
MIN_THERAPISTS = 10
# The usual 5 % level for the test that there is any therapist variance at all.
ALPHA = 0.05
# Relative SDs √λ searched up to 10: a therapist SD ten times the residual SD.
RELATIVE_SD_MAX = 10.0
_GRID = (0.0, 0.05, 0.15, 0.4, 1.0)
# The posterior is averaged over _POINTS² relative SDs, out to where the restricted likelihood has
# fallen by a factor e^(_SPAN/2) from its maximum on either axis.
_POINTS = 11
_SPAN = 16.0


class Adjustment(StrEnum):
    """How the case-mix coefficients (intake severity, covariates) are estimated.

    WITHIN (the default): from variation within each therapist's caseload in a domain only (the
    fixed-effects estimator), then held fixed while the variance components and the domains'
    intercepts are estimated by REML. When cases are not assigned at random (harder cases sent to
    better therapists), the pooled estimate mixes in the between-therapist relation of severity and
    outcome, which then carries part of the therapists' effects; the within estimate cannot.
    POOLED: all fixed effects by GLS at the REML variance components, the textbook mixed model
    (lme4's, statsmodels'), for comparison.
    """

    WITHIN = "within"
    POOLED = "pooled"


class Label(StrEnum):
    STRENGTH = "strength"
    CAUTION = "caution"
    NO_EVIDENCE = "no evidence"


@dataclass(frozen=True)
class TherapistEffect:
    therapist: str
    domain: str
    n: int
    estimate: float
    sd: float  # posterior SD
    lower: float
    upper: float
    p_above: float  # P(effect > δ)
    p_below: float  # P(effect < −δ)
    label: Label

    def record(self) -> dict[str, Any]:
        return {
            "therapist": self.therapist,
            "domain": self.domain,
            "n": self.n,
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "p_above": self.p_above,
            "p_below": self.p_below,
            "label": self.label.value,
        }


@dataclass(frozen=True)
class EffectivenessResult:
    n_obs: int
    n_therapists: int
    domains: tuple[str, ...]
    intake_sd: dict[str, float]  # the unit of every estimate, per domain
    names: tuple[str, ...]  # fixed effects
    coef: FloatArray
    cov: FloatArray
    sigma2: float  # residual (episode) variance
    tau2: float  # therapist variance, shared across domains
    omega2: float  # therapist × domain variance
    criterion: float  # REML criterion at the optimum
    lr_statistic: float  # against no therapist variance at all
    p_value: float
    converged: bool
    delta: float
    level: float
    n_qualifying: int  # therapists with MIN_EPISODES episodes in at least one domain
    preferences_only: bool
    reason: str  # why preferences only; "" when labels may be used
    effects: tuple[TherapistEffect, ...]  # by therapist, then domain: never by estimate
    adjustment: Adjustment = Adjustment.WITHIN

    @property
    def se(self) -> FloatArray:
        se: FloatArray = np.sqrt(np.diag(self.cov))
        return se

    @property
    def fixed(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.names, self.coef, strict=True)}

    def variance_components(self) -> dict[str, float]:
        return {"therapist": self.tau2, "therapist_domain": self.omega2, "residual": self.sigma2}

    def records(self) -> list[dict[str, Any]]:
        return [effect.record() for effect in self.effects]

    def summary(self) -> str:
        lines = [
            f"Therapist effectiveness (REML): {self.n_obs} closed episodes, {self.n_therapists} "
            f"therapists, {len(self.domains)} domains; estimates in SDs of intake scores "
            f"(positive: more improvement than expected for the case mix); case-mix "
            f"coefficients {'within caseloads' if self.adjustment == 'within' else 'pooled'}",
            "intake SD: " + ", ".join(f"{d} {sd:.4g}" for d, sd in self.intake_sd.items()),
        ]
        width = max(len("fixed effects"), *(len(name) for name in self.names))
        lines.append(f"{'fixed effects':<{width}} {'estimate':>10} {'SE':>8}")
        for name, value, se in zip(self.names, self.coef, self.se, strict=True):
            lines.append(f"{name:<{width}} {value:>10.4f} {se:>8.4f}")
        total = self.tau2 + self.omega2 + self.sigma2
        lines += [
            f"{'variance components':<{width}} {'variance':>10} {'SD':>8}",
            f"{'therapist':<{width}} {self.tau2:>10.5f} {math.sqrt(self.tau2):>8.4f}",
            f"{'therapist × domain':<{width}} {self.omega2:>10.5f} {math.sqrt(self.omega2):>8.4f}",
            f"{'residual':<{width}} {self.sigma2:>10.5f} {math.sqrt(self.sigma2):>8.4f}",
            f"share of variance between therapists in a domain "
            f"{(self.tau2 + self.omega2) / total:.3f}; likelihood ratio against none "
            f"{self.lr_statistic:.2f}, p = {self.p_value:.3g} (mixture of χ²₀, χ²₁, χ²₂)",
            f"REML criterion {self.criterion:.4f}"
            + ("" if self.converged else " (the optimiser did not report convergence)"),
        ]
        if self.preferences_only:
            lines.append(f"preferences only: {self.reason}")
        else:
            lines.append(
                f"labels: {self.n_qualifying} therapists have {MIN_EPISODES}+ episodes in a domain"
            )
        level = f"{self.level:.0%}"
        head = (
            f"{'therapist':<12} {'domain':<12} {'n':>5} {'estimate':>9} "
            f"{level + ' interval':>20} {f'P(>{self.delta:g})':>9} "
            f"{f'P(<-{self.delta:g})':>9}  label"
        )
        lines.append(head)
        for e in self.effects:
            interval = f"[{e.lower:.3f}, {e.upper:.3f}]"
            lines.append(
                f"{e.therapist:<12} {e.domain:<12} {e.n:>5} {e.estimate:>9.3f} {interval:>20} "
                f"{e.p_above:>9.3f} {e.p_below:>9.3f}  {e.label.value}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class _Cells:
    """Sufficient statistics: per therapist×domain cell, its size and means of [X y]; pooled
    within-cell cross-products."""

    n: int
    p: int
    sizes: FloatArray  # n_c
    means: FloatArray  # cells × (p + 1): x̄_c and ȳ_c
    within: FloatArray  # (p + 1) × (p + 1)
    therapist: NDArray[np.intp]  # each cell's therapist: cells are sorted by therapist
    starts: NDArray[np.intp]  # each therapist's first cell
    n_therapists: int


@dataclass(frozen=True)
class _Evaluation:
    criterion: float
    beta: FloatArray
    a_inv: FloatArray
    r2: float


def _evaluate(lam1: float, lam2: float, s: _Cells) -> _Evaluation:
    k = s.sizes / (1.0 + s.sizes * lam2)
    big_k = np.add.reduceat(k, s.starts)
    g = 1.0 / (1.0 + lam1 * big_k)
    weighted = s.means * k[:, None]
    per_therapist = np.add.reduceat(weighted, s.starts, axis=0)
    # einsum, not matmul: no BLAS threads for these small products (see core.growth).
    m = (
        s.within
        + np.einsum("ca,cb->ab", weighted, s.means)
        - np.einsum("ta,tb->ab", per_therapist * (lam1 * g)[:, None], per_therapist)
    )
    try:
        chol = np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        raise ValueError(
            "the outcome has no residual variation once the fixed effects are fitted"
        ) from None
    p = s.p
    r2 = float(chol[p, p] ** 2)
    if not r2 > 0.0:
        raise ValueError("the outcome has no residual variation once the fixed effects are fitted")
    a = m[:p, :p]
    a_inv = np.linalg.inv(a)
    beta = a_inv @ m[:p, p]
    nu = s.n - p
    log_w = float(np.sum(np.log1p(s.sizes * lam2)) + np.sum(np.log1p(lam1 * big_k)))
    log_a = 2.0 * float(np.sum(np.log(np.diag(chol)[:p])))
    criterion = log_w + log_a + nu * (1.0 + LOG_2PI + math.log(r2 / nu))
    return _Evaluation(criterion, beta, a_inv, r2)


def _cells(
    therapist: NDArray[np.intp], domain: NDArray[np.intp], n_domains: int, xy: FloatArray
) -> _Cells:
    n, q = xy.shape
    cell_key = therapist * n_domains + domain
    keys, cell = np.unique(cell_key, return_inverse=True)
    n_cells = int(keys.shape[0])
    sizes = np.bincount(cell, minlength=n_cells).astype(np.float64)
    means = np.column_stack(
        [np.bincount(cell, weights=xy[:, j], minlength=n_cells) / sizes for j in range(q)]
    )
    centred = xy - means[cell]
    within = np.einsum("ia,ib->ab", centred, centred)
    cell_therapist = (keys // n_domains).astype(np.intp)
    n_therapists = int(therapist.max()) + 1
    return _Cells(
        n=n,
        p=q - 1,
        sizes=sizes,
        means=means,
        within=within,
        therapist=cell_therapist,
        starts=np.searchsorted(cell_therapist, np.arange(n_therapists)).astype(np.intp),
        n_therapists=n_therapists,
    )


def _covariate_columns(
    covariates: Mapping[str, ArrayLike], n: int
) -> tuple[list[FloatArray], list[str]]:
    """Numeric covariates as they are; any other (an age band such as "18-25") as indicators of
    each level but the first."""
    columns: list[FloatArray] = []
    names: list[str] = []
    for name, values in covariates.items():
        array = np.asarray(values)
        if array.shape != (n,):
            raise ValueError(f"covariate {name} must have one value per episode")
        if array.dtype.kind in "biuf":
            numeric = array.astype(np.float64)
            if not np.isfinite(numeric).all():
                raise ValueError(f"covariate {name} must be finite; drop incomplete rows first")
            columns.append(numeric)
            names.append(name)
            continue
        levels, codes = np.unique(array.astype(str), return_inverse=True)
        for j, level in enumerate(levels[1:], start=1):
            columns.append((codes == j).astype(np.float64))
            names.append(f"{name}={level}")
    return columns, names


def fit_effectiveness(
    therapist: ArrayLike,
    domain: ArrayLike,
    pre: ArrayLike,
    post: ArrayLike,
    *,
    direction: Direction | str | Mapping[str, Direction | str],
    covariates: Mapping[str, ArrayLike] | None = None,
    delta: float = DELTA,
    level: float = LEVEL,
    adjustment: Adjustment | str = Adjustment.WITHIN,
) -> EffectivenessResult:
    """Each therapist's effect per domain on standardized improvement, adjusted for the case mix.

    One row per closed episode. `direction` says which way is better: one for every domain, or a
    mapping from domain to direction. Rows with a missing value are the caller's to drop.
    """
    # Imported here: scipy takes a noticeable time to load, which pages need not pay.
    from scipy import optimize, stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if not (math.isfinite(delta) and delta >= 0.0):
        raise ValueError(f"delta must be zero or more, got {delta}")
    therapists_in = np.asarray(therapist)
    domains_in = np.asarray(domain)
    x1 = np.asarray(pre, dtype=np.float64)
    x2 = np.asarray(post, dtype=np.float64)
    n = x1.shape[0]
    if x1.ndim != 1 or x2.shape != x1.shape or therapists_in.shape != x1.shape:
        raise ValueError("therapist, domain, pre and post must have one entry per episode")
    if domains_in.shape != x1.shape:
        raise ValueError("therapist, domain, pre and post must have one entry per episode")
    if not (np.isfinite(x1).all() and np.isfinite(x2).all()):
        raise ValueError("pre and post must be finite; drop incomplete rows first")
    therapist_names, t_codes = np.unique(therapists_in.astype(str), return_inverse=True)
    domain_names, d_codes = np.unique(domains_in.astype(str), return_inverse=True)
    t_codes = t_codes.astype(np.intp)
    d_codes = d_codes.astype(np.intp)
    n_domains = int(domain_names.shape[0])
    if therapist_names.shape[0] < 2:
        raise ValueError("a therapist effect needs at least two therapists")

    signs = np.empty(n_domains)
    for j, name in enumerate(domain_names):
        if isinstance(direction, Mapping) and str(name) not in direction:
            raise ValueError(f"no direction is given for domain {name}")
        chosen = direction[str(name)] if isinstance(direction, Mapping) else direction
        try:
            signs[j] = Direction(chosen).sign
        except ValueError:
            raise ValueError(f"direction must be lower or higher, got {chosen!r}") from None
    sizes = np.bincount(d_codes, minlength=n_domains)
    means = np.bincount(d_codes, weights=x1, minlength=n_domains) / sizes
    ss = np.bincount(d_codes, weights=(x1 - means[d_codes]) ** 2, minlength=n_domains)
    intake_sd = np.sqrt(ss / np.maximum(sizes - 1, 1))
    for j, name in enumerate(domain_names):
        if sizes[j] < 2 or not intake_sd[j] > 0.0:
            raise ValueError(f"domain {name}: the intake scores do not vary, so have no SD")
    y = signs[d_codes] * (x2 - x1) / intake_sd[d_codes]
    severity = (x1 - means[d_codes]) / intake_sd[d_codes]

    indicators = [(d_codes == j).astype(np.float64) for j in range(n_domains)]
    columns = indicators + [indicator * severity for indicator in indicators]
    names = [f"{name}: intercept" for name in domain_names]
    names += [f"{name}: intake" for name in domain_names]
    extra, extra_names = _covariate_columns(covariates or {}, n)
    # Centred: each domain's intercept is then the expected change for an average case.
    columns += [c - c.mean() for c in extra]
    names += extra_names
    p = len(columns)
    if n <= p + 1:
        raise ValueError(f"need more than {p + 1} episodes for {p} fixed effects")
    x = np.column_stack(columns)
    if np.linalg.matrix_rank(np.einsum("ia,ib->ab", x, x)) < p:
        raise ValueError("the fixed effects are collinear (a covariate repeats another)")

    full = _cells(t_codes, d_codes, n_domains, np.column_stack([x, y]))
    case_mix = slice(n_domains, p)
    within_beta = np.zeros(p - n_domains)
    if Adjustment(adjustment) is Adjustment.WITHIN:
        w = full.within[case_mix, case_mix]
        if np.linalg.matrix_rank(w) < p - n_domains:
            raise ValueError(
                "a case-mix covariate does not vary within therapists' caseloads, so its effect "
                "cannot be told apart from theirs"
            )
        within_beta = np.linalg.solve(w, full.within[case_mix, p])
        s = _offset(full, within_beta, n_domains)
    else:
        s = full

    def objective(theta: FloatArray) -> float:
        return _evaluate(float(theta[0]) ** 2, float(theta[1]) ** 2, s).criterion

    grid = [(a, b) for a in _GRID for b in _GRID]
    start = min(grid, key=lambda point: objective(np.array(point)))
    # Nelder–Mead: a handful of evaluations more than a gradient method on two parameters, but no
    # BLAS calls, whose threads cost more than the criterion on a busy machine. √λ = 0 is a
    # stationary point of the criterion in that coordinate: the start is just inside.
    found = optimize.minimize(
        objective,
        x0=np.maximum(np.array(start), 0.02),
        method="Nelder-Mead",
        bounds=[(0.0, RELATIVE_SD_MAX)] * 2,
        options={"xatol": 1e-6, "fatol": 1e-9, "initial_simplex": None},
    )
    theta = np.asarray(found.x, dtype=np.float64)
    best = _evaluate(float(theta[0]) ** 2, float(theta[1]) ** 2, s)
    for corner in ((0.0, theta[1]), (theta[0], 0.0)):
        at_corner = _evaluate(float(corner[0]) ** 2, float(corner[1]) ** 2, s)
        if at_corner.criterion <= best.criterion:
            theta, best = np.array(corner, dtype=np.float64), at_corner
    lam1, lam2 = float(theta[0]) ** 2, float(theta[1]) ** 2
    at_zero = _evaluate(0.0, 0.0, s)
    statistic = max(at_zero.criterion - best.criterion, 0.0)
    p_value = (
        1.0
        if statistic <= 0.0
        else float(0.5 * stats.chi2.sf(statistic, 1) + 0.25 * stats.chi2.sf(statistic, 2))
    )

    nu = s.n - p
    sigma2 = best.r2 / nu
    estimate, sd = _integrated_posterior(theta, s, best.criterion)
    cov = sigma2 * best.a_inv
    if s is not full:
        # The case-mix coefficients' own uncertainty, by the delta method: θ̂ is linear in them.
        cov_within = sigma2 * np.linalg.inv(full.within[case_mix, case_mix])
        gradient = _case_mix_gradient(lam1, lam2, full, within_beta, n_domains)
        sd = np.sqrt(sd**2 + np.einsum("ca,ab,cb->c", gradient, cov_within, gradient))
        cov = np.block(
            [
                [cov, np.zeros((n_domains, p - n_domains))],
                [np.zeros((p - n_domains, n_domains)), cov_within],
            ]
        )
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    safe = np.where(sd > 0.0, sd, 1.0)
    p_above = np.where(sd > 0.0, stats.norm.sf((delta - estimate) / safe), estimate > delta)
    p_below = np.where(sd > 0.0, stats.norm.cdf((-delta - estimate) / safe), estimate < -delta)

    cell_sizes = s.sizes.astype(np.int64)
    qualifying = np.zeros(s.n_therapists, dtype=bool)
    qualifying[s.therapist[cell_sizes >= MIN_EPISODES]] = True
    n_qualifying = int(qualifying.sum())
    reason = ""
    if n_qualifying < MIN_THERAPISTS:
        reason = TOO_FEW_THERAPISTS % {
            "n": n_qualifying,
            "episodes": MIN_EPISODES,
            "needed": MIN_THERAPISTS,
        }
    elif p_value >= ALPHA:
        reason = NO_VARIANCE % {
            "statistic": f"{statistic:.2f}",
            "p": f"{p_value:.3g}",
            "alpha": f"{ALPHA:g}",
        }

    # Cells come sorted by therapist, then domain (np.unique on therapist·D + domain).
    cell_domain = np.unique(t_codes * n_domains + d_codes) % n_domains
    effects = []
    for c in range(cell_sizes.shape[0]):
        label = Label.NO_EVIDENCE
        if not reason and cell_sizes[c] >= MIN_EPISODES:
            if p_above[c] >= PROBABILITY:
                label = Label.STRENGTH
            elif p_below[c] >= PROBABILITY:
                label = Label.CAUTION
        effects.append(
            TherapistEffect(
                therapist=str(therapist_names[s.therapist[c]]),
                domain=str(domain_names[cell_domain[c]]),
                n=int(cell_sizes[c]),
                estimate=float(estimate[c]),
                sd=float(sd[c]),
                lower=float(estimate[c] - z * sd[c]),
                upper=float(estimate[c] + z * sd[c]),
                p_above=float(p_above[c]),
                p_below=float(p_below[c]),
                label=label,
            )
        )
    return EffectivenessResult(
        n_obs=n,
        n_therapists=s.n_therapists,
        domains=tuple(str(d) for d in domain_names),
        intake_sd={str(d): float(v) for d, v in zip(domain_names, intake_sd, strict=True)},
        names=tuple(names),
        coef=np.concatenate([best.beta, within_beta]) if s is not full else best.beta,
        cov=cov,
        sigma2=sigma2,
        tau2=lam1 * sigma2,
        omega2=lam2 * sigma2,
        criterion=best.criterion,
        lr_statistic=statistic,
        p_value=p_value,
        converged=bool(found.success),
        delta=delta,
        level=level,
        n_qualifying=n_qualifying,
        preferences_only=bool(reason),
        reason=reason,
        effects=tuple(effects),
        adjustment=Adjustment(adjustment),
    )


def _posterior(
    lam1: float, lam2: float, s: _Cells, fit: _Evaluation
) -> tuple[FloatArray, FloatArray]:
    """Each cell's θ̂ = BLUP of u_t + v_td, and its prediction error variance over σ²."""
    p = s.p
    k = s.sizes / (1.0 + s.sizes * lam2)
    big_k = np.add.reduceat(k, s.starts)
    g = (1.0 / (1.0 + lam1 * big_k))[s.therapist]
    xbar = s.means[:, :p]
    resid = s.means[:, p] - xbar @ fit.beta
    total = np.add.reduceat(k * resid, s.starts)[s.therapist]
    estimate = lam1 * g * total + lam2 * k * (resid - lam1 * g * total)
    sx = np.add.reduceat(xbar * k[:, None], s.starts, axis=0)[s.therapist]
    kt = big_k[s.therapist]
    h_w_h = lam1**2 * kt * g + 2.0 * lam1 * lam2 * k * g + lam2**2 * (k - lam1 * k**2 * g)
    d = (lam1 * g * (1.0 - lam2 * k))[:, None] * sx + (lam2 * k)[:, None] * xbar
    pev = lam1 + lam2 - h_w_h + np.einsum("cb,cb->c", np.einsum("ca,ab->cb", d, fit.a_inv), d)
    return estimate, pev


def _integrated_posterior(
    theta: FloatArray, s: _Cells, minimum: float
) -> tuple[FloatArray, FloatArray]:
    """Each θ's posterior mean and SD, averaged over the uncertainty of the variance ratios.

    Plugging in λ̂ alone makes intervals too narrow when there are a few dozen therapists, since
    τ² and ω² are themselves uncertain (Morris 1983, JASA 78(381)): with λ̂ plugged in, 80 %
    intervals from 60 to 150 therapists covered the truth 73–75 % of the time in our simulations
    (about a point less than averaged, with the pooled case mix). So the BLUP and its
    prediction error variance are averaged over a grid of relative SDs √λ, weighted by the
    restricted likelihood (a flat prior on each relative SD, as Gelman 2006, Bayesian Analysis
    1(3), recommends for a group-level SD): the mixture's mean and variance.
    """
    axes = []
    for i in (0, 1):
        high = max(2.0 * theta[i], theta[i] + 0.1)
        while high < RELATIVE_SD_MAX:
            point = theta.copy()
            point[i] = high
            if _evaluate(point[0] ** 2, point[1] ** 2, s).criterion - minimum > _SPAN:
                break
            high *= 2.0
        high = min(high, RELATIVE_SD_MAX)
        low = max(0.0, 2.0 * theta[i] - high)
        axes.append(np.linspace(low, high, _POINTS))
    nu = s.n - s.p
    log_weights, means, second = [], [], []
    for a in axes[0]:
        for b in axes[1]:
            lam1, lam2 = float(a) ** 2, float(b) ** 2
            at = _evaluate(lam1, lam2, s)
            estimate, pev = _posterior(lam1, lam2, s, at)
            sigma2 = at.r2 / nu
            log_weights.append(-0.5 * (at.criterion - minimum))
            means.append(estimate)
            second.append(estimate**2 + sigma2 * np.maximum(pev, 0.0))
    weights = np.exp(np.asarray(log_weights) - max(log_weights))
    weights /= weights.sum()
    mean: FloatArray = weights @ np.asarray(means)
    variance = weights @ np.asarray(second) - mean**2
    sd: FloatArray = np.sqrt(np.maximum(variance, 0.0))
    return mean, sd


def _offset(full: _Cells, beta: FloatArray, n_domains: int) -> _Cells:
    """The cells of y − x_case-mixᵀβ on the domains' intercepts alone."""
    p = full.p
    case_mix = slice(n_domains, p)
    y = full.means[:, p] - full.means[:, case_mix] @ beta
    within = np.zeros((n_domains + 1, n_domains + 1))
    w = full.within
    within[n_domains, n_domains] = (
        w[p, p] - 2.0 * beta @ w[case_mix, p] + beta @ w[case_mix, case_mix] @ beta
    )
    return _Cells(
        # The case-mix coefficients' degrees of freedom are spent: ν = n − p as before.
        n=full.n - (p - n_domains),
        p=n_domains,
        sizes=full.sizes,
        means=np.column_stack([full.means[:, :n_domains], y]),
        within=within,
        therapist=full.therapist,
        starts=full.starts,
        n_therapists=full.n_therapists,
    )


def _case_mix_gradient(
    lam1: float, lam2: float, full: _Cells, beta: FloatArray, n_domains: int
) -> FloatArray:
    """∂θ̂/∂β for the case-mix coefficients, the intercepts re-estimated: θ̂ is linear in β."""
    base = _offset(full, beta, n_domains)
    at_base = _posterior(lam1, lam2, base, _evaluate(lam1, lam2, base))[0]
    columns = []
    for j in range(beta.shape[0]):
        moved = beta.copy()
        moved[j] += 1.0
        cells = _offset(full, moved, n_domains)
        columns.append(_posterior(lam1, lam2, cells, _evaluate(lam1, lam2, cells))[0] - at_base)
    return np.column_stack(columns)
