"""Sudden gains against the published sgdata figures and the Tang & DeRubeis (1999) criteria."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import pytest

from rapport.core.suddengains import sudden_gains

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
NAN = math.nan


def reference_file(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        message = f"reference data missing: {path}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_sgdata_reproduces_the_published_sudden_gains() -> None:
    columns = [f"bdi_s{i}" for i in range(1, 13)]
    with reference_file("sgdata.csv").open(newline="") as f:
        scores = [[float(row[c]) if row[c] else NAN for c in columns] for row in csv.DictReader(f)]
    result = sudden_gains(scores, min_gain=7)
    assert result.n_clients == 43
    assert result.n_gains == 24
    assert result.n_clients_with_gain == 15
    assert result.mean_magnitude == pytest.approx(11.0, abs=1e-9)
    assert result.sd_magnitude == pytest.approx(3.43, abs=0.005)
    assert result.n_reversals == 4


def test_a_gain_of_exactly_7_points_and_exactly_25_percent_counts() -> None:
    # 28 → 21: 7 points, and 7 is 25% of 28; both criteria are "at least".
    result = sudden_gains([30, 29, 28, 21, 20, 20])
    assert [(g.pregain_session, g.postgain_session) for g in result.gains] == [(2, 3)]
    gain = result.gains[0]
    assert (gain.pregain, gain.postgain, gain.magnitude) == (28, 21, 7)


def test_a_gain_just_under_7_points_does_not_count() -> None:
    # 20 → 13.01 is 6.99 points (35% of 20): only the first criterion fails.
    assert sudden_gains([22, 21, 20, 13.01, 12, 12]).n_gains == 0
    assert sudden_gains([22, 21, 20, 13, 12, 12]).n_gains == 1


def test_a_gain_under_25_percent_of_the_pregain_score_does_not_count() -> None:
    # 32 → 25 is 7 points but only 21.9% of 32.
    assert sudden_gains([34, 33, 32, 25, 24, 24]).n_gains == 0


def test_a_jump_inside_an_unstable_series_fails_the_third_criterion() -> None:
    # 28 → 20 passes criteria 1 and 2, but the sessions around it swing just as far.
    assert sudden_gains([20, 35, 28, 20, 30, 15]).n_gains == 0


def test_thresholds_are_parameters() -> None:
    series = [30, 29, 28, 23, 22, 22]  # 5 points, 17.9%
    assert sudden_gains(series).n_gains == 0
    assert sudden_gains(series, min_gain=5, min_percent=15).n_gains == 1


def test_a_later_score_more_than_half_the_gain_back_is_a_reversal() -> None:
    # Gain 28 → 21 (7 points): a reversal is any later score above 21 + 3.5.
    reversed_ = sudden_gains([30, 29, 28, 21, 20, 20, 19, 25])
    assert reversed_.n_reversals == 1
    assert reversed_.gains[0].reversed
    exactly_half = sudden_gains([30, 29, 28, 21, 20, 20, 19, 24.5])
    assert exactly_half.n_gains == 1
    assert exactly_half.n_reversals == 0


def test_four_sessions_are_enough_and_three_are_too_few() -> None:
    # Two scores on each side of the gain are the least the third criterion can use.
    assert sudden_gains([30, 29, 21, 20]).n_gains == 1
    with pytest.raises(ValueError, match="at least 4 sessions"):
        sudden_gains([30, 21, 20])


def test_missing_scores_shrink_the_window_and_a_missing_pregain_score_rules_a_gain_out() -> None:
    assert sudden_gains([30, NAN, 28, 21, 20, 20]).n_gains == 1  # two before, df 3
    assert sudden_gains([NAN, NAN, 28, 21, 20, 20]).n_gains == 0  # one before
    assert sudden_gains([30, 29, NAN, 21, 20, 20]).n_gains == 0  # no pre-gain score


def test_on_a_higher_is_better_scale_a_gain_is_a_rise() -> None:
    rise = [20, 21, 22, 29, 30, 30]  # +7, 31.8% of 22
    assert sudden_gains(rise, direction="higher").n_gains == 1
    assert sudden_gains(rise, direction="lower").n_gains == 0
    fall_back = sudden_gains([*rise, 25], direction="higher")  # below 29 − 3.5
    assert fall_back.n_reversals == 1


def test_each_client_is_a_row_and_gains_are_reported_per_client() -> None:
    result = sudden_gains([[30, 29, 28, 28, 27, 27], [30, 29, 28, 21, 20, 20]])
    assert [g.client for g in result.gains] == [1]
    assert result.n_clients_with_gain == 1


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown direction"):
        sudden_gains([30, 29, 21, 20], direction="down")
    with pytest.raises(ValueError, match="percentage must be between 0 and 100"):
        sudden_gains([30, 29, 21, 20], min_percent=125)
