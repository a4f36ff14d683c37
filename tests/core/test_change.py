"""Reliable change against the published values in ../shared/reference/README.md.

claus_2020 HAMD: pre time 1, post time 4, reliability .80, complete pairs (n = 40), lower is better.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pytest

from rapport.core.change import (
    Category,
    Method,
    cutoff_value,
    percentage_change,
    rci_single,
    reliable_change,
    sample_stats,
    standard_error_of_difference,
)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def reference_file(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        message = f"reference data missing: {path}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def claus_pairs(score: str) -> tuple[list[float], list[float]]:
    """Complete time-1/time-4 pairs of one measure, in file order."""
    by_id: dict[str, dict[float, str]] = {}
    with reference_file("claus_2020.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            by_id.setdefault(row["id"], {})[float(row["time"])] = row[score]
    pre, post = [], []
    for times in by_id.values():
        if times.get(1.0, "") != "" and times.get(4.0, "") != "":
            pre.append(float(times[1.0]))
            post.append(float(times[4.0]))
    return pre, post


@pytest.fixture(scope="module")
def hamd() -> tuple[list[float], list[float]]:
    return claus_pairs("hamd")


def test_hamd_sample_statistics_match_the_published_values(
    hamd: tuple[list[float], list[float]],
) -> None:
    stats = sample_stats(*hamd)
    assert stats.n == 40
    assert stats.mean_pre == pytest.approx(24.85, abs=1e-6)
    assert stats.sd_pre == pytest.approx(3.3401213, abs=1e-6)
    assert stats.mean_post == pytest.approx(14.975, abs=1e-6)
    assert stats.sd_post == pytest.approx(7.7110893, abs=1e-6)
    assert stats.r_pre_post == pytest.approx(0.1631187, abs=1e-6)
    result = reliable_change(*hamd, reliability=0.80, direction="lower")
    assert result.s_diff == pytest.approx(2.1124782, abs=1e-6)


@pytest.mark.parametrize(
    ("method", "improved", "unchanged", "deteriorated"),
    [
        (Method.JT, 29, 10, 1),
        (Method.GLN, 29, 10, 1),
        (Method.HLL, 12, 16, 12),
        (Method.EN, 32, 5, 3),
        (Method.NK, 28, 11, 1),
        (Method.HA, 32, 7, 1),
    ],
)
def test_each_method_reproduces_the_published_counts_on_hamd(
    hamd: tuple[list[float], list[float]],
    method: Method,
    improved: int,
    unchanged: int,
    deteriorated: int,
) -> None:
    result = reliable_change(
        *hamd, reliability=0.80, direction="lower", method=method, reliability_post=0.5
    )
    assert result.counts == {
        Category.IMPROVED: improved,
        Category.UNCHANGED: unchanged,
        Category.DETERIORATED: deteriorated,
    }


def test_the_critical_values_are_the_published_normal_quantiles(
    hamd: tuple[list[float], list[float]],
) -> None:
    jt = reliable_change(*hamd, reliability=0.80, direction="lower")
    ha = reliable_change(*hamd, reliability=0.80, direction="lower", method="ha")
    assert jt.critical_value == pytest.approx(1.959964, abs=1e-6)
    assert ha.critical_value == pytest.approx(1.644854, abs=1e-6)


def test_jacobson_truax_with_cutoff_c_reproduces_the_published_counts(
    hamd: tuple[list[float], list[float]],
) -> None:
    result = reliable_change(
        *hamd,
        reliability=0.80,
        direction="lower",
        cutoff="c",
        functional_mean=8,
        functional_sd=8,
    )
    assert result.cutoff == pytest.approx(19.886998, abs=1e-6)
    assert result.counts == {
        Category.RECOVERED: 26,
        Category.IMPROVED: 3,
        Category.UNCHANGED: 10,
        Category.DETERIORATED: 1,
        Category.HARMED: 0,
    }


def test_the_bdi_example_reproduces_the_published_counts() -> None:
    result = reliable_change(
        *claus_pairs("bdi"),
        reliability=0.801,
        direction="lower",
        cutoff="c",
        functional_mean=7.69,
        functional_sd=7.52,
    )
    assert result.cutoff == pytest.approx(21.016612, abs=1e-6)
    assert result.counts == {
        Category.RECOVERED: 10,
        Category.IMPROVED: 8,
        Category.UNCHANGED: 22,
        Category.DETERIORATED: 0,
        Category.HARMED: 0,
    }


def test_flipping_the_scale_and_the_direction_gives_the_same_published_counts(
    hamd: tuple[list[float], list[float]],
) -> None:
    pre, post = (-np.asarray(x) for x in hamd)
    result = reliable_change(
        pre,
        post,
        reliability=0.80,
        direction="higher",
        cutoff="c",
        functional_mean=-8,
        functional_sd=8,
    )
    assert result.cutoff == pytest.approx(-19.886998, abs=1e-6)
    assert list(result.counts.values()) == [26, 3, 10, 1, 0]


def test_the_worked_example_gives_the_published_rci() -> None:
    assert standard_error_of_difference(7.5, 0.80) == pytest.approx(4.743416, abs=1e-6)
    assert rci_single(47.5, 32.5, 7.5, 0.80) == pytest.approx(-3.162278, abs=1e-6)


def test_cutoff_a_lies_two_clinical_sds_beyond_the_clinical_mean() -> None:
    # HAMD sample at pre: M 24.85, SD 3.3401213; lower is better, so a is below the mean.
    assert cutoff_value(
        "a", direction="lower", clinical_mean=24.85, clinical_sd=3.3401213
    ) == pytest.approx(24.85 - 2 * 3.3401213)
    assert cutoff_value(
        "a", direction="higher", clinical_mean=24.85, clinical_sd=3.3401213
    ) == pytest.approx(24.85 + 2 * 3.3401213)


def test_cutoff_b_uses_the_functional_sd_as_jacobson_and_truax_define_it() -> None:
    kwargs = {"clinical_mean": 24.85, "clinical_sd": 3.3401213, "functional_mean": 8.0}
    assert cutoff_value("b", direction="lower", functional_sd=5, **kwargs) == 18.0
    assert cutoff_value("b", direction="higher", functional_sd=5, **kwargs) == -2.0


def test_an_index_exactly_at_the_critical_value_is_unchanged() -> None:
    # Pre variance 2 and reliability .75 make S_diff exactly √(2 · 2 · .25) = 1.
    pre = [9.0, 12.0, 12.0, 11.0]
    post = [7.0, 9.0, 14.0, 14.0]  # changes −2, −3, +2, +3
    result = reliable_change(pre, post, reliability=0.75, direction="lower", critical_value=2.0)
    assert result.s_diff == 1.0
    assert list(result.index) == [-2.0, -3.0, 2.0, 3.0]
    assert result.categories == (
        Category.UNCHANGED,
        Category.IMPROVED,
        Category.UNCHANGED,
        Category.DETERIORATED,
    )


def test_a_post_score_exactly_at_the_cutoff_has_not_crossed_it() -> None:
    pre = [20.0, 22.0, 20.0, 22.0]
    post = [9.0, 8.0, 15.0, 12.0]  # all reliable improvements (S_diff 0.82)
    result = reliable_change(pre, post, reliability=0.75, direction="lower", cutoff_fixed=9.0)
    assert result.categories == (
        Category.IMPROVED,  # landed exactly on the cut-off
        Category.RECOVERED,
        Category.IMPROVED,
        Category.IMPROVED,
    )


def test_harmed_means_reliably_worse_and_crossed_into_the_clinical_range() -> None:
    pre = [10.0, 12.0, 10.0, 12.0]
    post = [20.0, 25.0, 17.0, 12.0]  # S_diff 0.82: +10, +13, +7 reliable; 0 unchanged
    result = reliable_change(pre, post, reliability=0.75, direction="lower", cutoff_fixed=20.0)
    assert result.categories == (
        Category.HARMED,  # at the cut-off counts as not functional
        Category.HARMED,
        Category.DETERIORATED,  # worse, but still on the functional side
        Category.UNCHANGED,
    )
    assert result.counts[Category.RECOVERED] == 0


def test_a_client_who_starts_in_the_functional_range_can_improve_but_not_recover() -> None:
    result = reliable_change(
        [5.0, 7.0], [1.0, 2.0], reliability=0.75, direction="lower", cutoff_fixed=9.0
    )  # S_diff 1: both changes are reliable, both stay below the cut-off
    assert result.categories == (Category.IMPROVED, Category.IMPROVED)


def test_percentage_change_is_relative_to_the_pre_score() -> None:
    pct = percentage_change([20.0, 8.0, 0.0], [15.0, 10.0, 3.0])
    assert pct[0] == pytest.approx(-25.0)
    assert pct[1] == pytest.approx(25.0)
    assert math.isnan(pct[2])


@pytest.mark.parametrize("reliability", [0.0, 1.0, -0.2, 1.2, math.nan])
def test_a_reliability_outside_zero_to_one_is_rejected(reliability: float) -> None:
    with pytest.raises(ValueError, match="reliability must be between 0 and 1"):
        reliable_change([10, 20], [5, 15], reliability=reliability, direction="lower")
    with pytest.raises(ValueError, match="reliability must be between 0 and 1"):
        rci_single(10, 5, 7.5, reliability)


def test_a_single_pair_is_too_few_for_sample_sds() -> None:
    with pytest.raises(ValueError, match="at least 2 complete pre–post pairs"):
        reliable_change([10], [5], reliability=0.8, direction="lower")


@pytest.mark.parametrize("kind", ["b", "c"])
def test_cutoffs_b_and_c_need_the_functional_norms(kind: str) -> None:
    with pytest.raises(ValueError, match=f"cut-off {kind} needs the functional"):
        reliable_change(
            [30, 20], [10, 15], reliability=0.8, direction="lower", cutoff=kind, functional_mean=8
        )


def test_an_unknown_method_is_named_with_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown method 'rci'; choose one of jt, gln, hll"):
        reliable_change([30, 20], [10, 15], reliability=0.8, direction="lower", method="rci")


def test_an_unknown_direction_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown direction 'down'"):
        reliable_change([30, 20], [10, 15], reliability=0.8, direction="down")


def test_nunnally_kotsch_needs_the_post_reliability() -> None:
    with pytest.raises(ValueError, match="needs the post-test reliability"):
        reliable_change([30, 20], [10, 15], reliability=0.8, direction="lower", method="nk")


def test_missing_values_and_unequal_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="missing values"):
        reliable_change([30, math.nan], [10, 15], reliability=0.8, direction="lower")
    with pytest.raises(ValueError, match="differ in length"):
        reliable_change([30, 20, 25], [10, 15], reliability=0.8, direction="lower")


def test_pre_scores_without_spread_are_rejected() -> None:
    with pytest.raises(ValueError, match="no spread"):
        reliable_change([20, 20, 20], [10, 15, 12], reliability=0.8, direction="lower")
