"""A synthetic practice for the growth-model benchmark: clients with irregular weekly sessions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Population values, loosely a PHQ-9-like score over weeks of therapy.
INTERCEPT = 16.0
SLOPE = -0.45  # points per week
INTAKE_EFFECT = 0.8  # per point of intake severity (centred)
INTAKE_BY_TIME = -0.03
SD_INTERCEPT = 4.0
SD_SLOPE = 0.25
CORR = -0.3
SD_RESIDUAL = 3.0


@dataclass(frozen=True)
class Practice:
    client: NDArray[np.int64]
    week: NDArray[np.float64]
    score: NDArray[np.float64]
    intake: NDArray[np.float64]  # group-level: the same on all of a client's rows

    @property
    def n_obs(self) -> int:
        return int(self.client.shape[0])

    @property
    def n_clients(self) -> int:
        return int(np.unique(self.client).shape[0])


def synthetic_practice(n_clients: int, mean_sessions: float, seed: int = 20240611) -> Practice:
    """Clients with 1 to 2·mean_sessions − 1 sessions, a week apart give or take a few days."""
    rng = np.random.default_rng(seed)
    sessions = rng.integers(1, int(2 * mean_sessions), size=n_clients)
    client = np.repeat(np.arange(1, n_clients + 1, dtype=np.int64), sessions)
    start = np.repeat(np.cumsum(sessions) - sessions, sessions)
    session = np.arange(client.shape[0]) - start  # 0, 1, … within each client
    week = np.round(session + rng.uniform(-0.3, 0.3, size=client.shape[0]) * (session > 0), 2)
    intake_client = np.round(rng.normal(0.0, 4.0, size=n_clients), 1)
    cov = [
        [SD_INTERCEPT**2, CORR * SD_INTERCEPT * SD_SLOPE],
        [CORR * SD_INTERCEPT * SD_SLOPE, SD_SLOPE**2],
    ]
    effects = rng.multivariate_normal([0.0, 0.0], cov, size=n_clients)
    index = client - 1
    intake = intake_client[index]
    mean = (
        INTERCEPT
        + effects[index, 0]
        + (SLOPE + effects[index, 1]) * week
        + (INTAKE_EFFECT + INTAKE_BY_TIME * week) * intake
    )
    score = np.round(mean + rng.normal(0.0, SD_RESIDUAL, size=client.shape[0]), 2)
    return Practice(client=client, week=week, score=score, intake=intake)


# Harder data for the fit's robustness: times in days at uneven gaps, strongly correlated random
# effects, and residuals from a t distribution with 3 degrees of freedom (outliers).
HARD_CORR = -0.7
HARD_DF = 3


def hard_practice(n_clients: int, mean_sessions: float, seed: int = 20240612) -> Practice:
    """Clients seen 1 to 2·mean_sessions − 1 times at gaps of 1 to ~60 days (each client its own
    pace, each gap exponential about it), the first visit up to a year into the study."""
    rng = np.random.default_rng(seed)
    sessions = rng.integers(1, int(2 * mean_sessions), size=n_clients)
    client = np.repeat(np.arange(1, n_clients + 1, dtype=np.int64), sessions)
    n = client.shape[0]
    index = client - 1
    pace = rng.lognormal(np.log(10.0), 0.8, size=n_clients)  # days between visits, typically
    gaps = 1.0 + rng.exponential(1.0, size=n) * pace[index]
    first = np.cumsum(sessions) - sessions
    gaps[first] = rng.uniform(0.0, 365.0, size=n_clients)  # the first visit's day in the study
    day = np.round(np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first] - gaps[first], sessions), 1)
    week = day / 7.0
    intake_client = np.round(rng.normal(0.0, 4.0, size=n_clients), 1)
    sd_slope = SD_SLOPE * 2.0
    cov = [
        [SD_INTERCEPT**2, HARD_CORR * SD_INTERCEPT * sd_slope],
        [HARD_CORR * SD_INTERCEPT * sd_slope, sd_slope**2],
    ]
    effects = rng.multivariate_normal([0.0, 0.0], cov, size=n_clients)
    intake = intake_client[index]
    # Time enters as weeks since the client's first visit would; here it is the study's calendar,
    # so intercepts sit far from most observations, as they do in registry data.
    mean = (
        INTERCEPT
        + effects[index, 0]
        + (SLOPE / 10 + effects[index, 1] / 10) * week
        + (INTAKE_EFFECT + INTAKE_BY_TIME / 10 * week) * intake
    )
    noise = rng.standard_t(HARD_DF, size=n) * SD_RESIDUAL / np.sqrt(HARD_DF / (HARD_DF - 2))
    score = np.round(mean + noise, 2)
    return Practice(client=client, week=np.round(week, 3), score=score, intake=intake)
