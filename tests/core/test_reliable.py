"""Reliable change of one client's score by the rule shipped with the instrument.

The PHQ-9 and GAD-7 carry the NHS Talking Therapies criteria (NHS England, NHS Talking Therapies
for anxiety and depression Manual): a change of 6 or more points on the PHQ-9 and 4 or more on
the GAD-7 is reliable; caseness is a PHQ-9 of 10 or more, a GAD-7 of 8 or more. Without a
published criterion, Jacobson & Truax (1991) from a reliability and SD.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

from rapport.core.instruments import InstrumentError, parse_instrument
from rapport.core.reliable import (
    CATEGORY_KEYS,
    JACOBSON_TRUAX,
    ReliableChangeRule,
    jacobson_truax_rule,
    rule_for,
)
from tests.core.test_instruments import document, load


@pytest.fixture(scope="module")
def phq9_rule() -> ReliableChangeRule:
    rule = rule_for(load("phq9"))
    assert rule is not None
    return rule


@pytest.fixture(scope="module")
def gad7_rule() -> ReliableChangeRule:
    rule = rule_for(load("gad7"))
    assert rule is not None
    return rule


def test_the_phq9_and_gad7_ship_the_nhs_talking_therapies_criteria_with_their_source():
    for name, points, caseness in (("phq9", 6, 10), ("gad7", 4, 8)):
        rule = load(name).reliable_change
        assert rule is not None
        assert (rule.points, rule.caseness, rule.inclusive) == (points, caseness, True)
        assert rule.name == "NHS Talking Therapies criterion"
        assert "NHS Talking Therapies for anxiety and depression Manual" in rule.source


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (15, 9, "recovered"),  # a fall of 6 from a case to below 10
        (15, 10, "unchanged"),  # a fall of 5 is within measurement error
        (20, 14, "improved"),  # a fall of 6, still a case
        (20, 15, "unchanged"),
        (10, 16, "deteriorated"),  # a rise of 6 while a case throughout
        (10, 15, "unchanged"),
        (9, 15, "harmed"),  # a rise of 6 from below caseness into it
        (4, 10, "harmed"),
        (4, 9, "unchanged"),
    ],
)
def test_phq9_change_is_judged_by_a_fall_or_rise_of_6_points(phq9_rule, pre, post, expected):
    assert phq9_rule.category(pre, post) == expected


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (12, 8, "improved"),  # a fall of 4, but 8 is still a case on the GAD-7
        (12, 7, "recovered"),
        (12, 9, "unchanged"),
        (8, 12, "deteriorated"),
        (5, 9, "harmed"),
        (5, 8, "unchanged"),
    ],
)
def test_gad7_change_is_judged_by_4_points_and_caseness_at_8(gad7_rule, pre, post, expected):
    assert gad7_rule.category(pre, post) == expected


def test_reliably_better_and_worse_follow_the_category(phq9_rule):
    assert phq9_rule.is_reliably_better(15, 9) and not phq9_rule.is_reliably_better(15, 10)
    assert phq9_rule.is_reliably_worse(9, 15) and not phq9_rule.is_reliably_worse(10, 15)


def test_the_vectorised_categories_agree_with_each_pair_judged_alone(phq9_rule, gad7_rule):
    for rule, top in ((phq9_rule, 27), (gad7_rule, 21)):
        pairs = list(itertools.product(range(top + 1), repeat=2))
        pre, post = np.array(pairs, dtype=float).T
        codes = rule.categories(pre, post)
        assert [CATEGORY_KEYS[c] for c in codes] == [rule.category(a, b) for a, b in pairs]


def test_the_rule_says_itself_in_words(phq9_rule, gad7_rule):
    assert phq9_rule.explain("improved") == (
        "reliable improvement (NHS Talking Therapies criterion: a fall of 6 or more points)"
    )
    assert phq9_rule.explain("deteriorated") == (
        "reliable deterioration (NHS Talking Therapies criterion: a rise of 6 or more points)"
    )
    assert gad7_rule.explain("recovered") == (
        "recovered (NHS Talking Therapies criterion: a fall of 4 or more points, ending below "
        "the caseness score of 8)"
    )


def test_jacobson_truax_reproduces_the_published_worked_example():
    # Jacobson & Truax (1991): pre 47.5, post 32.5, SD 7.5, r .80 → S_diff 4.743416, RCI −3.16.
    rule = jacobson_truax_rule(sd=7.5, reliability=0.80, direction="lower")
    assert rule is not None and rule.name == JACOBSON_TRUAX
    assert rule.points == pytest.approx(1.959964 * 4.743416, rel=1e-6)
    assert rule.category(47.5, 32.5) == "improved"
    # Strictly beyond the critical value: exactly 1.96 × S_diff is not yet reliable.
    assert rule.category(47.5, 47.5 - rule.points) == "unchanged"


def test_jacobson_truax_needs_a_usable_sd_and_reliability():
    assert jacobson_truax_rule(sd=None, reliability=0.8, direction="lower") is None
    assert jacobson_truax_rule(sd=5.0, reliability=1.0, direction="lower") is None
    assert jacobson_truax_rule(sd=0.0, reliability=0.8, direction="lower") is None


def test_an_instrument_without_a_criterion_uses_jacobson_truax_with_the_sd_given():
    checkin = load("checkin-adult")
    assert checkin.reliable_change is None
    assert rule_for(checkin) is None  # no published reliability or SD: not judged
    rule = rule_for(checkin, sd=6.0, reliability=0.8)
    assert rule is not None and rule.name == JACOBSON_TRUAX and rule.direction == "higher"
    assert rule.category(10, 20) == "improved"


def test_a_definition_with_a_bad_criterion_lists_the_problem():
    broken = copy.deepcopy(document("phq9"))
    broken["scoring"]["reliable_change"]["points"] = 0
    with pytest.raises(InstrumentError, match="points must be a number above 0"):
        parse_instrument(broken)


def test_a_criterion_without_a_source_is_refused():
    unsourced = copy.deepcopy(document("gad7"))
    unsourced["scoring"]["sources"] = [
        s for s in unsourced["scoring"]["sources"] if "reliable_change" not in s["supports"]
    ]
    with pytest.raises(InstrumentError, match="reliable_change has no source"):
        parse_instrument(unsourced)
