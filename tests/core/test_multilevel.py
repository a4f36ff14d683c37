"""The random-intercept model against lme4's published fit, statsmodels, and a known truth.

Published: lme4, `lmer(Reaction ~ Days + (1 | Subject), sleepstudy)` (REML), as printed by its
summary(): Subject intercept variance 1378.2 (SD 37.12), residual variance 960.5 (SD 30.99),
REML criterion 1786.5; (Intercept) 251.4051 (SE 9.7467), Days 10.4673 (SE 0.8042).
"""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from rapport.core.multilevel import fit_random_intercept
from tests.core.test_change import reference_file


def sleepstudy() -> tuple[list[str], list[float], list[float]]:
    with reference_file("sleepstudy.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return (
        [row["Subject"] for row in rows],
        [float(row["Reaction"]) for row in rows],
        [float(row["Days"]) for row in rows],
    )


def simulated(seed: int, groups: int, tau: float, sigma: float) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 60, groups)
    group = np.repeat(np.arange(groups), sizes)
    intake = rng.normal(15.0, 5.0, group.size)
    final = 2.0 + 0.55 * intake + rng.normal(0.0, tau, groups)[group]
    final += rng.normal(0.0, sigma, group.size)
    return group, final, intake


def test_the_sleepstudy_fit_reproduces_lme4s_published_random_intercept_model() -> None:
    subject, reaction, days = sleepstudy()
    fit = fit_random_intercept(subject, reaction, days, names=("Days",))
    assert fit.tau2 == pytest.approx(1378.2, abs=0.05)
    assert fit.sigma2 == pytest.approx(960.5, abs=0.05)
    assert fit.criterion == pytest.approx(1786.5, abs=0.05)
    assert fit.fixed["intercept"] == pytest.approx(251.4051, abs=5e-5)
    assert fit.fixed["Days"] == pytest.approx(10.4673, abs=5e-5)
    assert fit.se.tolist() == pytest.approx([9.7467, 0.8042], abs=5e-5)
    assert fit.icc == pytest.approx(1378.2 / (1378.2 + 960.5), abs=1e-4)
    assert fit.icc_lower < fit.icc < fit.icc_upper


def test_estimates_agree_with_statsmodels_mixedlm_to_1e_4() -> None:
    sm = pytest.importorskip("statsmodels.formula.api")
    pd = pytest.importorskip("pandas")
    group, final, intake = simulated(seed=11, groups=60, tau=1.2, sigma=4.0)
    ours = fit_random_intercept(group, final, intake, names=("intake",))
    frame = pd.DataFrame({"group": group, "final": final, "intake": intake})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm.mixedlm("final ~ intake", frame, groups=frame["group"]).fit(reml=True)
    assert ours.coef == pytest.approx(theirs.fe_params.to_numpy(), rel=1e-4)
    assert ours.se == pytest.approx(theirs.bse_fe.to_numpy(), rel=1e-4)
    assert ours.tau2 == pytest.approx(float(theirs.cov_re.iloc[0, 0]), rel=1e-4)
    assert ours.sigma2 == pytest.approx(theirs.scale, rel=1e-4)
    assert ours.criterion == pytest.approx(-2.0 * theirs.llf, abs=1e-4)
    blups = np.array([theirs.random_effects[g].iloc[0] for g in sorted(theirs.random_effects)])
    assert ours.effects == pytest.approx(blups, abs=1e-3)


def test_a_known_therapist_effect_is_recovered_within_its_interval() -> None:
    tau, sigma = 1.0, 4.0  # true ICC = 1 / 17 ≈ 0.0588
    truth = tau**2 / (tau**2 + sigma**2)
    group, final, intake = simulated(seed=5, groups=400, tau=tau, sigma=sigma)
    fit = fit_random_intercept(group, final, intake)
    assert fit.icc_lower < truth < fit.icc_upper
    assert fit.icc == pytest.approx(truth, abs=0.015)
    assert fit.fixed["x1"] == pytest.approx(0.55, abs=0.01)


def test_without_a_therapist_effect_the_icc_is_near_zero_and_its_interval_starts_at_zero() -> None:
    rng = np.random.default_rng(8)
    group = np.repeat(np.arange(30), 20)
    intake = rng.normal(15.0, 5.0, group.size)
    final = 0.5 * intake + rng.normal(0.0, 4.0, group.size)
    fit = fit_random_intercept(group, final, intake)
    assert fit.icc < 0.05
    assert fit.icc_lower == 0.0


def test_blups_shrink_small_groups_more_and_have_wider_intervals() -> None:
    group, final, intake = simulated(seed=2, groups=80, tau=1.5, sigma=4.0)
    fit = fit_random_intercept(group, final, intake)
    sizes = fit.group_sizes
    small, large = int(np.argmin(sizes)), int(np.argmax(sizes))
    assert fit.effect_sd[small] > fit.effect_sd[large]
    # Each BLUP is its raw mean residual times λn/(1 + λn) < 1.
    resid = final - (fit.coef[0] + fit.coef[1] * intake)
    raw = np.bincount(group, weights=resid) / np.bincount(group)
    ratio = fit.tau2 / fit.sigma2
    expected = raw * ratio * sizes / (1 + ratio * sizes)
    assert fit.effects == pytest.approx(expected, abs=1e-9)


def test_too_little_data_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="two groups"):
        fit_random_intercept([1, 1, 1, 1], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0])
    with pytest.raises(ValueError, match="finite"):
        fit_random_intercept([1, 2, 1, 2], [1.0, np.nan, 3.0, 4.0])
