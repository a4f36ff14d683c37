"""Alerts as FHIR R4: every clinical alert a DetectedIssue, a risk alert a Flag as well.

Why two resources. A DetectedIssue is R4's record of a problem that decision support found in
the course of care: it names what it is about (`implicated`: the episode of care whose course
is in question) and what showed it (`evidence`: the total score and the answers), and records
what the clinicians did (`mitigation`: acknowledged, resolved, by whom and when). That is what
every Rapport alert is, off track and alliance alike. A Flag is R4's prospective warning about
the person, meant to be shown to anyone opening their record while it is active: that is what a
risk answer (self-harm, an urgent answer) must be, and only that, or warnings stop being read.
So a risk alert is both, the Flag pointing at its DetectedIssue (flag-detail).

Plan reviews and requested plan changes are alerts in Rapport's inbox but not clinical issues:
they are not exported as either.
"""

from __future__ import annotations

from typing import Any

from rapport.core.fhir import codes
from rapport.core.fhir.inputs import AlertInput
from rapport.core.fhir.resources import SENSITIVE_META, reference, resource_id

# Alert kinds that are work to do rather than something found about the client's care.
ADMINISTRATIVE_KINDS = frozenset({"plan_review", "plan_changes"})
RISK_KINDS = frozenset({"risk"})


def exported(alert: AlertInput) -> bool:
    return alert.kind not in ADMINISTRATIVE_KINDS


def _severity(alert: AlertInput) -> str:
    if alert.urgent or alert.kind in RISK_KINDS:
        return "high"
    return "moderate"


def _status(alert: AlertInput) -> str:
    """Open: found by a rule, not yet looked at (preliminary). Acknowledged or resolved: a
    clinician has looked at it (final); what they did is in the mitigation."""
    return "preliminary" if alert.status == "open" else "final"


def _mitigations(alert: AlertInput, base: str) -> list[dict[str, Any]]:
    """What the clinicians did: acknowledged, then resolved (the notes they wrote stay in
    Rapport: written for the team, they may hold anything)."""
    done: list[dict[str, Any]] = []
    system = codes.rapport_system(base, "alert-action")
    steps = (
        ("acknowledged", "Acknowledged", alert.acknowledged_at, alert.acknowledged_by_pk),
        ("resolved", "Resolved", alert.resolved_at, alert.resolved_by_pk),
    )
    for code, words, at, by in steps:
        if at is None:
            continue
        mitigation: dict[str, Any] = {
            "action": {"coding": [{"system": system, "code": code}], "text": words},
            "date": at.isoformat(),
        }
        if by is not None:
            mitigation["author"] = reference("Practitioner", by)
        done.append(mitigation)
    return done


def _kind_code(alert: AlertInput, base: str) -> dict[str, Any]:
    return {
        "coding": [
            {
                "system": codes.rapport_system(base, "alert-kind"),
                "code": alert.kind,
                "display": alert.kind_label,
            }
        ],
        "text": alert.kind_label,
    }


def detected_issue_json(alert: AlertInput, base: str) -> dict[str, Any]:
    evidence: list[dict[str, Any]] = []
    if alert.response_pk is not None:
        detail = []
        if alert.response_has_total:
            detail.append(reference("Observation", alert.response_pk))
        detail.append(reference("QuestionnaireResponse", alert.response_pk))
        evidence.append({"detail": detail})
    document: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": resource_id("DetectedIssue", alert.pk),
        "meta": SENSITIVE_META,
        "status": _status(alert),
        "code": _kind_code(alert, base),
        "severity": _severity(alert),
        "patient": reference("Patient", alert.client_pk),
        "identifiedDateTime": alert.opened_at.isoformat(),
        "implicated": [reference("EpisodeOfCare", alert.episode_pk)],
        "detail": alert.reason,
    }
    if evidence:
        document["evidence"] = evidence
    mitigations = _mitigations(alert, base)
    if mitigations:
        document["mitigation"] = mitigations
    return document


def flag_json(alert: AlertInput, base: str) -> dict[str, Any] | None:
    """A risk alert's warning, active until a clinician resolves the alert; None for others."""
    if alert.kind not in RISK_KINDS:
        return None
    period = {"start": alert.opened_at.isoformat()}
    if alert.resolved_at is not None:
        period["end"] = alert.resolved_at.isoformat()
    document: dict[str, Any] = {
        "resourceType": "Flag",
        "id": resource_id("Flag", alert.pk),
        "meta": SENSITIVE_META,
        "extension": [
            {"url": codes.FLAG_DETAIL, "valueReference": reference("DetectedIssue", alert.pk)}
        ],
        "status": "inactive" if alert.status == "resolved" else "active",
        "category": [{"coding": [codes.SAFETY_FLAG]}],
        "code": {**_kind_code(alert, base), "text": alert.reason},
        "subject": reference("Patient", alert.client_pk),
        "period": period,
    }
    if alert.encounter_pk is not None:
        document["encounter"] = reference("Encounter", alert.encounter_pk)
    return document
