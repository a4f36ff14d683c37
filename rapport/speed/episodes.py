"""Synthetic closed episodes with known therapist effects, for the effectiveness model's bench and
its validation tests.

Each therapist has a general effect u and a deviation v per domain (in SDs of the domain's intake
scores in the population); θ = u + v is what the model should find. Caseloads are unequal
(lognormal weights), and so is each therapist's mix of domains. Harder cases go to better
therapists: an episode's intake severity leans towards the sign of its therapist's θ in that
domain, and more severe intakes improve less, so that a comparison of raw change would hide the
better therapists' work; only the adjustment for intake severity brings it back. An age band adds
a covariate that matters but does not confound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# name, intake mean and SD in points, direction (which way is better)
DOMAINS = (
    ("depression", 15.0, 5.0, "lower"),
    ("anxiety", 12.0, 4.0, "lower"),
    ("general", 22.0, 7.0, "higher"),
)
THERAPIST_SD = 0.15  # SD of u, in intake SDs
DOMAIN_SD = 0.10  # SD of v
RESIDUAL_SD = 0.8
MEAN_IMPROVEMENT = 0.9  # an average case improves by this many intake SDs
INTAKE_SLOPE = -0.3  # per intake SD of severity: harder cases improve less
CONFOUNDING = 0.4  # correlation of an episode's severity with its therapist's standardized θ
AGE_BANDS = ("18-29", "30-49", "50+")
AGE_EFFECTS = (0.0, 0.05, -0.10)


@dataclass(frozen=True)
class Episodes:
    therapist: NDArray[np.str_]
    domain: NDArray[np.str_]
    pre: NDArray[np.float64]
    post: NDArray[np.float64]
    age_band: NDArray[np.str_]
    direction: dict[str, str]
    # True θ per (therapist, domain), in SDs of the intake scores in these data (the model's unit).
    truth: dict[tuple[str, str], float]

    @property
    def n(self) -> int:
        return int(self.pre.shape[0])


def simulate_episodes(
    n_therapists: int,
    n_episodes: int,
    *,
    seed: int,
    domains: tuple[tuple[str, float, float, str], ...] = DOMAINS,
    therapist_sd: float = THERAPIST_SD,
    domain_sd: float = DOMAIN_SD,
    confounding: float = CONFOUNDING,
) -> Episodes:
    rng = np.random.default_rng(seed)
    n_domains = len(domains)
    u = rng.normal(0.0, therapist_sd, n_therapists)
    v = rng.normal(0.0, domain_sd, (n_therapists, n_domains))
    theta = u[:, None] + v
    theta_sd = float(np.hypot(therapist_sd, domain_sd)) or 1.0

    caseload = rng.lognormal(0.0, 0.8, n_therapists)
    mix = rng.dirichlet(np.full(n_domains, 2.0), n_therapists)
    weights = (caseload[:, None] * mix).ravel()
    cell = rng.choice(weights.size, size=n_episodes, p=weights / weights.sum())
    t, d = cell // n_domains, cell % n_domains

    lean = confounding * theta[t, d] / theta_sd
    severity = lean + np.sqrt(1.0 - confounding**2) * rng.standard_normal(n_episodes)
    age = rng.integers(0, len(AGE_BANDS), n_episodes)
    improvement = (
        MEAN_IMPROVEMENT
        + INTAKE_SLOPE * severity
        + np.asarray(AGE_EFFECTS)[age]
        + theta[t, d]
        + rng.normal(0.0, RESIDUAL_SD, n_episodes)
    )
    means = np.array([m for _, m, _, _ in domains])
    sds = np.array([s for _, _, s, _ in domains])
    worse = np.array([1.0 if direction == "lower" else -1.0 for *_, direction in domains])
    # Severity is a worse intake: a higher score where lower is better, and the reverse.
    pre = means[d] + worse[d] * sds[d] * severity
    post = pre - worse[d] * sds[d] * improvement

    sample_sd = np.array(
        [pre[d == j].std(ddof=1) if (d == j).sum() > 1 else 1.0 for j in range(n_domains)]
    )
    names = [f"T{i:03d}" for i in range(n_therapists)]
    domain_names = [name for name, *_ in domains]
    truth = {
        (names[i], domain_names[j]): float(theta[i, j] * sds[j] / sample_sd[j])
        for i in range(n_therapists)
        for j in range(n_domains)
    }
    return Episodes(
        therapist=np.asarray(names)[t],
        domain=np.asarray(domain_names)[d],
        pre=pre,
        post=post,
        age_band=np.asarray(AGE_BANDS)[age],
        direction={name: direction for name, *_, direction in domains},
        truth=truth,
    )
