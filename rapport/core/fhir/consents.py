"""What a guardian may see (Consent) and who accepted a plan (Provenance), as FHIR R4.

A guardian link's sharing settings are a privacy consent about the young person's record: the
guardian (a RelatedPerson, the information recipient) is permitted the record, with nested
provisions that deny or permit each part a link can withhold, named in Rapport's own code
system and, where one resource type holds that part, by its class. A plan version accepted by
the client or a guardian is a Provenance on that version's CarePlan: who agreed, and when.
"""

from __future__ import annotations

from typing import Any

from rapport.core.fhir import codes
from rapport.core.fhir.inputs import DecisionInput, GuardianInput, PlanInput
from rapport.core.fhir.resources import SENSITIVE_META, reference, resource_id

# The parts of the record a guardian link can withhold: code, words, and the resource types
# that hold it (none for the young person's written words, which run through several).
SHARED_PARTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "client-answers",
        "The young person's own answers to questionnaires",
        ("QuestionnaireResponse",),
    ),
    ("client-free-text", "The young person's own written words", ()),
    ("plan-summary", "The treatment plan and its goals", ("CarePlan", "Goal")),
    ("schedule", "The appointments", ("Encounter",)),
)


def _shares(guardian: GuardianInput, part: str) -> bool:
    return {
        "client-answers": guardian.shares_answers,
        "client-free-text": guardian.shares_free_text,
        "plan-summary": guardian.shares_plan,
        "schedule": guardian.shares_schedule,
    }[part]


def consent_json(guardian: GuardianInput, base: str) -> dict[str, Any]:
    actor = [
        {
            "role": {"coding": [codes.INFORMATION_RECIPIENT]},
            "reference": reference("RelatedPerson", guardian.pk),
        }
    ]
    provisions = []
    for code, words, classes in SHARED_PARTS:
        provision: dict[str, Any] = {
            "type": "permit" if _shares(guardian, code) else "deny",
            "actor": actor,
            "code": [
                {
                    "coding": [
                        {
                            "system": codes.rapport_system(base, "guardian-sharing"),
                            "code": code,
                            "display": words,
                        }
                    ],
                    "text": words,
                }
            ],
        }
        if classes:
            provision["class"] = [{"system": codes.RESOURCE_TYPES, "code": c} for c in classes]
        provisions.append(provision)
    document: dict[str, Any] = {
        "resourceType": "Consent",
        "id": resource_id("Consent", guardian.pk),
        "meta": SENSITIVE_META,
        "status": "active" if guardian.active else "inactive",
        "scope": {"coding": [codes.PATIENT_PRIVACY]},
        "category": [{"coding": [codes.PATIENT_CONSENT]}],
        "patient": reference("Patient", guardian.client_pk),
        "policyRule": {"coding": [codes.OPT_IN_RESTRICTED]},
        "provision": {"type": "permit", "actor": actor, "provision": provisions},
    }
    if guardian.linked_at is not None:
        document["dateTime"] = guardian.linked_at.isoformat()
    return document


def provenance_json(decision: DecisionInput, plan: PlanInput, base: str) -> dict[str, Any] | None:
    """The acceptance of a plan version; None for an answer that was not an acceptance, or
    whose party is no longer known (a guardian link removed since)."""
    if not decision.accepted or decision.party_pk is None or decision.at is None:
        return None
    kind = "Patient" if decision.party_kind == "client" else "RelatedPerson"
    who = "the client" if decision.party_kind == "client" else "a guardian"
    return {
        "resourceType": "Provenance",
        "id": resource_id("Provenance", decision.pk),
        "meta": SENSITIVE_META,
        "target": [reference("CarePlan", plan.pk)],
        "recorded": decision.at.isoformat(),
        "activity": {
            "coding": [
                {
                    "system": codes.rapport_system(base, "plan-decision"),
                    "code": "accepted",
                    "display": "Plan accepted",
                }
            ],
            "text": f"Treatment plan version {plan.number} accepted by {who}",
        },
        "agent": [
            {
                # The one who agreed to the plan attests to it.
                "type": {
                    "coding": [
                        {
                            "system": codes.PROVENANCE_PARTICIPANT_TYPE,
                            "code": "attester",
                            "display": "Attester",
                        }
                    ]
                },
                "who": reference(kind, decision.party_pk),
            }
        ],
    }
