"""Goal benchmarks at and around their thresholds, with hand-computed values."""

from datetime import date, timedelta

import pytest

from rapport.core.benchmarks import (
    Comparison,
    Observation,
    Status,
    Trend,
    reaches,
    reliable_improvement_progress,
    target_progress,
    trend_of,
)

TODAY = date(2026, 11, 26)
FAR = TODAY + timedelta(weeks=12)


def weekly(*values: float) -> list[Observation]:
    start = TODAY - timedelta(weeks=len(values) - 1)
    return [Observation(start + timedelta(weeks=i), v) for i, v in enumerate(values)]


def test_below_is_strict_so_a_score_exactly_at_the_target_is_not_below_it() -> None:
    assert reaches(9, 10, Comparison.BELOW)
    assert not reaches(10, 10, Comparison.BELOW)
    assert reaches(10, 10, Comparison.AT_MOST)
    assert reaches(7, 7, Comparison.AT_LEAST)
    assert not reaches(6.9, 7, Comparison.AT_LEAST)


def test_phq9_below_10_is_met_at_9_and_not_at_10() -> None:
    met = target_progress(
        weekly(16, 12, 9), target=10, comparison=Comparison.BELOW, target_date=FAR, today=TODAY
    )
    not_met = target_progress(
        weekly(16, 12, 10), target=10, comparison=Comparison.BELOW, target_date=FAR, today=TODAY
    )
    assert (met.status, met.current) == (Status.MET, 9)
    assert (not_met.status, not_met.current) == (Status.NOT_YET, 10)


def test_the_latest_value_decides_even_after_an_earlier_success() -> None:
    progress = target_progress(
        weekly(8, 9, 11), target=10, comparison=Comparison.BELOW, target_date=FAR, today=TODAY
    )
    assert progress.status is Status.AT_RISK  # not met, and the trend goes up (wrong way)
    assert progress.trend is Trend.WORSE


def test_trend_is_the_fitted_change_across_the_last_four_values() -> None:
    # Slope of 10, 9, 8, 7 is −1 per value: a change of −3 across the window.
    assert trend_of([10, 9, 8, 7], lower_is_better=True, steady_within=1) is Trend.BETTER
    assert trend_of([10, 9, 8, 7], lower_is_better=False, steady_within=1) is Trend.WORSE
    # Only the last four count: the early fall from 20 is not "better" any more.
    assert trend_of([20, 7, 7, 7, 7], lower_is_better=True, steady_within=1) is Trend.STEADY
    # 7, 7, 8, 7: slope 0.1 → change 0.3, under the 1-point steady band.
    assert trend_of([7, 7, 8, 7], lower_is_better=True, steady_within=1) is Trend.STEADY
    assert trend_of([7], lower_is_better=True, steady_within=1) is Trend.UNKNOWN


def test_a_target_date_within_two_weeks_with_the_goal_not_met_is_at_risk() -> None:
    values = weekly(16, 14, 12)
    kwargs = {"target": 10, "comparison": Comparison.BELOW, "today": TODAY}
    near = target_progress(values, target_date=TODAY + timedelta(days=14), **kwargs)
    just_far = target_progress(values, target_date=TODAY + timedelta(days=15), **kwargs)
    past = target_progress(values, target_date=TODAY - timedelta(days=1), **kwargs)
    assert near.status is Status.AT_RISK and "is near" in near.reason
    assert just_far.status is Status.NOT_YET
    assert past.status is Status.AT_RISK and "has passed" in past.reason


def test_a_met_goal_stays_met_when_its_date_has_passed() -> None:
    progress = target_progress(
        weekly(5, 6, 7),
        target=7,
        comparison=Comparison.AT_LEAST,
        target_date=TODAY - timedelta(days=30),
        today=TODAY,
    )
    assert progress.status is Status.MET


def test_a_goal_rating_reaching_its_target_is_met() -> None:
    below = target_progress(
        weekly(3, 5, 6), target=7, comparison=Comparison.AT_LEAST, target_date=FAR, today=TODAY
    )
    at = target_progress(
        weekly(3, 5, 7), target=7, comparison=Comparison.AT_LEAST, target_date=FAR, today=TODAY
    )
    assert below.status is Status.NOT_YET and below.trend is Trend.BETTER
    assert at.status is Status.MET


def test_a_count_to_bring_down_is_met_at_most_at_the_target() -> None:
    progress = target_progress(
        weekly(6, 4, 2), target=2, comparison=Comparison.AT_MOST, target_date=FAR, today=TODAY
    )
    assert progress.status is Status.MET


def test_without_data_a_goal_has_no_status_until_its_date_passes() -> None:
    kwargs = {"target": 10, "comparison": Comparison.BELOW, "today": TODAY}
    assert target_progress([], target_date=FAR, **kwargs).status is Status.NO_DATA
    late = target_progress([], target_date=TODAY - timedelta(days=1), **kwargs)
    assert late.status is Status.AT_RISK


# Jacobson & Truax (1991) worked example: SD 7.5, r .80 → S_diff 4.743416, so a change must be
# larger than 1.959964 × 4.743416 = 9.2970 points to be reliable.
CRITICAL = 1.959964 * 4.743416


@pytest.mark.parametrize(
    ("post", "expected"),
    [(40 - CRITICAL - 0.01, Status.MET), (40 - CRITICAL + 0.01, Status.NOT_YET)],
)
def test_reliable_improvement_is_met_just_past_the_critical_difference(
    post: float, expected: Status
) -> None:
    progress = reliable_improvement_progress(
        [Observation(TODAY - timedelta(weeks=8), 40), Observation(TODAY, post)],
        lower_is_better=True,
        reliability=0.80,
        sd=7.5,
        target_date=FAR,
        today=TODAY,
    )
    assert progress.status is expected


def test_reliable_improvement_on_a_higher_is_better_scale_needs_a_rise() -> None:
    progress = reliable_improvement_progress(
        weekly(20, 35),
        lower_is_better=False,
        reliability=0.80,
        sd=7.5,
        target_date=FAR,
        today=TODAY,
    )
    assert progress.status is Status.MET


def test_reliable_improvement_without_published_figures_cannot_be_judged() -> None:
    progress = reliable_improvement_progress(
        weekly(20, 5),
        lower_is_better=True,
        reliability=0.89,
        sd=None,
        target_date=FAR,
        today=TODAY,
    )
    assert progress.status is Status.CANNOT_JUDGE
    assert progress.current == 5
    assert "cannot be judged" in progress.reason


def test_reliable_improvement_with_one_score_so_far_is_not_yet_and_shows_that_score() -> None:
    kwargs = {"lower_is_better": True, "reliability": 0.80, "sd": 7.5, "today": TODAY}
    early = reliable_improvement_progress(weekly(20), target_date=FAR, **kwargs)
    late = reliable_improvement_progress(
        weekly(20), target_date=TODAY - timedelta(days=1), **kwargs
    )
    assert (early.status, early.current) == (Status.NOT_YET, 20)
    assert (late.status, late.current) == (Status.AT_RISK, 20)


def test_a_reliable_fall_on_a_higher_is_better_scale_is_no_improvement_and_at_risk() -> None:
    progress = reliable_improvement_progress(
        weekly(35, 28, 20),
        lower_is_better=False,
        reliability=0.80,
        sd=7.5,
        target_date=FAR,
        today=TODAY,
    )
    assert (progress.status, progress.trend) == (Status.AT_RISK, Trend.WORSE)
