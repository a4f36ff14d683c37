"""The growth model (linear mixed model, random intercept and slope) against lme4's published
sleepstudy fit (../shared/reference/README.md), statsmodels MixedLM, and dense-matrix algebra."""

from __future__ import annotations

import csv
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from rapport.core.growth import GrowthFit, fit_growth

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"

# lme4 on Reaction ~ Days + (Days | Subject), from the reference README.
INTERCEPT, DAYS = 251.405104848485, 10.467285959595
REML = {
    "se": (6.825, 1.546),
    "sd_intercept": 24.7407,
    "sd_time": 5.9221,
    "corr": 0.066,
    "residual_sd": 25.5918,
    "criterion": 1743.6283,
}
ML = {
    "se": (6.632, 1.502),
    "sd_intercept": 23.7805585,
    "sd_time": 5.7168379,
    "corr": 0.0813196,
    "residual_sd": 25.59182,
    "loglik": -875.9697,
    "criterion": 1751.9393,
}
FITTED_REML = {
    308: (253.663652, 430.660019),
    309: (211.006416, 227.634789),
    310: (212.444743, 257.610538),
}

FIXED_REL = 1e-6
SD_REL = 1e-3
CORR_ABS = 2e-3
CRITERION_ABS = 1e-3


def reference_file(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        message = f"reference data missing: {path}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def sleepstudy() -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    with reference_file("sleepstudy.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    subject = np.array([int(row["Subject"]) for row in rows])
    days = np.array([float(row["Days"]) for row in rows])
    reaction = np.array([float(row["Reaction"]) for row in rows])
    return subject, days, reaction


def practice(
    n_clients: int = 60, seed: int = 11
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Clients with 1 to 11 irregular weekly sessions and an intake score (group-level)."""
    rng = np.random.default_rng(seed)
    sessions = rng.integers(1, 12, size=n_clients)
    client = np.repeat(np.arange(n_clients), sessions)
    session = np.concatenate([np.arange(k) for k in sessions])
    week = session + rng.uniform(-0.3, 0.3, size=session.size) * (session > 0)
    intake = rng.normal(0.0, 4.0, size=n_clients)
    effects = rng.multivariate_normal([0.0, 0.0], [[16.0, -0.3], [-0.3, 0.0625]], size=n_clients)
    score = (
        16.0
        + effects[client, 0]
        + (-0.45 + effects[client, 1]) * week
        + (0.8 - 0.03 * week) * intake[client]
        + rng.normal(0.0, 3.0, size=client.size)
    )
    return client, week, score, intake[client]


def check_reference(fit: GrowthFit, expected: dict[str, Any]) -> None:
    assert fit.converged, fit.message
    assert fit.names == ("intercept", "time")
    assert fit.coef[0] == pytest.approx(INTERCEPT, rel=FIXED_REL)
    assert fit.coef[1] == pytest.approx(DAYS, rel=FIXED_REL)
    se_intercept, se_days = expected["se"]
    assert round(float(fit.se[0]), 3) == se_intercept
    assert round(float(fit.se[1]), 3) == se_days
    assert fit.sd_intercept == pytest.approx(expected["sd_intercept"], rel=SD_REL)
    assert fit.sd_time == pytest.approx(expected["sd_time"], rel=SD_REL)
    assert fit.corr == pytest.approx(expected["corr"], abs=CORR_ABS)
    assert fit.residual_sd == pytest.approx(expected["residual_sd"], rel=SD_REL)
    assert fit.criterion == pytest.approx(expected["criterion"], abs=CRITERION_ABS)
    assert fit.loglik == pytest.approx(-expected["criterion"] / 2, abs=CRITERION_ABS)
    assert (fit.n_obs, fit.n_groups, fit.n_dropped) == (180, 18, 0)


def test_sleepstudy_reml_reproduces_lme4() -> None:
    fit = fit_growth(*sleepstudy())
    assert fit.method == "REML"
    check_reference(fit, REML)


def test_sleepstudy_ml_reproduces_lme4() -> None:
    fit = fit_growth(*sleepstudy(), method="ML")
    assert fit.method == "ML"
    check_reference(fit, ML)
    assert fit.loglik == pytest.approx(ML["loglik"], abs=CRITERION_ABS)


def test_sleepstudy_conditional_fitted_values_match_lme4() -> None:
    subject, days, reaction = sleepstudy()
    fit = fit_growth(subject, days, reaction)
    for client, (day0, day9) in FITTED_REML.items():
        rows = (subject == client) & np.isin(days, [0, 9])
        assert fit.fitted[rows] == pytest.approx([day0, day9], rel=1e-6)
        # The same curve through predict() and the per-group coefficients.
        assert fit.predict([0, 9], group=client).mean == pytest.approx([day0, day9], rel=1e-6)
        intercept, slope = fit.group_coef[fit.group_index(client)]
        assert intercept + 9 * slope == pytest.approx(day9, rel=1e-6)
    # BLUPs are deviations from the fixed effects and average to zero in a balanced design.
    assert fit.random_effects.mean(axis=0) == pytest.approx([0, 0], abs=1e-8)
    assert fit.group_coef - fit.random_effects == pytest.approx(np.tile(fit.coef, (18, 1)))


def test_agrees_with_statsmodels_mixedlm_with_a_covariate() -> None:
    pd = pytest.importorskip("pandas")
    smf = pytest.importorskip("statsmodels.formula.api")
    client, week, score, intake = practice()
    frame = pd.DataFrame({"y": score, "time": week, "g": client, "intake": intake})
    for reml in (True, False):
        ours = fit_growth(client, week, score, {"intake": intake}, method="REML" if reml else "ML")
        assert ours.converged, ours.message
        assert ours.names == ("intercept", "time", "intake", "time:intake")
        model = smf.mixedlm("y ~ time * intake", frame, groups=frame["g"], re_formula="~time")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # statsmodels' default tolerance leaves its fixed effects ~1e-5 off its own optimum.
            theirs = model.fit(reml=reml, method=["bfgs"], gtol=1e-10, maxiter=2000)
        assert theirs.converged
        assert ours.coef == pytest.approx(theirs.fe_params.to_numpy(), rel=FIXED_REL)
        assert ours.random_cov == pytest.approx(theirs.cov_re.to_numpy(), rel=1e-3)
        assert ours.residual_sd**2 == pytest.approx(theirs.scale, rel=1e-3)
        assert ours.loglik == pytest.approx(theirs.llf, abs=1e-6)


def dense_criterion(
    fit: GrowthFit, client: NDArray[Any], week: NDArray[np.float64], score: NDArray[np.float64]
) -> float:
    """−2 log L (ML) or −2 log L_R (REML) at the fit's estimates, from the full n × n V."""
    cols = [np.ones_like(week), week]
    for k in range(len(fit.covariate_names)):
        w = fit.group_covariates[np.searchsorted(fit.groups, client), k]
        cols += [w, w * week]
    x = np.column_stack(cols)
    groups = np.unique(client)
    z = np.zeros((week.size, 2 * groups.size))
    index = np.searchsorted(groups, client)
    z[np.arange(week.size), 2 * index] = 1.0
    z[np.arange(week.size), 2 * index + 1] = week
    v = z @ np.kron(np.eye(groups.size), fit.random_cov) @ z.T + fit.residual_sd**2 * np.eye(
        week.size
    )
    v_inv = np.linalg.inv(v)
    xvx = x.T @ v_inv @ x
    beta = np.linalg.solve(xvx, x.T @ v_inv @ score)
    e = score - x @ beta
    n, p = x.shape
    value = np.linalg.slogdet(v)[1] + e @ v_inv @ e + n * math.log(2 * math.pi)
    if fit.method == "REML":
        value += np.linalg.slogdet(xvx)[1] - p * math.log(2 * math.pi)
    assert beta == pytest.approx(fit.coef, rel=1e-9)
    return float(value)


def test_criterion_and_fixed_effects_match_dense_matrix_algebra() -> None:
    client, week, score, intake = practice(n_clients=25, seed=3)
    for method in ("REML", "ML"):
        fit = fit_growth(client, week, score, {"intake": intake}, method=method)
        assert fit.criterion == pytest.approx(dense_criterion(fit, client, week, score), abs=1e-7)
    fit = fit_growth(*sleepstudy())
    assert fit.criterion == pytest.approx(dense_criterion(fit, *sleepstudy()), abs=1e-7)


def test_prediction_intervals_match_henderson_mixed_model_equations() -> None:
    subject, days, reaction = sleepstudy()
    fit = fit_growth(subject, days, reaction)
    sigma2 = fit.residual_sd**2
    groups = fit.groups
    x = np.column_stack([np.ones_like(days), days])
    z = np.zeros((days.size, 2 * groups.size))
    index = np.searchsorted(groups, subject)
    z[np.arange(days.size), 2 * index] = 1.0
    z[np.arange(days.size), 2 * index + 1] = days
    g_inv = np.kron(np.eye(groups.size), np.linalg.inv(fit.random_cov / sigma2))
    mme = np.block([[x.T @ x, x.T @ z], [z.T @ x, z.T @ z + g_inv]])
    pev = sigma2 * np.linalg.inv(mme)  # prediction error covariance of (β̂, b̂ − b)
    i = fit.group_index(309)
    for t in (0.0, 4.5, 12.0):
        row = np.zeros(2 + 2 * groups.size)
        row[:2] = [1.0, t]
        row[2 + 2 * i : 4 + 2 * i] = [1.0, t]
        prediction = fit.predict(t, group=309)
        assert prediction.se[0] == pytest.approx(math.sqrt(row @ pev @ row), rel=1e-8)
        assert prediction.sd[0] ** 2 == pytest.approx(row @ pev @ row + sigma2, rel=1e-8)
    # A new client: fixed-effects uncertainty plus the random-effects and residual variances.
    new = fit.predict([0.0, 9.0], level=0.9)
    for k, t in enumerate((0.0, 9.0)):
        x0 = np.array([1.0, t])
        variance = x0 @ fit.cov @ x0 + x0 @ fit.random_cov @ x0 + sigma2
        assert new.mean[k] == pytest.approx(x0 @ fit.coef)
        assert new.sd[k] == pytest.approx(math.sqrt(variance))
        assert new.upper[k] - new.mean[k] == pytest.approx(1.6448536 * math.sqrt(variance))
    assert (new.sd > fit.predict([0.0, 9.0], group=309).sd).all()


def test_prediction_for_a_new_client_needs_its_covariates() -> None:
    client, week, score, intake = practice()
    fit = fit_growth(client, week, score, {"intake": intake})
    with pytest.raises(ValueError, match="needs a value for intake"):
        fit.predict([0, 1])
    with pytest.raises(ValueError, match="no covariate severity"):
        fit.predict([0, 1], covariates={"intake": 2.0, "severity": 1.0})
    with pytest.raises(ValueError, match="come from the data"):
        fit.predict([0, 1], group=0, covariates={"intake": 2.0})
    with pytest.raises(ValueError, match="no group 'nobody'"):
        fit.predict([0, 1], group="nobody")
    mean = fit.predict([0, 10], covariates={"intake": 2.0}).mean
    b = fit.fixed
    assert mean[1] == pytest.approx(
        b["intercept"] + 2 * b["intake"] + 10 * (b["time"] + 2 * b["time:intake"])
    )


def test_time_is_reparametrised_not_refitted() -> None:
    """Shifting and scaling time changes the coefficients as it should and the deviance not."""
    client, week, score, _ = practice()
    base = fit_growth(client, week, score, method="ML")
    moved = fit_growth(client, 7.0 * week + 30.0, score, method="ML")
    assert moved.criterion == pytest.approx(base.criterion, abs=1e-8)
    assert moved.coef[1] * 7 == pytest.approx(base.coef[1], rel=1e-6)
    assert moved.coef[0] + 30 * moved.coef[1] == pytest.approx(base.coef[0], rel=1e-6)
    assert moved.sd_time * 7 == pytest.approx(base.sd_time, rel=1e-5)
    assert moved.fitted == pytest.approx(base.fitted, rel=1e-6)
    # REML's log|XᵀV⁻¹X| moves by 2·log(7): the time column of X is 7 times as large.
    reml, reml_moved = fit_growth(client, week, score), fit_growth(client, 7.0 * week + 30.0, score)
    assert reml_moved.criterion == pytest.approx(reml.criterion + 2 * math.log(7), abs=1e-8)
    assert reml_moved.se[1] * 7 == pytest.approx(reml.se[1], rel=1e-6)


def test_time_far_from_its_origin_stays_accurate() -> None:
    """Dates as day numbers: the intercept lies 700,000 days before the data."""
    subject, days, reaction = sleepstudy()
    base = fit_growth(subject, days, reaction)
    dated = fit_growth(subject, days + 738_000.0, reaction)
    assert dated.coef[1] == pytest.approx(base.coef[1], rel=1e-9)
    assert dated.sd_time == pytest.approx(base.sd_time, rel=1e-6)
    assert dated.residual_sd == pytest.approx(base.residual_sd, rel=1e-9)
    assert dated.fitted == pytest.approx(base.fitted, rel=1e-9)
    later = dated.predict([738_000.0, 738_009.0], group=308)
    assert later.mean == pytest.approx(base.predict([0.0, 9.0], group=308).mean, rel=1e-9)


def test_group_labels_may_be_text_or_sparse_numbers() -> None:
    subject, days, reaction = sleepstudy()
    base = fit_growth(subject, days, reaction)
    as_text = fit_growth([f"s{s}" for s in subject], days, reaction)
    sparse = fit_growth(subject * 10**9, days, reaction)
    for other in (as_text, sparse):
        assert other.criterion == pytest.approx(base.criterion, abs=1e-9)
        assert other.fitted == pytest.approx(base.fitted, rel=1e-10)
    assert list(as_text.groups[:2]) == ["s308", "s309"]


def test_missing_values_are_dropped_and_counted_or_refused() -> None:
    subject, days, reaction = sleepstudy()
    holes = reaction.copy()
    holes[[3, 50]] = np.nan
    labels = subject.astype(object)
    labels[7] = None
    fit = fit_growth(labels, days, holes)
    assert (fit.n_obs, fit.n_dropped) == (177, 3)
    assert fit.dropped_rows.tolist() == [3, 7, 50]
    assert np.isnan(fit.fitted[[3, 7, 50]]).all()
    keep = np.ones(180, dtype=bool)
    keep[[3, 7, 50]] = False
    same = fit_growth(subject[keep], days[keep], reaction[keep])
    assert fit.criterion == pytest.approx(same.criterion, abs=1e-9)
    assert fit.fitted[keep] == pytest.approx(same.fitted, rel=1e-10)
    with pytest.raises(ValueError, match=r"missing values \(NaN\) in rows 3, 7, 50"):
        fit_growth(labels, days, holes, missing="raise")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s, t, y: (s[:20], t[:20], y[:20]), "at least 3 groups"),
        (lambda s, t, y: (s, np.zeros_like(t), y), "time is constant within every group"),
        (lambda s, t, y: (s, s.astype(float), y), "time is constant within every group"),
        (lambda s, t, y: (s, t, np.where(t == 5, np.inf, y)), "score is infinite"),
        (lambda s, t, y: (s, t, y[:-1]), "one value per observation"),
        (lambda s, t, y: (s, t, ["fast"] * 180), "score must be numbers"),
        (lambda s, t, y: (np.arange(180) // 2, t, y), "no group has three or more"),
    ],
)
def test_bad_data_is_a_clear_value_error(change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_growth(*change(*sleepstudy()))


def test_bad_covariates_and_options_are_value_errors() -> None:
    subject, days, reaction = sleepstudy()
    with pytest.raises(ValueError, match="varies within group 308"):
        fit_growth(subject, days, reaction, {"x": days})
    with pytest.raises(ValueError, match="the same for every group"):
        fit_growth(subject, days, reaction, {"x": np.ones(180)})
    with pytest.raises(ValueError, match="collinear"):
        fit_growth(subject, days, reaction, {"x": subject * 1.0, "y": subject * 2.0})
    with pytest.raises(ValueError, match="cannot be called 'time'"):
        fit_growth(subject, days, reaction, {"time": subject * 1.0})
    with pytest.raises(ValueError, match="unknown method"):
        fit_growth(subject, days, reaction, method="bayes")
    with pytest.raises(ValueError, match="missing must be"):
        fit_growth(subject, days, reaction, missing="ignore")  # type: ignore[arg-type]


def test_single_observation_clients_are_allowed() -> None:
    subject, days, reaction = sleepstudy()
    extra = np.array([900, 901, 902])
    fit = fit_growth(
        np.concatenate([subject, extra]),
        np.concatenate([days, [0.0, 3.0, 8.0]]),
        np.concatenate([reaction, [250.0, 400.0, 200.0]]),
    )
    assert fit.converged and fit.n_groups == 21
    assert np.isfinite(fit.random_effects).all()
    # One point pins down a client's level, not its slope: the curve passes near the point.
    i = fit.group_index(901)
    assert abs(fit.predict(3.0, group=901).mean[0] - 400.0) < abs(
        fit.coef[0] + 3 * fit.coef[1] - 400.0
    )
    assert fit.predict(3.0, group=901).sd[0] > fit.predict(3.0, group=308).sd[0]
    assert i == 19


def test_non_convergence_is_reported_not_raised() -> None:
    client, week, score, _ = practice()
    fit = fit_growth(client, week, score, method="ML", max_iterations=1)
    assert not fit.converged
    assert fit.message.startswith("did not converge (")
    assert "ITERATIONS REACHED LIMIT" in fit.message
    assert math.isfinite(fit.criterion)


def test_a_variance_at_zero_is_a_singular_fit() -> None:
    rng = np.random.default_rng(5)
    client = np.repeat(np.arange(30), 6)
    week = np.tile(np.arange(6.0), 30)
    # Random intercepts only: ML puts the slopes on a line through the intercepts (θ₂ = 0).
    score = 10 + rng.normal(0, 2, 30)[client] - 0.5 * week + rng.normal(0, 1, client.size)
    fit = fit_growth(client, week, score, method="ML")
    assert fit.converged and fit.singular
    assert "boundary (singular) fit" in fit.message
    assert fit.sd_time < 0.05
    assert abs(fit.corr) == pytest.approx(1.0, abs=1e-6)


def test_clients_far_apart_relative_to_the_residual_are_fitted_precisely() -> None:
    """Between-client SDs 10⁴ and 10² times the residual SD: no cancellation in r²."""
    rng = np.random.default_rng(8)
    client = np.repeat(np.arange(40), 6)
    week = np.tile(np.arange(6.0), 40)
    score = (
        rng.normal(0, 1e4, 40)[client]
        + rng.normal(0, 1e2, 40)[client] * week
        + rng.normal(0, 1.0, client.size)
    )
    for method in ("REML", "ML"):
        fit = fit_growth(client, week, score, method=method)
        assert fit.converged, fit.message
        assert fit.residual_sd == pytest.approx(1.0, rel=0.15)
        assert fit.sd_intercept == pytest.approx(1e4, rel=0.3)
        assert fit.sd_time == pytest.approx(1e2, rel=0.3)
        # Each client's own curve is all but its least-squares line.
        own = np.polyfit(week[client == 3], score[client == 3], 1)
        assert fit.group_coef[3] == pytest.approx(own[::-1], rel=1e-3)
