"""The growth fit on harder data than the bench's practice: times at uneven gaps far from their
origin, strongly correlated random effects and heavy-tailed residuals (practice.hard_practice)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rapport.core.growth import fit_growth
from rapport.core.growth.data import prepare
from rapport.core.growth.likelihood import profile
from rapport.core.growth.model import START
from rapport.speed.practice import hard_practice


def test_the_fit_on_hard_data_agrees_with_statsmodels_mixedlm() -> None:
    pd = pytest.importorskip("pandas")
    smf = pytest.importorskip("statsmodels.formula.api")
    data = hard_practice(n_clients=120, mean_sessions=6)
    ours = fit_growth(data.client, data.week, data.score, {"intake": data.intake}, method="ML")
    assert ours.converged, ours.message
    # statsmodels does not converge with time in weeks running to the hundreds; in years it
    # does, and ML's estimates carry over exactly: a slope per year is 52 slopes per week.
    years = data.week / 52.0
    frame = pd.DataFrame({"y": data.score, "time": years, "g": data.client, "intake": data.intake})
    model = smf.mixedlm("y ~ time * intake", frame, groups=frame["g"], re_formula="~time")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = model.fit(reml=False, method=["bfgs"], gtol=1e-10, maxiter=2000)
    assert theirs.converged
    per_week = np.array([1.0, 1 / 52.0])
    assert ours.coef == pytest.approx(theirs.fe_params.to_numpy() * np.tile(per_week, 2), rel=1e-5)
    their_cov = theirs.cov_re.to_numpy() * np.outer(per_week, per_week)
    assert ours.random_cov == pytest.approx(their_cov, rel=1e-3)
    assert ours.residual_sd**2 == pytest.approx(theirs.scale, rel=1e-3)
    assert ours.loglik == pytest.approx(theirs.llf, abs=1e-6)


def test_on_uneven_times_the_moment_start_beats_lme4s_start() -> None:
    # Clients whose few visits lie days apart have lines too uncertain to count equally: the
    # unweighted moments made a start worse than D = I here, and the fit took twice the steps.
    data = hard_practice(n_clients=20_000, mean_sessions=10)
    prepared = prepare(data.client, data.week, data.score, {"intake": data.intake}, "drop")
    assert prepared.start is not None
    ours = profile(prepared.start, prepared.sums, reml=True, gradient=False).criterion
    lme4 = profile(np.array(START), prepared.sums, reml=True, gradient=False).criterion
    assert ours < lme4
    fit = fit_growth(data.client, data.week, data.score, {"intake": data.intake})
    assert fit.converged
    assert fit.evaluations <= 12
