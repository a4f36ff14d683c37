"""Reads for the FHIR export: one client's record, as its recipient may see it, in a Bundle; a
whole practice's, streamed.

The record itself is read by rapport.interop.record_batch; here are who may receive what of it
(the rules the portal follows, rapport.plans.queries.sharing_for), its resources, and the
exports, each audited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied

from rapport import access
from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.core.fhir import consents as fhir_consents
from rapport.core.fhir import plans as fhir_plans
from rapport.core.fhir import resources as fhir
from rapport.core.fhir import safety as fhir_safety
from rapport.core.fhir.inputs import PracticeInput
from rapport.core.fhir.questionnaires import questionnaire_id, questionnaire_resource
from rapport.interop.record_batch import (
    CLINICAL,
    ClientRecord,
    Recipient,
    client_record,
    client_records,
)
from rapport.links import fhir_base
from rapport.people.models import Client
from rapport.plans.queries import sharing_for
from rapport.practices.models import Practice

# The audit trail's name for what an export produced (the client record is audited as read).
EXPORT_OBJECT_TYPE = "interop.fhir_bundle"
PRACTICE_EXPORT_OBJECT_TYPE = "interop.fhir_practice"


def recipient_for(user: User, client: Client) -> Recipient:
    """The portal's rules as an export's: a client receives their own forms; a guardian their
    own, and the young person's answers and words, the plan and the appointments only where
    their link shares them; staff (and the system) the whole record but the private notes."""
    if user.role == Role.CLIENT:
        return Recipient(therapist_forms=False, guardian_forms=False, alerts=False)
    if user.role == Role.GUARDIAN:
        sharing = sharing_for(user, client)
        link = client.guardian_link_for(user)
        return Recipient(
            client_answers=sharing.answers,
            free_text=sharing.free_text,
            therapist_forms=False,
            guardian_key=f"guardian:{user.pk}",
            plans=link is not None and link.may_see_plan_summary,
            schedule=link is not None and link.may_see_schedule,
            alerts=False,
        )
    return CLINICAL


def record_resources(
    record: ClientRecord, base: str, *, written: Container[tuple[str, str]] = frozenset()
) -> list[dict[str, Any]]:
    """The record's resources, in an order a reader can follow: who, then the care, then what
    was measured. The resources other records share (SHARED_TYPES) that are in `written`, as
    (type, id), are left out and not built: a practice's export has written them already, and
    a Questionnaire is costly to build for each client who answered it."""

    def new(kind: str, resource_id: str) -> bool:
        return (kind, resource_id) not in written

    found: list[dict[str, Any]] = []
    if new("Organization", fhir.resource_id("Organization", record.practice.pk)):
        found.append(fhir.organization_json(record.practice))
    for practitioner in record.practitioners:
        if new("Practitioner", fhir.resource_id("Practitioner", practitioner.pk)):
            found.append(fhir.practitioner_json(practitioner))
        if new("PractitionerRole", fhir.resource_id("PractitionerRole", practitioner.pk)):
            found.append(fhir.practitioner_role_json(practitioner, base))
    found.append(fhir.patient_json(record.client))
    for guardian in record.guardians:
        found += [fhir.related_person_json(guardian), fhir_consents.consent_json(guardian, base)]
    for episode in record.episodes:
        found.append(fhir.episode_of_care_json(episode))
        found += [fhir.condition_json(problem) for problem in episode.problems]
    found += [fhir.encounter_json(encounter, base) for encounter in record.encounters]
    used = {(r.instrument.id, r.instrument.version): r.instrument for r in record.responses}
    found += [
        questionnaire_resource(used[key], base)
        for key in sorted(used)
        if new("Questionnaire", questionnaire_id(used[key]))
    ]
    for response in record.responses:
        found.append(fhir.questionnaire_response_resource(response, base))
        total = fhir.observation_json(response, base)
        if total is not None:
            found.append(total)
    for plan in record.plans:
        found.append(fhir_plans.careplan_json(plan))
        found += [fhir_plans.goal_json(goal, plan, base) for goal in plan.goals]
        for decision in plan.decisions:
            provenance = fhir_consents.provenance_json(decision, plan, base)
            if provenance is not None:
                found.append(provenance)
    for alert in record.alerts:
        found.append(fhir_safety.detected_issue_json(alert, base))
        flag = fhir_safety.flag_json(alert, base)
        if flag is not None:
            found.append(flag)
    return found


def client_bundle(client: Client, recipient: Recipient = CLINICAL) -> dict[str, Any]:
    """One client's collection Bundle, as `recipient` may see it. Not audited: the callers
    below are, with who asked."""
    base = fhir_base()
    return fhir.collection_bundle(
        record_resources(client_record(client, recipient), base), base=base
    )


# --- A whole practice, streamed ----------------------------------------------------------------

# Resources that more than one client's record holds: written once in a practice's export.
SHARED_TYPES = frozenset({"Organization", "Practitioner", "PractitionerRole", "Questionnaire"})
PAGE_SIZE = 50


def practice_resources(
    practice: Practice, base: str, *, page_size: int = PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """Every client's record of the practice (the whole record but the private notes), the
    clients a page at a time (by primary key, so a page is one short query however far in),
    each page's records read together (a query for each kind of row, not for each client):
    what is held at once is one page's records, whatever the size of the practice. Only the
    ids of the shared resources already written are kept (so that none is built or written
    twice), and those grow with the staff and the instruments, not the clients."""
    written: set[tuple[str, str]] = set()
    organization = fhir.organization_json(PracticeInput(pk=practice.pk, name=practice.name))
    written.add(("Organization", organization["id"]))
    yield organization
    after = 0
    while True:
        page = list(
            Client.objects.filter(practice=practice, pk__gt=after)
            .select_related("practice")
            .order_by("pk")[:page_size]
        )
        if not page:
            return
        for record in client_records(page, CLINICAL):
            for resource in record_resources(record, base, written=written):
                # Where `written` grows; and one record may hold a shared resource twice (two
                # instruments' versions whose Questionnaire ids come out the same).
                if resource["resourceType"] in SHARED_TYPES:
                    key = (resource["resourceType"], resource["id"])
                    if key in written:
                        continue
                    written.add(key)
                yield resource
        after = page[-1].pk


@dataclass
class Tally:
    """What an export wrote, counted as it goes: resources by type, and clients."""

    resources: Counter[str] = field(default_factory=Counter)

    def counted(self, resources: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for resource in resources:
            self.resources[resource["resourceType"]] += 1
            yield resource

    @property
    def total(self) -> int:
        return sum(self.resources.values())


def practice_for_export(practice_id: int) -> Practice | None:
    return Practice.objects.filter(pk=practice_id).first()


def audit_practice_export(
    actor: User | None, practice: Practice, tally: Tally, *, fmt: str, via: str
) -> None:
    """The trail of a practice's export: who, how, and how many of each resource."""
    audit_record(
        actor=actor,
        action="export",
        object_type=PRACTICE_EXPORT_OBJECT_TYPE,
        object_id=practice.pk,
        practice_id=practice.pk,
        detail={
            "format": fmt,
            "via": via,
            "clients": tally.resources.get("Patient", 0),
            "resources": dict(sorted(tally.resources.items())),
        },
    )


def _counts(bundle: dict[str, Any]) -> dict[str, int]:
    kinds: Iterable[str] = (entry["resource"]["resourceType"] for entry in bundle["entry"])
    return dict(sorted(Counter(kinds).items()))


def _audit_export(actor: User | None, client: Client, bundle: dict[str, Any], via: str) -> None:
    audit_record(
        actor=actor,
        action="export",
        object_type=EXPORT_OBJECT_TYPE,
        object_id=client.pk,
        client_id=client.pk,
        practice_id=client.practice_id,
        detail={
            "format": "fhir-r4-bundle",
            "via": via,
            "resources": _counts(bundle),
            "episodes": sorted(
                int(entry["resource"]["id"].rsplit("-", 1)[1])
                for entry in bundle["entry"]
                if entry["resource"]["resourceType"] == "EpisodeOfCare"
            ),
        },
    )


def staff_client_export(
    user: User, client_id: int, *, via: str = "web"
) -> tuple[Client, dict[str, Any]]:
    """A clinician's (or supervisor's) export of a client in their care: 404 (audited) for one
    they may not read. It needs the full access of the care relationship, not the read-only
    access of break-glass (403, audited): an emergency reader reads the record page by page;
    taking all of it away is not part of an emergency."""
    client = access.load(user, Client, client_id, write=True, action="read")
    bundle = client_bundle(client, CLINICAL)
    _audit_export(user, client, bundle, via=via)
    return client, bundle


def system_client_export(client_id: int) -> tuple[Client, dict[str, Any]] | None:
    """The command line's export, made by the system (an operator with the server's keys), of
    the whole record but the private notes; None for a client that does not exist."""
    client = Client.objects.select_related("practice").filter(pk=client_id).first()
    if client is None:
        return None
    bundle = client_bundle(client, CLINICAL)
    _audit_export(None, client, bundle, via="command line")
    return client, bundle


def admin_practice_export(user: User) -> tuple[Practice, Iterator[str]]:
    """A practice admin's export of their whole practice, as Bundle text streamed a client at a
    time. Audited before the first byte, with what it covers (every client and episode of the
    practice): a download cut short has still taken part of it away."""
    if user.practice_id is None:  # staff always belong to a practice; refused all the same
        raise PermissionDenied("This export is for a practice's admin.")
    practice = Practice.objects.get(pk=user.practice_id)
    base = fhir_base()
    clients = Client.objects.filter(practice=practice)
    audit_record(
        actor=user,
        action="export",
        object_type=PRACTICE_EXPORT_OBJECT_TYPE,
        object_id=practice.pk,
        practice_id=practice.pk,
        detail={
            "format": "fhir-r4-bundle",
            "via": "web",
            "clients": clients.count(),
            "episodes": Episode.objects.filter(client__practice=practice).count(),
        },
    )
    return practice, fhir.collection_bundle_text(practice_resources(practice, base), base=base)
