"""Agreement statistics against published values.

ICC: the ratings of Shrout & Fleiss (1979, Table 2), 6 targets × 4 judges, with the published
ANOVA (Table 2) and coefficients ICC(2,1) = .29 and ICC(3,1) = .71; their F intervals as printed by
R's psych::ICC and DescTools::ICC for the same data. Bland–Altman: the peak expiratory flow data of
Bland & Altman (1986, Lancet), and a small set whose limits are worked out by hand below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rapport.core.agreement import (
    MIN_TARGETS,
    NotEstimable,
    agreement,
    bland_altman,
    intraclass_correlations,
    mean_squares,
)

# Shrout & Fleiss (1979), Table 2: rows are targets, columns judges 1–4.
SHROUT_FLEISS: list[list[float]] = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

# Bland & Altman (1986), Table 1, first reading on each meter (l/min), 17 subjects.
WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
MINI_WRIGHT = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]

NAN = math.nan


# --- Intraclass correlation ---------------------------------------------------------------------


def test_the_anova_of_the_shrout_fleiss_ratings_matches_their_table_2() -> None:
    ms = mean_squares(SHROUT_FLEISS)
    assert (ms.n_targets, ms.n_raters) == (6, 4)
    assert ms.targets == pytest.approx(11.24, abs=0.005)  # BMS
    assert ms.within == pytest.approx(6.26, abs=0.005)  # WMS
    assert ms.raters == pytest.approx(32.49, abs=0.005)  # JMS
    assert ms.error == pytest.approx(1.02, abs=0.005)  # EMS


def test_icc_2_1_of_the_four_judges_is_the_published_0_29() -> None:
    icc = intraclass_correlations(SHROUT_FLEISS).absolute
    assert icc.value == pytest.approx(0.29, abs=0.005)  # Shrout & Fleiss (1979)
    assert icc.value == pytest.approx(0.290, abs=0.0005)  # DescTools::ICC, three decimals


def test_icc_3_1_of_the_four_judges_is_the_published_0_71() -> None:
    icc = intraclass_correlations(SHROUT_FLEISS).consistency
    assert icc.value == pytest.approx(0.71, abs=0.005)  # Shrout & Fleiss (1979)
    assert icc.value == pytest.approx(0.715, abs=0.0005)  # DescTools::ICC


def test_the_f_test_of_the_four_judges_matches_desctools() -> None:
    # DescTools::ICC: F 11.03 on 5 and 15 df, p 0.000135, for both ICC2 and ICC3.
    result = intraclass_correlations(SHROUT_FLEISS)
    for icc in (result.absolute, result.consistency):
        assert icc.f_value == pytest.approx(11.03, abs=0.005)
        assert (icc.df1, icc.df2) == (5, 15)
        assert icc.p_value == pytest.approx(0.000135, abs=5e-7)


def test_the_95_percent_intervals_of_the_four_judges_match_psych() -> None:
    # psych::ICC on the same table: ICC2 0.019 to 0.76, ICC3 0.342 to 0.95.
    result = intraclass_correlations(SHROUT_FLEISS)
    assert result.absolute.lower == pytest.approx(0.019, abs=0.0005)
    assert result.absolute.upper == pytest.approx(0.76, abs=0.005)
    assert result.consistency.lower == pytest.approx(0.342, abs=0.0005)
    assert result.consistency.upper == pytest.approx(0.95, abs=0.005)


def test_two_raters_match_desctools_on_ten_pairs() -> None:
    # Ten targets × two raters, with DescTools::ICC's printout for them as quoted in the f_ICC
    # MATLAB function (R. P. Matthew, 2018), which attributes the data to McGraw & Wong (1996):
    # ICC2 0.720 (0.228 to 0.922), ICC3 0.714 (0.197 to 0.920), F 6.00 on 9 and 9 df, p 0.00677.
    # The k = 2 case is the one Rapport uses for client–therapist and child–guardian pairs.
    a = [103, 82, 116, 102, 99, 98, 104, 62, 97, 107]
    b = [119, 65, 106, 102, 105, 100, 107, 85, 101, 110]
    icc = agreement(a, b).intraclass
    assert icc.absolute.value == pytest.approx(0.720, abs=0.0005)
    assert icc.absolute.lower == pytest.approx(0.228, abs=0.0005)
    assert icc.absolute.upper == pytest.approx(0.922, abs=0.0005)
    assert icc.consistency.value == pytest.approx(0.714, abs=0.0005)
    assert icc.consistency.lower == pytest.approx(0.197, abs=0.0005)
    assert icc.consistency.upper == pytest.approx(0.920, abs=0.0005)
    assert icc.consistency.f_value == pytest.approx(6.00, abs=0.005)
    assert (icc.consistency.df1, icc.consistency.df2) == (9, 9)
    assert icc.consistency.p_value == pytest.approx(0.00677, abs=5e-6)


def test_paired_scores_give_the_same_icc_as_a_two_column_table() -> None:
    a, b = [30, 34, 38, 36, 29], [31, 33, 40, 35, 33]
    assert agreement(a, b).intraclass == intraclass_correlations(np.column_stack([a, b]))


def test_raters_who_agree_exactly_have_an_icc_of_1() -> None:
    # Decimals so that the residuals are rounding error rather than exact zeros.
    scores = [0.1, 0.2, 0.7, 0.3]
    icc = agreement(scores, scores).intraclass
    for form in (icc.absolute, icc.consistency):
        assert (form.value, form.lower, form.upper) == (1.0, 1.0, 1.0)


def test_a_constant_offset_is_consistent_but_not_absolute_agreement() -> None:
    client, therapist = [30, 34, 38, 36], [32, 36, 40, 38]  # the therapist always 2 higher
    icc = agreement(therapist, client).intraclass
    assert icc.consistency.value == 1.0
    # Target means 31, 35, 39, 37 around 35.5: MSR = 2 × (4.5² + 0.5² + 3.5² + 1.5²) / 3 = 70/3.
    # Rater means 34.5 and 36.5: MSC = 4 × (1² + 1²) / 1 = 8. MSE = 0.
    # ICC(A,1) = MSR / (MSR + (k/n) MSC) = (70/3) / (70/3 + 4) = 0.8537.
    assert icc.absolute.value == pytest.approx(70 / 3 / (70 / 3 + 4))
    assert icc.absolute.lower < icc.absolute.value < icc.absolute.upper < 1


def test_the_same_score_everywhere_leaves_the_icc_undefined() -> None:
    result = agreement([36, 36, 36], [36, 36, 36])
    icc = result.intraclass
    assert math.isnan(icc.absolute.value) and math.isnan(icc.consistency.value)
    assert result.icc is None
    assert result.icc_not_estimable is NotEstimable.NO_VARIATION


def test_raters_each_constant_but_apart_have_a_gap_and_no_estimable_icc() -> None:
    # The client always at the ceiling (40), the therapist always at 36: the sessions do not
    # differ, so there is nothing for an ICC to tell apart; the gap is exact.
    result = agreement([36, 36, 36, 36], [40, 40, 40, 40])
    assert (result.bias, result.lower, result.upper) == (-4, -4, -4)
    assert result.icc is None
    assert result.icc_not_estimable is NotEstimable.TARGETS_ALIKE
    for form in (result.intraclass.absolute, result.intraclass.consistency):
        assert form.not_estimable is NotEstimable.TARGETS_ALIKE
        assert all(math.isnan(x) for x in (form.value, form.lower, form.upper, form.f_value))
        assert math.isnan(form.p_value)


def test_decimal_constants_apart_are_not_estimable_despite_rounding() -> None:
    # 0.1 and 0.3 leave rounding hairs in the target and residual sums of squares.
    result = agreement([0.1, 0.1, 0.1, 0.1, 0.1], [0.3, 0.3, 0.3, 0.3, 0.3])
    assert result.icc_not_estimable is NotEstimable.TARGETS_ALIKE
    assert result.bias == pytest.approx(-0.2)


def test_raters_ranking_targets_in_opposite_order_have_a_negative_icc_not_an_error() -> None:
    # Target means all equal (MSR = 0) while the residual is not: the published formulas apply.
    # MSE = 4, MSC = 0: ICC(A,1) = (0 − 4) / (0 + 4 + 2 (0 − 4) / 3) = −3; ICC(C,1) = −4 / 4 = −1.
    result = agreement([1, 2, 3], [3, 2, 1])
    assert result.intraclass.absolute.value == pytest.approx(-3)
    assert result.intraclass.consistency.value == pytest.approx(-1)
    assert result.icc_not_estimable is None


def test_a_table_row_with_a_missing_rating_is_dropped() -> None:
    table: list[list[float]] = [*SHROUT_FLEISS, [5, NAN, 4, 6]]
    result = intraclass_correlations(table)
    assert (result.n_targets, result.n_dropped) == (6, 1)
    assert result.absolute == intraclass_correlations(SHROUT_FLEISS).absolute


def test_one_rater_is_not_a_table_to_agree_on() -> None:
    with pytest.raises(ValueError, match="at least two raters"):
        intraclass_correlations([[1], [2], [3]])


# --- Bland–Altman --------------------------------------------------------------------------------


def test_bland_altman_limits_worked_by_hand() -> None:
    client = [30, 32, 35, 28, 36]
    therapist = [30, 36, 37, 32, 36]
    # Differences (therapist − client) 0, 4, 2, 4, 0: mean 2; deviations −2, 2, 0, 2, −2 square
    # to 16, so SD = √(16/4) = 2. Limits 2 ± 1.96 × 2 = −1.92 and 5.92.
    # t(.975, 4) = 2.776445. Bias CI: 2 ± 2.776445 × 2/√5 = 2 ± 2.483328.
    # SE of a limit: 2 × √(1/5 + 1.96²/(2 × 4)) = 2 × √0.6802 = 1.649485; × t = 4.579704.
    result = bland_altman(therapist, client)
    assert result.n == 5
    assert result.bias == pytest.approx(2.0)
    assert result.sd == pytest.approx(2.0)
    assert result.lower_limit == pytest.approx(-1.92)
    assert result.upper_limit == pytest.approx(5.92)
    assert result.bias_ci == pytest.approx((2 - 2.483328, 2 + 2.483328), abs=1e-6)
    assert result.lower_limit_ci == pytest.approx((-1.92 - 4.579704, -1.92 + 4.579704), abs=1e-6)
    assert result.upper_limit_ci == pytest.approx((5.92 - 4.579704, 5.92 + 4.579704), abs=1e-6)


def test_bland_altman_reproduces_the_1986_peak_flow_example() -> None:
    # Bland & Altman (1986): Wright minus mini Wright, mean difference −2.1 l/min, SD 38.8.
    result = bland_altman(WRIGHT, MINI_WRIGHT)
    assert result.n == 17
    assert result.bias == pytest.approx(-2.1, abs=0.05)
    assert result.sd == pytest.approx(38.8, abs=0.05)
    assert result.lower_limit == pytest.approx(result.bias - 1.96 * result.sd)


def test_differences_are_the_first_rater_minus_the_second() -> None:
    client, therapist = [30, 32, 35], [33, 34, 38]
    assert bland_altman(therapist, client).bias == pytest.approx(8 / 3)
    assert bland_altman(client, therapist).bias == pytest.approx(-8 / 3)


def test_identical_differences_collapse_the_limits_onto_the_bias() -> None:
    result = bland_altman([32, 36, 40, 38], [30, 34, 38, 36])
    assert result.sd == 0
    assert result.lower_limit == result.upper_limit == 2
    assert result.bias_ci == result.lower_limit_ci == result.upper_limit_ci == (2, 2)


def test_the_one_line_summary_is_the_gap_its_limits_and_the_absolute_icc() -> None:
    result = agreement([30, 36, 37, 32, 36], [30, 32, 35, 28, 36])
    assert (result.bias, result.lower, result.upper) == pytest.approx((2, -1.92, 5.92))
    assert result.icc == result.intraclass.absolute.value


def test_pairs_with_a_missing_score_are_dropped_and_counted() -> None:
    result = agreement([30, 31, NAN, 32, 36, 35], [30, NAN, 35, 28, 36, 33])
    assert (result.n, result.n_dropped) == (4, 2)
    assert result.bland_altman == bland_altman([30, 32, 36, 35], [30, 28, 36, 33])


def test_fewer_than_three_complete_pairs_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least 3 complete pairs, got 2"):
        agreement([30, 32], [31, 33])
    with pytest.raises(ValueError, match=r"got 2 \(1 left out for a missing score\)"):
        bland_altman([30, 32, NAN], [31, 33, 34])


def test_lists_of_different_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="same length"):
        agreement([30, 32, 34], [31, 33])


def test_an_infinite_score_is_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        agreement([30, 32, math.inf], [31, 33, 34])


def test_the_confidence_level_must_be_a_proportion() -> None:
    with pytest.raises(ValueError, match="confidence"):
        agreement([30, 32, 34], [31, 33, 36], confidence=95)


def test_a_wider_confidence_level_widens_every_interval() -> None:
    a, b = [30, 32, 35, 28, 36], [30, 36, 37, 32, 36]
    narrow, wide = agreement(a, b, confidence=0.90), agreement(a, b, confidence=0.99)
    for attr in ("bias_ci", "lower_limit_ci", "upper_limit_ci"):
        n_low, n_high = getattr(narrow.bland_altman, attr)
        w_low, w_high = getattr(wide.bland_altman, attr)
        assert w_low < n_low and n_high < w_high
    assert wide.intraclass.absolute.lower < narrow.intraclass.absolute.lower


scores = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=3, max_size=30
).filter(lambda pairs: len({a - b for a, b in pairs}) > 1 and len({a for a, _ in pairs}) > 1)


@settings(deadline=None)
@given(scores)
def test_swapping_the_raters_mirrors_the_bias_and_keeps_the_icc(
    pairs: list[tuple[int, int]],
) -> None:
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    forward, backward = agreement(a, b), agreement(b, a)
    assert backward.bland_altman.bias == pytest.approx(-forward.bland_altman.bias)
    assert backward.bland_altman.lower_limit == pytest.approx(-forward.bland_altman.upper_limit)
    assert backward.intraclass.absolute.value == pytest.approx(forward.intraclass.absolute.value)
    assert backward.intraclass.consistency.value == pytest.approx(
        forward.intraclass.consistency.value
    )


# --- Degenerate inputs, generated ---------------------------------------------------------------

totals = st.integers(0, 40)
# Few pairs (0–2 included), constant columns, ties and offsets: the shapes real alliance data
# takes when a client stays at the ceiling.
tiny = st.lists(st.tuples(totals, totals), min_size=0, max_size=6)
constant_apart = st.tuples(totals, totals, st.integers(0, 8)).map(lambda t: [(t[0], t[1])] * t[2])
offset = st.tuples(st.lists(totals, min_size=0, max_size=8), st.integers(-5, 5)).map(
    lambda t: [(x, x + t[1]) for x in t[0]]
)
one_side_constant = st.tuples(st.lists(totals, min_size=0, max_size=8), totals).map(
    lambda t: [(x, t[1]) for x in t[0]]
)
degenerate = st.one_of(tiny, constant_apart, offset, one_side_constant)


@settings(deadline=None, max_examples=300)
@given(degenerate)
# Found by the generator: a negative absolute ICC whose interval came out inverted.
@example([(30, 0), (13, 16), (31, 7), (31, 3)])
def test_agreement_is_defined_or_says_why_for_constant_tied_and_tiny_inputs(
    pairs: list[tuple[int, int]],
) -> None:
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    if len(pairs) < MIN_TARGETS:
        with pytest.raises(ValueError, match=f"at least {MIN_TARGETS} complete pairs"):
            agreement(a, b)
        return
    result = agreement(a, b)
    ba = result.bland_altman
    differences = [x - y for x, y in pairs]
    assert min(differences) - 1e-9 <= ba.bias <= max(differences) + 1e-9
    assert ba.sd >= 0 and ba.lower_limit <= ba.bias <= ba.upper_limit
    for low, high in (ba.bias_ci, ba.lower_limit_ci, ba.upper_limit_ci):
        assert math.isfinite(low) and math.isfinite(high) and low <= high
    for form in (result.intraclass.absolute, result.intraclass.consistency):
        # A value is a number, or NaN with the reason; never an infinity, never silent.
        assert math.isnan(form.value) == (form.not_estimable is not None)
        if form.not_estimable is None:
            assert form.value <= 1 + 1e-9
            if math.isfinite(form.lower):
                assert form.lower <= form.upper + 1e-9
    # McGraw & Wong's exact F interval holds its ICC(C,1); the approximate ICC(A,1) interval
    # need not, for a negative ICC (for example pairs (1, 2), (2, 1), (3, 0), (4, 0)).
    consistency = result.intraclass.consistency
    if consistency.not_estimable is None and math.isfinite(consistency.lower):
        assert consistency.lower - 1e-9 <= consistency.value <= consistency.upper + 1e-9
    if len(set(a)) == 1 and len(set(b)) == 1:
        expected = NotEstimable.NO_VARIATION if a[0] == b[0] else NotEstimable.TARGETS_ALIKE
        assert result.icc_not_estimable is expected
    if len(set(differences)) == 1 and len(set(a)) > 1:  # a constant offset: perfectly consistent
        assert result.intraclass.consistency.value == pytest.approx(1)


def test_the_icc_is_put_in_words_by_cicchettis_bands() -> None:
    judge_1, judge_2, judge_4 = ([row[j] for row in SHROUT_FLEISS] for j in (0, 1, 3))
    close = [v + (0.5 if i % 2 else -0.5) for i, v in enumerate(judge_1)]

    assert agreement(judge_1, judge_2).icc_words == "poorly"  # ICC(2,1) 0.13
    assert agreement(judge_1, judge_4).icc_words == "well"  # 0.65
    assert agreement(judge_1, close).icc_words == "very well"  # 0.94
    assert agreement([10, 10, 10], [9, 9, 9]).icc_words is None  # not estimable
