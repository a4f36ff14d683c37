"""The code systems and codes the export uses, each with where it is defined.

FHIR's own models check structure and data types, not which codes a binding allows; the sets
below are what our tests hold every exported resource to.
"""

from __future__ import annotations

from typing import Any

# --- HL7 terminology (https://terminology.hl7.org) ----------------------------------------------

# Confidentiality: R (restricted) is for "information which is highly sensitive", which the
# answers and scores of a psychological therapy are.
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# ActCode holds both the information-sensitivity policies (PSY: "psychiatry disorder information
# sensitivity") and the encounter classes (AMB ambulatory, VR virtual).
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# RoleCode: personal relationships (MTH, FTH, PRN, ...) and GUARD, for RelatedPerson.
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PROVENANCE_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

RESTRICTED: dict[str, Any] = {"system": V3_CONFIDENTIALITY, "code": "R", "display": "restricted"}
PSYCHIATRY_SENSITIVITY: dict[str, Any] = {
    "system": V3_ACT_CODE,
    "code": "PSY",
    "display": "psychiatry disorder information sensitivity",
}

AMBULATORY: dict[str, Any] = {"system": V3_ACT_CODE, "code": "AMB", "display": "ambulatory"}
VIRTUAL: dict[str, Any] = {"system": V3_ACT_CODE, "code": "VR", "display": "virtual"}
ENCOUNTER_CLASSES = frozenset({"AMB", "VR"})

SURVEY: dict[str, Any] = {"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
PROBLEM_LIST_ITEM: dict[str, Any] = {
    "system": CONDITION_CATEGORY,
    "code": "problem-list-item",
    "display": "Problem List Item",
}

# The LOINC codes of the total scores we know to be right. An instrument's own `loinc_total`
# is used only when it is one of these: a wrong LOINC code would be read by a receiving system as
# a different measurement, which is worse than our own code.
LOINC_TOTALS: dict[str, str] = {
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "70274-6": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}

# GuardianLink.Relationship -> v3-RoleCode. "other" has no code: its text says it.
RELATIONSHIP_CODES: dict[str, tuple[str, str]] = {
    "mother": ("MTH", "mother"),
    "father": ("FTH", "father"),
    "parent": ("PRN", "parent"),
    "step_parent": ("STPPRN", "step parent"),
    "grandparent": ("GRPRN", "grandparent"),
    "foster_carer": ("PRNFOST", "foster parent"),
    "legal_guardian": ("GUARD", "guardian"),
}

# The value sets of the `status` elements (FHIR R4 4.0.1), for our own checks.
EPISODE_STATUSES = frozenset(
    {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"}
)
ENCOUNTER_STATUSES = frozenset(
    {
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
OBSERVATION_STATUSES = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error"}
)
FLAG_STATUSES = frozenset({"active", "inactive", "entered-in-error"})
# DetectedIssue.status is bound to the Observation statuses (ObservationStatus).
DETECTED_ISSUE_STATUSES = OBSERVATION_STATUSES
DETECTED_ISSUE_SEVERITIES = frozenset({"high", "moderate", "low"})
CONSENT_STATUSES = frozenset(
    {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
)
CONSENT_PROVISION_TYPES = frozenset({"deny", "permit"})
FLAG_CATEGORIES = frozenset(
    {
        "diet",
        "drug",
        "lab",
        "admin",
        "contact",
        "clinical",
        "behavioral",
        "research",
        "advance-directive",
        "safety",
    }
)

SAFETY_FLAG: dict[str, Any] = {"system": FLAG_CATEGORY, "code": "safety", "display": "Safety"}
PATIENT_PRIVACY: dict[str, Any] = {
    "system": CONSENT_SCOPE,
    "code": "patient-privacy",
    "display": "Privacy Consent",
}
# LOINC 59284-0 "Patient Consent": the category R4's examples use for privacy consents.
PATIENT_CONSENT: dict[str, Any] = {"system": LOINC, "code": "59284-0", "display": "Patient Consent"}
# The guardian receives the record: information recipient.
INFORMATION_RECIPIENT: dict[str, Any] = {
    "system": V3_PARTICIPATION_TYPE,
    "code": "IRCP",
    "display": "information recipient",
}
# Opt-in with restrictions: the guardian sees the young person's record, less what the link
# withholds.
OPT_IN_RESTRICTED: dict[str, Any] = {
    "system": V3_ACT_CODE,
    "code": "OPTINR",
    "display": "opt-in with restrictions",
}

CONDITION_CLINICAL_STATUSES = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)


def rapport_system(base: str, name: str) -> str:
    """One of Rapport's own code systems, under the practice's FHIR base."""
    return f"{base}/CodeSystem/{name}"
