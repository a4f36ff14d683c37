"""Therapists' measured effectiveness: validated on simulations with a known truth, and against
statsmodels' MixedLM for the same model.

The simulations (rapport.speed.episodes) have unequal caseloads and send harder cases to better
therapists, with harder cases improving less: only an adjustment for intake severity that the
confounding does not bias recovers the effects.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rapport.core.matching import (
    MIN_EPISODES,
    Adjustment,
    EffectivenessResult,
    Label,
    fit_effectiveness,
)
from rapport.speed.episodes import Episodes, simulate_episodes

SEEDS = range(10)
THERAPISTS = 60
EPISODES = 3000
TWO_DOMAINS = (("depression", 15.0, 5.0, "lower"), ("anxiety", 12.0, 4.0, "lower"))


def fit(episodes: Episodes, **options: object) -> EffectivenessResult:
    return fit_effectiveness(
        episodes.therapist,
        episodes.domain,
        episodes.pre,
        episodes.post,
        direction=episodes.direction,
        covariates={"age band": episodes.age_band},
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def validation() -> list[tuple[Episodes, EffectivenessResult]]:
    runs = []
    for seed in SEEDS:
        episodes = simulate_episodes(THERAPISTS, EPISODES, seed=seed)
        runs.append((episodes, fit(episodes)))
    return runs


def test_80_percent_intervals_cover_the_true_effects_75_to_85_percent_of_the_time(validation):
    covered = [
        effect.lower <= episodes.truth[effect.therapist, effect.domain] <= effect.upper
        for episodes, result in validation
        for effect in result.effects
    ]
    assert len(covered) > 1000
    assert 0.75 <= np.mean(covered) <= 0.85


def test_at_least_90_percent_of_strength_labels_belong_to_therapists_truly_better(validation):
    truths = [
        episodes.truth[effect.therapist, effect.domain]
        for episodes, result in validation
        for effect in result.effects
        if effect.label is Label.STRENGTH
    ]
    assert len(truths) >= 30
    assert np.mean(np.asarray(truths) > 0) >= 0.90


def test_at_most_5_percent_of_caution_labels_fall_on_therapists_not_truly_worse(validation):
    truths = [
        episodes.truth[effect.therapist, effect.domain]
        for episodes, result in validation
        for effect in result.effects
        if effect.label is Label.CAUTION
    ]
    assert len(truths) >= 30
    assert np.mean(np.asarray(truths) >= 0) <= 0.05


def test_labels_need_15_episodes_in_the_domain(validation):
    labelled = [
        effect
        for _, result in validation
        for effect in result.effects
        if effect.label is not Label.NO_EVIDENCE
    ]
    assert labelled
    assert min(effect.n for effect in labelled) >= MIN_EPISODES
    small = [e for _, r in validation for e in r.effects if e.n < MIN_EPISODES]
    assert any(e.p_above >= 0.8 or e.p_below >= 0.8 for e in small)
    assert all(e.label is Label.NO_EVIDENCE for e in small)


def test_the_simulation_confounds_so_raw_change_hides_the_better_therapists():
    episodes = simulate_episodes(THERAPISTS, EPISODES, seed=0)
    result = fit(episodes)
    raw, truth, adjusted = [], [], []
    for effect in result.effects:
        rows = (episodes.therapist == effect.therapist) & (episodes.domain == effect.domain)
        sign = -1.0 if episodes.direction[effect.domain] == "lower" else 1.0
        change = sign * (episodes.post[rows] - episodes.pre[rows])
        raw.append(change.mean() / result.intake_sd[effect.domain])
        truth.append(episodes.truth[effect.therapist, effect.domain])
        adjusted.append(effect.estimate)
    truth_array = np.asarray(truth)
    # Better therapists' raw change is pulled down by their harder cases; the estimates are not.
    raw_slope = np.polyfit(truth_array, np.asarray(raw), 1)[0]
    adjusted_slope = np.polyfit(truth_array, np.asarray(adjusted), 1)[0]
    assert raw_slope < 0.6 * adjusted_slope


def test_a_positive_estimate_means_more_improvement_whichever_direction_is_better():
    better = simulate_episodes(40, 2000, seed=5, domains=TWO_DOMAINS)
    flipped_pre = 30.0 - better.pre  # the same data on a scale where higher is better
    flipped_post = 30.0 - better.post
    lower = fit(better)
    higher = fit_effectiveness(
        better.therapist,
        better.domain,
        flipped_pre,
        flipped_post,
        direction="higher",
        covariates={"age band": better.age_band},
    )
    assert [e.estimate for e in lower.effects] == pytest.approx(
        [e.estimate for e in higher.effects], abs=1e-6
    )
    truths = np.asarray([better.truth[e.therapist, e.domain] for e in lower.effects])
    estimates = np.asarray([e.estimate for e in lower.effects])
    assert np.corrcoef(truths, estimates)[0, 1] > 0.5


def test_too_few_therapists_with_15_episodes_means_preferences_only():
    episodes = simulate_episodes(6, 600, seed=3, domains=TWO_DOMAINS)
    result = fit(episodes)
    assert result.preferences_only
    assert "at least 10 are needed" in result.reason
    assert all(effect.label is Label.NO_EVIDENCE for effect in result.effects)
    assert "preferences only" in result.summary()


def test_no_therapist_variance_means_preferences_only():
    episodes = simulate_episodes(
        50, 3000, seed=4, domains=TWO_DOMAINS, therapist_sd=0.0, domain_sd=0.0, confounding=0.0
    )
    result = fit(episodes)
    assert result.p_value >= 0.05
    assert result.preferences_only
    assert "indistinguishable from 0" in result.reason
    assert all(effect.label is Label.NO_EVIDENCE for effect in result.effects)


def test_records_carry_the_documented_keys_in_therapist_order_never_by_estimate(validation):
    _, result = validation[0]
    records = result.records()
    assert set(records[0]) == {
        "therapist",
        "domain",
        "n",
        "estimate",
        "lower",
        "upper",
        "p_above",
        "p_below",
        "label",
    }
    order = [(r["therapist"], r["domain"]) for r in records]
    assert order == sorted(order)
    assert [r["estimate"] for r in records] != sorted(r["estimate"] for r in records)
    assert set(result.variance_components()) == {"therapist", "therapist_domain", "residual"}
    text = result.summary()
    assert "therapist × domain" in text and "80% interval" in text


def test_pooled_fit_agrees_with_statsmodels_mixedlm_on_the_same_model():
    smf = pytest.importorskip("statsmodels.formula.api")
    pd = pytest.importorskip("pandas")
    episodes = simulate_episodes(
        30, 900, seed=3, domains=TWO_DOMAINS, therapist_sd=0.2, domain_sd=0.15, confounding=0.0
    )
    ours = fit_effectiveness(
        episodes.therapist,
        episodes.domain,
        episodes.pre,
        episodes.post,
        direction="lower",
        adjustment=Adjustment.POOLED,
    )
    frame = pd.DataFrame(
        {"t": episodes.therapist, "d": episodes.domain, "pre": episodes.pre, "post": episodes.post}
    )
    by_domain = frame.groupby("d")["pre"]
    frame["y"] = (frame.pre - frame.post) / by_domain.transform("std")
    frame["z"] = (frame.pre - by_domain.transform("mean")) / by_domain.transform("std")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = smf.mixedlm(
            "y ~ 0 + C(d) + C(d):z",
            frame,
            groups=frame["t"],
            re_formula="1",
            vc_formula={"domain": "0 + C(d)"},
        ).fit(reml=True, method=["nm", "lbfgs"])
    assert theirs.converged
    # statsmodels orders domains alphabetically too: intercepts, then intake slopes.
    assert ours.coef == pytest.approx(theirs.fe_params.to_numpy(), abs=1e-4)
    assert ours.tau2 == pytest.approx(float(theirs.cov_re.to_numpy()[0, 0]), rel=1e-3)
    assert ours.omega2 == pytest.approx(float(theirs.vcomp[0]), rel=1e-3)
    assert ours.sigma2 == pytest.approx(float(theirs.scale), rel=1e-4)
    assert ours.criterion == pytest.approx(-2.0 * theirs.llf, abs=1e-4)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"level": 1.0}, "level must be between 0 and 1"),
        ({"delta": -0.1}, "delta must be zero or more"),
        ({"direction": "sideways"}, "direction must be lower or higher"),
        ({"direction": {"depression": "lower"}}, "no direction is given for domain anxiety"),
    ],
)
def test_bad_settings_are_refused(options, message):
    episodes = simulate_episodes(20, 400, seed=1, domains=TWO_DOMAINS)
    arguments = {"direction": "lower", **options}
    with pytest.raises(ValueError, match=message):
        fit_effectiveness(
            episodes.therapist, episodes.domain, episodes.pre, episodes.post, **arguments
        )


def test_a_domain_whose_intake_scores_do_not_vary_is_refused():
    episodes = simulate_episodes(20, 400, seed=1, domains=TWO_DOMAINS)
    pre = np.where(episodes.domain == "anxiety", 10.0, episodes.pre)
    with pytest.raises(ValueError, match="domain anxiety: the intake scores do not vary"):
        fit_effectiveness(
            episodes.therapist, episodes.domain, pre, episodes.post, direction="lower"
        )


def test_a_covariate_constant_within_every_caseload_is_refused():
    episodes = simulate_episodes(20, 400, seed=1, domains=TWO_DOMAINS)
    per_therapist = np.asarray([int(t[1:]) % 3 for t in episodes.therapist], dtype=float)
    with pytest.raises(ValueError, match="does not vary within therapists' caseloads"):
        fit_effectiveness(
            episodes.therapist,
            episodes.domain,
            episodes.pre,
            episodes.post,
            direction="lower",
            covariates={"site": per_therapist},
        )
