"""The profiled likelihood of the growth model, from per-group sufficient sums.

Notation (all per group i, "·ᵀ" a transpose): Z_i = [1, t] is the n_i × 2 random-effects design,
X_i = Z_i P_i the fixed-effects design, where P_i = [I₂, w_i1·I₂, …, w_ik·I₂] carries the group's
covariates ω_i = (1, w_i1, …, w_ik); so X_i's columns are 1, t, w₁, t·w₁, … The random effects are
b_i ~ N(0, σ²D) with D = ΛΛᵀ and Λ = [[θ₀, 0], [θ₁, θ₂]] (θ₀, θ₂ ≥ 0), the residuals N(0, σ²I).

With C_i = Z_iᵀZ_i, z_i = Z_iᵀy_i and H_i = (I + C_iD)⁻¹ (Woodbury, Sylvester):
- W_i = I + Z_iDZ_iᵀ = V_i/σ², log|W_i| = log|I + C_iD|;
- Z_iᵀW_i⁻¹Z_i = H_iC_i =: S_i (symmetric), Z_iᵀW_i⁻¹y_i = H_iz_i.
Hence A = XᵀW⁻¹X = Σ P_iᵀS_iP_i and XᵀW⁻¹y = Σ P_iᵀH_iz_i: every term is a 2 × 2 matrix or a
2-vector per group, so one evaluation costs O(groups), whatever the number of observations.

β̂ = A⁻¹XᵀW⁻¹y and the penalised residual sum of squares r² = (y − Xβ̂)ᵀW⁻¹(y − Xβ̂) profile out
the fixed effects; σ̂² = r²/ν profiles out the scale, with ν = n (ML) or n − p (REML). As X_iβ̂
lies in the span of Z_i, r² splits into each group's residual sum of squares about its own
least-squares line plus a positive quadratic form in that line's distance from the group's
fixed line (see profile()), a sum of non-negative terms that keeps its precision where the
textbook yᵀy − zᵀGz − … would cancel. The criteria:
- ML deviance   −2 log L   = Σ log|I + C_iD| + n (1 + log(2π r²/n));
- REML criterion −2 log L_R = Σ log|I + C_iD| + log|A| + (n − p)(1 + log(2π r²/(n − p))).

Gradient. With g_i = z_i − C_iP_iβ̂ (= Z_iᵀ times the marginal residual) and h_i = H_ig_i:
d log|I + C_iD| = tr(S_i dD); by the envelope theorem dr² = −Σ h_iᵀ dD h_i; and
d log|A| = −Σ tr(S_iP_iA⁻¹P_iᵀS_i dD). So the criterion's derivative in D is the symmetric
Γ = Σ S_i − (ν/r²) Σ h_ih_iᵀ − [REML] Σ S_iP_iA⁻¹P_iᵀS_i, and in Λ it is 2ΓΛ.
The empirical Bayes estimate (BLUP) of b_i is Dh_i; its conditional covariance given β is σ²DH_i.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
LOG_2PI = math.log(2.0 * math.pi)
Pair = tuple[int, int, FloatArray | None]  # (a, b, ω_a·ω_b per group; None for 1·1)

# Reductions are written as (x * y).sum(), not x @ y: BLAS runs long dot products on several
# threads, which on a busy machine made one evaluation take anywhere from 3 to 50 ms.


def _sum(values: FloatArray, weight: FloatArray | None = None) -> float:
    return float(values.sum() if weight is None else (values * weight).sum())


@dataclass(frozen=True)
class GroupSums:
    """Sufficient statistics, one entry per group (in the order of the group labels).

    Taken about each group's own means, so that the residual sum of squares is a sum of
    non-negative terms and keeps its precision when groups differ far more than the scores vary
    within them.
    """

    n: int  # observations
    c0: FloatArray  # n_i
    tbar: FloatArray  # mean time
    ybar: FloatArray  # mean score
    sxx: FloatArray  # Σ (t − t̄_i)²; exactly 0 where time is constant within the group
    sxy: FloatArray  # Σ (t − t̄_i)(y − ȳ_i); 0 where sxx is
    rss: FloatArray  # residual sum of squares about the group's own least-squares line
    omega: FloatArray | None  # groups × k covariate values; None without covariates
    c1: FloatArray = field(init=False, repr=False)  # Σ t
    c2: FloatArray = field(init=False, repr=False)  # Σ t²
    z0: FloatArray = field(init=False, repr=False)  # Σ y
    z1: FloatArray = field(init=False, repr=False)  # Σ t·y
    slope: FloatArray = field(init=False, repr=False)  # least-squares slope; 0 where sxx is 0
    rss_total: float = field(init=False, repr=False)
    pairs: tuple[Pair, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n_t = self.c0 * self.tbar
        values = {
            "c1": n_t,
            "c2": self.sxx + n_t * self.tbar,
            "z0": self.c0 * self.ybar,
            "z1": self.sxy + n_t * self.ybar,
            "slope": np.divide(self.sxy, self.sxx, out=np.zeros_like(self.sxx), where=self.sxx > 0),
            "rss_total": _sum(self.rss),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)
        columns: list[FloatArray | None] = [None]
        if self.omega is not None:
            columns += [np.ascontiguousarray(self.omega[:, k]) for k in range(self.omega.shape[1])]
        pairs: list[Pair] = []
        for a, wa in enumerate(columns):
            for b in range(a, len(columns)):
                wb = columns[b]
                pairs.append((a, b, wb if wa is None else wa * wb if wb is not None else wa))
        object.__setattr__(self, "pairs", tuple(pairs))

    @property
    def n_groups(self) -> int:
        return int(self.c0.shape[0])

    @property
    def q(self) -> int:
        """Group-level regressors including the constant: 1 + number of covariates."""
        return 1 if self.omega is None else 1 + int(self.omega.shape[1])

    def column(self, a: int) -> FloatArray | None:
        """ω's column a per group; None for the constant."""
        return self.pairs[a][2] if a > 0 else None


@dataclass(frozen=True)
class Profile:
    """Everything one evaluation of the profiled criterion yields at θ."""

    criterion: float  # ML deviance or REML criterion
    gradient: FloatArray | None  # d criterion / d θ
    gamma: FloatArray | None  # d criterion / d D (2 × 2, symmetric), with the gradient
    beta: FloatArray  # β̂(θ)
    a: FloatArray  # A = XᵀW⁻¹X (p × p)
    r2: float  # penalised residual sum of squares
    nu: int  # n (ML) or n − p (REML)
    d: FloatArray  # D = ΛΛᵀ (2 × 2), relative to σ²
    h: tuple[FloatArray, FloatArray, FloatArray, FloatArray]  # H_i = (I + C_iD)⁻¹: 00 01 10 11
    s: tuple[FloatArray, FloatArray, FloatArray]  # S_i = H_iC_i: 00 01 11
    resid: tuple[FloatArray, FloatArray]  # h_i = H_i g_i

    @property
    def sigma2(self) -> float:
        return self.r2 / self.nu


def relative_covariance(theta: FloatArray) -> FloatArray:
    t0, t1, t2 = (float(v) for v in theta)
    return np.array([[t0 * t0, t0 * t1], [t0 * t1, t1 * t1 + t2 * t2]])


def cholesky_factor(d: FloatArray) -> FloatArray:
    """θ of a positive semi-definite 2 × 2 matrix: the lower Cholesky factor, diagonal ≥ 0."""
    d00 = max(float(d[0, 0]), 0.0)
    d11 = max(float(d[1, 1]), 0.0)
    t0 = math.sqrt(d00)
    t1 = float(d[0, 1]) / t0 if t0 > 0.0 else 0.0
    t2 = math.sqrt(max(d11 - t1 * t1, 0.0))
    return np.array([t0, t1, t2])


def fixed_crossproduct(
    s00: FloatArray, s01: FloatArray, s11: FloatArray, sums: GroupSums
) -> FloatArray:
    """A = Σ P_iᵀS_iP_i (p × p); with S_i = C_i it is XᵀX."""
    q = sums.q
    a = np.empty((q, 2, q, 2))
    for i, j, weight in sums.pairs:
        a00, a01, a11 = _sum(s00, weight), _sum(s01, weight), _sum(s11, weight)
        a[i, 0, j, 0] = a[j, 0, i, 0] = a00
        a[i, 1, j, 1] = a[j, 1, i, 1] = a11
        a[i, 0, j, 1] = a[j, 0, i, 1] = a[i, 1, j, 0] = a[j, 1, i, 0] = a01
    return a.reshape(2 * q, 2 * q)


def group_fixed(beta: FloatArray, sums: GroupSums) -> tuple[FloatArray, FloatArray]:
    """γ_i = P_iβ: each group's fixed-effects intercept and slope."""
    g0 = np.full(sums.n_groups, float(beta[0]))
    g1 = np.full(sums.n_groups, float(beta[1]))
    for k in range(1, sums.q):
        w = sums.column(k)
        assert w is not None
        g0 += float(beta[2 * k]) * w
        g1 += float(beta[2 * k + 1]) * w
    return g0, g1


def profile(theta: FloatArray, sums: GroupSums, *, reml: bool, gradient: bool) -> Profile:
    """The profiled criterion at θ, optionally with its gradient; one pass over the groups."""
    t0, t1, t2 = (float(v) for v in theta)
    d00, d01, d11 = t0 * t0, t0 * t1, t1 * t1 + t2 * t2
    c0, c1, c2, z0, z1 = sums.c0, sums.c1, sums.c2, sums.z0, sums.z1
    tbar, sxx = sums.tbar, sums.sxx

    # E_i = I + C_iD and its inverse H_i, entry by entry for all groups at once. The determinant
    # is taken about the group's mean time, as a sum of non-negative terms:
    # |I + C_iD| = 1 + n_i·vᵀDv + sxx_i·D₁₁ + n_i·sxx_i·|D|, v = (1, t̄_i), vᵀDv = |Λᵀv|².
    e00 = 1.0 + c0 * d00 + c1 * d01
    e01 = c0 * d01 + c1 * d11
    e10 = c1 * d00 + c2 * d01
    e11 = 1.0 + c1 * d01 + c2 * d11
    lead = t0 + tbar * t1
    det = 1.0 + c0 * (lead * lead + (t2 * tbar) ** 2) + sxx * (d11 + c0 * (t0 * t2) ** 2)
    inv = 1.0 / det
    h00, h01, h10, h11 = e11 * inv, -e01 * inv, -e10 * inv, e00 * inv
    s00 = h00 * c0 + h01 * c1
    s01 = h00 * c1 + h01 * c2
    s11 = h10 * c1 + h11 * c2
    hz0 = h00 * z0 + h01 * z1
    hz1 = h10 * z0 + h11 * z1
    log_det_w = _sum(np.log(det))

    q = sums.q
    p = 2 * q
    a = fixed_crossproduct(s00, s01, s11, sums)
    c = np.empty(p)
    for k in range(q):
        w = sums.column(k)
        c[2 * k], c[2 * k + 1] = _sum(hz0, w), _sum(hz1, w)
    beta = np.linalg.solve(a, c)

    # r² = Σ_i rss_i + u_iᵀ(C_i⁻¹ + D)⁻¹u_i, with u_i the group's least-squares line less its
    # fixed line, both about t̄_i. By 2 × 2 adjugates, times n_i·sxx_i above and below:
    # u_iᵀ(...)⁻¹u_i = (n u₀² + sxx u₁² + n sxx |adj(F)u|²) / |I + C_iD|, F = [[1, t̄], [0, 1]]Λ.
    if q == 1:
        g0: FloatArray | float = float(beta[0])
        g1: FloatArray | float = float(beta[1])
    else:
        g0, g1 = group_fixed(beta, sums)
    u0 = sums.ybar - g0 - g1 * tbar
    u1 = sums.slope - g1
    at_zero = u0 - tbar * u1  # u about t = 0
    adj0, adj1 = t2 * at_zero, t0 * u1 - t1 * at_zero
    quad = c0 * u0 * u0 + sxx * (u1 * u1 + c0 * (adj0 * adj0 + adj1 * adj1))
    r2 = sums.rss_total + _sum(quad * inv)
    nu = sums.n - p if reml else sums.n
    if not r2 > 0.0:
        raise ValueError("the scores have no residual variation around the fitted growth curves")
    criterion = log_det_w + nu * (1.0 + LOG_2PI + math.log(r2 / nu))
    if reml:
        criterion += float(np.linalg.slogdet(a)[1])

    # h_i = H_ig_i with g_i = z_i − C_iγ_i = Z_iᵀ(y_i − X_iβ̂) = (n u₀, n t̄ u₀ + sxx u₁).
    m0 = c0 * u0
    m1 = tbar * m0 + sxx * u1
    r0 = h00 * m0 + h01 * m1
    r1 = h10 * m0 + h11 * m1

    grad: FloatArray | None = None
    gamma: FloatArray | None = None
    if gradient:
        ratio = nu / r2
        g00 = _sum(s00) - ratio * _sum(r0, r0)
        g01 = _sum(s01) - ratio * _sum(r0, r1)
        g11 = _sum(s11) - ratio * _sum(r1, r1)
        if reml:
            m00, m01, m11 = _sandwich(np.linalg.inv(a), sums, s00, s01, s11)
            g00, g01, g11 = g00 - m00, g01 - m01, g11 - m11
        grad = 2.0 * np.array([g00 * t0 + g01 * t1, g01 * t0 + g11 * t1, g11 * t2])
        gamma = np.array([[g00, g01], [g01, g11]])

    return Profile(
        criterion=criterion,
        gradient=grad,
        gamma=gamma,
        beta=beta,
        a=a,
        r2=r2,
        nu=nu,
        d=np.array([[d00, d01], [d01, d11]]),
        h=(h00, h01, h10, h11),
        s=(s00, s01, s11),
        resid=(r0, r1),
    )


def _sandwich(
    a_inv: FloatArray, sums: GroupSums, s00: FloatArray, s01: FloatArray, s11: FloatArray
) -> tuple[float, float, float]:
    """Σ_i S_i R_i S_i with R_i = P_iA⁻¹P_iᵀ (2 × 2 per group); entries 00, 01, 11."""
    blocks = a_inv.reshape(sums.q, 2, sums.q, 2)
    r: list[FloatArray | float] = []
    for j, k in ((0, 0), (0, 1), (1, 1)):
        # R_i[j, k] = Σ_ab ω_a ω_b A⁻¹[(a, j), (b, k)], summed over pairs a ≤ b.
        entry: FloatArray | float = 0.0
        for a, b, weight in sums.pairs:
            coef = float(blocks[a, j, b, k]) + (float(blocks[b, j, a, k]) if a != b else 0.0)
            entry = entry + (coef if weight is None else coef * weight)
        r.append(entry)
    r00, r01, r11 = r
    sr00 = s00 * r00 + s01 * r01
    sr01 = s00 * r01 + s01 * r11
    sr10 = s01 * r00 + s11 * r01
    sr11 = s01 * r01 + s11 * r11
    return (
        _sum(sr00 * s00 + sr01 * s01),
        _sum(sr00 * s01 + sr01 * s11),
        _sum(sr10 * s01 + sr11 * s11),
    )


MOMENT_ROUNDS = 3  # of reweighting in moment_start; more changed no start by 1 %


def moment_start(sums: GroupSums) -> FloatArray | None:
    """θ from method-of-moments estimates, a starting point close to the optimum.

    Each group with three or more observations and varying time has its own least-squares line;
    σ² is their pooled residual variance, and σ²D the covariance of the lines (around their
    regression on the covariates) less the average sampling covariance σ²C_i⁻¹, made positive
    definite. For balanced data this is the REML estimate itself. With uneven times, a group
    whose few visits lie close together has a line so uncertain that it swamps the rest (its
    C_i⁻¹ is huge, and the difference comes out all but singular), so the moments are then
    taken again with each line weighted by its precision relative to D, 1 / (1 + mean of
    σ²C_i⁻¹'s diagonal over D's): a few rounds of this halved the evaluations on such data.
    None when it cannot be formed.
    """
    use = (sums.c0 >= 3) & (sums.sxx > 0)
    m = int(use.sum())
    if m < sums.q + 2:
        return None
    n, tbar, sxx, slope = sums.c0[use], sums.tbar[use], sums.sxx[use], sums.slope[use]
    lines = np.column_stack([sums.ybar[use] - slope * tbar, slope])
    sigma2 = _sum(sums.rss[use]) / _sum(n - 2.0)
    design = (
        np.ones((m, 1)) if sums.omega is None else np.column_stack([np.ones(m), sums.omega[use]])
    )
    # C_i⁻¹ = [[Σt², −Σt], [−Σt, n]] / (n·sxx)
    inverse = np.array([[1.0 / n + tbar * tbar / sxx, -tbar / sxx], [-tbar / sxx, 1.0 / sxx]])
    weight = np.ones(m)
    try:
        for _ in range(MOMENT_ROUNDS):
            with np.errstate(all="ignore"):
                # einsum rather than matmul: no BLAS threads (see the note at the top).
                coef = np.linalg.solve(
                    np.einsum("ia,i,ib->ab", design, weight, design),
                    np.einsum("ia,i,ij->aj", design, weight, lines),
                )
                e = lines - np.einsum("ia,aj->ij", design, coef)
                total = _sum(weight)
                # Bessel's correction for the fitted regression, in its weighted form.
                effective = total - design.shape[1] * _sum(weight, weight) / total
                spread = np.einsum("ia,i,ib->ab", e, weight, e) / effective
                sampling = sigma2 * np.einsum("abi,i->ab", inverse, weight) / total
                d = (spread - sampling) / sigma2
            if not (np.isfinite(d).all() and sigma2 > 0):
                return None
            values, vectors = np.linalg.eigh(d)
            values = np.maximum(values, 1e-2 * max(float(values[-1]), 1e-2))
            d = (vectors * values) @ vectors.T
            weight = 1.0 / (1.0 + (inverse[0, 0] / d[0, 0] + inverse[1, 1] / d[1, 1]) / 2.0)
        factor = np.linalg.cholesky(d)
    except np.linalg.LinAlgError:  # covariates collinear among these groups: start from D = I
        return None
    start: FloatArray = factor[[0, 1, 1], [0, 0, 1]]
    return start
