"""Practice outcomes: categories at their thresholds, Wilson intervals, effect size, shrinkage.

Published values: claus_2020 HAMD (../shared/reference/README.md), Jacobson–Truax with cut-off c:
recovered 26, improved 3, unchanged 10, deteriorated 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rapport.core.change import Z_TWO_TAILED, standard_error_of_difference
from rapport.core.outcomes import (
    CATEGORIES,
    DETERIORATED,
    HARMED,
    IMPROVED,
    RECOVERED,
    UNCHANGED,
    beta_binomial_shrinkage,
    category_counts,
    first_and_last,
    histogram,
    jt_categories,
    pre_post_effect,
    predominant,
    proportion,
    recovery_cutoff,
    wilson,
)
from tests.core.test_change import claus_pairs

SD, R = 5.0, 0.8
S_DIFF = standard_error_of_difference(SD, R)  # √(2 · 25 · 0.2) = √10


def test_first_and_last_take_each_keys_earliest_and_latest_row_in_the_order_given() -> None:
    runs = first_and_last([7, 3, 7, 3, 7, 9])
    assert runs.keys.tolist() == [3, 7, 9]
    assert runs.first.tolist() == [1, 0, 5]
    assert runs.last.tolist() == [3, 4, 5]
    assert runs.count.tolist() == [2, 3, 1]


def test_a_change_exactly_at_the_critical_value_is_unchanged_and_just_past_it_is_reliable() -> None:
    at = Z_TWO_TAILED * S_DIFF
    pre = np.array([20.0, 20.0, 20.0, 20.0])
    post = pre + np.array([-at, -at - 1e-9, at, at + 1e-9])
    codes = jt_categories(pre, post, sd=SD, reliability=R, direction="lower", cutoff=None)
    assert codes.tolist() == [UNCHANGED, IMPROVED, UNCHANGED, DETERIORATED]


def test_recovered_needs_reliable_improvement_and_crossing_the_cut_off_strictly() -> None:
    big = 10.0  # well past the critical change of 1.96 · √10 ≈ 6.2
    pre = np.array([20.0, 20.0, 15.0, 8.0, 5.0])
    post = np.array([10.0, 9.99, 5.0, 8.0 + big, 5.0 + big])
    codes = jt_categories(pre, post, sd=SD, reliability=R, direction="lower", cutoff=10.0)
    # 10 is not below the cut-off; 9.99 is; 15 → 5 crosses; 8 → 18 worsens across the line
    # (harmed); 5 → 15 too.
    assert [CATEGORIES[c].value for c in codes] == [
        "improved",
        "recovered",
        "recovered",
        "harmed",
        "harmed",
    ]


def test_higher_is_better_scales_mirror_the_categories() -> None:
    pre = np.array([10.0, 30.0])
    post = np.array([30.0, 10.0])
    codes = jt_categories(pre, post, sd=SD, reliability=R, direction="higher", cutoff=20.0)
    assert codes.tolist() == [RECOVERED, HARMED]


def test_categories_reproduce_the_published_jacobson_truax_counts_for_claus_hamd() -> None:
    pre, post = claus_pairs("hamd")
    sd = float(np.std(pre, ddof=1))
    codes = jt_categories(pre, post, sd=sd, reliability=0.80, direction="lower", cutoff=19.886998)
    counts = category_counts(codes)[0]
    assert counts.tolist() == [26, 3, 10, 1, 0]


def test_category_counts_group_by_code() -> None:
    counts = category_counts([0, 1, 1, 4, 2], [0, 0, 1, 1, 2], 3)
    assert counts.tolist() == [[1, 1, 0, 0, 0], [0, 1, 0, 0, 1], [0, 0, 1, 0, 0]]


def test_recovery_cut_off_is_c_from_published_norms_else_the_published_score() -> None:
    c, source = recovery_cutoff(
        direction="lower",
        published_cutoff=10,
        clinical_mean=24.85,
        clinical_sd=3.3401213,
        functional_mean=8,
        functional_sd=8,
    )
    assert source == "c"
    assert c == pytest.approx(19.886998, abs=1e-6)
    assert recovery_cutoff(
        direction="lower",
        published_cutoff=10,
        clinical_mean=None,
        clinical_sd=None,
        functional_mean=None,
        functional_sd=None,
    ) == (10.0, "published")
    none = recovery_cutoff(
        direction="higher",
        published_cutoff=None,
        clinical_mean=None,
        clinical_sd=None,
        functional_mean=None,
        functional_sd=None,
    )
    assert none == (None, "none")


def test_wilson_interval_matches_hand_values() -> None:
    # 8 of 20: p = .4, z = 1.959964; centre (0.4 + z²/40)/(1 + z²/20), half-width
    # z·√(0.24/20 + z²/1600)/(1 + z²/20): 0.416113 ± 0.197306 → 0.218807 to 0.613418.
    p = proportion(8, 20)
    assert p.value == 0.4
    assert p.lower == pytest.approx(0.218807, abs=1e-6)
    assert p.upper == pytest.approx(0.613418, abs=1e-6)


def test_wilson_interval_stays_inside_zero_and_one_and_is_empty_without_cases() -> None:
    value, lower, upper = wilson([0, 5, 0], [5, 5, 0])
    assert lower[0] == 0.0 and upper[0] > 0.0
    assert upper[1] == 1.0 and lower[1] < 1.0
    assert math.isnan(value[2]) and math.isnan(lower[2])


def test_effect_size_is_the_mean_change_in_pre_test_sd_units_positive_when_better() -> None:
    pre = [10.0, 12.0, 14.0, 16.0]  # mean 13, SD √(20/3)
    post = [6.0, 9.0, 8.0, 13.0]  # mean 9
    effect = pre_post_effect(pre, post, direction="lower")
    assert effect is not None
    sd = math.sqrt(20.0 / 3.0)
    assert effect.d == pytest.approx(4.0 / sd)
    # r: cov = Σ(x−13)(y−9)/3 = ((−3)(−3) + (−1)(0) + (1)(−1) + (3)(4))/3 = 20/3;
    # SD_post = √(26/3) → r = (20/3)/(√(20/3)·√(26/3)) = √(20/26).
    assert effect.r_pre_post == pytest.approx(math.sqrt(20.0 / 26.0))
    se = math.sqrt(2 * (1 - effect.r_pre_post) / 4 + effect.d**2 / 8)
    assert effect.lower == pytest.approx(effect.d - Z_TWO_TAILED * se)
    assert effect.upper == pytest.approx(effect.d + Z_TWO_TAILED * se)
    worse = pre_post_effect(pre, post, direction="higher")
    assert worse is not None and worse.d == pytest.approx(-effect.d)


def test_effect_size_needs_three_pairs_and_spread_at_intake() -> None:
    assert pre_post_effect([1.0, 2.0], [0.0, 1.0], direction="lower") is None
    assert pre_post_effect([5.0, 5.0, 5.0], [1.0, 2.0, 3.0], direction="lower") is None


def test_shrinkage_pulls_small_groups_further_towards_the_practice_rate() -> None:
    rng = np.random.default_rng(3)
    trials = np.array([200] * 30 + [4, 200])
    rates = np.r_[rng.uniform(0.45, 0.75, 30), 1.0, 1.0]
    successes = np.round(trials * rates)
    shrunk = beta_binomial_shrinkage(successes, trials)
    small, large = 30, 31
    assert shrunk.raw[small] == shrunk.raw[large] == 1.0
    assert shrunk.mean[small] < shrunk.mean[large] < 1.0
    assert abs(shrunk.mean[small] - shrunk.prior_mean) < abs(1.0 - shrunk.prior_mean) / 2
    # Wider interval with fewer clients, and each interval holds its posterior mean.
    assert shrunk.upper[small] - shrunk.lower[small] > shrunk.upper[large] - shrunk.lower[large]
    assert np.all((shrunk.lower <= shrunk.mean) & (shrunk.mean <= shrunk.upper))
    assert 0.5 < shrunk.prior_mean < 0.7


def test_shrunken_intervals_cover_the_true_rates_about_as_often_as_they_claim() -> None:
    # Therapists' true rates drawn from Beta(12, 8), caseloads of 5 to 60: over 4,000 therapists
    # the 95% posterior intervals should hold the truth about 95% of the time (a little less is
    # expected, as the prior's own uncertainty is not carried into the intervals).
    covered = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        truth = rng.beta(12, 8, 200)
        trials = rng.integers(5, 60, 200)
        shrunk = beta_binomial_shrinkage(rng.binomial(trials, truth), trials)
        covered.append(np.mean((shrunk.lower <= truth) & (truth <= shrunk.upper)))
    assert 0.92 < float(np.mean(covered)) < 0.97


def test_without_real_differences_every_group_gets_the_practice_rate() -> None:
    trials = np.full(40, 50)
    successes = np.tile([25, 24, 26, 25], 10)  # less spread than chance alone would make
    shrunk = beta_binomial_shrinkage(successes, trials)
    assert np.allclose(shrunk.mean, successes.sum() / trials.sum(), atol=2e-3)


def test_histogram_counts_the_top_value_in_the_last_bin_and_values_below_a_threshold() -> None:
    hist = histogram([0, 3.9, 4, 40, 36, 35.5], low=0, high=40, bins=10, threshold=36)
    assert hist.counts.tolist() == [2, 1, 0, 0, 0, 0, 0, 0, 1, 2]
    assert hist.below == 4
    assert hist.median == pytest.approx((4 + 35.5) / 2)


def test_predominant_label_weighs_grouped_counts_and_marks_groups_without_any() -> None:
    labels = predominant([0, 0, 1, 1], [2, 1, 0, 1], [3, 5, 2, 2], n_groups=3, n_labels=3)
    assert labels.tolist() == [1, 0, -1]


def test_histogram_of_tallied_values_equals_the_histogram_of_the_values_themselves() -> None:
    values = [30, 30, 30, 36, 40, 21, 36]
    tallied = histogram([21, 30, 36, 40], weights=[1, 3, 2, 1], low=0, high=40, bins=8)
    plain = histogram(values, low=0, high=40, bins=8)
    assert tallied.counts.tolist() == plain.counts.tolist()
    assert tallied.median == plain.median == 30.0
    even = histogram([1, 2, 3], weights=[1, 1, 2], low=0, high=4, bins=4)
    assert even.median == np.median([1, 2, 3, 3])
