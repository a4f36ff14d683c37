"""Fitting the growth model and using the fit: estimates, empirical Bayes curves, predictions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.growth.data import Missing, Prepared, prepare
from rapport.core.growth.likelihood import (
    FloatArray,
    GroupSums,
    Profile,
    cholesky_factor,
    group_fixed,
    profile,
    relative_covariance,
)

# A diagonal entry of θ (on the scaled time axis) below this is a variance at its bound of zero;
# lme4's isSingular() uses the same tolerance.
SINGULAR_TOLERANCE = 1e-4
MAX_ITERATIONS = 500
MAX_RESTARTS = 3  # from a boundary point that is not the optimum (see _escape)
START = (1.0, 0.0, 1.0)  # θ on the scaled time axis: D = I, as lme4 starts
# L-BFGS-B stops when the criterion no longer changes in its 15th digit or the projected gradient
# (per observation) is below GTOL; a fit that stops otherwise may still have converged (see
# _newton_converged).
FTOL = 1e-15
GTOL = 1e-8
NEWTON_DECREMENT = 1e-6  # in criterion (−2 log-likelihood) units
MULTISTART_GROUPS = 1000  # up to this many groups, every start is tried
SMALL_START = (0.1, 0.0, 0.1)  # small random effects


class Method(StrEnum):
    REML = "REML"  # restricted maximum likelihood: unbiased variance components (the default)
    ML = "ML"  # maximum likelihood: deviances comparable between fixed-effects structures


@dataclass(frozen=True)
class Prediction:
    time: FloatArray
    mean: FloatArray  # the group's expected score at each time
    se: FloatArray  # SE of mean: β̂'s error plus the group's random effects (their conditional
    # variance for an existing group, their full variance for a new one)
    sd: FloatArray  # SD of a new observation: se and the residual SD combined
    lower: FloatArray  # prediction interval for a new observation
    upper: FloatArray
    level: float


@dataclass(frozen=True)
class _Scaled:
    """The fit on the optimiser's time axis t' = (t − centre)/scale, kept for predictions: there
    the algebra is well conditioned however far time's origin lies from the data."""

    center: float
    scale: float
    coef: FloatArray  # β' (y's mean restored to the intercept)
    cov: FloatArray  # σ̂²A'⁻¹
    d: FloatArray  # D'
    random_effects: FloatArray  # groups × 2: b'
    h: tuple[FloatArray, FloatArray, FloatArray, FloatArray]  # H_i
    s: tuple[FloatArray, FloatArray, FloatArray]  # S_i


@dataclass(frozen=True)
class GrowthFit:
    method: Method
    n_obs: int  # observations used
    n_groups: int
    n_dropped: int  # rows left out for a missing value
    dropped_rows: NDArray[np.intp]  # which: their positions in the data given (from 0)
    names: tuple[str, ...]  # fixed effects: intercept, time, then covariate, time:covariate, …
    coef: FloatArray  # fixed-effect estimates, in the order of names
    cov: FloatArray  # their covariance matrix (σ̂² A⁻¹, the variance components held fixed)
    sd_intercept: float  # SD of the random intercepts
    sd_time: float  # SD of the random slopes
    corr: float  # their correlation; NaN when either SD is 0
    residual_sd: float
    loglik: float  # log-likelihood (ML) or restricted log-likelihood (REML)
    criterion: float  # −2 loglik: the deviance (ML) or the REML criterion
    theta: FloatArray  # relative covariance factor Λ (lower triangle: 00, 10, 11), time as given
    converged: bool
    singular: bool  # a variance at zero or a correlation at ±1
    message: str
    iterations: int
    evaluations: int
    groups: NDArray[Any]  # group labels, sorted; the rows of the per-group arrays
    random_effects: FloatArray  # groups × 2: BLUPs of each group's intercept and slope deviation
    group_coef: FloatArray  # groups × 2: each group's intercept and slope, fixed + random
    fitted: FloatArray  # conditional fitted values, one per row given (NaN on dropped rows)
    covariate_names: tuple[str, ...]
    group_covariates: FloatArray  # groups × covariates
    _scaled: _Scaled = field(repr=False)

    @property
    def se(self) -> FloatArray:
        se: FloatArray = np.sqrt(np.diag(self.cov))
        return se

    @property
    def fixed(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.names, self.coef, strict=True)}

    @property
    def standard_errors(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.names, self.se, strict=True)}

    @property
    def random_cov(self) -> FloatArray:
        """Covariance matrix of the random intercept and slope, Σ_b = σ²ΛΛᵀ."""
        return self.residual_sd**2 * relative_covariance(self.theta)

    def group_index(self, group: object) -> int:
        """The row of a group label in the per-group arrays; ValueError when it is not there."""
        labels = self.groups
        try:
            key: Any = float(group) if labels.dtype.kind in "iuf" else group  # type: ignore[arg-type]
            i = int(np.searchsorted(labels, key))
            found = i < labels.shape[0] and bool(labels[i] == key)
        except (TypeError, ValueError):
            found = False
        if not found:
            raise ValueError(f"no group {group!r} in the data")
        return i

    def predict(
        self,
        time: ArrayLike,
        *,
        group: object = None,
        covariates: Mapping[str, float] | None = None,
        level: float = 0.95,
    ) -> Prediction:
        """Expected scores at the given times for an existing group or, with group None, a new one.

        An existing group's curve is its fixed part plus its BLUP; its se combines the
        uncertainty of β̂ (as it reaches the BLUP too) and the conditional variance of the
        group's random effects. A new group's curve is the fixed part; its se combines β̂'s
        uncertainty and the random-effects variance. Both add the residual variance for a new
        observation (sd) and use the normal quantile; the variance components are taken as known.
        """
        t = np.atleast_1d(np.asarray(time, dtype=np.float64))
        if t.ndim != 1 or not np.isfinite(t).all():
            raise ValueError("time must be finite numbers")
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be between 0 and 1, got {level}")
        q = 1 + len(self.covariate_names)
        if group is not None:
            if covariates:
                raise ValueError(
                    "an existing group's covariates come from the data; leave them out"
                )
            i = self.group_index(group)
            omega = np.concatenate([[1.0], self.group_covariates[i]])
        else:
            given = dict(covariates or {})
            unknown = sorted(set(given) - set(self.covariate_names))
            if unknown:
                raise ValueError(f"the model has no covariate {', '.join(unknown)}")
            absent = [name for name in self.covariate_names if name not in given]
            if absent:
                raise ValueError(f"a new group needs a value for {', '.join(absent)}")
            omega = np.array([1.0, *(float(given[name]) for name in self.covariate_names)])
        fit = self._scaled
        p_i = np.kron(
            omega.reshape(1, q), np.eye(2)
        )  # 2 × p: the group's (intercept, slope) = P_iβ
        z = np.column_stack([np.ones_like(t), (t - fit.center) / fit.scale])
        sigma2 = self.residual_sd**2
        if group is not None:
            h00, h01, h10, h11 = (float(v[i]) for v in fit.h)
            s00, s01, s11 = (float(v[i]) for v in fit.s)
            h = np.array([[h00, h01], [h10, h11]])
            s = np.array([[s00, s01], [s01, s11]])
            mean = z @ (p_i @ fit.coef + fit.random_effects[i])
            shrunk = z @ (np.eye(2) - fit.d @ s) @ p_i  # how β̂'s error reaches the group's curve
            var_random = sigma2 * np.einsum("ij,jk,ik->i", z, fit.d @ h, z)
        else:
            mean = z @ (p_i @ fit.coef)
            shrunk = z @ p_i
            var_random = sigma2 * np.einsum("ij,jk,ik->i", z, fit.d, z)
        var_mean = np.einsum("ij,jk,ik->i", shrunk, fit.cov, shrunk) + var_random
        sd = np.sqrt(var_mean + sigma2)
        quantile = NormalDist().inv_cdf(0.5 + level / 2.0)
        return Prediction(
            time=t,
            mean=mean,
            se=np.sqrt(var_mean),
            sd=sd,
            lower=mean - quantile * sd,
            upper=mean + quantile * sd,
            level=level,
        )


def fit_growth(
    groups: ArrayLike,
    time: ArrayLike,
    score: ArrayLike,
    covariates: Mapping[str, ArrayLike] | None = None,
    *,
    method: Method | str = Method.REML,
    missing: Missing = "drop",
    max_iterations: int = MAX_ITERATIONS,
) -> GrowthFit:
    """Fit score ~ time (+ covariates and their interactions with time) + (time | group).

    One value per observation in groups, time, score and each covariate. A covariate is
    group-level: it must be the same on all of a group's rows. NaN (and a None group label) is a
    missing value: with missing="drop" those rows are left out and counted in n_dropped, with
    missing="raise" they are a ValueError naming the rows. Bad data is a ValueError; an optimiser
    that does not converge is reported in converged and message, not raised.
    """
    try:
        chosen = Method(method)
    except ValueError:
        raise ValueError(f"unknown method {method!r}; choose REML or ML") from None
    if max_iterations < 1:
        raise ValueError("max_iterations must be at least 1")
    data = prepare(groups, time, score, covariates, missing)
    reml = chosen is Method.REML

    # Imported here: scipy.optimize takes a noticeable time to load, which every `rapport` command
    # and web worker importing this module would otherwise pay.
    from scipy.optimize import minimize  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- scipy is slow to load; pages need not pay for it

    n = data.sums.n

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        result = profile(theta, data.sums, reml=reml, gradient=True)
        assert result.gradient is not None
        return result.criterion / n, result.gradient / n

    # The moment estimate is usually all but the answer, but with few or short series it can be
    # far off, and small data sets can have more than one local optimum: there every start is
    # tried (it costs little), on large ones only the better of the two.
    starts = [np.array(START)] if data.start is None else [data.start, np.array(START)]
    if data.sums.n_groups <= MULTISTART_GROUPS:
        starts.append(np.array(SMALL_START))
    else:
        starts = [
            min(starts, key=lambda s: profile(s, data.sums, reml=reml, gradient=False).criterion)
        ]

    def optimise(theta: FloatArray) -> Any:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return minimize(
                objective,
                theta,
                jac=True,
                method="L-BFGS-B",
                bounds=[(0.0, None), (None, None), (0.0, None)],
                options={"maxiter": max_iterations, "ftol": FTOL, "gtol": GTOL},
            )

    opt: Any = None
    iterations = evaluations = 0
    for start in starts:
        found = optimise(start)
        iterations, evaluations = iterations + int(found.nit), evaluations + int(found.nfev)
        for _ in range(MAX_RESTARTS):
            if min(found.x[0], found.x[2]) >= SINGULAR_TOLERANCE:
                break
            escape = _escape(np.asarray(found.x, dtype=np.float64), data.sums, reml)
            if escape is None:
                break
            again = optimise(escape)
            iterations, evaluations = iterations + int(again.nit), evaluations + int(again.nfev)
            if not again.fun < found.fun:
                break
            found = again
        if opt is None or found.fun < opt.fun:
            opt = found

    theta = np.asarray(opt.x, dtype=np.float64)
    converged = bool(opt.success) or _newton_converged(theta, data.sums, reml)
    singular = bool(min(theta[0], theta[2]) < SINGULAR_TOLERANCE)
    if converged:
        message = "converged"
        if singular:
            message += (
                "; boundary (singular) fit: a random-effect variance is 0 or the correlation is "
                "±1, so the model is simpler than it looks"
            )
    else:
        reason = opt.message.decode() if isinstance(opt.message, bytes) else str(opt.message)
        message = f"did not converge ({iterations} iterations in all): {reason}"
    final = profile(theta, data.sums, reml=reml, gradient=False)
    return _result(chosen, data, final, converged, singular, message, iterations, evaluations)


def _newton_converged(theta: FloatArray, sums: GroupSums, reml: bool) -> bool:
    """Whether a point where the line search gave up is the optimum all the same.

    Rounding can stall L-BFGS-B's line search within reach of the optimum, most often when the
    random effects dwarf the residual variance. The test: a Newton step from here, with the
    Hessian from finite differences of the gradient over the free parameters, would lower the
    criterion by less than NEWTON_DECREMENT and the Hessian is positive definite.
    """
    gradient = profile(theta, sums, reml=reml, gradient=True).gradient
    assert gradient is not None
    free = [j for j in range(3) if j == 1 or theta[j] > 0.0 or gradient[j] < 0.0]
    hessian = np.empty((len(free), len(free)))
    for column, j in enumerate(free):
        step = 1e-6 * max(abs(float(theta[j])), 1e-3)
        moved = theta.copy()
        moved[j] += step
        other = profile(moved, sums, reml=reml, gradient=True).gradient
        assert other is not None
        hessian[:, column] = (other[free] - gradient[free]) / step
    hessian = (hessian + hessian.T) / 2.0
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return False
    decrement = float(gradient[free] @ np.linalg.solve(hessian, gradient[free])) / 2.0
    return decrement <= NEWTON_DECREMENT


def _escape(theta: FloatArray, sums: GroupSums, reml: bool) -> FloatArray | None:
    """A better start than a boundary point that only looks optimal in θ, or None.

    D depends on θ₂ through θ₂², so at θ₂ = 0 the derivative in θ₂ vanishes whatever the
    criterion does: a gradient method that lands there stays. The optimum over positive
    semi-definite D needs the criterion's derivative in D, Γ, to be positive semi-definite;
    if it has a negative eigenvalue, adding some of that eigenvector's outer product to D
    lowers the criterion, and the search restarts from there.
    """
    here = profile(theta, sums, reml=reml, gradient=True)
    assert here.gamma is not None
    values, vectors = np.linalg.eigh(here.gamma)
    if values[0] >= 0.0:
        return None
    direction = np.outer(vectors[:, 0], vectors[:, 0])
    scale = max(float(np.trace(here.d)), 1.0)
    best, lowest = None, here.criterion - 1e-10 * abs(here.criterion)
    for step in 10.0 ** -np.arange(9.0):  # the direction's own scale is unknown: try many
        candidate = cholesky_factor(here.d + float(step) * scale * direction)
        try:
            value = profile(candidate, sums, reml=reml, gradient=False).criterion
        except (ValueError, np.linalg.LinAlgError):
            continue
        if value < lowest:
            best, lowest = candidate, value
    return best


def _result(
    method: Method,
    data: Prepared,
    final: Profile,
    converged: bool,
    singular: bool,
    message: str,
    iterations: int,
    evaluations: int,
) -> GrowthFit:
    """Estimates on the time axis as given, from the fit on the scaled one.

    With t = c + s·t', [1, t] = [1, t']K for K = [[1, c], [0, s]], so X = X'(I_q ⊗ K): β = (I ⊗
    K⁻¹)β', Cov β̂ likewise, b = K⁻¹b' (so D = K⁻¹D'K⁻ᵀ), and log|A| = log|A'| + 2q log s, which
    the REML criterion carries. The deviance does not change.
    """
    sums = data.sums
    q = sums.q
    sigma2 = final.sigma2
    sigma = math.sqrt(sigma2)
    c, s = data.time_center, data.time_scale
    k_inv = np.array([[1.0, -c / s], [0.0, 1.0 / s]])
    to_time = np.kron(np.eye(q), k_inv)

    coef_scaled = final.beta.copy()
    coef_scaled[0] += data.y_mean  # y was centred
    cov_scaled = sigma2 * np.linalg.inv(final.a)
    coef = to_time @ coef_scaled
    cov = to_time @ cov_scaled @ to_time.T
    d_scaled = final.d
    d = k_inv @ d_scaled @ k_inv.T
    criterion = final.criterion + (2.0 * q * math.log(s) if method is Method.REML else 0.0)

    sd_intercept = sigma * math.sqrt(max(d[0, 0], 0.0))
    sd_time = sigma * math.sqrt(max(d[1, 1], 0.0))
    corr = math.nan
    if sd_intercept > 0.0 and sd_time > 0.0:
        corr = float(np.clip(d[0, 1] / math.sqrt(d[0, 0] * d[1, 1]), -1.0, 1.0))

    r0, r1 = final.resid  # h_i; the BLUP is D'h_i
    blup = np.column_stack(
        [d_scaled[0, 0] * r0 + d_scaled[0, 1] * r1, d_scaled[0, 1] * r0 + d_scaled[1, 1] * r1]
    )
    own = np.column_stack(group_fixed(coef_scaled, sums)) + blup  # per group, scaled axis
    fitted_kept = own[data.codes, 0] + own[data.codes, 1] * data.time_scaled
    if data.keep is None:
        fitted = fitted_kept
    else:
        fitted = np.full(data.n_input, np.nan)
        fitted[data.keep] = fitted_kept
    names = ["intercept", "time"]
    for name in data.covariate_names:
        names += [name, f"time:{name}"]
    n_groups = sums.n_groups
    return GrowthFit(
        method=method,
        n_obs=sums.n,
        n_groups=n_groups,
        n_dropped=data.n_input - sums.n,
        dropped_rows=(
            np.zeros(0, dtype=np.intp) if data.keep is None else np.flatnonzero(~data.keep)
        ),
        names=tuple(names),
        coef=coef,
        cov=cov,
        sd_intercept=sd_intercept,
        sd_time=sd_time,
        corr=corr,
        residual_sd=sigma,
        loglik=-criterion / 2.0,
        criterion=criterion,
        theta=cholesky_factor(d),
        converged=converged,
        singular=singular,
        message=message,
        iterations=iterations,
        evaluations=evaluations,
        groups=data.labels,
        random_effects=blup @ k_inv.T,
        group_coef=own @ k_inv.T,
        fitted=fitted,
        covariate_names=data.covariate_names,
        group_covariates=np.zeros((n_groups, 0)) if sums.omega is None else sums.omega,
        _scaled=_Scaled(
            center=c,
            scale=s,
            coef=coef_scaled,
            cov=cov_scaled,
            d=d_scaled,
            random_effects=blup,
            h=final.h,
            s=final.s,
        ),
    )
