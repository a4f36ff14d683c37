"""Writes of the interop app: storing a checked FHIR import, all or nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.services import audit_record
from rapport.care.models import Episode, Session
from rapport.interop.importing import (
    ImportPlan,
    PlannedResponse,
    Problem,
    bundle_resources,
    import_summary,
    plan_import,
)
from rapport.interop.models import ImportedResource
from rapport.interop.records import Identities, Key, Planned
from rapport.links import fhir_base
from rapport.measures.models import Assignment, Response
from rapport.people.models import Client, GuardianLink
from rapport.plans.models import PlanDecision, PlanGoal, PlanVersion
from rapport.plans.models import Problem as ProblemItem
from rapport.practices.models import Practice

IMPORT_OBJECT_TYPE = "interop.fhir_import"


class _Store:
    """Makes the planned records in order, each remembered under its source identity."""

    def __init__(self, practice: Practice, plan: ImportPlan) -> None:
        self.practice = practice
        self.plan = plan
        self.ids = Identities(practice.pk, plan.sources, plan.base)
        self.remembered: list[ImportedResource] = []
        self.made: Counter[str] = Counter()
        self.clients: set[int] = set()
        self.goals: dict[Key, list[Planned]] = {}
        for planned in plan.records:
            if planned.kind == "Goal":
                self.goals.setdefault(planned.refs["version"], []).append(planned)

    def pk(self, key: Key) -> int:
        found = self.ids.existing(key)
        if found is None:  # planning checked every reference: a bug if reached
            raise LookupError(f"{key[0]}/{key[1]} was neither stored nor planned")
        return found

    def remember(self, planned: Planned | PlannedResponse, pk: int) -> None:
        keys = [planned.key, *(planned.folded if isinstance(planned, Planned) else [])]
        for key in keys:
            self.ids.made[key] = pk
            self.remembered.append(
                ImportedResource(
                    practice=self.practice,
                    source=self.ids.source_of(key),
                    resource_type=key[0],
                    source_id=key[1],
                    object_id=pk,
                )
            )
        self.made[planned.key[0]] += 1

    def account(self, values: dict[str, Any], role: str) -> User:
        """A matched account, or a new one nobody can sign in with: inactive, with no usable
        password, until an admin invites the person (an import never makes a login)."""
        if values.get("match"):
            return User.objects.get(pk=values["match"])
        existing = User.objects.filter(email__iexact=values["email"]).first()
        if existing is not None:  # a guardian of two clients of the import
            return existing
        user = User(
            email=values["email"],
            full_name=values["full_name"],
            practice=self.practice,
            role=role,
            is_active=False,
        )
        user.set_unusable_password()
        user.save()
        return user

    def practitioner(self, planned: Planned) -> int:
        return self.account(planned.values, planned.values.get("role", Role.CLINICIAN)).pk

    def client(self, planned: Planned) -> int:
        client = Client.objects.create(practice=self.practice, **planned.values)
        self.clients.add(client.pk)
        return client.pk

    def guardian(self, planned: Planned) -> int:
        values = dict(planned.values)
        guardian = self.account(values, Role.GUARDIAN)
        created_at = values.pop("created_at", None)
        for name in ("email", "full_name", "match"):
            values.pop(name, None)
        link = GuardianLink.objects.create(
            client_id=self.pk(planned.refs["client"]), guardian=guardian, **values
        )
        if created_at is not None:
            GuardianLink.objects.filter(pk=link.pk).update(created_at=created_at)
        return link.pk

    def episode(self, planned: Planned) -> int:
        client = self.pk(planned.refs["client"])
        self.clients.add(client)
        episode = Episode.objects.create(
            practice=self.practice,
            client_id=client,
            primary_clinician_id=self.pk(planned.refs["clinician"]),
            **planned.values,
        )
        return episode.pk

    def problem(self, planned: Planned) -> int:
        return ProblemItem.objects.create(
            episode_id=self.pk(planned.refs["episode"]),
            created_by_id=self.pk(planned.refs["recorder"]),
            **{**planned.values, "created_at": planned.values["created_at"] or timezone.now()},
        ).pk

    def sessions(self, planned: list[Planned]) -> None:
        """Written together, without the signals a session booked in Rapport sends: imported
        history brings no plan review due for sessions long past."""
        made = Session.objects.bulk_create(
            [
                Session(
                    episode_id=self.pk(p.refs["episode"]),
                    clinician_id=self.pk(p.refs["clinician"]),
                    **p.values,
                )
                for p in planned
            ],
            batch_size=500,
        )
        for one, session in zip(planned, made, strict=True):
            self.remember(one, session.pk)

    def responses(self, planned: list[PlannedResponse]) -> list[Response]:
        """Each on its own completed assignment, answered by who answered it, scored by
        Rapport; the risk answers open alerts as a form filled in Rapport does, unless the
        import brings the alert they raised."""
        episodes = Episode.objects.in_bulk({self.pk(p.episode) for p in planned})
        guardians = dict(
            GuardianLink.objects.filter(
                pk__in={
                    self.pk(p.author) for p in planned if p.respondent == "guardian" and p.author
                }
            ).values_list("pk", "guardian_id")
        )
        assignments = []
        for one in planned:
            user_id, key = None, "client"
            if one.respondent == "guardian" and one.author is not None:
                user_id = guardians[self.pk(one.author)]
                key = f"guardian:{user_id}"
            elif one.respondent == "therapist" and one.author is not None:
                user_id = self.pk(one.author)
                key = f"therapist:{user_id}"
            episode = episodes[self.pk(one.episode)]
            if episode.practice_id != self.practice.pk:  # planning checked it: a bug if reached
                raise LookupError(f"{one.source}: an episode of another practice")
            self.clients.add(episode.client_id)
            assignments.append(
                Assignment(
                    episode=episode,
                    session_id=self.pk(one.encounter) if one.encounter else None,
                    instrument_id=one.instrument.id,
                    respondent=one.respondent,
                    respondent_user_id=user_id,
                    respondent_key=key,
                    status=Assignment.Status.COMPLETED,
                    due_at=one.authored,
                )
            )
        Assignment.objects.bulk_create(assignments, batch_size=500)
        responses = []
        for one, assignment in zip(planned, assignments, strict=True):
            response = Response.scored(
                assignment=assignment,
                instrument=one.instrument,
                answers=one.answers,
                mode=Response.Mode.IMPORTED,
                completed_at=one.authored,
            )
            response.language = one.language
            responses.append(response)
        Response.objects.bulk_create(responses, batch_size=500)
        for one, response in zip(planned, responses, strict=True):
            self.remember(one, response.pk)
            if not one.raises_alerts:
                continue
            for flag in response.flags:
                alert_open(
                    episode=response.episode,
                    kind=Alert.Kind.RISK,
                    urgent=flag["urgent"],
                    reason=Alert.risk_reason(one.instrument.short_title, flag),
                    source_response=response,
                )
        return responses

    def version(self, planned: Planned) -> int:
        values = planned.values
        episode = self.pk(planned.refs["episode"])
        numbers = PlanVersion.objects.filter(episode_id=episode).values_list("number", flat=True)
        parties = {key[0] for key, *_ in values["decisions"]}
        version = PlanVersion.objects.create(
            episode_id=episode,
            number=max(numbers, default=0) + 1,
            reason="Imported from a FHIR record.",
            shared_formulation=values["shared_formulation"],
            reviewers="both"
            if len(parties) == 2
            else "guardian"
            if "RelatedPerson" in parties
            else "client",
            author_id=self.pk(planned.refs["author"]),
            created_at=values["proposed_at"],
        )
        for goal in self.goals.get(planned.key, []):
            made = PlanGoal.objects.create(
                version=version, **{k: v for k, v in goal.values.items() if k != "problems"}
            )
            made.problems.set([self.pk(key) for key in goal.values["problems"]])
            self.remember(goal, made.pk)
        # Proposed (and answered) once its goals are in: a proposed version is never changed.
        PlanVersion.objects.filter(pk=version.pk).update(
            status=values["status"],
            proposed_at=values["proposed_at"],
            decided_at=values["decided_at"],
        )
        for party, accepted, at, source in values["decisions"]:
            if party[0] == "Patient":
                client = Client.objects.get(pk=self.pk(party))
                by = client.user_id or version.author_id  # recorded for them, as in session
            else:
                by = GuardianLink.objects.get(pk=self.pk(party)).guardian_id
            decision = PlanDecision.objects.create(
                version=version,
                decision="accepted" if accepted else "changes_requested",
                party="client" if party[0] == "Patient" else "guardian",
                by_id=by,
                at=at,
            )
            if source is not None:
                self.ids.made[source] = decision.pk
                self.remembered.append(
                    ImportedResource(
                        practice=self.practice,
                        source=self.ids.source_of(source),
                        resource_type=source[0],
                        source_id=source[1],
                        object_id=decision.pk,
                    )
                )
        return version.pk

    def alert(self, planned: Planned) -> int:
        values, refs = planned.values, planned.refs
        episode = Episode.objects.get(pk=self.pk(refs["episode"]))
        response = (
            Response.objects.filter(pk=self.pk(refs["response"])).first()
            if "response" in refs
            else None
        )
        if values["kind"] == Alert.Kind.RISK and response is not None:
            urgent = any(flag.get("urgent") for flag in response.flags)
        else:
            urgent = values["severity"] == "high" and values["kind"] != Alert.Kind.RISK
        alert = Alert.raised(
            episode=episode,
            kind=values["kind"],
            reason=values["reason"],
            opened_at=values["opened_at"],
            urgent=urgent,
            session=Session.objects.get(pk=self.pk(refs["session"])) if "session" in refs else None,
            source_response=response,
        )
        alert.status = values["status"]
        for step in ("acknowledged", "resolved"):
            setattr(alert, f"{step}_at", values.get(f"{step}_at"))
            if f"{step}_by" in refs:
                setattr(alert, f"{step}_by_id", self.pk(refs[f"{step}_by"]))
        # History brought in is not news: nobody is notified of an imported alert.
        alert.notified_at = values["opened_at"]
        alert.save(force_insert=True)
        return alert.pk


STORERS = {
    "Practitioner": _Store.practitioner,
    "Patient": _Store.client,
    "RelatedPerson": _Store.guardian,
    "EpisodeOfCare": _Store.episode,
    "Condition": _Store.problem,
}
AFTER_RESPONSES = {"CarePlan": _Store.version, "DetectedIssue": _Store.alert}


@transaction.atomic
def fhir_import(
    *,
    practice: Practice,
    plan: ImportPlan,
    actor: User | None = None,
    via: str = "command line",
) -> list[Response]:
    """Store a plan that has no problems in one transaction: every record it plans (people,
    episodes, sessions, problems, plans, alerts), each remembered under its source identity so
    that a second import stores nothing, and each response on its own completed assignment,
    scored by Rapport, its risk answers raising alerts as a form filled in Rapport does (unless
    the import brings the alert they raised). Audited: the import as a whole, with what it
    made, and each client whose record it wrote to, as made by `actor` (None: the system, for
    the command line) through `via`."""
    if plan.problems:
        raise ValueError("an import with problems is never stored")
    store = _Store(practice, plan)
    for kind, storer in STORERS.items():
        for planned in plan.records:
            if planned.kind == kind:
                store.remember(planned, storer(store, planned))
    store.sessions([planned for planned in plan.records if planned.kind == "Encounter"])
    stored = store.responses(plan.responses)
    for kind, storer in AFTER_RESPONSES.items():
        for planned in plan.records:
            if planned.kind == kind:
                store.remember(planned, storer(store, planned))
    ImportedResource.objects.bulk_create(store.remembered)
    for client in sorted(store.clients):
        audit_record(
            actor=actor,
            action="import",
            object_type="people.client",
            object_id=client,
            client_id=client,
            practice_id=practice.pk,
            detail={"via": via},
        )
    audit_record(
        actor=actor,
        action="import",
        object_type=IMPORT_OBJECT_TYPE,
        object_id=practice.pk,
        practice_id=practice.pk,
        detail={
            "format": "fhir-r4",
            "via": via,
            "responses": len(stored),
            "records": dict(sorted(store.made.items())),
            "already_there": len(plan.already_there),
        },
    )
    return stored


@dataclass
class ImportOutcome:
    """What an admin's import did (or, dry, would do): its plan, the same lines the command
    prints, and whether it was stored."""

    plan: ImportPlan
    dry_run: bool
    lines: list[str] = field(default_factory=list)
    stored: bool = False

    @property
    def problems(self) -> list[Problem]:
        return self.plan.problems

    @property
    def created(self) -> dict[str, int]:
        counted = Counter(planned.kind for planned in self.plan.records)
        counted["QuestionnaireResponse"] += len(self.plan.responses)
        return {kind: n for kind, n in sorted(counted.items()) if n}


@transaction.atomic
def admin_fhir_import(
    *, actor: User, practice: Practice, document: object, dry_run: bool, via: str
) -> ImportOutcome:
    """A practice admin's import of a Bundle into their practice, from the admin page or the
    API alike: every resource checked first, every problem listed and nothing stored where
    there is one; otherwise stored in this one transaction (a dry run stores nothing)."""
    if not actor.is_admin or actor.practice_id != practice.pk:
        raise PermissionDenied("Imports are for the practice's admin.")
    resources, sources, problems = bundle_resources(
        document, "the file" if via == "web" else "request body"
    )
    plan = plan_import(resources, practice.pk, fhir_base(), sources)
    plan.problems[:0] = problems
    outcome = ImportOutcome(plan=plan, dry_run=dry_run)
    if plan.problems:
        return outcome
    outcome.lines = import_summary(plan, dry_run=dry_run)
    if not dry_run:
        fhir_import(practice=practice, plan=plan, actor=actor, via=via)
        outcome.stored = True
    return outcome
