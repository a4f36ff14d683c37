import pytest

from rapport.core.progress import classify_change

# Jacobson & Truax (1991) worked example: SD 7.5, r .80 → S_diff 4.743416; 47.5 → 32.5 gives
# RCI −3.162278 (see ../shared/reference/README.md).
EXAMPLE = {"reliability": 0.80, "sd": 7.5}


def test_the_worked_example_is_a_reliable_improvement_on_a_lower_is_better_scale() -> None:
    assert classify_change(47.5, 32.5, direction="lower", **EXAMPLE) == "improved"


def test_the_same_change_on_a_higher_is_better_scale_is_a_deterioration() -> None:
    assert classify_change(47.5, 32.5, direction="higher", **EXAMPLE) == "deteriorated"


def test_a_change_just_under_the_critical_difference_is_unchanged() -> None:
    critical = 1.959964 * 4.743416  # 9.297...
    assert classify_change(40, 40 - critical + 0.01, direction="lower", **EXAMPLE) == "unchanged"
    assert classify_change(40, 40 - critical - 0.01, direction="lower", **EXAMPLE) == "improved"


def test_recovery_needs_crossing_the_cut_off_as_well() -> None:
    assert classify_change(47.5, 32.5, direction="lower", cutoff=35, **EXAMPLE) == "recovered"
    assert classify_change(47.5, 36.0, direction="lower", cutoff=35, **EXAMPLE) == "improved"
    # Exactly at the cut-off has not crossed it.
    assert classify_change(47.5, 35.0, direction="lower", cutoff=35, **EXAMPLE) == "improved"


def test_harm_is_a_reliable_deterioration_into_the_clinical_range() -> None:
    assert classify_change(30, 45, direction="lower", cutoff=35, **EXAMPLE) == "harmed"


def test_without_published_norms_there_is_no_category() -> None:
    assert classify_change(20, 5, direction="lower", reliability=None, sd=7.5) is None
    assert classify_change(20, 5, direction="lower", reliability=0.8, sd=None) is None


def test_an_unknown_direction_is_rejected() -> None:
    with pytest.raises(ValueError):
        classify_change(20, 5, direction="down", **EXAMPLE)
