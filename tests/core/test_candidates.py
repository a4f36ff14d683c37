"""Ranking candidates for a client who may change therapist: hard filters, tiers after
Constantino et al. 2021, preferences, open places; preferences only when the model says so; a
must that nobody meets is named."""

from __future__ import annotations

import pytest

from rapport.core import candidates as cand
from rapport.core.change import Direction
from rapport.core.matching import Label

ADULTS = "adults"


def therapist(key: int, **changes: object) -> cand.Therapist:
    values: dict[str, object] = {
        "key": key,
        "name": f"T{key}",
        "capacity": 2,
        "languages": ("English",),
        "populations": (ADULTS,),
        "modalities": ("video", "in_person"),
        "days": ("mon", "tue"),
    }
    values.update(changes)
    return cand.Therapist(**values)  # type: ignore[arg-type]


def evidence(label: Label) -> cand.Evidence:
    return cand.Evidence(label=label, n=20, estimate=0.3, lower=0.1, upper=0.5)


def prefer(kind: str, value: str, must: bool = False) -> cand.Preference:
    return cand.Preference(kind=cand.Kind(kind), value=value, must=must)


def ranked(therapists, preferences=(), evidence_of=None, **changes):  # type: ignore[no-untyped-def]
    arguments = {
        "therapists": therapists,
        "population": ADULTS,
        "preferences": preferences,
        "current": 1,
        "elevated": ("phq9", "gad7"),
        "evidence": evidence_of or {},
        "preferences_only": False,
        **changes,
    }
    return cand.rank(**arguments)


def keys(ranking: cand.Ranking) -> list[int]:
    return [c.therapist.key for c in ranking.candidates]


def test_the_hard_filters_leave_out_the_current_therapist_the_full_the_wrong_population_and_musts():
    team = [
        therapist(1),  # the current therapist
        therapist(2, capacity=0),
        therapist(3, populations=("children",)),
        therapist(4, languages=("Polish",)),
        therapist(5),
        therapist(6, modalities=("phone",)),
    ]
    ranking = ranked(
        team, [prefer("language", "english", must=True), prefer("modality", "video", True)]
    )

    assert keys(ranking) == [5]
    assert [p.kind for p in ranking.candidates[0].met] == ["language", "modality"]


def test_a_characteristic_counts_only_where_the_therapist_consented_to_show_it():
    shown = therapist(2, characteristics={"gender": "Woman"})
    hidden = therapist(3)  # a woman too, perhaps, but she did not say so to clients

    ranking = ranked([shown, hidden], [prefer("gender", "woman", must=True)])

    assert keys(ranking) == [2]


def test_tiers_put_a_strength_in_the_most_elevated_domain_first_and_a_caution_last():
    team = [therapist(k) for k in (2, 3, 4, 5)]
    labels = {
        2: {"phq9": evidence(Label.NO_EVIDENCE)},  # tier 2
        3: {"phq9": evidence(Label.STRENGTH), "gad7": evidence(Label.CAUTION)},  # tier 3
        4: {"gad7": evidence(Label.STRENGTH)},  # a strength, not in the most elevated: tier 2
        5: {"phq9": evidence(Label.STRENGTH)},  # tier 1
    }

    ranking = ranked(team, evidence_of=labels)

    assert [(c.therapist.key, c.tier) for c in ranking.candidates] == [
        (5, 1),
        (2, 2),
        (4, 2),
        (3, 3),
    ]
    assert ranking.candidates[0].strengths == ("phq9",)
    assert ranking.candidates[-1].cautions[0][0] == "gad7"
    assert ranking.candidates[0].reasons[0].startswith("Tier 1")


def test_within_a_tier_more_preferences_met_come_first_then_more_open_places():
    team = [
        therapist(2, capacity=5),
        therapist(3, capacity=1, days=("fri",)),
        therapist(4, capacity=3, days=("fri",)),
    ]

    ranking = ranked(team, [prefer("days", "Friday")])

    assert keys(ranking) == [4, 3, 2]
    assert [len(c.unmet) for c in ranking.candidates] == [0, 0, 1]


def test_without_a_usable_model_the_ranking_is_by_preferences_only_and_says_why():
    team = [therapist(2, capacity=9), therapist(3, capacity=1, directive="exploratory")]
    strong = {2: {"phq9": evidence(Label.STRENGTH)}}

    ranking = ranked(
        team,
        [prefer("directive", "exploratory")],
        strong,
        preferences_only=True,
        why_preferences_only="too few therapists",
    )
    no_elevated = ranked(team, evidence_of=strong, elevated=())

    assert keys(ranking) == [3, 2] and ranking.preferences_only
    assert ranking.why_preferences_only == "too few therapists"
    assert all(c.tier is None and c.strengths == () for c in ranking.candidates)
    assert no_elevated.preferences_only and "cut-off" in no_elevated.why_preferences_only


@pytest.mark.parametrize(
    ("musts", "excluding", "words"),
    [
        ((("language", "Welsh"),), ("Welsh",), "No therapist with an open place meets: language"),
        ((("language", "Polish"), ("modality", "phone")), (), "no therapist with an open place"),
    ],
)
def test_a_must_that_leaves_nobody_is_named_and_the_list_is_never_silently_empty(
    musts, excluding, words
):  # type: ignore[no-untyped-def]
    team = [therapist(2, languages=("Polish",)), therapist(3, modalities=("phone",))]

    ranking = ranked(team, [prefer(kind, value, must=True) for kind, value in musts])

    assert ranking.candidates == ()
    assert tuple(p.value for p in ranking.excluding) == excluding
    assert words in ranking.nobody


def test_nobody_with_an_open_place_is_said_as_such():
    ranking = ranked([therapist(2, capacity=0)])

    assert ranking.candidates == () and "has an open place" in ranking.nobody


def test_elevation_compares_measures_by_their_cut_off_and_range_in_their_direction():
    scores = [
        cand.DomainScore("phq9", 20, 10, Direction.LOWER, 0, 27),
        cand.DomainScore("gad7", 9, 10, Direction.LOWER, 0, 21),  # below the cut-off
        cand.DomainScore(
            "checkin", 10, 20, Direction.HIGHER, 0, 40
        ),  # well below, higher is better
    ]

    assert cand.elevated_domains(scores) == ("phq9", "checkin")
