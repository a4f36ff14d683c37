"""Fear-ladder rules, checked against values worked out by hand."""

from __future__ import annotations

import pytest

from rapport.core.exposure import (
    MasteryRule,
    StepState,
    is_mastered,
    ladder_progress,
    slope_per_repetition,
    step_progress,
)

RULE = MasteryRule()  # peak 30 or less, or 50% below the first, on 2 attempts in a row


def test_the_slope_is_the_least_squares_change_per_repetition() -> None:
    # x = 1..4 (mean 2.5), y = 80, 70, 50, 40 (mean 60): sum dx*dy = -70, sum dx^2 = 5.
    assert slope_per_repetition([80, 70, 50, 40]) == pytest.approx(-14.0)


def test_a_single_attempt_has_no_slope() -> None:
    assert slope_per_repetition([60]) is None


def test_a_flat_history_has_a_slope_of_zero() -> None:
    assert slope_per_repetition([50, 50, 50]) == pytest.approx(0.0)


def test_two_low_peaks_in_a_row_master_a_step() -> None:
    assert is_mastered([70, 30, 25], RULE)


def test_one_low_peak_is_not_yet_mastery() -> None:
    assert not is_mastered([70, 50, 25], RULE)


def test_a_low_first_attempt_followed_by_another_masters_an_easy_step() -> None:
    assert is_mastered([20, 25], RULE)


def test_halving_from_the_first_peak_twice_in_a_row_masters_a_step() -> None:
    # First peak 90: the ceiling is 45; 45 and 40 are both at or below it, though above 30.
    assert is_mastered([90, 60, 45, 40], RULE)


def test_the_first_attempt_never_counts_towards_its_own_fall() -> None:
    # Two attempts only: 80 then 40 halves, but the first attempt cannot be a "recent" one.
    assert not is_mastered([80, 40], RULE)


def test_a_setback_after_mastery_makes_the_step_practising_again() -> None:
    assert not is_mastered([70, 25, 20, 65], RULE)


def test_a_ladder_may_ask_for_three_attempts_in_a_row() -> None:
    strict = MasteryRule(peak_at_most=20, fall_percent=60, consecutive=3)
    assert not is_mastered([80, 20, 15], strict)
    assert is_mastered([80, 30, 20, 15], strict)  # 30, 20, 15 are all <= 32 (60% below 80)


def test_impossible_rules_are_refused() -> None:
    with pytest.raises(ValueError):
        MasteryRule(peak_at_most=120)
    with pytest.raises(ValueError):
        MasteryRule(fall_percent=0)
    with pytest.raises(ValueError):
        MasteryRule(consecutive=0)


def test_step_progress_reports_first_and_latest_peak_fall_and_overestimate() -> None:
    progress = step_progress([80, 70, 50, 40], [90, 80, 60, None], RULE)
    assert progress.attempts == 4
    assert (progress.first_peak, progress.latest_peak) == (80, 40)
    assert progress.fall == 40
    assert progress.fall_percent == pytest.approx(50.0)
    assert progress.slope == pytest.approx(-14.0)
    # Anticipated minus peak on the three attempts with both: 10, 10, 10.
    assert progress.mean_overestimate == pytest.approx(10.0)
    assert progress.state == StepState.PRACTISING  # 50 is above 40 (half of 80) and 30


def test_a_step_without_attempts_is_not_started() -> None:
    progress = step_progress([], [], RULE)
    assert progress.state == StepState.NOT_STARTED and progress.slope is None


def test_a_first_peak_of_zero_has_no_percentage_fall() -> None:
    progress = step_progress([0, 10], [10, 10], RULE)
    assert progress.fall == -10 and progress.fall_percent is None


def test_peaks_outside_the_scale_are_refused() -> None:
    with pytest.raises(ValueError):
        step_progress([101], [50], RULE)


def test_the_current_step_is_the_lowest_not_yet_mastered() -> None:
    ladder = ladder_progress(
        [
            ([40, 25, 20], [50, 30, 30]),  # mastered
            ([70, 60], [80, 70]),  # practising
            ([20, 10], [30, 20]),  # mastered, though higher up
            ([], []),  # not started
        ],
        RULE,
    )
    states = [step.state for step in ladder.steps]
    assert states == [
        StepState.MASTERED,
        StepState.PRACTISING,
        StepState.MASTERED,
        StepState.NOT_STARTED,
    ]
    assert ladder.current_index == 1
    assert ladder.mastered == 2
    assert ladder.climbed_percent == pytest.approx(50.0)


def test_a_fully_climbed_ladder_has_no_current_step() -> None:
    ladder = ladder_progress([([20, 20], [40, 30])], RULE)
    assert ladder.current_index is None and ladder.mastered == 1


def test_the_rule_describes_itself_in_words() -> None:
    assert RULE.describe() == (
        "peak distress of 30 or less, or at least 50% below the first attempt, "
        "on 2 attempts in a row"
    )
