"""Growth curves: a linear mixed model with a random intercept and slope per client.

    score_ij = (β₀ + b_0i) + (β₁ + b_1i)·t_ij + Σ_k (γ_k + δ_k·t_ij)·w_ik + ε_ij,
    (b_0i, b_1i) ~ N(0, Σ_b),  ε_ij ~ N(0, σ²),

for client i at time t_ij, with optional group-level covariates w_ik (one value per client, such
as the intake score) entering the fixed effects on their own (γ_k) and with time (δ_k, named
"time:<covariate>"). In lme4's notation: score ~ time * (w₁ + …) + (time | client).

Estimation is REML (default) or ML. β and σ² are profiled out in closed form; only the three
entries θ of the relative covariance factor Λ (Σ_b = σ²ΛΛᵀ, Λ lower triangular with a
non-negative diagonal) are optimised, by L-BFGS-B with the analytic gradient. Every evaluation
works on per-client sufficient statistics (n_i and the means, sums of squares and products of
time and score about the client's means), computed once, with closed-form 2 × 2 algebra batched
over clients, so it costs O(clients), not O(observations). The optimiser works on time centred
and scaled to SD 1 (an equivalent parametrisation: the same fit, better conditioned) and starts
from method-of-moments estimates; everything reported is on the time axis as given. See
likelihood.py for the algebra and model.py for the safeguards: a start is only taken if it beats
lme4's; up to 1,000 clients every start is tried, as small samples can have more than one local
optimum; and a boundary point where the gradient in θ vanishes only because θ₂ enters squared
is left again when the derivative in Σ_b says the criterion can still fall.

Data rules:
- At least three clients, and at least one client with three or more observations (otherwise the
  residual variance cannot be told apart from the random intercepts and slopes).
- Clients with a single observation are allowed: they inform the intercepts (and σ² via the
  marginal variance) but say nothing about their own slope, which the BLUP shrinks to the mean.
  lme4 is stricter by default: it refuses fits with no more observations than random effects.
- Time must vary within at least one client; a covariate must be constant within each client
  and must vary between clients.
- NaN is missing: rows with one are dropped (counted in n_dropped) or refused, as asked.
- An optimiser that fails to converge is reported (converged False, message), not raised. A
  variance estimated at zero (or a correlation at ±1) is reported as a singular fit.

Results match lme4 and statsmodels (see tests/core/test_growth.py and the reference README).
"""

from rapport.core.growth.data import MIN_GROUPS
from rapport.core.growth.model import GrowthFit, Method, Prediction, fit_growth

__all__ = ["MIN_GROUPS", "GrowthFit", "Method", "Prediction", "fit_growth"]
