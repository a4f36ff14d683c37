"""What a practice's FHIR export costs: its reads are made a page of clients at a time, a query
for each kind of row (rapport.interop.record_batch), and a resource that several records share
is built once, however many clients' records hold it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.alerts.models import Alert
from rapport.core.fhir.questionnaires import questionnaire_resource
from rapport.core.instruments import Instrument
from rapport.interop.queries import practice_resources
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from rapport.people.models import Client, GuardianLink
from rapport.plans import services as plans
from rapport.practices.models import Practice
from tests.conftest import (
    Cast,
    assignment_for,
    make_episode,
    make_session,
    make_user,
    years_ago,
)

BASE = "https://fhir.queries.test/fhir"
# Every kind of resource a record's rows become: each page reads each kind of row once.
EVERY_KIND = (
    "Patient",
    "RelatedPerson",
    "Consent",
    "EpisodeOfCare",
    "Condition",
    "Encounter",
    "QuestionnaireResponse",
    "Observation",
    "CarePlan",
    "Goal",
    "Provenance",
    "DetectedIssue",
)


def client_with_a_full_record(cast: Cast, number: int) -> Client:
    """A client of the cast's practice whose record holds a row of every kind the export reads:
    an episode with a team member, a guardian, a problem, a session held with a PHQ-9 answered
    at it, a plan of a goal for that problem accepted by the client, and an alert."""
    practice = cast.practice
    user = make_user(practice, f"client.{number}@example.com", Role.CLIENT)
    client = Client.objects.create(
        practice=practice, user=user, full_name=f"Client {number}", date_of_birth=years_ago(30)
    )
    episode = make_episode(practice, client, cast.clinician)
    episode.team_members.add(cast.co_clinician)
    guardian = make_user(practice, f"guardian.{number}@example.com", Role.GUARDIAN)
    GuardianLink.objects.create(client=client, guardian=guardian, relationship="mother")
    problem = plans.problem_add(
        actor=cast.clinician,
        episode=episode,
        title="Sleep",
        client_words="my sleep",
        description="",
        onset="",
        status="active",
        measure_families=[],
    )
    measure_plan_set(
        actor=cast.clinician,
        episode=episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    session = make_session(episode, days_from_now=-7, held=True)
    assignment = assignment_for(session_assignments_ensure(session=session), "phq9")
    response = response_submit(
        assignment=assignment,
        answers={f"phq9-{n}": "1" for n in range(1, 10)},
        mode="in_session",
        actor=None,
    )
    draft = plans.plan_draft_start(actor=cast.clinician, episode=episode, reason="First plan")
    plans.goal_add(
        actor=cast.clinician,
        version=draft,
        title="Sleep through most nights",
        target_date=timezone.localdate() + timedelta(weeks=12),
        benchmark="rating",
        family="",
        subscale="",
        target=7.0,
        count_direction="at_least",
        problems=[problem],
    )
    version = plans.plan_propose(actor=cast.clinician, version=draft)
    plans.plan_decide(user=user, version=version, party="client", accept=True, comment="")
    Alert.objects.create(
        practice=practice,
        client=client,
        episode=episode,
        kind=Alert.Kind.OFF_TRACK,
        reason="Off track",
        source_response=response,
        opened_at=timezone.now(),
    )
    return client


def exported(practice: Practice) -> tuple[int, Counter[str]]:
    """The practice's export: the queries it made, and the resources it wrote by type."""
    with CaptureQueriesContext(connection) as made:
        kinds = Counter(r["resourceType"] for r in practice_resources(practice, BASE))
    return len(made), kinds


def test_a_practice_of_twice_as_many_clients_is_exported_in_as_many_queries(cast: Cast) -> None:
    for number in range(3):
        client_with_a_full_record(cast, number)
    few, few_kinds = exported(cast.practice)
    for number in range(3, 9):
        client_with_a_full_record(cast, number)

    many, many_kinds = exported(cast.practice)

    assert many_kinds["Patient"] == 2 * few_kinds["Patient"] == 12  # the cast's 3, and ours
    for kind in EVERY_KIND:
        assert many_kinds[kind] > few_kinds[kind] > 0, kind
    assert many == few


def test_the_practice_export_builds_each_questionnaire_once_whoever_answered_it(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(3):
        client_with_a_full_record(cast, number)
    built: list[str] = []

    def counted(instrument: Instrument, base: str) -> dict[str, Any]:
        built.append(instrument.id)
        return questionnaire_resource(instrument, base)

    monkeypatch.setattr("rapport.interop.queries.questionnaire_resource", counted)

    written = [r for r in practice_resources(cast.practice, BASE)]

    questionnaires = [r for r in written if r["resourceType"] == "Questionnaire"]
    assert questionnaires  # PHQ-9, answered by all three
    assert len(built) == len(questionnaires)
