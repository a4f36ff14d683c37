import math
from statistics import NormalDist

import numpy as np
import pytest

from rapport.core.trajectory import (
    Basis,
    ExpectedModel,
    Status,
    Thresholds,
    classify,
    classify_rows,
    cronbach_alpha,
    expected_band,
    fit_expected,
    improvement_percentile,
    s_diff,
    series,
    status_for_percentile,
)

Z = NormalDist().inv_cdf

# A hand-made model: expected score = intake − 5·log(session), SD 2 at every session (no random
# effects, no fixed-effect uncertainty), so every percentile below can be worked out by hand.
FLAT_SD = ExpectedModel(
    coef=(20.0, -5.0, 1.0, 0.0),
    coef_cov=((0.0,) * 4,) * 4,
    random_cov=((0.0, 0.0), (0.0, 0.0)),
    residual_sd=2.0,
    intake_center=20.0,
    n_episodes=100,
    n_obs=800,
    converged=True,
    singular=False,
)
DEFAULTS = Thresholds()


def expected_at(session: int, intake: float = 20.0) -> float:
    return intake - 5.0 * math.log(session)


def model_status(score: float, session: int = 4, *, higher_is_worse: bool = True):  # type: ignore[no-untyped-def]
    return classify(
        session=session,
        score=score,
        intake=20.0,
        higher_is_worse=higher_is_worse,
        thresholds=DEFAULTS,
        model=FLAT_SD,
        s_difference=None,
    )


def test_the_prediction_follows_the_intake_and_log_session() -> None:
    mean, sd = FLAT_SD.predict([1, 4, 8], 14.0)
    assert mean == pytest.approx([14.0, 14.0 - 5 * math.log(4), 14.0 - 5 * math.log(8)])
    assert sd == pytest.approx([2.0, 2.0, 2.0])


def test_a_score_at_the_expected_median_is_on_track_at_the_50th_percentile() -> None:
    found = model_status(expected_at(4))
    assert found is not None
    assert found.status is Status.ON_TRACK
    assert found.basis is Basis.MODEL
    assert found.percentile == pytest.approx(50.0)
    assert found.expected == pytest.approx(expected_at(4))


def test_on_phq9_a_score_above_the_80th_percentile_of_expected_scores_is_at_risk() -> None:
    # Above 80% of expected scores = below the 20th percentile of expected improvement.
    found = model_status(expected_at(4) + 2.0 * Z(0.80))
    assert found is not None
    assert found.percentile == pytest.approx(20.0)
    assert found.status is Status.AT_RISK


def test_on_phq9_a_score_above_the_95th_percentile_of_expected_scores_is_off_track() -> None:
    found = model_status(expected_at(4) + 2.0 * Z(0.95))
    assert found is not None
    assert found.percentile == pytest.approx(5.0)
    assert found.status is Status.OFF_TRACK


def test_a_low_phq9_score_is_better_than_expected_and_on_track() -> None:
    found = model_status(expected_at(4) - 2.0 * Z(0.95))
    assert found is not None
    assert found.percentile == pytest.approx(95.0)
    assert found.status is Status.ON_TRACK


def test_where_higher_is_better_a_low_score_is_off_track() -> None:
    found = model_status(expected_at(4) - 2.0 * Z(0.95), higher_is_worse=False)
    assert found is not None
    assert found.percentile == pytest.approx(5.0)
    assert found.status is Status.OFF_TRACK


def test_exactly_at_a_threshold_percentile_is_not_below_it() -> None:
    assert status_for_percentile(25.0, DEFAULTS) is Status.ON_TRACK
    assert status_for_percentile(24.999, DEFAULTS) is Status.AT_RISK
    assert status_for_percentile(10.0, DEFAULTS) is Status.AT_RISK
    assert status_for_percentile(9.999, DEFAULTS) is Status.OFF_TRACK


def test_practice_percentiles_change_the_classification() -> None:
    strict = Thresholds(at_risk_percentile=40.0, off_track_percentile=30.0)
    assert status_for_percentile(35.0, strict) is Status.AT_RISK
    assert status_for_percentile(35.0, DEFAULTS) is Status.ON_TRACK


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="off track"):
        Thresholds(at_risk_percentile=10.0, off_track_percentile=25.0)
    with pytest.raises(ValueError, match="session"):
        Thresholds(fallback_session=1)


def test_the_intake_itself_is_not_classified() -> None:
    assert model_status(30.0, session=1) is None


def test_improvement_percentile_is_the_normal_tail_in_the_direction_of_improvement() -> None:
    assert improvement_percentile(12.0, 10.0, 2.0, higher_is_worse=True) == pytest.approx(
        100 * (1 - NormalDist().cdf(1.0))
    )
    assert improvement_percentile(12.0, 10.0, 2.0, higher_is_worse=False) == pytest.approx(
        100 * NormalDist().cdf(1.0)
    )


# --- The rule: reliable change (Jacobson & Truax 1991) ------------------------------------------

# r .89 and SD 5: S_diff = √(2 · 25 · 0.11) = √5.5 = 2.345208; a reliable change exceeds
# 1.959964 · 2.345208 = 4.596523 points.
S_DIFF = math.sqrt(5.5)


def rule(score: float, session: int, *, intake: float = 20.0, higher_is_worse: bool = True):  # type: ignore[no-untyped-def]
    return classify(
        session=session,
        score=score,
        intake=intake,
        higher_is_worse=higher_is_worse,
        thresholds=DEFAULTS,
        model=None,
        s_difference=S_DIFF,
    )


def test_s_diff_follows_jacobson_and_truax() -> None:
    assert s_diff(0.89, 5.0) == pytest.approx(S_DIFF)
    # The worked example in Jacobson & Truax (1991): SD 7.5, r .80 → 4.743416.
    assert s_diff(0.80, 7.5) == pytest.approx(4.743416, abs=1e-6)
    assert s_diff(None, 5.0) is None
    assert s_diff(0.89, 0.0) is None


def test_the_rule_flags_reliable_deterioration_at_any_session_as_off_track() -> None:
    found = rule(24.7, session=2)  # 4.7 points worse: beyond 4.5965
    assert found is not None
    assert found.basis is Basis.RULE
    assert found.status is Status.OFF_TRACK
    assert found.reliable_deterioration
    assert found.percentile is None


def test_the_rule_leaves_a_client_on_track_before_session_n_without_deterioration() -> None:
    found = rule(24.5, session=7)  # 4.5 points worse: not reliable
    assert found is not None
    assert found.status is Status.ON_TRACK
    assert not found.reliable_deterioration


def test_the_rule_flags_no_reliable_improvement_by_session_n() -> None:
    unchanged = rule(15.5, session=8)  # 4.5 points better: not reliable
    improved = rule(15.3, session=8)  # 4.7 points better: reliable
    assert unchanged is not None and unchanged.status is Status.OFF_TRACK
    assert not unchanged.reliable_deterioration
    assert improved is not None and improved.status is Status.ON_TRACK


def test_the_rule_reads_direction_where_higher_is_better() -> None:
    assert rule(15.3, session=3, higher_is_worse=False).reliable_deterioration  # type: ignore[union-attr]
    assert rule(24.7, session=8, higher_is_worse=False).status is Status.ON_TRACK  # type: ignore[union-attr]


def test_without_a_reliability_the_rule_cannot_classify() -> None:
    found = classify(
        session=9,
        score=27,
        intake=10,
        higher_is_worse=True,
        thresholds=DEFAULTS,
        model=None,
        s_difference=None,
    )
    assert found is None


def test_the_model_flags_reliable_deterioration_separately_from_its_status() -> None:
    worsening = ExpectedModel(
        coef=(20.0, 5.0, 1.0, 0.0),  # this practice's clients are expected to get worse
        coef_cov=FLAT_SD.coef_cov,
        random_cov=FLAT_SD.random_cov,
        residual_sd=3.0,
        intake_center=20.0,
        n_episodes=100,
        n_obs=800,
        converged=True,
        singular=False,
    )
    found = classify(
        session=4,
        score=20.0 + 5 * math.log(4),  # as expected, 6.9 points worse than intake
        intake=20.0,
        higher_is_worse=True,
        thresholds=DEFAULTS,
        model=worsening,
        s_difference=S_DIFF,
    )
    assert found is not None
    assert found.status is Status.ON_TRACK
    assert found.reliable_deterioration


# --- Data, fit and band ------------------------------------------------------------------------


def test_series_attach_the_intake_and_drop_episodes_without_one() -> None:
    data = series([1, 1, 1, 2, 2, 3], [2, 1, 3, 2, 3, 1], [12, 15, 10, 9, 8, 20])
    assert data.n_episodes == 2
    assert data.n_dropped_episodes == 1  # episode 2 has no session 1
    assert list(data.intake) == [15, 15, 15, 20]
    assert list(data.session) == [1, 2, 3, 1]


def test_a_repeated_session_keeps_the_later_row() -> None:
    data = series([1, 1, 1], [1, 2, 2], [15, 12, 11])
    assert list(data.score) == [15, 11]


def test_sessions_count_from_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        series([1], [0], [10])


def simulated(n: int, seed: int, slope: float = -4.0, noise: float = 1.5):  # type: ignore[no-untyped-def]
    """Clients with intake 10–24 whose scores fall by `slope` per log-session, with own slopes."""
    rng = np.random.default_rng(seed)
    ep, ses, y = [], [], []
    for i in range(n):
        intake = float(rng.uniform(10, 24))
        own = slope + rng.normal(0, 2.0)
        for s in range(1, 11):
            value = intake if s == 1 else intake + own * math.log(s) + rng.normal(0, noise)
            ep.append(i)
            ses.append(s)
            y.append(value)
    return series(ep, ses, y)


def test_the_fit_recovers_the_simulated_expected_trajectory() -> None:
    result = fit_expected(simulated(300, seed=3))
    assert result.model is not None
    intercept, time, intake, time_intake = result.model.coef
    assert time == pytest.approx(-4.0, abs=0.4)
    assert intake == pytest.approx(1.0, abs=0.05)  # session 1 is the intake itself
    assert time_intake == pytest.approx(0.0, abs=0.1)
    assert result.model.n_episodes == 300


def test_with_too_few_clients_the_fit_says_so_and_the_rule_applies() -> None:
    result = fit_expected(simulated(20, seed=3), min_episodes=50)
    assert result.model is None
    assert "20 clients" in result.reason and "50 clients" in result.reason


def test_a_stored_model_round_trips_through_json_data() -> None:
    model = fit_expected(simulated(120, seed=5)).model
    assert model is not None
    again = ExpectedModel.from_dict(model.to_dict())
    assert again == model


def test_the_band_is_ordered_centred_on_the_median_and_clipped_to_the_scale() -> None:
    band = expected_band(FLAT_SD, intake=4.0, sessions=[1, 2, 3], score_range=(0.0, 27.0))
    assert band.sessions == [1, 2, 3]
    assert band.percentiles[50][0] == pytest.approx(4.0)
    assert band.percentiles[90][0] == pytest.approx(4.0 + 2.0 * Z(0.9))
    for i in range(3):
        values = [band.percentiles[p][i] for p in (10, 25, 50, 75, 90)]
        assert values == sorted(values)
        assert min(values) >= 0.0
    assert band.percentiles[10][2] == 0.0  # 4 − 5·log 3 − 2.56 is below the scale


def test_cronbach_alpha_matches_a_hand_computation() -> None:
    # Item variances 5/3 and 19/12, total variance 25/4: α = 2 · (1 − 3.25/6.25) = 0.96.
    assert cronbach_alpha([[1, 2], [2, 3], [3, 3], [4, 5]]) == pytest.approx(0.96)
    assert cronbach_alpha([[1, 2], [1, 2], [1, 2]]) is None  # no spread


def test_the_stored_model_predicts_exactly_what_the_growth_engine_predicts() -> None:
    # The engine (checked against lme4) predicts a new group on its own scaled time axis; the
    # stored model does the same algebra on log(session). They must agree.
    from rapport.core.growth import fit_growth
    from rapport.core.trajectory import session_time

    data = simulated(150, seed=8)
    model = fit_expected(data).model
    assert model is not None
    center = float(data.intakes().mean())
    fit = fit_growth(
        data.episode,
        session_time(data.session),
        data.score,
        covariates={"intake": data.intake - center},
    )
    sessions = [1, 2, 5, 12]
    engine = fit.predict(session_time(sessions), covariates={"intake": 21.0 - center})
    mean, sd = model.predict(sessions, 21.0)
    assert mean == pytest.approx(engine.mean, rel=1e-9)
    assert sd == pytest.approx(engine.sd, rel=1e-9)


def test_classifying_many_rows_at_once_gives_what_classifying_each_gives() -> None:
    data = simulated(120, seed=9)
    model = fit_expected(data).model
    assert model is not None
    rng = np.random.default_rng(9)
    sessions = rng.integers(1, 15, 400)
    scores = rng.uniform(0, 27, 400)
    intakes = rng.uniform(10, 25, 400)
    for fitted in (model, None):  # the model, and the rule
        for higher_is_worse in (True, False):
            many = classify_rows(
                sessions,
                scores,
                intakes,
                higher_is_worse=higher_is_worse,
                thresholds=Thresholds(),
                model=fitted,
                s_difference=3.0,
            )
            each = [
                classify(
                    session=int(s),
                    score=float(y),
                    intake=float(x),
                    higher_is_worse=higher_is_worse,
                    thresholds=Thresholds(),
                    model=fitted,
                    s_difference=3.0,
                )
                for s, y, x in zip(sessions, scores, intakes, strict=True)
            ]
            assert len(many) == len(each)
            for a, b in zip(many, each, strict=True):
                if a is None or b is None:
                    assert a is b
                    continue
                assert (a.status, a.basis, a.reliable_deterioration) == (
                    b.status,
                    b.basis,
                    b.reliable_deterioration,
                )
                if b.percentile is None or b.expected is None:  # the rule
                    assert (a.percentile, a.expected) == (None, None)
                    continue
                assert a.percentile == pytest.approx(b.percentile, rel=1e-12, abs=1e-12)
                assert a.expected == pytest.approx(b.expected, rel=1e-12)
