"""FHIR R4 (4.0.1) resources made from the export's inputs: plain dicts, ready for json.dumps.

Ids are our primary keys behind a prefix naming what they are ("rapport-client-12"), so that a
second export of the same records is identical and a receiver can update rather than duplicate.
Every resource about a client's care carries security labels: restricted (v3-Confidentiality R)
and the psychiatric information-sensitivity policy (v3-ActCode PSY).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from rapport.core.fhir import codes
from rapport.core.fhir.inputs import (
    ClientInput,
    EncounterInput,
    EpisodeInput,
    GuardianInput,
    PracticeInput,
    PractitionerInput,
    ProblemInput,
    ResponseInput,
)
from rapport.core.fhir.questionnaires import SOURCE_LANGUAGE, questionnaire_response_json
from rapport.core.instruments import Instrument

SENSITIVE_META: dict[str, Any] = {"security": [codes.RESTRICTED, codes.PSYCHIATRY_SENSITIVITY]}

EPISODE_STATUS = {"active": "active", "on_hold": "onhold", "closed": "finished"}
ENCOUNTER_STATUS = {
    "scheduled": "planned",
    "attended": "finished",
    "cancelled_client": "cancelled",
    "cancelled_clinician": "cancelled",
    # R4 has no "no-show" for an Encounter (only for an Appointment): it did not take place.
    "no_show": "cancelled",
}
PROBLEM_STATUS = {
    "active": "active",
    "improving": "active",
    "resolved": "resolved",
    "dropped": "inactive",
}
MODALITY_LABELS = {
    "in_person": "In person",
    "video": "Video",
    "phone": "Phone",
    "text": "Text / chat",
}


# --- Ids and references ---------------------------------------------------------------------

ID_PREFIXES = {
    "Organization": "rapport-practice",
    "Practitioner": "rapport-practitioner",
    "PractitionerRole": "rapport-practitioner-role",
    "Patient": "rapport-client",
    "RelatedPerson": "rapport-guardian-link",
    "EpisodeOfCare": "rapport-episode",
    "Encounter": "rapport-session",
    "QuestionnaireResponse": "rapport-response",
    "Observation": "rapport-response-total",
    "Condition": "rapport-problem",
    "CarePlan": "rapport-plan-version",
    "Goal": "rapport-plan-goal",
    "DetectedIssue": "rapport-alert",
    "Flag": "rapport-alert-flag",
    "Consent": "rapport-guardian-sharing",
    "Provenance": "rapport-plan-decision",
}


def resource_id(resource_type: str, pk: int) -> str:
    """The stable id of the resource made from the record with primary key `pk`."""
    return f"{ID_PREFIXES[resource_type]}-{pk}"


def reference(resource_type: str, pk: int) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id(resource_type, pk)}"}


AUTHOR_TYPES = {"client": "Patient", "guardian": "RelatedPerson", "practitioner": "Practitioner"}


def _author(response: ResponseInput) -> dict[str, str] | None:
    if response.author_pk is None:
        return None
    return reference(AUTHOR_TYPES[response.author_kind], response.author_pk)


# --- People and organisations ---------------------------------------------------------------


def organization_json(practice: PracticeInput) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": resource_id("Organization", practice.pk),
        "active": True,
        "name": practice.name,
    }


def practitioner_json(practitioner: PractitionerInput) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": resource_id("Practitioner", practitioner.pk),
        "active": True,
        "name": [{"text": practitioner.name}],
        "telecom": [{"system": "email", "value": practitioner.email, "use": "work"}],
    }


def practitioner_role_json(practitioner: PractitionerInput, base: str) -> dict[str, Any]:
    """The practitioner's role at the practice, in Rapport's own codes (clinician, supervisor)."""
    return {
        "resourceType": "PractitionerRole",
        "id": resource_id("PractitionerRole", practitioner.pk),
        "active": True,
        "practitioner": reference("Practitioner", practitioner.pk),
        "organization": reference("Organization", practitioner.practice_pk),
        "code": [
            {
                "coding": [
                    {
                        "system": codes.rapport_system(base, "staff-role"),
                        "code": practitioner.role,
                        "display": practitioner.role.capitalize(),
                    }
                ]
            }
        ],
    }


def patient_json(client: ClientInput) -> dict[str, Any]:
    """Being a client of a psychological therapy is itself sensitive: labelled like the care."""
    names: list[dict[str, Any]] = [{"use": "official", "text": client.full_name}]
    if client.preferred_name:
        names.append({"use": "usual", "text": client.preferred_name})
    telecom = []
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id("Patient", client.pk),
        "meta": SENSITIVE_META,
        "active": client.active,
        "name": names,
        "birthDate": client.date_of_birth.isoformat(),
        "managingOrganization": reference("Organization", client.practice_pk),
    }
    if telecom:
        patient["telecom"] = telecom
    if client.address.strip():
        patient["address"] = [{"text": client.address.strip()}]
    if client.language.strip():
        patient["communication"] = [{"language": {"text": client.language.strip()}}]
    return patient


def related_person_json(guardian: GuardianInput) -> dict[str, Any]:
    relationship: dict[str, Any] = {"text": guardian.relationship_label}
    coded = codes.RELATIONSHIP_CODES.get(guardian.relationship)
    if coded is not None:
        code, display = coded
        relationship["coding"] = [{"system": codes.V3_ROLE_CODE, "code": code, "display": display}]
    person: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": resource_id("RelatedPerson", guardian.pk),
        "meta": SENSITIVE_META,
        "active": guardian.active,
        "patient": reference("Patient", guardian.client_pk),
        "relationship": [relationship],
        "name": [{"text": guardian.name}],
    }
    if guardian.email:
        person["telecom"] = [{"system": "email", "value": guardian.email}]
    return person


# --- Care -----------------------------------------------------------------------------------


def episode_of_care_json(episode: EpisodeInput) -> dict[str, Any]:
    """The problems are the episode's diagnoses, ranked as the client put them first (1 is what
    they want first); rank is the order, so that it stays a positive whole number."""
    period = {"start": episode.start.isoformat()}
    if episode.end is not None:
        period["end"] = episode.end.isoformat()
    document: dict[str, Any] = {
        "resourceType": "EpisodeOfCare",
        "id": resource_id("EpisodeOfCare", episode.pk),
        "meta": SENSITIVE_META,
        "status": EPISODE_STATUS[episode.status],
        "patient": reference("Patient", episode.client_pk),
        "managingOrganization": reference("Organization", episode.practice_pk),
        "period": period,
        "careManager": reference("Practitioner", episode.clinician_pk),
    }
    ranked = sorted(episode.problems, key=lambda p: (p.priority, p.pk))
    if ranked:
        document["diagnosis"] = [
            {"condition": reference("Condition", problem.pk), "rank": rank}
            for rank, problem in enumerate(ranked, start=1)
        ]
    return document


def encounter_json(encounter: EncounterInput, base: str) -> dict[str, Any]:
    """A session in the room is ambulatory (AMB); by video, phone or text it is virtual (VR), and
    its type says which."""
    in_person = encounter.modality == "in_person"
    end = encounter.start + timedelta(minutes=encounter.minutes)
    return {
        "resourceType": "Encounter",
        "id": resource_id("Encounter", encounter.pk),
        "meta": SENSITIVE_META,
        "status": ENCOUNTER_STATUS[encounter.attendance],
        "class": codes.AMBULATORY if in_person else codes.VIRTUAL,
        "type": [
            {
                "coding": [
                    {
                        "system": codes.rapport_system(base, "session-modality"),
                        "code": encounter.modality,
                        "display": MODALITY_LABELS[encounter.modality],
                    }
                ],
                "text": MODALITY_LABELS[encounter.modality],
            }
        ],
        "subject": reference("Patient", encounter.client_pk),
        "episodeOfCare": [reference("EpisodeOfCare", encounter.episode_pk)],
        "participant": [{"individual": reference("Practitioner", encounter.clinician_pk)}],
        "period": {"start": encounter.start.isoformat(), "end": end.isoformat()},
        "length": {
            "value": encounter.minutes,
            "unit": "min",
            "system": codes.UCUM,
            "code": "min",
        },
    }


def condition_json(problem: ProblemInput) -> dict[str, Any]:
    """A problem-list item: the client's own words are the condition's text, the clinician's
    title only where there are none (or the recipient may not read them)."""
    clinical = PROBLEM_STATUS[problem.status]
    return {
        "resourceType": "Condition",
        "id": resource_id("Condition", problem.pk),
        "meta": SENSITIVE_META,
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": clinical}]},
        "category": [{"coding": [codes.PROBLEM_LIST_ITEM]}],
        "code": {"text": problem.client_words.strip() or problem.title},
        "subject": reference("Patient", problem.client_pk),
        "recordedDate": problem.recorded_at.isoformat(),
        "recorder": reference("Practitioner", problem.recorder_pk),
    }


# --- Measures -------------------------------------------------------------------------------


def questionnaire_response_resource(response: ResponseInput, base: str) -> dict[str, Any]:
    """The answers as given, with who gave them (author and source alike: Rapport records the
    person who answered, and they answered for themselves)."""
    document = questionnaire_response_json(
        response.instrument,
        response.answers,
        response_id=resource_id("QuestionnaireResponse", response.pk),
        subject_reference=reference("Patient", response.client_pk)["reference"],
        authored=response.completed_at,
        base=base,
        language=response.language,
    )
    document["meta"] = SENSITIVE_META
    if response.encounter_pk is not None:
        document["encounter"] = reference("Encounter", response.encounter_pk)
    author = _author(response)
    if author is not None:
        document["author"] = author
        document["source"] = author
    return document


def total_code(instrument: Instrument, base: str) -> dict[str, Any]:
    """LOINC for the totals whose code we know (PHQ-9, GAD-7); our own code otherwise."""
    loinc = instrument.loinc_total
    if loinc in codes.LOINC_TOTALS:
        display = codes.LOINC_TOTALS[loinc]
        coding = {"system": codes.LOINC, "code": loinc, "display": display}
    else:
        display = f"{instrument.title} total score"
        coding = {
            "system": codes.rapport_system(base, "instrument-total"),
            "code": instrument.id,
            "display": display,
        }
    return {"coding": [coding], "text": display}


def observation_json(response: ResponseInput, base: str) -> dict[str, Any] | None:
    """The total score, derived from the response; None for a response without one."""
    if response.total is None:
        return None
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id("Observation", response.pk),
        "meta": SENSITIVE_META,
        "status": "final",
        "category": [{"coding": [codes.SURVEY]}],
        "code": total_code(response.instrument, base),
        "subject": reference("Patient", response.client_pk),
        "effectiveDateTime": response.completed_at.isoformat(),
        "valueQuantity": {
            "value": response.total,
            "unit": "{score}",
            "system": codes.UCUM,
            "code": "{score}",
        },
        "derivedFrom": [reference("QuestionnaireResponse", response.pk)],
    }
    performer = _author(response)
    if performer is not None:
        observation["performer"] = [performer]
    if response.encounter_pk is not None:
        observation["encounter"] = reference("Encounter", response.encounter_pk)
    if response.band:
        observation["interpretation"] = [{"text": response.band}]
    if response.language != SOURCE_LANGUAGE:
        # A score from a translated form may not compare with the original's norms: the
        # receiver sees which version gave it without opening the response.
        observation["method"] = {
            "coding": [{"system": "urn:ietf:bcp:47", "code": response.language}],
            "text": f"Translated version ({response.language})",
        }
    return observation


# --- Bundles --------------------------------------------------------------------------------


def collection_bundle(resources: Iterable[dict[str, Any]], *, base: str) -> dict[str, Any]:
    """A collection Bundle of `resources`, each entry's fullUrl the resource's address under the
    FHIR base. Two resources with one address are a mistake of the caller: refused."""
    entries = []
    seen: set[str] = set()
    for resource in resources:
        address = f"{base}/{resource['resourceType']}/{resource['id']}"
        if address in seen:
            raise ValueError(f"{address} is in the bundle twice")
        seen.add(address)
        entries.append({"fullUrl": address, "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def collection_bundle_text(resources: Iterable[dict[str, Any]], *, base: str) -> Iterator[str]:
    """A collection Bundle of `resources` as JSON text in pieces, an entry at a time, so that a
    whole practice can be written while it is read, never held. The caller makes sure no
    resource comes twice (collection_bundle checks it for a bundle held whole)."""
    yield '{"resourceType": "Bundle", "type": "collection", "entry": ['
    separator = "\n"
    for resource in resources:
        entry = {
            "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
        }
        yield separator + json.dumps(entry, ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"
