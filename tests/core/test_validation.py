import math

import numpy as np
import pytest

from rapport.core.trajectory import Thresholds, s_diff, series
from rapport.core.validation import (
    auc_mann_whitney,
    client_half,
    flag_performance,
    holdout_validation,
    wilson_interval,
)

# Newcombe (1998), Stat Med 17(8), 857–872, Table I, method 3 (Wilson score interval).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("count", "n", "low", "high"), NEWCOMBE)
def test_wilson_intervals_match_newcombes_worked_examples(
    count: int, n: int, low: float, high: float
) -> None:
    found = wilson_interval(count, n)
    assert found == pytest.approx((low, high), abs=5e-5)


def test_confusion_counts_and_rates_match_a_hand_count() -> None:
    # 10 clients: flags F F F F N N N N N N, outcomes B B B G B G G G G G.
    flagged = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    bad = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    found = flag_performance(flagged, bad)
    assert (found.true_positive, found.false_positive) == (3, 1)
    assert (found.false_negative, found.true_negative) == (1, 5)
    assert found.sensitivity.value == pytest.approx(3 / 4)
    assert found.specificity.value == pytest.approx(5 / 6)
    assert found.ppv.value == pytest.approx(3 / 4)
    assert found.npv.value == pytest.approx(5 / 6)
    # A yes/no flag's AUC is the mean of sensitivity and specificity.
    assert found.auc == pytest.approx((3 / 4 + 5 / 6) / 2)
    assert (found.n, found.n_flagged, found.n_bad_outcome) == (10, 4, 4)


def test_a_rate_without_cases_has_no_value() -> None:
    found = flag_performance([0, 0], [0, 0])
    assert found.sensitivity.value is None and found.sensitivity.n == 0
    assert found.auc is None


def test_auc_counts_pairs_and_ties_half() -> None:
    # Positives score 3 and 5, negatives 1, 3, 4: pairs (3>1, 3=3, 3<4, 5>1, 5>3, 5>4)
    # = 1 + ½ + 0 + 1 + 1 + 1 = 4.5 of 6.
    assert auc_mann_whitney([3, 5, 1, 3, 4], [1, 1, 0, 0, 0]) == pytest.approx(0.75)
    assert auc_mann_whitney([1, 2], [0, 1]) == pytest.approx(1.0)
    assert auc_mann_whitney([2, 1], [0, 1]) == pytest.approx(0.0)


def test_random_flags_predict_nothing() -> None:
    rng = np.random.default_rng(11)
    outcome = rng.random(4000) < 0.3
    flags = rng.random(4000) < 0.2
    found = flag_performance(flags, outcome, rng.random(4000))
    assert found.auc == pytest.approx(0.5, abs=0.03)
    assert found.sensitivity.value == pytest.approx(0.2, abs=0.03)


def test_a_client_always_falls_in_the_same_half() -> None:
    assert client_half(17) == client_half(17)
    halves = [client_half(i) for i in range(400)]
    assert 150 < sum(halves) < 250


# --- Held-out validation on generated data where the truth is known ------------------------------


def practice(n: int, seed: int, *, signal: bool):  # type: ignore[no-untyped-def]
    """PHQ-9-like series over 10 sessions.

    With signal, each client has a true slope that drives every score, so early scores foretell
    the last one. Without, every score after intake is the practice's mean course plus noise
    independent from session to session: early scores say nothing about the final outcome.
    """
    rng = np.random.default_rng(seed)
    ep, ses, y, clients = [], [], [], {}
    for i in range(n):
        intake = float(rng.uniform(12, 24))
        own = -4.0 + (rng.normal(0, 3.0) if signal else 0.0)
        noise = 1.0 if signal else 4.0
        for s in range(1, 11):
            value = intake if s == 1 else intake + own * math.log(s) + rng.normal(0, noise)
            ep.append(i)
            ses.append(s)
            y.append(value)
        clients[i] = 1000 + i
    return series(ep, ses, y), clients


def validate(data, clients, *, min_episodes: int = 50):  # type: ignore[no-untyped-def]
    return holdout_validation(
        data,
        client_of_episode=clients,
        higher_is_worse=True,
        thresholds=Thresholds(),
        s_difference=s_diff(0.89, float(np.std(data.intakes(), ddof=1))),
        min_episodes=min_episodes,
        min_observations=200,
    )


def test_with_a_strong_signal_early_flags_find_most_clients_who_do_not_improve() -> None:
    data, clients = practice(400, seed=2, signal=True)
    report = validate(data, clients)
    assert report is not None
    assert report.bases == ("model", "model")
    assert report.n_evaluated == 400
    found = report.results[("not_improved", "at_risk")]
    assert found.n_bad_outcome > 40
    assert found.sensitivity.value is not None and found.sensitivity.value > 0.8
    assert found.auc is not None and found.auc > 0.85


def test_when_early_scores_carry_no_signal_the_auc_is_near_one_half() -> None:
    data, clients = practice(600, seed=4, signal=False)
    report = validate(data, clients)
    assert report is not None
    found = report.results[("not_improved", "at_risk")]
    assert found.n_bad_outcome > 30
    assert found.auc == pytest.approx(0.5, abs=0.1)


def test_with_few_clients_each_half_is_judged_by_the_rule_and_says_why() -> None:
    data, clients = practice(60, seed=5, signal=True)
    report = validate(data, clients)
    assert report is not None
    assert report.bases == ("rule", "rule")
    assert all("too few data" in reason for reason in report.reasons)
    assert report.results[("deteriorated", "off_track")].n == 60


def test_episodes_that_end_within_the_early_window_are_not_judged() -> None:
    data = series(
        [1, 1, 1, 2, 2, 2, 2, 2], [1, 2, 3, 1, 2, 3, 4, 5], [20, 20, 20, 20, 21, 19, 18, 10]
    )
    report = holdout_validation(
        data,
        client_of_episode={1: 1, 2: 2},
        higher_is_worse=True,
        thresholds=Thresholds(),
        s_difference=2.0,
        min_episodes=50,
        min_observations=200,
    )
    assert report is not None
    assert (report.n_episodes, report.n_evaluated, report.n_too_short) == (2, 1, 1)
    assert report.outcome_counts == {"not_improved": 0, "deteriorated": 0}


def test_without_a_reliability_there_is_no_report() -> None:
    data, clients = practice(10, seed=1, signal=True)
    assert (
        holdout_validation(
            data,
            client_of_episode=clients,
            higher_is_worse=True,
            thresholds=Thresholds(),
            s_difference=None,
            min_episodes=50,
            min_observations=200,
        )
        is None
    )


def test_only_the_judged_episodes_are_scored_but_all_train_the_model() -> None:
    data, clients = practice(200, seed=6, signal=True)
    judged = set(range(0, 200, 4))  # "closed" episodes: a quarter
    report = holdout_validation(
        data,
        client_of_episode=clients,
        higher_is_worse=True,
        thresholds=Thresholds(),
        s_difference=s_diff(0.89, float(np.std(data.intakes(), ddof=1))),
        min_episodes=80,
        min_observations=200,
        judged=judged,
    )
    assert report is not None
    assert (report.n_episodes, report.n_evaluated) == (50, 50)
    assert report.bases == ("model", "model")  # each half trains on ~100 episodes, not ~25


def test_an_episode_without_a_score_in_the_early_window_is_not_counted_as_unflagged() -> None:
    # Episode 2 skips from intake to session 6 and never improves: it had no chance of an early
    # flag, so counting it as "not flagged" would be a false negative the flags never made.
    data = series(
        [1, 1, 1, 1, 1, 2, 2, 2, 2],
        [1, 2, 3, 4, 5, 1, 6, 7, 8],
        [20, 14, 12, 10, 8, 20, 20, 21, 20],
    )
    report = holdout_validation(
        data,
        client_of_episode={1: 1, 2: 2},
        higher_is_worse=True,
        thresholds=Thresholds(),
        s_difference=2.0,
        min_episodes=50,
        min_observations=200,
    )
    assert report is not None
    assert (report.n_episodes, report.n_evaluated, report.n_too_short) == (2, 1, 1)
    assert report.outcome_counts == {"not_improved": 0, "deteriorated": 0}
    assert report.results[("not_improved", "off_track")].false_negative == 0
