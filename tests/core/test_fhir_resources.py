"""The FHIR mapping from plain inputs, one resource at a time (rapport.core.fhir.resources)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import pytest
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.episodeofcare import EpisodeOfCare
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.relatedperson import RelatedPerson

from rapport.core.fhir import codes
from rapport.core.fhir import plans as fhir_plans
from rapport.core.fhir import resources as fhir
from rapport.core.fhir.inputs import (
    DecisionInput,
    EncounterInput,
    EpisodeInput,
    GoalInput,
    GuardianInput,
    PlanInput,
    ProblemInput,
    ResponseInput,
)
from rapport.core.instruments import parse_instrument

BASE = "https://fhir.northside.test/fhir"
WHEN = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def encounter(modality: str, attendance: str = "attended") -> EncounterInput:
    return EncounterInput(
        pk=7,
        episode_pk=3,
        client_pk=5,
        clinician_pk=2,
        start=WHEN,
        minutes=50,
        modality=modality,
        attendance=attendance,
    )


def response(instrument_id: str, *, total: float | None = 12.0, **changes: Any) -> ResponseInput:
    text = (resources.files("rapport.instruments") / f"{instrument_id}.json").read_text("utf-8")
    instrument = parse_instrument(json.loads(text))
    if changes:
        instrument = dataclasses.replace(instrument, **changes)
    return ResponseInput(
        pk=11,
        episode_pk=3,
        client_pk=5,
        encounter_pk=7,
        instrument=instrument,
        answers={},
        completed_at=WHEN,
        author_kind="client",
        author_pk=5,
        total=total,
        band="Moderate",
    )


@pytest.mark.parametrize(
    ("modality", "klass"),
    [("in_person", "AMB"), ("video", "VR"), ("phone", "VR"), ("text", "VR")],
)
def test_a_session_in_the_room_is_ambulatory_and_one_at_a_distance_virtual(
    modality: str, klass: str
) -> None:
    document = fhir.encounter_json(encounter(modality), BASE)

    Encounter.model_validate(document)
    assert (document["class"]["system"], document["class"]["code"]) == (codes.V3_ACT_CODE, klass)
    assert document["type"][0]["coding"][0] == {
        "system": f"{BASE}/CodeSystem/session-modality",
        "code": modality,
        "display": fhir.MODALITY_LABELS[modality],
    }


@pytest.mark.parametrize(
    ("attendance", "status"),
    [
        ("scheduled", "planned"),
        ("attended", "finished"),
        ("cancelled_client", "cancelled"),
        ("cancelled_clinician", "cancelled"),
        ("no_show", "cancelled"),
    ],
)
def test_attendance_becomes_an_r4_encounter_status(attendance: str, status: str) -> None:
    document = fhir.encounter_json(encounter("video", attendance), BASE)

    assert document["status"] == status
    assert status in codes.ENCOUNTER_STATUSES


@pytest.mark.parametrize(("instrument_id", "loinc"), [("phq9", "44261-6"), ("gad7", "70274-6")])
def test_the_phq9_and_gad7_totals_are_coded_in_loinc(instrument_id: str, loinc: str) -> None:
    document = fhir.observation_json(response(instrument_id), BASE)

    assert document is not None
    Observation.model_validate(document)
    assert document["code"]["coding"][0]["system"] == codes.LOINC
    assert document["code"]["coding"][0]["code"] == loinc
    assert document["derivedFrom"] == [{"reference": "QuestionnaireResponse/rapport-response-11"}]
    assert document["interpretation"] == [{"text": "Moderate"}]


def test_a_total_with_a_loinc_code_we_do_not_know_to_be_right_gets_our_own_code() -> None:
    document = fhir.observation_json(response("phq9", loinc_total="99999-9"), BASE)

    assert document is not None
    assert document["code"]["coding"][0]["system"] == f"{BASE}/CodeSystem/instrument-total"
    assert document["code"]["coding"][0]["code"] == "phq9"


def test_a_response_without_a_total_has_no_observation() -> None:
    assert fhir.observation_json(response("phq9", total=None), BASE) is None


@pytest.mark.parametrize("relationship", sorted(codes.RELATIONSHIP_CODES))
def test_a_guardians_relationship_is_a_v3_role_code(relationship: str) -> None:
    guardian = GuardianInput(
        pk=4,
        client_pk=5,
        name="Pat Parent",
        email="pat@example.com",
        relationship=relationship,
        relationship_label=relationship.replace("_", " ").capitalize(),
        active=True,
    )

    document = fhir.related_person_json(guardian)

    RelatedPerson.model_validate(document)
    code, _ = codes.RELATIONSHIP_CODES[relationship]
    assert document["relationship"][0]["coding"][0]["system"] == codes.V3_ROLE_CODE
    assert document["relationship"][0]["coding"][0]["code"] == code


def test_an_other_relationship_is_told_in_words_without_a_code() -> None:
    guardian = GuardianInput(4, 5, "Sam", "", "other", "Other", True)

    document = fhir.related_person_json(guardian)

    assert document["relationship"] == [{"text": "Other"}]


def problem(pk: int, priority: int) -> ProblemInput:
    return ProblemInput(pk, 3, 5, f"Problem {pk}", "", "active", priority, WHEN, 2)


def test_an_episodes_problems_are_ranked_in_the_clients_order_from_one() -> None:
    episode = EpisodeInput(
        pk=3,
        client_pk=5,
        practice_pk=1,
        clinician_pk=2,
        team_pks=(),
        status="on_hold",
        start=date(2026, 1, 5),
        end=None,
        problems=(problem(9, 2), problem(8, 0), problem(10, 2)),
    )

    document = fhir.episode_of_care_json(episode)

    EpisodeOfCare.model_validate(document)
    assert document["status"] == "onhold"
    assert document["diagnosis"] == [
        {"condition": {"reference": "Condition/rapport-problem-8"}, "rank": 1},
        {"condition": {"reference": "Condition/rapport-problem-9"}, "rank": 2},
        {"condition": {"reference": "Condition/rapport-problem-10"}, "rank": 3},
    ]


def test_a_bundle_refuses_one_resource_twice() -> None:
    patient = {"resourceType": "Patient", "id": "rapport-client-5"}

    with pytest.raises(ValueError, match="twice"):
        fhir.collection_bundle([patient, dict(patient)], base=BASE)


# --- Plans ------------------------------------------------------------------------------------


def plan(status: str, *, replaced: bool = False, closed: bool = False, **changes: Any) -> PlanInput:
    made = PlanInput(
        pk=21,
        episode_pk=3,
        client_pk=5,
        number=2,
        status=status,
        episode_closed=closed,
        shared_text="We will face the bus together.",
        proposed_at=WHEN,
        decided_at=None,
        author_pk=2,
        replaces_pk=20,
        replaced=replaced,
    )
    return dataclasses.replace(made, **changes)


@pytest.mark.parametrize(
    ("status", "replaced", "closed", "expected"),
    [
        ("accepted", False, False, "active"),
        ("accepted", False, True, "completed"),
        ("accepted", True, False, "revoked"),
        ("proposed", False, False, "draft"),
        ("changes_requested", False, False, "draft"),
        ("superseded", False, False, "revoked"),
    ],
)
def test_a_plan_versions_care_plan_status(
    status: str, replaced: bool, closed: bool, expected: str
) -> None:
    document = fhir_plans.careplan_json(plan(status, replaced=replaced, closed=closed))

    CarePlan.model_validate(document)
    assert document["status"] == expected
    assert document["replaces"] == [{"reference": "CarePlan/rapport-plan-version-20"}]


def goal(benchmark: str, **changes: Any) -> GoalInput:
    made = GoalInput(
        pk=31,
        version_pk=21,
        client_pk=5,
        title="Take the bus to school",
        benchmark=benchmark,
        instrument=None,
        subscale="",
        target=3.0,
        count_direction="at_least",
        target_words="at least 3 times",
        target_date=date(2026, 6, 1),
        problem_pks=(8,),
    )
    return dataclasses.replace(made, **changes)


@pytest.mark.parametrize(
    ("made", "comparator"),
    [
        (goal("count"), ">="),
        (goal("count", count_direction="at_most"), "<="),
        (goal("rating", target=7.0), ">="),
        (goal("measure_target", instrument=response("phq9").instrument, target=10.0), "<"),
    ],
)
def test_a_goals_target_says_which_way_it_is_met(made: GoalInput, comparator: str) -> None:
    document = fhir_plans.goal_json(made, plan("accepted"), BASE)

    Goal.model_validate(document)
    assert document["target"][0]["detailQuantity"]["comparator"] == comparator
    assert document["target"][0]["dueDate"] == "2026-06-01"


def test_a_reliable_improvement_goal_is_told_in_words_against_the_measures_code() -> None:
    made = goal(
        "reliable_improvement",
        instrument=response("phq9").instrument,
        target=None,
        target_words="a reliable improvement on the PHQ-9",
    )

    target = fhir_plans.goal_json(made, plan("accepted"), BASE)["target"][0]

    assert target["detailString"] == "a reliable improvement on the PHQ-9"
    assert target["measure"]["coding"][0]["code"] == "44261-6"


def test_who_agreed_to_the_plan_is_the_goals_acceptance() -> None:
    answered = plan(
        "accepted",
        decisions=(
            DecisionInput(party_kind="client", party_pk=5, accepted=True),
            DecisionInput(party_kind="guardian", party_pk=None, accepted=False),
        ),
    )

    document = fhir_plans.goal_json(goal("count"), answered, BASE)

    Goal.model_validate(document)
    assert document["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/goal-acceptance",
            "extension": [
                {"url": "individual", "valueReference": {"reference": "Patient/rapport-client-5"}},
                {"url": "status", "valueCode": "agree"},
            ],
        },
        {
            "url": "http://hl7.org/fhir/StructureDefinition/goal-acceptance",
            "extension": [{"url": "status", "valueCode": "disagree"}],
        },
    ]
