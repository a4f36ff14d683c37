"""A client's record as a FHIR R4 Bundle: valid, stable, by role, and never the private notes.

Built on the demo practice (once for the module). Every resource is validated with the
fhir.resources R4B models, which check structure and types; the code bindings they do not check
(statuses, encounter classes, categories, LOINC codes, security labels) are checked here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from fhir.resources.R4B.bundle import Bundle

from rapport.accounts.models import Role
from rapport.audit.models import AuditEvent
from rapport.care.models import Session
from rapport.core.fhir import codes
from rapport.core.fhir.plans import CAREPLAN_STATUSES, GOAL_LIFECYCLE_STATUSES
from rapport.demo.practice import DemoSummary
from rapport.interop.queries import client_bundle, recipient_for, system_client_export
from rapport.interop.record_batch import CLINICAL, Recipient
from rapport.measures.models import Response
from rapport.people.models import Client, GuardianLink
from rapport.plans.models import PlanVersion, Problem
from tests.conftest import built_once
from tests.demo_snapshot import demo_practice

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("interop_fhir")

TODAY = dt.date(2026, 3, 18)
BASE = "https://fhir.northside.test/fhir"
PRIVATE_NOTE = "Zanzibar-private-note-7781: the therapist's own working thoughts"
PRIVATE_FORMULATION = "Quixotic-formulation-5530: a hypothesis not yet shared"


@pytest.fixture(scope="module")
def built_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    def build() -> DemoSummary:
        summary = demo_practice(today=TODAY)
        # Notes that must never leave Rapport, on every record that can hold them.
        Session.objects.filter(episode__practice=summary.practice).update(
            private_notes=PRIVATE_NOTE
        )
        PlanVersion.objects.filter(episode__practice=summary.practice).update(
            private_formulation=PRIVATE_FORMULATION
        )
        return summary

    yield from built_once(django_db_blocker, build)


@pytest.fixture
def demo(built_demo: DemoSummary, db: None, settings: Any) -> DemoSummary:
    settings.RAPPORT_FHIR_BASE = BASE
    return built_demo


def busiest_client(demo: DemoSummary, **filters: Any) -> Client:
    """The demo client (of those matching) with the most responses: the fullest bundle."""
    return (
        Client.objects.filter(practice=demo.practice, **filters)
        .annotate(n=Count("episodes__responses"))
        .order_by("-n", "pk")
        .first()
    )


def adolescent_with_guardian(demo: DemoSummary) -> tuple[Client, GuardianLink]:
    links = GuardianLink.objects.filter(client__practice=demo.practice, is_active=True)
    for link in links.select_related("client", "guardian").order_by("pk"):
        client = link.client
        if (
            client.age_band(TODAY) == "adolescent"
            and Response.objects.filter(episode__client=client, respondent="client").exists()
        ):
            return client, link
    raise AssertionError("the demo has no adolescent with a guardian and answers")


def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    found = [entry["resource"] for entry in bundle["entry"]]
    return [r for r in found if kind is None or r["resourceType"] == kind]


def codings(concept: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept.get("coding", [])]


# --- Validity -----------------------------------------------------------------------------------


def test_every_resource_of_demo_clients_bundles_validates_as_fhir_r4(demo: DemoSummary) -> None:
    adult = busiest_client(demo)
    teen, _ = adolescent_with_guardian(demo)
    for client in (adult, teen):
        bundle = client_bundle(client)

        parsed = Bundle.model_validate(bundle)

        assert parsed.type == "collection"
        assert len(parsed.entry) == len(bundle["entry"]) > 10


def test_the_bundle_holds_every_kind_of_resource_of_the_record(demo: DemoSummary) -> None:
    teen, _ = adolescent_with_guardian(demo)

    kinds = {r["resourceType"] for r in resources(client_bundle(teen))}

    assert kinds >= {
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Patient",
        "RelatedPerson",
        "EpisodeOfCare",
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
    }


def test_each_entry_is_found_at_the_base_followed_by_its_type_and_id(demo: DemoSummary) -> None:
    bundle = client_bundle(busiest_client(demo))

    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{resource['resourceType']}/{resource['id']}"


def test_every_reference_points_at_a_resource_of_the_bundle(demo: DemoSummary) -> None:
    bundle = client_bundle(busiest_client(demo))
    present = {f"{r['resourceType']}/{r['id']}" for r in resources(bundle)}

    def references(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "reference" and isinstance(inner, str):
                    yield inner
                else:
                    yield from references(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from references(inner)

    assert set(references(bundle)) <= present


# --- The code bindings the models do not check --------------------------------------------------


def test_statuses_are_codes_of_their_value_sets(demo: DemoSummary) -> None:
    bundle = client_bundle(busiest_client(demo))

    for episode in resources(bundle, "EpisodeOfCare"):
        assert episode["status"] in codes.EPISODE_STATUSES
    for encounter in resources(bundle, "Encounter"):
        assert encounter["status"] in codes.ENCOUNTER_STATUSES
    for observation in resources(bundle, "Observation"):
        assert observation["status"] in codes.OBSERVATION_STATUSES
    for condition in resources(bundle, "Condition"):
        assert codings(condition["clinicalStatus"])[0][1] in codes.CONDITION_CLINICAL_STATUSES
    for response in resources(bundle, "QuestionnaireResponse"):
        assert response["status"] == "completed"


def test_sessions_in_the_room_are_ambulatory_and_the_others_virtual_with_their_kind(
    demo: DemoSummary,
) -> None:
    sessions = Session.objects.filter(episode__practice=demo.practice)
    client_ids = set(
        sessions.filter(modality="in_person").values_list("episode__client", flat=True)
    )
    client_ids &= set(
        sessions.exclude(modality="in_person").values_list("episode__client", flat=True)
    )
    client = Client.objects.get(pk=min(client_ids))
    modality = dict(sessions.filter(episode__client=client).values_list("pk", "modality"))

    encounters = resources(client_bundle(client), "Encounter")

    assert {e["class"]["code"] for e in encounters} == {"AMB", "VR"}
    for encounter in encounters:
        pk = int(encounter["id"].rsplit("-", 1)[1])
        expected = "AMB" if modality[pk] == "in_person" else "VR"
        assert (encounter["class"]["system"], encounter["class"]["code"]) == (
            codes.V3_ACT_CODE,
            expected,
        )
        assert encounter["type"][0]["coding"][0]["code"] == modality[pk]


def test_totals_are_survey_observations_coded_in_loinc_only_for_the_phq9_and_gad7(
    demo: DemoSummary,
) -> None:
    client = busiest_client(demo, episodes__responses__instrument_id="phq9")
    bundle = client_bundle(client)
    answered = {r["id"]: r["questionnaire"] for r in resources(bundle, "QuestionnaireResponse")}
    observations = resources(bundle, "Observation")
    assert observations

    loinc_seen = set()
    for observation in observations:
        assert codings(observation["category"][0]) == [(codes.OBSERVATION_CATEGORY, "survey")]
        quantity = observation["valueQuantity"]
        assert (quantity["unit"], quantity["system"], quantity["code"]) == (
            "{score}",
            codes.UCUM,
            "{score}",
        )
        source = observation["derivedFrom"][0]["reference"].split("/")[1]
        questionnaire = answered[source].split("|")[0]
        (system, code) = codings(observation["code"])[0]
        if questionnaire.endswith("/phq9"):
            assert (system, code) == (codes.LOINC, "44261-6")
        elif questionnaire.endswith("/gad7"):
            assert (system, code) == (codes.LOINC, "70274-6")
        else:
            assert system == f"{BASE}/CodeSystem/instrument-total"
        if system == codes.LOINC:
            loinc_seen.add(code)
        band = Response.objects.get(pk=int(source.rsplit("-", 1)[1])).band
        assert observation.get("interpretation") == ([{"text": band}] if band else None)
    assert "44261-6" in loinc_seen


def test_responses_name_their_questionnaire_with_its_version_and_who_answered(
    demo: DemoSummary,
) -> None:
    teen, link = adolescent_with_guardian(demo)
    bundle = client_bundle(teen)

    authors = set()
    for response in resources(bundle, "QuestionnaireResponse"):
        url, version = response["questionnaire"].split("|")
        assert url.startswith("http") and version
        assert response["author"] == response["source"]
        authors.add(response["author"]["reference"].split("/")[0])
    assert "Patient" in authors
    if Response.objects.filter(episode__client=teen, respondent="guardian").exists():
        assert "RelatedPerson" in authors


def test_the_guardian_is_a_related_person_with_a_role_code(demo: DemoSummary) -> None:
    teen, link = adolescent_with_guardian(demo)
    expected = codes.RELATIONSHIP_CODES.get(link.relationship)

    person = next(
        r
        for r in resources(client_bundle(teen), "RelatedPerson")
        if r["id"].endswith(f"-{link.pk}")
    )

    assert person["patient"]["reference"] == f"Patient/rapport-client-{teen.pk}"
    if expected is not None:
        assert codings(person["relationship"][0]) == [(codes.V3_ROLE_CODE, expected[0])]


def test_problems_are_problem_list_conditions_ranked_on_the_episode(demo: DemoSummary) -> None:
    client = Client.objects.filter(episodes__problems__isnull=False).order_by("pk").first()
    assert client is not None
    bundle = client_bundle(client)

    conditions = resources(bundle, "Condition")
    assert conditions
    for condition in conditions:
        assert codings(condition["category"][0]) == [
            (codes.CONDITION_CATEGORY, "problem-list-item")
        ]
        pk = int(condition["id"].rsplit("-", 1)[1])
        problem = Problem.objects.get(pk=pk)
        assert condition["code"]["text"] == (problem.client_words.strip() or problem.title)
    for episode in resources(bundle, "EpisodeOfCare"):
        ranks = [d["rank"] for d in episode.get("diagnosis", [])]
        assert ranks == list(range(1, len(ranks) + 1))


def test_sensitive_resources_carry_restricted_and_psychiatric_security_labels(
    demo: DemoSummary,
) -> None:
    bundle = client_bundle(busiest_client(demo))
    sensitive = {
        "Patient",
        "RelatedPerson",
        "EpisodeOfCare",
        "Encounter",
        "Condition",
        "QuestionnaireResponse",
        "Observation",
        "DetectedIssue",
        "Flag",
        "Consent",
        "Provenance",
    }

    for resource in resources(bundle):
        if resource["resourceType"] in sensitive:
            labels = codings({"coding": resource["meta"]["security"]})
            assert (codes.V3_CONFIDENTIALITY, "R") in labels
            assert (codes.V3_ACT_CODE, "PSY") in labels


# --- Treatment plans ----------------------------------------------------------------------------


def revised_client(demo: DemoSummary) -> Client:
    """A demo client whose plan has been revised at least once after it reached them."""
    revised = (
        PlanVersion.objects.filter(episode__practice=demo.practice, proposed_at__isnull=False)
        .exclude(status="draft")
        .values("episode__client")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .order_by("episode__client")
    )
    assert revised, "the demo has no revised plan"
    return Client.objects.get(pk=revised[0]["episode__client"])


def test_each_plan_version_is_a_care_plan_replacing_the_one_before_which_is_revoked(
    demo: DemoSummary,
) -> None:
    client = revised_client(demo)
    bundle = client_bundle(client)
    Bundle.model_validate(bundle)
    plans = resources(bundle, "CarePlan")
    versions = list(
        PlanVersion.objects.filter(episode__client=client, proposed_at__isnull=False)
        .exclude(status="draft")
        .order_by("episode", "number")
    )

    assert [p["id"] for p in plans] == [f"rapport-plan-version-{v.pk}" for v in versions]
    for plan in plans:
        assert plan["status"] in CAREPLAN_STATUSES
        assert plan["intent"] == "plan"
    replacing = 0
    for earlier, later, version in zip(plans, plans[1:], versions[1:], strict=False):
        if version.number > 1:  # the first version of an episode replaces nothing
            replacing += 1
            assert later["replaces"] == [{"reference": f"CarePlan/{earlier['id']}"}]
            assert earlier["status"] == "revoked"
    assert replacing
    assert plans[-1]["status"] != "revoked"
    drafts = PlanVersion.objects.filter(episode__client=client, status="draft")
    assert not {f"rapport-plan-version-{d.pk}" for d in drafts} & {p["id"] for p in plans}


def test_goals_carry_their_benchmark_as_a_target_with_a_comparator(demo: DemoSummary) -> None:
    bundle = client_bundle(revised_client(demo))
    goals = resources(bundle, "Goal")
    assert goals

    quantities = 0
    for goal in goals:
        assert goal["lifecycleStatus"] in GOAL_LIFECYCLE_STATUSES
        target = goal["target"][0]
        assert target["measure"]["coding"]
        if "detailQuantity" in target:
            quantities += 1
            assert target["detailQuantity"]["comparator"] in {"<", "<=", ">=", ">"}
            assert target["detailQuantity"]["system"] == codes.UCUM
        else:
            assert target["detailString"]
        for acceptance in goal.get("extension", []):
            assert acceptance["url"] == "http://hl7.org/fhir/StructureDefinition/goal-acceptance"
            status = [e["valueCode"] for e in acceptance["extension"] if e["url"] == "status"]
            assert status in (["agree"], ["disagree"])
    assert quantities


def test_a_guardian_whose_link_does_not_share_the_plan_receives_none_of_it(
    demo: DemoSummary,
) -> None:
    link = (
        GuardianLink.objects.filter(
            is_active=True, client__episodes__plan_versions__proposed_at__isnull=False
        )
        .order_by("pk")
        .first()
    )
    assert link is not None
    link.may_see_plan_summary = False
    link.save()

    bundle = client_bundle(link.client, recipient_for(link.guardian, link.client))

    assert resources(bundle, "CarePlan") == resources(bundle, "Goal") == []
    assert resources(client_bundle(link.client, CLINICAL), "CarePlan")


# --- Stable, and nothing private ----------------------------------------------------------------


def test_a_second_export_is_identical(demo: DemoSummary) -> None:
    client = busiest_client(demo)

    first = json.dumps(client_bundle(client), sort_keys=True)
    second = json.dumps(client_bundle(client), sort_keys=True)

    assert first == second
    assert f'"rapport-client-{client.pk}"' in first


def test_private_notes_and_formulations_never_leave_in_any_clients_bundle(
    demo: DemoSummary,
) -> None:
    # The seeded notes are really there, so the check below could fail.
    assert Session.objects.filter(private_notes=PRIVATE_NOTE).exists()
    assert PlanVersion.objects.filter(private_formulation=PRIVATE_FORMULATION).exists()
    noted = Client.objects.filter(episodes__sessions__private_notes=PRIVATE_NOTE).distinct()

    for client in noted[:8]:
        text = json.dumps(client_bundle(client))
        assert "Zanzibar" not in text
        assert "Quixotic" not in text


# --- By role ------------------------------------------------------------------------------------


def _client_answers(bundle: dict[str, Any], client: Client) -> list[dict[str, Any]]:
    return [
        r
        for r in resources(bundle, "QuestionnaireResponse")
        if r.get("author", {}).get("reference") == f"Patient/rapport-client-{client.pk}"
    ]


def test_a_guardian_receives_the_young_persons_answers_only_where_their_link_shares_them(
    demo: DemoSummary,
) -> None:
    teen, link = adolescent_with_guardian(demo)
    link.may_see_client_answers = False
    link.save()

    withheld = client_bundle(teen, recipient_for(link.guardian, teen))
    link.may_see_client_answers = True
    link.save()
    shared = client_bundle(teen, recipient_for(link.guardian, teen))

    assert _client_answers(client_bundle(teen, CLINICAL), teen)
    assert _client_answers(withheld, teen) == []
    assert _client_answers(shared, teen)
    own = Response.objects.filter(
        episode__client=teen, respondent="guardian", assignment__respondent_user=link.guardian
    ).count()
    guardian_forms = [
        r
        for r in resources(withheld, "QuestionnaireResponse")
        if r.get("author", {}).get("reference", "").startswith("RelatedPerson/")
    ]
    assert len(guardian_forms) == own


def test_a_guardian_without_the_young_persons_words_gets_the_problem_titles_instead(
    demo: DemoSummary,
) -> None:
    problem = (
        Problem.objects.filter(episode__client__guardian_links__is_active=True)
        .order_by("pk")
        .first()
    )
    assert problem is not None
    Problem.objects.filter(pk=problem.pk).update(client_words="I can't face the bus any more")
    client = problem.episode.client
    link = client.guardian_links.filter(is_active=True).first()
    link.may_see_client_free_text = False
    link.save()

    text = json.dumps(client_bundle(client, recipient_for(link.guardian, client)))

    assert "face the bus" not in text
    assert "face the bus" in json.dumps(client_bundle(client, CLINICAL))


def test_a_guardian_whose_link_hides_the_appointments_receives_no_sessions(
    demo: DemoSummary,
) -> None:
    teen, link = adolescent_with_guardian(demo)
    link.may_see_schedule = False
    link.save()

    bundle = client_bundle(teen, recipient_for(link.guardian, teen))

    assert resources(bundle, "Encounter") == []
    assert '"Encounter/' not in json.dumps(bundle)
    assert resources(client_bundle(teen, CLINICAL), "Encounter")


def test_a_client_receives_their_own_forms_but_not_the_therapists_ratings(
    demo: DemoSummary,
) -> None:
    client = busiest_client(demo, user__isnull=False)
    user = client.user
    assert user is not None and user.role == Role.CLIENT

    recipient = recipient_for(user, client)

    assert recipient == Recipient(therapist_forms=False, guardian_forms=False, alerts=False)
    bundle = client_bundle(client, recipient)
    authors = {
        r["author"]["reference"].split("/")[0]
        for r in resources(bundle, "QuestionnaireResponse")
        if "author" in r
    }
    assert authors <= {"Patient"}


# --- The command line's export and the base ----------------------------------------------------


def test_the_system_export_is_audited_with_what_was_exported(demo: DemoSummary) -> None:
    client = busiest_client(demo)

    exported = system_client_export(client.pk)

    assert exported is not None
    event = AuditEvent.objects.filter(action="export", client_id=client.pk).latest("pk")
    assert event.actor_id is None
    assert event.object_type == "interop.fhir_bundle"
    assert event.detail["resources"]["Patient"] == 1
    assert sum(event.detail["resources"].values()) == len(exported[1]["entry"])


def test_without_a_fhir_base_the_export_refuses_rather_than_inventing_a_host(
    demo: DemoSummary, settings: Any
) -> None:
    settings.RAPPORT_FHIR_BASE = ""

    with pytest.raises(ImproperlyConfigured, match="RAPPORT_FHIR_BASE"):
        client_bundle(busiest_client(demo))


def test_answers_and_scores_from_a_translated_form_say_its_language_and_english_ones_do_not(
    demo: DemoSummary,
) -> None:
    client = busiest_client(demo)
    spanish, english = Response.objects.filter(
        episode__client=client, total__isnull=False
    ).order_by("pk")[:2]
    spanish.language = "es"
    spanish.save(update_fields=["language"])
    bundle = client_bundle(client)
    answers = {r["id"]: r for r in resources(bundle, "QuestionnaireResponse")}
    scores = {
        r["derivedFrom"][0]["reference"]: r
        for r in resources(bundle, "Observation")
        if r.get("derivedFrom")
    }

    def of(response: Response) -> tuple[dict[str, Any], dict[str, Any]]:
        [answer_id] = [key for key in answers if key.endswith(f"-{response.pk}")]
        return answers[answer_id], scores[f"QuestionnaireResponse/{answer_id}"]

    spanish_answers, spanish_score = of(spanish)
    assert spanish_answers["language"] == "es"
    assert spanish_score["method"]["coding"] == [{"system": "urn:ietf:bcp:47", "code": "es"}]
    english_answers, english_score = of(english)
    assert "language" not in english_answers and "method" not in english_score
