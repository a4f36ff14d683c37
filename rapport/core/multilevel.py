"""Therapist effects: a random-intercept linear mixed model, clients nested in therapists.

    y_ij = x_ijᵀβ + u_j + e_ij,   u_j ~ N(0, τ²),   e_ij ~ N(0, σ²)

with y the client's final score and x the intercept and case-mix covariates (the intake score).
The intraclass correlation ICC = τ² / (τ² + σ²) is the share of outcome variance, after case mix,
that lies between therapists: the "therapist effect" of the psychotherapy literature (for
example Baldwin & Imel 2013 in Bergin and Garfield's Handbook, 6th ed., ch. 8).

Estimation is REML profiled over the one variance ratio λ = τ²/σ². With W_j = I + λ11ᵀ each
group's inverse is explicit: aᵀW_j⁻¹b = Σ_i (a_i − ā_j)(b_i − b̄_j) + c_j ā_j b̄_j with
c_j = n_j / (1 + n_jλ), so every cross-product splits into a within-group part that does not
depend on λ and a between-group part weighted by c_j. One evaluation of the criterion costs
O(groups · p²) from per-group sums, however many clients there are:

    A(λ) = XᵀW⁻¹X = [0 ⊕ Wxx] + Σ_j c_j m_j m_jᵀ,  m_j = (1, x̄_j),  β̂ = A⁻¹ XᵀW⁻¹y,
    r²(λ) = (within residual SS at β̂) + Σ_j c_j (ȳ_j − m_jᵀβ̂)²,
    −2 log L_R(λ) = Σ_j log(1 + n_jλ) + log|A| + ν (1 + log(2π r²/ν)),  ν = n − p,

and σ̂² = r²/ν, τ̂² = λ̂σ̂². The criterion is minimised over log λ (bounded Brent), and λ = 0 is
compared directly, since the optimum may lie on that boundary.

The ICC's interval is a profile (restricted) likelihood interval: the λ with
−2 log L_R(λ) − min ≤ χ²₁(confidence), mapped through λ/(1 + λ), which is monotone. When the
lower end reaches λ = 0 it is reported as 0. (At the boundary the likelihood-ratio statistic is a
50:50 mixture of χ²₀ and χ²₁, so this interval's lower end is conservative there.)

Each therapist's effect is the BLUP û_j = λ̂ c_j (ȳ_j − m_jᵀβ̂) — their clients' mean residual
shrunk by λ̂n_j/(1 + λ̂n_j) — with conditional variance σ̂²λ̂/(1 + n_jλ̂) (β̂ and λ̂ taken as known).

Sources (formulas only):
- Patterson, H. D. & Thompson, R. (1971). Biometrika 58(3), 545–554 (REML).
- Bates, D., Mächler, M., Bolker, B. & Walker, S. (2015). J Stat Softw 67(1) (the profiled
  REML criterion in this form).
- Searle, S. R., Casella, G. & McCulloch, C. E. (1992). Variance Components, ch. 7 (BLUPs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
LOG_2PI = math.log(2.0 * math.pi)
CONFIDENCE = 0.95
# log λ is searched in this range: λ = e⁻²³ is τ² a ten-billionth of σ² (no therapist effect),
# λ = e¹⁶ makes the residual negligible.
LOG_RATIO_BOUNDS = (-23.0, 16.0)


@dataclass(frozen=True)
class _Sums:
    n: int
    sizes: FloatArray  # n_j
    means: FloatArray  # groups × p: m_j = (1, x̄_j)
    ybar: FloatArray  # ȳ_j
    wxx: FloatArray  # p × p within-group cross-products (row and column 0 are zero)
    wxy: FloatArray  # p
    within_rss: float  # residual SS of the within-group regression (β's own least squares)
    within_beta: FloatArray  # p (entry 0 unused)


@dataclass(frozen=True)
class RandomInterceptFit:
    n_obs: int
    n_groups: int
    names: tuple[str, ...]  # "intercept", then the covariates
    coef: FloatArray
    cov: FloatArray  # σ̂²A⁻¹, the variance ratio held at its estimate
    sigma2: float  # residual (within-therapist) variance
    tau2: float  # between-therapist variance
    icc: float
    icc_lower: float
    icc_upper: float
    confidence: float
    criterion: float  # REML criterion, −2 log L_R at the optimum
    groups: NDArray[Any]  # sorted group labels: the rows of the per-group arrays
    group_sizes: NDArray[np.int64]
    effects: FloatArray  # BLUP of each group's random intercept
    effect_sd: FloatArray  # its conditional SD

    @property
    def se(self) -> FloatArray:
        se: FloatArray = np.sqrt(np.diag(self.cov))
        return se

    @property
    def fixed(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.names, self.coef, strict=True)}


def _sums(codes: NDArray[np.intp], n_groups: int, y: FloatArray, x: FloatArray) -> _Sums:
    """Per-group sums about each group's own means: within parts stay sums of squares."""
    n, k = x.shape
    sizes = np.bincount(codes, minlength=n_groups).astype(np.float64)
    ybar = np.bincount(codes, weights=y, minlength=n_groups) / sizes
    xbar = (
        np.column_stack(
            [np.bincount(codes, weights=x[:, c], minlength=n_groups) / sizes for c in range(k)]
        )
        if k
        else np.zeros((n_groups, 0))
    )
    yc = y - ybar[codes]
    xc = x - xbar[codes]
    p = k + 1
    wxx = np.zeros((p, p))
    wxy = np.zeros(p)
    # einsum, not matmul: no BLAS threads for these skinny products (see core.growth).
    wxx[1:, 1:] = np.einsum("ia,ib->ab", xc, xc)
    wxy[1:] = np.einsum("ia,i->a", xc, yc)
    wyy = float(np.einsum("i,i->", yc, yc))
    within_beta = np.zeros(p)
    within_rss = wyy
    if k:
        solution, *_ = np.linalg.lstsq(wxx[1:, 1:], wxy[1:], rcond=None)
        within_beta[1:] = solution
        resid = yc - xc @ solution
        within_rss = float(np.einsum("i,i->", resid, resid))
    means = np.column_stack([np.ones(n_groups), xbar])
    return _Sums(n, sizes, means, ybar, wxx, wxy, within_rss, within_beta)


@dataclass(frozen=True)
class _Evaluation:
    criterion: float
    beta: FloatArray
    a: FloatArray
    r2: float
    resid_means: FloatArray  # ȳ_j − m_jᵀβ̂
    c: FloatArray


def _evaluate(ratio: float, s: _Sums) -> _Evaluation:
    c = s.sizes / (1.0 + s.sizes * ratio)
    a = s.wxx + np.einsum("j,ja,jb->ab", c, s.means, s.means)
    b = s.wxy + np.einsum("j,ja->a", c * s.ybar, s.means)
    beta = np.linalg.solve(a, b)
    resid_means = s.ybar - np.einsum("ja,a->j", s.means, beta)
    step = beta - s.within_beta
    step[0] = 0.0
    # Within part at β̂: the within regression's own RSS plus a non-negative quadratic form.
    within = s.within_rss + float(step @ s.wxx @ step)
    r2 = within + float(np.einsum("j,j,j->", c, resid_means, resid_means))
    nu = s.n - a.shape[0]
    if not r2 > 0.0:
        raise ValueError("the outcome has no residual variation once the covariates are fitted")
    criterion = (
        float(np.sum(np.log1p(s.sizes * ratio)))
        + float(np.linalg.slogdet(a)[1])
        + nu * (1.0 + LOG_2PI + math.log(r2 / nu))
    )
    return _Evaluation(criterion, beta, a, r2, resid_means, c)


def fit_random_intercept(
    groups: ArrayLike,
    y: ArrayLike,
    covariates: ArrayLike | None = None,
    *,
    names: tuple[str, ...] | None = None,
    confidence: float = CONFIDENCE,
) -> RandomInterceptFit:
    """REML fit of y ~ covariates + (1 | group), with the ICC and its profile-likelihood interval.

    `covariates` is n × k (or a 1-D array for one covariate); the intercept is added. Rows with a
    missing value are the caller's to drop: NaN raises.
    """
    # Imported here: scipy takes a noticeable time to load, which pages need not pay.
    from scipy import optimize, stats  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    labels = np.asarray(groups)
    yv = np.asarray(y, dtype=np.float64)
    if covariates is None:
        x = np.zeros((yv.shape[0], 0))
    else:
        x = np.asarray(covariates, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
    if yv.ndim != 1 or labels.shape != yv.shape or x.shape[0] != yv.shape[0]:
        raise ValueError("groups, y and covariates must have one entry (row) per observation")
    if not (np.isfinite(yv).all() and np.isfinite(x).all()):
        raise ValueError("y and covariates must be finite; drop incomplete rows first")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    k = x.shape[1]
    covariate_names = names if names is not None else tuple(f"x{i + 1}" for i in range(k))
    if len(covariate_names) != k:
        raise ValueError(f"{k} covariates but {len(covariate_names)} names")
    unique, codes = np.unique(labels, return_inverse=True)
    n_groups = int(unique.shape[0])
    p = k + 1
    if n_groups < 2:
        raise ValueError("a therapist effect needs at least two groups")
    if yv.shape[0] <= p + 1:
        raise ValueError(f"need more than {p + 1} observations for {p} fixed effects")
    s = _sums(codes.astype(np.intp), n_groups, yv, x)
    if k and np.linalg.matrix_rank(s.wxx[1:, 1:]) < k:
        raise ValueError("the covariates do not vary within groups independently of each other")

    def objective(log_ratio: float) -> float:
        return _evaluate(math.exp(log_ratio), s).criterion

    low, high = LOG_RATIO_BOUNDS
    grid = np.linspace(low, high, 40)
    values = [objective(float(v)) for v in grid]
    best = int(np.argmin(values))
    bracket_low = float(grid[max(best - 1, 0)])
    bracket_high = float(grid[min(best + 1, grid.size - 1)])
    found = optimize.minimize_scalar(
        objective,
        bounds=(bracket_low, bracket_high),
        method="bounded",
        options={"xatol": 1e-10},
    )
    ratio = math.exp(float(found.x))
    at_best = _evaluate(ratio, s)
    at_zero = _evaluate(0.0, s)
    if at_zero.criterion <= at_best.criterion:
        ratio, at_best = 0.0, at_zero

    limit = float(stats.chi2.ppf(confidence, df=1))
    target = at_best.criterion + limit

    def excess(log_ratio: float) -> float:
        return objective(log_ratio) - target

    log_best = math.log(ratio) if ratio > 0 else low
    if ratio == 0.0 or at_zero.criterion <= target:
        lower_ratio = 0.0
    else:
        lower_ratio = math.exp(optimize.brentq(excess, low, log_best, xtol=1e-12))
    if excess(high) <= 0:
        upper_ratio = math.inf
    else:
        upper_ratio = math.exp(optimize.brentq(excess, max(log_best, low), high, xtol=1e-12))

    nu = s.n - p
    sigma2 = at_best.r2 / nu
    tau2 = ratio * sigma2
    effects = ratio * at_best.c * at_best.resid_means
    effect_sd = np.sqrt(sigma2 * ratio / (1.0 + s.sizes * ratio))
    return RandomInterceptFit(
        n_obs=s.n,
        n_groups=n_groups,
        names=("intercept", *covariate_names),
        coef=at_best.beta,
        cov=sigma2 * np.linalg.inv(at_best.a),
        sigma2=sigma2,
        tau2=tau2,
        icc=ratio / (1.0 + ratio),
        icc_lower=lower_ratio / (1.0 + lower_ratio),
        icc_upper=1.0 if math.isinf(upper_ratio) else upper_ratio / (1.0 + upper_ratio),
        confidence=confidence,
        criterion=at_best.criterion,
        groups=unique,
        group_sizes=s.sizes.astype(np.int64),
        effects=effects,
        effect_sd=effect_sd,
    )
