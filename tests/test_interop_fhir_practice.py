"""A whole practice as FHIR R4, and the resources that came with it: Questionnaire, alerts
(DetectedIssue, Flag), guardians' sharing (Consent) and plan acceptance (Provenance).

The demo practice is built and exported once for the module (as NDJSON and as one Bundle, by
the command line); each resource is validated with the fhir.resources R4B models, and the code
bindings those models do not check are checked here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class

from rapport.alerts.models import Alert
from rapport.audit.models import AuditEvent
from rapport.care.models import Session
from rapport.core.fhir import codes
from rapport.demo.practice import DemoSummary
from rapport.interop.queries import client_bundle, recipient_for
from rapport.interop.record_batch import CLINICAL
from rapport.people.models import Client, GuardianLink
from rapport.plans.models import PlanDecision, PlanVersion
from tests.conftest import built_once, signed_in
from tests.demo_snapshot import demo_practice

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("interop_fhir_practice")

TODAY = dt.date(2026, 3, 18)
BASE = "https://fhir.harbourside.test/fhir"
PRIVATE_NOTE = "Zanzibar-private-note-7781: the therapist's own working thoughts"
PRIVATE_FORMULATION = "Quixotic-formulation-5530: a hypothesis not yet shared"


@dataclass(frozen=True)
class Exported:
    demo: DemoSummary
    ndjson: dict[str, list[dict[str, Any]]]  # resource type -> its resources, in file order
    ndjson_text: str
    bundle_text: str
    bundles: dict[int, dict[str, Any]]  # client pk -> that client's bundle
    said: str  # what the NDJSON export printed


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("fhir", "export", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def exported(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exported]:
    folder = tmp_path_factory.mktemp("practice")

    def build() -> Exported:
        demo = demo_practice(today=TODAY)
        Session.objects.filter(episode__practice=demo.practice).update(private_notes=PRIVATE_NOTE)
        PlanVersion.objects.filter(episode__practice=demo.practice).update(
            private_formulation=PRIVATE_FORMULATION
        )
        practice = str(demo.practice.pk)
        with override_settings(RAPPORT_FHIR_BASE=BASE):
            said = export("--practice", practice, "--format", "ndjson", "--out", str(folder / "nd"))
            export("--practice", practice, "--out", str(folder / "practice.json"))
            bundles = {
                client.pk: client_bundle(client)
                for client in Client.objects.filter(practice=demo.practice).order_by("pk")
            }
        ndjson: dict[str, list[dict[str, Any]]] = {}
        texts = []
        for path in sorted((folder / "nd").glob("*.ndjson")):
            text = path.read_text(encoding="utf-8")
            texts.append(text)
            ndjson[path.stem] = [json.loads(line) for line in text.splitlines()]
        return Exported(
            demo=demo,
            ndjson=ndjson,
            ndjson_text="".join(texts),
            bundle_text=(folder / "practice.json").read_text(encoding="utf-8"),
            bundles=bundles,
            said=said,
        )

    yield from built_once(django_db_blocker, build)


@pytest.fixture
def demo(exported: Exported, db: None, settings: Any) -> Exported:
    settings.RAPPORT_FHIR_BASE = BASE
    return exported


def of(exported: Exported, kind: str) -> list[dict[str, Any]]:
    return exported.ndjson.get(kind, [])


def codings(concept: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept.get("coding", [])]


def pk_of(resource_id: str) -> int:
    return int(resource_id.rsplit("-", 1)[1])


# --- The practice's export ----------------------------------------------------------------------


def test_every_resource_of_the_practice_validates_as_fhir_r4(demo: Exported) -> None:
    kinds = set(demo.ndjson)
    assert kinds >= {
        "Questionnaire",
        "DetectedIssue",
        "Flag",
        "Consent",
        "Provenance",
        "Patient",
        "QuestionnaireResponse",
    }
    for kind, found in demo.ndjson.items():
        model = get_fhir_model_class(kind)
        for resource in found[:60]:  # every kind, and enough of each to meet its variants
            model.model_validate(resource)
    bundle = json.loads(demo.bundle_text)
    bundle["entry"] = bundle["entry"][:300]  # the envelope; its every resource is checked above
    get_fhir_model_class("Bundle").model_validate(bundle)


def test_the_practice_ndjson_holds_the_same_resources_as_every_clients_bundle_combined(
    demo: Exported,
) -> None:
    combined: dict[tuple[str, str], dict[str, Any]] = {}
    for bundle in demo.bundles.values():
        for entry in bundle["entry"]:
            resource = entry["resource"]
            combined[(resource["resourceType"], resource["id"])] = resource
    written = [r for found in demo.ndjson.values() for r in found]

    assert len(written) == len({(r["resourceType"], r["id"]) for r in written})  # none twice
    assert {(r["resourceType"], r["id"]): r for r in written} == combined


def test_the_practice_bundle_holds_what_the_ndjson_holds(demo: Exported) -> None:
    bundle = json.loads(demo.bundle_text)
    in_bundle = sorted(
        (e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]
    )

    assert in_bundle == sorted(
        (r["resourceType"], r["id"]) for f in demo.ndjson.values() for r in f
    )
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{resource['resourceType']}/{resource['id']}"


def test_no_placeholder_host_is_left_anywhere_in_the_practices_export(demo: Exported) -> None:
    assert BASE in demo.bundle_text  # the configured base is what is used instead
    assert "rapport.example" not in demo.bundle_text
    assert "rapport.example" not in demo.ndjson_text


def test_no_private_note_or_formulation_is_in_the_practices_export(demo: Exported) -> None:
    assert Session.objects.filter(private_notes=PRIVATE_NOTE).exists()
    assert PlanVersion.objects.filter(private_formulation=PRIVATE_FORMULATION).exists()
    for text in (demo.bundle_text, demo.ndjson_text):
        assert "Zanzibar" not in text
        assert "Quixotic" not in text


def test_the_practice_export_is_audited_with_what_was_written(demo: Exported) -> None:
    events = AuditEvent.objects.filter(
        action="export", object_type="interop.fhir_practice", detail__format="fhir-r4-ndjson"
    )

    event = events.get(practice_id=demo.demo.practice.pk)
    assert event.actor_id is None
    assert event.detail["via"] == "command line"
    assert event.detail["resources"] == {kind: len(found) for kind, found in demo.ndjson.items()}
    assert event.detail["clients"] == len(demo.bundles)
    assert f"of {len(demo.bundles)} clients of practice" in demo.said


def test_the_admins_download_is_the_commands_bundle_again_so_a_second_export_is_identical(
    demo: Exported,
) -> None:
    admin = demo.demo.practice.users.filter(role="admin").order_by("pk").first()
    assert admin is not None

    reply = signed_in(admin).get(reverse("interop:practice_fhir"))

    assert reply.status_code == 200
    assert reply["Content-Type"] == "application/fhir+json"
    assert b"".join(reply.streaming_content).decode() == demo.bundle_text
    event = AuditEvent.objects.filter(action="export", actor_id=admin.pk).latest("pk")
    assert event.object_type == "interop.fhir_practice"
    assert (event.detail["via"], event.detail["clients"]) == ("web", len(demo.bundles))


# --- The command line's refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--practice", "999999", "--out", "{tmp}/x.json"], "no practice with id 999999"),
        (["--practice", "{practice}", "--out", "{tmp}/missing/x.json"], "no such folder"),
        (
            ["--practice", "{practice}", "--out", "{tmp}/file.txt", "--format", "ndjson"],
            "is a file",
        ),
        (
            ["--practice", "{practice}", "--out", "{tmp}/old", "--format", "ndjson"],
            "earlier export",
        ),
        (["--practice", "{practice}", "--out", "{tmp}/x", "--format", "xml"], "not one of"),
        (["--practice", "{practice}", "--out", "/dev/full"], "/dev/full"),
    ],
)
def test_bad_input_to_the_practice_export_fails_with_one_line_and_audits_nothing(
    demo: Exported, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "Patient.ndjson").write_text("{}\n")
    before = AuditEvent.objects.filter(action="export").count()
    filled = [a.format(tmp=tmp_path, practice=demo.demo.practice.pk) for a in args]

    with pytest.raises(CommandError) as raised:
        export(*filled)

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert AuditEvent.objects.filter(action="export").count() == before


def test_the_client_and_the_practice_cannot_both_be_named(demo: Exported, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not allowed with"):
        export("--client", "1", "--practice", "1", "--out", str(tmp_path / "x.json"))


# --- Questionnaire ------------------------------------------------------------------------------


def test_every_response_names_the_version_of_a_questionnaire_in_the_export(
    demo: Exported,
) -> None:
    questionnaires = {f"{q['url']}|{q['version']}" for q in of(demo, "Questionnaire")}
    used = {r["questionnaire"] for r in of(demo, "QuestionnaireResponse")}

    assert used == questionnaires
    for questionnaire in of(demo, "Questionnaire"):
        assert questionnaire["url"].startswith(f"{BASE}/Questionnaire/")
        assert questionnaire["status"] in {"draft", "active", "retired", "unknown"}


# --- Alerts -------------------------------------------------------------------------------------


def test_every_clinical_alert_is_a_detected_issue_pointing_at_the_episode_and_the_answers(
    demo: Exported,
) -> None:
    issues = {pk_of(i["id"]): i for i in of(demo, "DetectedIssue")}
    alerts = Alert.objects.filter(practice=demo.demo.practice)
    clinical = alerts.exclude(kind__in=["plan_review", "plan_changes"])
    assert set(issues) == set(clinical.values_list("pk", flat=True))

    for alert in clinical:
        issue = issues[alert.pk]
        assert issue["status"] in codes.DETECTED_ISSUE_STATUSES
        assert issue["status"] == ("preliminary" if alert.status == "open" else "final")
        assert issue["severity"] in codes.DETECTED_ISSUE_SEVERITIES
        assert codings(issue["code"]) == [(f"{BASE}/CodeSystem/alert-kind", alert.kind)]
        assert issue["implicated"] == [
            {"reference": f"EpisodeOfCare/rapport-episode-{alert.episode_id}"}
        ]
        if alert.source_response_id:
            details = [d["reference"] for d in issue["evidence"][0]["detail"]]
            assert f"QuestionnaireResponse/rapport-response-{alert.source_response_id}" in details
        done = [m["action"]["coding"][0]["code"] for m in issue.get("mitigation", [])]
        assert ("acknowledged" in done) == (alert.acknowledged_at is not None)
        assert ("resolved" in done) == (alert.resolved_at is not None)
        if alert.acknowledgement_note:
            assert alert.acknowledgement_note not in json.dumps(issue)


def test_a_risk_alert_is_also_a_safety_flag_active_until_it_is_resolved(demo: Exported) -> None:
    flags = {pk_of(f["id"]): f for f in of(demo, "Flag")}
    risks = Alert.objects.filter(practice=demo.demo.practice, kind="risk")
    assert set(flags) == set(risks.values_list("pk", flat=True))

    for alert in risks:
        flag = flags[alert.pk]
        assert flag["status"] in codes.FLAG_STATUSES
        assert flag["status"] == ("inactive" if alert.status == "resolved" else "active")
        assert ("end" in flag["period"]) == (alert.resolved_at is not None)
        assert codings(flag["category"][0]) == [(codes.FLAG_CATEGORY, "safety")]
        assert flag["extension"][0]["valueReference"] == {
            "reference": f"DetectedIssue/rapport-alert-{alert.pk}"
        }


def test_only_clinical_recipients_receive_alerts(demo: Exported) -> None:
    alert = Alert.objects.filter(
        practice=demo.demo.practice, client__guardian_links__is_active=True
    ).first()
    assert alert is not None
    link = alert.client.guardian_links.filter(is_active=True).first()

    for_guardian = client_bundle(alert.client, recipient_for(link.guardian, alert.client))
    kinds = {e["resource"]["resourceType"] for e in for_guardian["entry"]}

    assert not kinds & {"DetectedIssue", "Flag"}
    clinical = {
        e["resource"]["resourceType"] for e in client_bundle(alert.client, CLINICAL)["entry"]
    }
    assert "DetectedIssue" in clinical


# --- Guardians' sharing -------------------------------------------------------------------------


def _provisions(consent: dict[str, Any]) -> dict[str, str]:
    return {p["code"][0]["coding"][0]["code"]: p["type"] for p in consent["provision"]["provision"]}


def test_each_guardian_link_is_a_privacy_consent_permitting_what_it_shares(
    demo: Exported,
) -> None:
    consents = {pk_of(c["id"]): c for c in of(demo, "Consent")}
    links = GuardianLink.objects.filter(client__practice=demo.demo.practice)
    assert set(consents) == set(links.values_list("pk", flat=True))

    for link in links:
        consent = consents[link.pk]
        assert consent["status"] in codes.CONSENT_STATUSES
        assert codings(consent["scope"]) == [(codes.CONSENT_SCOPE, "patient-privacy")]
        assert codings(consent["category"][0]) == [(codes.LOINC, "59284-0")]
        actor = consent["provision"]["actor"][0]
        assert actor["reference"] == {"reference": f"RelatedPerson/rapport-guardian-link-{link.pk}"}
        assert codings(actor["role"]) == [(codes.V3_PARTICIPATION_TYPE, "IRCP")]
        assert _provisions(consent) == {
            "client-answers": "permit" if link.may_see_client_answers else "deny",
            "client-free-text": "permit" if link.may_see_client_free_text else "deny",
            "plan-summary": "permit" if link.may_see_plan_summary else "deny",
            "schedule": "permit" if link.may_see_schedule else "deny",
        }


def test_a_link_withholding_the_young_persons_answers_denies_them_and_they_stay_out(
    demo: Exported,
) -> None:
    link = (
        GuardianLink.objects.filter(
            client__practice=demo.demo.practice,
            is_active=True,
            client__episodes__responses__respondent="client",
        )
        .order_by("pk")
        .first()
    )
    assert link is not None
    link.may_see_client_answers = False
    link.save()
    teen = link.client

    bundle = client_bundle(teen, recipient_for(link.guardian, teen))
    consent = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["id"] == f"rapport-guardian-sharing-{link.pk}"
    )

    assert _provisions(consent)["client-answers"] == "deny"
    answered_by_teen = [
        e
        for e in bundle["entry"]
        if e["resource"].get("author", {}).get("reference") == f"Patient/rapport-client-{teen.pk}"
    ]
    assert answered_by_teen == []


# --- Plan acceptance ----------------------------------------------------------------------------


def test_each_plan_acceptance_is_a_provenance_of_that_plan_version_by_who_accepted(
    demo: Exported,
) -> None:
    provenances = {pk_of(p["id"]): p for p in of(demo, "Provenance")}
    accepted = PlanDecision.objects.filter(
        version__episode__practice=demo.demo.practice, decision="accepted"
    ).select_related("version__episode")
    assert provenances
    by_kind: dict[str, int] = defaultdict(int)
    for decision in accepted:
        if decision.pk not in provenances:
            assert decision.party == "guardian"  # only a link since removed goes unnamed
            continue
        provenance = provenances[decision.pk]
        assert provenance["target"] == [
            {"reference": f"CarePlan/rapport-plan-version-{decision.version_id}"}
        ]
        assert provenance["recorded"] == decision.at.isoformat()
        who = provenance["agent"][0]["who"]["reference"]
        by_kind[who.split("/")[0]] += 1
        if decision.party == "client":
            assert who == f"Patient/rapport-client-{decision.version.episode.client_id}"
        assert codings(provenance["agent"][0]["type"]) == [
            (codes.PROVENANCE_PARTICIPANT_TYPE, "attester")
        ]
        labels = codings({"coding": provenance["meta"]["security"]})
        assert (codes.V3_CONFIDENTIALITY, "R") in labels
    assert by_kind["Patient"]
    assert not PlanDecision.objects.filter(
        pk__in=provenances, decision__in=["changes_requested"]
    ).exists()
