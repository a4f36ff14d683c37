"""Alerts (DetectedIssue, Flag), guardians' sharing (Consent) and plan acceptance (Provenance)
from plain inputs, one resource at a time, each validated with the fhir.resources R4B models."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.provenance import Provenance

from rapport.core.fhir import codes
from rapport.core.fhir.consents import consent_json, provenance_json
from rapport.core.fhir.inputs import AlertInput, DecisionInput, GuardianInput, PlanInput
from rapport.core.fhir.safety import detected_issue_json, exported, flag_json

BASE = "https://fhir.northside.test/fhir"
WHEN = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

OPEN_RISK = AlertInput(
    pk=21,
    client_pk=5,
    episode_pk=3,
    kind="risk",
    kind_label="Risk question answered",
    urgent=True,
    reason="PHQ-9 item 9 answered 'Several days'",
    status="open",
    opened_at=WHEN,
    acknowledged_at=None,
    acknowledged_by_pk=None,
    resolved_at=None,
    resolved_by_pk=None,
    response_pk=11,
    response_has_total=True,
    encounter_pk=7,
)


def handled(alert: AlertInput) -> AlertInput:
    return dataclasses.replace(
        alert,
        status="resolved",
        acknowledged_at=WHEN + timedelta(hours=1),
        acknowledged_by_pk=2,
        resolved_at=WHEN + timedelta(days=2),
        resolved_by_pk=2,
    )


def test_an_open_alert_is_a_preliminary_high_severity_issue_with_its_evidence() -> None:
    issue = detected_issue_json(OPEN_RISK, BASE)

    DetectedIssue.model_validate(issue)
    assert (issue["status"], issue["severity"]) == ("preliminary", "high")
    assert issue["evidence"][0]["detail"] == [
        {"reference": "Observation/rapport-response-total-11"},
        {"reference": "QuestionnaireResponse/rapport-response-11"},
    ]
    assert issue["implicated"] == [{"reference": "EpisodeOfCare/rapport-episode-3"}]
    assert "mitigation" not in issue


def test_a_resolved_alert_is_final_with_who_acknowledged_and_resolved_it_and_when() -> None:
    issue = detected_issue_json(handled(OPEN_RISK), BASE)

    DetectedIssue.model_validate(issue)
    assert issue["status"] == "final"
    assert [(m["action"]["coding"][0]["code"], m["author"]) for m in issue["mitigation"]] == [
        ("acknowledged", {"reference": "Practitioner/rapport-practitioner-2"}),
        ("resolved", {"reference": "Practitioner/rapport-practitioner-2"}),
    ]
    assert issue["mitigation"][1]["date"] == (WHEN + timedelta(days=2)).isoformat()


def test_an_off_track_alert_is_a_moderate_issue_and_no_flag() -> None:
    off_track = dataclasses.replace(
        OPEN_RISK, kind="off_track", kind_label="Off track", urgent=False, response_has_total=False
    )

    issue = detected_issue_json(off_track, BASE)

    assert issue["severity"] == "moderate"
    assert issue["evidence"][0]["detail"] == [
        {"reference": "QuestionnaireResponse/rapport-response-11"}
    ]
    assert flag_json(off_track, BASE) is None


def test_plan_reviews_are_work_to_do_not_clinical_issues_and_are_not_exported() -> None:
    assert exported(OPEN_RISK)
    assert not exported(dataclasses.replace(OPEN_RISK, kind="plan_review"))
    assert not exported(dataclasses.replace(OPEN_RISK, kind="plan_changes"))


def test_a_risk_flag_is_active_until_resolved_then_inactive_with_its_end() -> None:
    active = flag_json(OPEN_RISK, BASE)
    resolved = flag_json(handled(OPEN_RISK), BASE)
    assert active is not None and resolved is not None

    Flag.model_validate(active)
    Flag.model_validate(resolved)
    assert (active["status"], "end" in active["period"]) == ("active", False)
    assert (resolved["status"], resolved["period"]["end"]) == (
        "inactive",
        (WHEN + timedelta(days=2)).isoformat(),
    )
    assert active["category"][0]["coding"][0]["code"] in codes.FLAG_CATEGORIES


GUARDIAN = GuardianInput(
    pk=4,
    client_pk=5,
    name="Alex Parent",
    email="",
    relationship="mother",
    relationship_label="Mother",
    active=True,
    shares_answers=False,
    shares_free_text=False,
    shares_plan=True,
    shares_schedule=True,
    linked_at=WHEN,
)


@pytest.mark.parametrize("active", [True, False])
def test_a_guardian_link_is_a_consent_denying_what_it_withholds(active: bool) -> None:
    consent = consent_json(dataclasses.replace(GUARDIAN, active=active), BASE)

    Consent.model_validate(consent)
    assert consent["status"] == ("active" if active else "inactive")
    assert consent["status"] in codes.CONSENT_STATUSES
    parts = {
        p["code"][0]["coding"][0]["code"]: (p["type"], [c["code"] for c in p.get("class", [])])
        for p in consent["provision"]["provision"]
    }
    assert parts == {
        "client-answers": ("deny", ["QuestionnaireResponse"]),
        "client-free-text": ("deny", []),
        "plan-summary": ("permit", ["CarePlan", "Goal"]),
        "schedule": ("permit", ["Encounter"]),
    }
    for provision in consent["provision"]["provision"]:
        assert provision["type"] in codes.CONSENT_PROVISION_TYPES
        assert provision["actor"][0]["reference"] == {
            "reference": "RelatedPerson/rapport-guardian-link-4"
        }


PLAN = PlanInput(
    pk=30,
    episode_pk=3,
    client_pk=5,
    number=2,
    status="accepted",
    episode_closed=False,
    shared_text="",
    proposed_at=WHEN,
    decided_at=WHEN + timedelta(days=1),
    author_pk=2,
    replaces_pk=29,
    replaced=False,
)


def test_an_acceptance_is_a_provenance_of_the_plan_version_by_who_accepted_it() -> None:
    accepted = DecisionInput(
        party_kind="guardian", party_pk=4, accepted=True, pk=8, at=WHEN + timedelta(days=1)
    )

    provenance = provenance_json(accepted, PLAN, BASE)
    assert provenance is not None

    Provenance.model_validate(provenance)
    assert provenance["target"] == [{"reference": "CarePlan/rapport-plan-version-30"}]
    assert provenance["recorded"] == (WHEN + timedelta(days=1)).isoformat()
    assert provenance["agent"][0]["who"] == {"reference": "RelatedPerson/rapport-guardian-link-4"}
    assert provenance["activity"]["coding"][0]["system"] == f"{BASE}/CodeSystem/plan-decision"


def test_changes_asked_for_or_an_unknown_party_make_no_provenance() -> None:
    asked = DecisionInput(party_kind="client", party_pk=5, accepted=False, pk=9, at=WHEN)
    gone = DecisionInput(party_kind="guardian", party_pk=None, accepted=True, pk=10, at=WHEN)

    assert provenance_json(asked, PLAN, BASE) is None
    assert provenance_json(gone, PLAN, BASE) is None
