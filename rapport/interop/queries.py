"""Reads for the FHIR export: one client's record, as its recipient may see it, in a Bundle.

The record is read into the plain inputs of rapport.core.fhir.inputs, which have no place for
a session's private notes or a plan's private formulation: those never leave Rapport. What of a
young person's own answers goes out depends on who receives the export, by the rules the portal
follows (rapport.plans.queries.sharing_for): everything for their clinicians, and for a
guardian what the guardian link shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied

from rapport import access
from rapport.accounts.models import Role, User
from rapport.alerts.models import Alert
from rapport.audit.services import audit_record
from rapport.care.models import Episode, EpisodeStatus, Session
from rapport.consent import viewer_shared
from rapport.core.fhir import consents as fhir_consents
from rapport.core.fhir import plans as fhir_plans
from rapport.core.fhir import resources as fhir
from rapport.core.fhir import safety as fhir_safety
from rapport.core.fhir.inputs import (
    AlertInput,
    AuthorKind,
    ClientInput,
    DecisionInput,
    EncounterInput,
    EpisodeInput,
    GoalInput,
    GuardianInput,
    PlanInput,
    PracticeInput,
    PractitionerInput,
    ProblemInput,
    ResponseInput,
)
from rapport.core.fhir.questionnaires import questionnaire_resource
from rapport.core.instruments import Instrument
from rapport.links import fhir_base
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument
from rapport.people.models import Client, ClientStatus, GuardianLink
from rapport.plans.goal_status import goal_target_words, measure_families
from rapport.plans.models import PlanDecision, PlanVersion, Problem
from rapport.plans.queries import sharing_for
from rapport.practices.models import Practice

# The audit trail's name for what an export produced (the client record is audited as read).
EXPORT_OBJECT_TYPE = "interop.fhir_bundle"
PRACTICE_EXPORT_OBJECT_TYPE = "interop.fhir_practice"


@dataclass(frozen=True)
class Recipient:
    """Who receives an export, and so what of the client's own data it holds.

    `guardian_key` limits the guardians' forms to one guardian's own ("guardian:<user id>");
    None keeps every guardian's."""

    client_answers: bool = True
    free_text: bool = True
    therapist_forms: bool = True
    guardian_forms: bool = True
    guardian_key: str | None = None
    plans: bool = True
    schedule: bool = True
    # Alerts are the clinicians' working list: for them only.
    alerts: bool = True


CLINICAL = Recipient()


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


# --- Reading the record into the core's inputs ----------------------------------------------


def _shown(response: Response, recipient: Recipient) -> bool:
    if response.respondent == "client":
        return recipient.client_answers
    if response.respondent == "therapist":
        return recipient.therapist_forms
    if not recipient.guardian_forms:
        return False
    key = recipient.guardian_key
    return key is None or response.assignment.respondent_key == key


def _author(
    response: Response, episode: Episode, links: dict[int, int]
) -> tuple[AuthorKind, int | None]:
    respondent_user = response.assignment.respondent_user_id
    if response.respondent == "client":
        return "client", episode.client_id
    if response.respondent == "guardian":
        return "guardian", links.get(respondent_user) if respondent_user else None
    return "practitioner", respondent_user or episode.primary_clinician_id


def _answers(response: Response, instrument: Instrument, recipient: Recipient) -> dict[str, Any]:
    """The answers as stored, without the young person's written words where the recipient may
    not read them."""
    if response.respondent != "client" or recipient.free_text:
        return dict(response.answers)
    written = {item.link_id for item in instrument.items if item.kind == "text"}
    return {k: (None if k in written else v) for k, v in response.answers.items()}


@dataclass(frozen=True)
class ClientRecord:
    practice: PracticeInput
    practitioners: tuple[PractitionerInput, ...]
    client: ClientInput
    guardians: tuple[GuardianInput, ...]
    episodes: tuple[EpisodeInput, ...]
    encounters: tuple[EncounterInput, ...]
    responses: tuple[ResponseInput, ...]
    plans: tuple[PlanInput, ...]
    alerts: tuple[AlertInput, ...] = ()


def client_record(client: Client, recipient: Recipient) -> ClientRecord:
    """Everything of one client's record (all their episodes) that goes into an export."""
    episodes = list(Episode.objects.filter(client=client).order_by("start_date", "pk"))
    links = list(
        GuardianLink.objects.filter(client=client).select_related("guardian").order_by("pk")
    )
    link_of_user = {link.guardian_id: link.pk for link in links}
    sessions = (
        list(Session.objects.filter(episode__client=client).order_by("scheduled_start", "pk"))
        if recipient.schedule
        else []
    )
    # What a handoff's consent withholds from the staff member exporting is left out, as on
    # the pages (rapport.consent).
    problems = list(
        viewer_shared(Problem.objects.filter(episode__client=client), client.pk).order_by(
            "priority", "pk"
        )
    )
    responses = [
        r
        for r in viewer_shared(Response.objects.filter(episode__client=client), client.pk)
        .select_related("assignment")
        .order_by("completed_at", "pk")
        if _shown(r, recipient)
    ]
    by_pk = {episode.pk: episode for episode in episodes}
    team = {
        (row["episode_id"], row["user_id"])
        for row in Episode.team_members.through.objects.filter(episode__client=client).values(
            "episode_id", "user_id"
        )
    }

    problem_inputs = [
        ProblemInput(
            pk=p.pk,
            episode_pk=p.episode_id,
            client_pk=client.pk,
            title=p.title,
            client_words=p.client_words if recipient.free_text else "",
            status=p.status,
            priority=p.priority,
            recorded_at=p.created_at,
            recorder_pk=p.created_by_id,
        )
        for p in problems
    ]
    episode_inputs = tuple(
        EpisodeInput(
            pk=e.pk,
            client_pk=client.pk,
            practice_pk=e.practice_id,
            clinician_pk=e.primary_clinician_id,
            team_pks=tuple(sorted(user for episode, user in team if episode == e.pk)),
            status=e.status,
            start=e.start_date,
            end=e.end_date,
            problems=tuple(p for p in problem_inputs if p.episode_pk == e.pk),
        )
        for e in episodes
    )
    encounters = tuple(
        EncounterInput(
            pk=s.pk,
            episode_pk=s.episode_id,
            client_pk=client.pk,
            clinician_pk=s.clinician_id,
            start=s.scheduled_start,
            minutes=s.duration_minutes,
            modality=s.modality,
            attendance=s.attendance,
        )
        for s in sessions
    )
    response_inputs = []
    for r in responses:
        episode = by_pk[r.episode_id]
        kind, author = _author(r, episode, link_of_user)
        instrument = get_instrument(r.instrument_id, practice_id=episode.practice_id)
        response_inputs.append(
            ResponseInput(
                pk=r.pk,
                episode_pk=r.episode_id,
                client_pk=client.pk,
                encounter_pk=r.assignment.session_id if recipient.schedule else None,
                instrument=instrument,
                answers=_answers(r, instrument, recipient),
                completed_at=r.completed_at,
                author_kind=kind,
                author_pk=author,
                total=r.total,
                band=r.band,
                language=r.language,
            )
        )

    plans = _plans(client, episodes, link_of_user) if recipient.plans else ()
    alerts = (
        _alerts(client, {r.pk: r for r in response_inputs}, recipient) if recipient.alerts else ()
    )
    staff_pks = {e.clinician_pk for e in episode_inputs}
    staff_pks |= {pk for e in episode_inputs for pk in e.team_pks}
    staff_pks |= {e.clinician_pk for e in encounters}
    staff_pks |= {p.recorder_pk for p in problem_inputs}
    staff_pks |= {plan.author_pk for plan in plans}
    staff_pks |= {a.acknowledged_by_pk for a in alerts if a.acknowledged_by_pk is not None}
    staff_pks |= {a.resolved_by_pk for a in alerts if a.resolved_by_pk is not None}
    staff_pks |= {
        r.author_pk
        for r in response_inputs
        if r.author_kind == "practitioner" and r.author_pk is not None
    }
    practitioners = tuple(
        PractitionerInput(
            pk=u.pk, name=u.full_name, email=u.email, role=u.role, practice_pk=client.practice_id
        )
        for u in User.objects.filter(pk__in=staff_pks).order_by("pk")
    )
    return ClientRecord(
        practice=PracticeInput(pk=client.practice_id, name=client.practice.name),
        practitioners=practitioners,
        client=ClientInput(
            pk=client.pk,
            practice_pk=client.practice_id,
            full_name=client.full_name,
            preferred_name=client.preferred_name,
            date_of_birth=client.date_of_birth,
            email=client.email,
            phone=client.phone,
            address=client.address,
            language=client.preferred_language,
            active=client.status != ClientStatus.DISCHARGED,
        ),
        guardians=tuple(
            GuardianInput(
                pk=link.pk,
                client_pk=client.pk,
                name=link.guardian.full_name,
                email=link.guardian.email,
                relationship=link.relationship,
                relationship_label=link.get_relationship_display(),
                active=link.is_active,
                shares_answers=link.may_see_client_answers,
                shares_free_text=link.may_see_client_free_text,
                shares_plan=link.may_see_plan_summary,
                shares_schedule=link.may_see_schedule,
                linked_at=link.created_at,
            )
            for link in links
        ),
        episodes=episode_inputs,
        encounters=encounters,
        responses=tuple(response_inputs),
        plans=plans,
        alerts=alerts,
    )


def _alerts(
    client: Client, responses: dict[int, ResponseInput], recipient: Recipient
) -> tuple[AlertInput, ...]:
    """The client's clinical alerts (rapport.core.fhir.safety says which), with the form that
    raised each where that form is in the export."""
    found = []
    kinds = dict(Alert.Kind.choices)
    alerts = viewer_shared(Alert.objects.filter(client=client), client.pk)
    for alert in alerts.order_by("opened_at", "pk"):
        response = responses.get(alert.source_response_id or 0)
        found.append(
            AlertInput(
                pk=alert.pk,
                client_pk=client.pk,
                episode_pk=alert.episode_id,
                kind=alert.kind,
                kind_label=str(kinds.get(alert.kind, alert.kind)),
                urgent=alert.urgent,
                reason=alert.reason,
                status=alert.status,
                opened_at=alert.opened_at,
                acknowledged_at=alert.acknowledged_at,
                acknowledged_by_pk=alert.acknowledged_by_id,
                resolved_at=alert.resolved_at,
                resolved_by_pk=alert.resolved_by_id,
                response_pk=response.pk if response else None,
                response_has_total=bool(response and response.total is not None),
                encounter_pk=alert.session_id if recipient.schedule else None,
            )
        )
    return tuple(alert for alert in found if fhir_safety.exported(alert))


def _plans(
    client: Client, episodes: list[Episode], link_of_user: dict[int, int]
) -> tuple[PlanInput, ...]:
    """The plan versions that reached the client or their family, never a draft (work in
    progress, as on the portal), each with its goals and who answered it."""
    families = measure_families(client.practice_id)
    found: list[PlanInput] = []
    for episode in episodes:
        versions = list(
            viewer_shared(PlanVersion.objects.filter(episode=episode), client.pk)
            .filter(proposed_at__isnull=False)
            .exclude(status=PlanVersion.Status.DRAFT)
            .prefetch_related("goals__problems", "decisions")
            .order_by("number")
        )
        for index, version in enumerate(versions):
            assert version.proposed_at is not None  # filtered above
            goals = tuple(
                GoalInput(
                    pk=goal.pk,
                    version_pk=version.pk,
                    client_pk=client.pk,
                    title=goal.title,
                    benchmark=goal.benchmark,
                    instrument=families.get(goal.family),
                    subscale=goal.subscale,
                    target=goal.target,
                    count_direction=goal.count_direction,
                    target_words=goal_target_words(goal, families),
                    target_date=goal.target_date,
                    problem_pks=tuple(sorted(p.pk for p in goal.problems.all())),
                )
                for goal in version.goals.all()
            )
            decisions = tuple(
                DecisionInput(
                    party_kind="client" if d.party == "client" else "guardian",
                    party_pk=client.pk if d.party == "client" else link_of_user.get(d.by_id),
                    accepted=d.decision == PlanDecision.Decision.ACCEPTED,
                    pk=d.pk,
                    at=d.at,
                )
                for d in version.decisions.all()
            )
            found.append(
                PlanInput(
                    pk=version.pk,
                    episode_pk=episode.pk,
                    client_pk=client.pk,
                    number=version.number,
                    status=version.status,
                    episode_closed=episode.status == EpisodeStatus.CLOSED,
                    shared_text="\n\n".join(
                        text.strip()
                        for text in (version.shared_formulation, version.approach)
                        if text.strip()
                    ),
                    proposed_at=version.proposed_at,
                    decided_at=version.decided_at,
                    author_pk=version.author_id,
                    replaces_pk=versions[index - 1].pk if index else None,
                    replaced=index < len(versions) - 1,
                    goals=goals,
                    decisions=decisions,
                )
            )
    return tuple(found)


def record_resources(record: ClientRecord, base: str) -> list[dict[str, Any]]:
    """The record's resources, in an order a reader can follow: who, then the care, then what
    was measured."""
    found: list[dict[str, Any]] = [fhir.organization_json(record.practice)]
    for practitioner in record.practitioners:
        found += [
            fhir.practitioner_json(practitioner),
            fhir.practitioner_role_json(practitioner, base),
        ]
    found.append(fhir.patient_json(record.client))
    for guardian in record.guardians:
        found += [fhir.related_person_json(guardian), fhir_consents.consent_json(guardian, base)]
    for episode in record.episodes:
        found.append(fhir.episode_of_care_json(episode))
        found += [fhir.condition_json(problem) for problem in episode.problems]
    found += [fhir.encounter_json(encounter, base) for encounter in record.encounters]
    used = {(r.instrument.id, r.instrument.version): r.instrument for r in record.responses}
    found += [questionnaire_resource(used[key], base) for key in sorted(used)]
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
    """Every client's record of the practice (the whole record but the private notes), one
    client at a time and the clients a page at a time (by primary key, so a page is one short
    query however far in): what is held at once is one client's record, whatever the size of
    the practice. Only the ids of the shared resources already written are kept, and those
    grow with the staff and the instruments, not the clients."""
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
        for client in page:
            for resource in record_resources(client_record(client, CLINICAL), base):
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
