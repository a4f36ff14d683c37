"""A client's record, as its recipient may see it, read into the inputs of rapport.core.fhir.inputs.

Those inputs have no place for a session's private notes or a plan's private formulation: those
never leave Rapport. What of a young person's own answers goes out depends on who receives the
export (`Recipient`; rapport.interop.queries.recipient_for gives the portal's rules): everything
for their clinicians, and for a guardian what the guardian link shares.

Records are read a page of clients at a time (`client_records`, a practice's export): each kind
of row in one query for the whole page, grouped by client here, so the export costs a dozen
queries a page rather than ten a client. `client_record` reads one client's the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.care.models import Episode, EpisodeStatus, Session
from rapport.consent import viewer_shared_each
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
from rapport.core.instruments import Instrument
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument
from rapport.people.models import Client, ClientStatus, GuardianLink
from rapport.plans.goal_status import goal_target_words, measure_families
from rapport.plans.models import PlanDecision, PlanVersion, Problem


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


@dataclass
class _Page:
    """The rows of a page of clients' records: each kind read for all of them in one query,
    then grouped by client (team members and plan versions by episode), in the order read."""

    episodes: defaultdict[int, list[Episode]]
    links: defaultdict[int, list[GuardianLink]]
    sessions: defaultdict[int, list[Session]]
    problems: defaultdict[int, list[Problem]]
    responses: defaultdict[int, list[Response]]
    team: defaultdict[int, set[int]]
    versions: defaultdict[int, list[PlanVersion]]
    alerts: defaultdict[int, list[Alert]]
    # Looked up once for the page, not once a response or a client.
    instruments: dict[tuple[str, int], Instrument] = field(default_factory=dict)
    families: dict[int, dict[str, Instrument]] = field(default_factory=dict)

    def instrument(self, instrument_id: str, practice_id: int) -> Instrument:
        key = (instrument_id, practice_id)
        if key not in self.instruments:
            self.instruments[key] = get_instrument(instrument_id, practice_id=practice_id)
        return self.instruments[key]

    def measure_families(self, practice_id: int) -> dict[str, Instrument]:
        if practice_id not in self.families:
            self.families[practice_id] = measure_families(practice_id)
        return self.families[practice_id]


def _grouped[T](rows: Iterable[T], key: Callable[[T], int]) -> defaultdict[int, list[T]]:
    found: defaultdict[int, list[T]] = defaultdict(list)
    for row in rows:
        found[key(row)].append(row)
    return found


def _read_page(client_ids: list[int], recipient: Recipient) -> _Page:
    episodes = list(Episode.objects.filter(client_id__in=client_ids).order_by("start_date", "pk"))
    # The rows of an episode are read by the episodes read: no join, and none of an episode
    # begun since, whose client would not be known.
    client_of = {episode.pk: episode.client_id for episode in episodes}
    links = (
        GuardianLink.objects.filter(client_id__in=client_ids)
        .select_related("guardian")
        .order_by("pk")
    )
    sessions = (
        Session.objects.filter(episode_id__in=client_of).order_by("scheduled_start", "pk")
        if recipient.schedule
        else []
    )
    # What a handoff's consent withholds from the staff member exporting is left out, as on
    # the pages (rapport.consent), each client's by that client's handoff.
    problems = viewer_shared_each(
        Problem.objects.filter(episode_id__in=client_of), client_ids
    ).order_by("priority", "pk")
    responses = (
        viewer_shared_each(Response.objects.filter(episode_id__in=client_of), client_ids)
        .select_related("assignment")
        .order_by("completed_at", "pk")
    )
    team: defaultdict[int, set[int]] = defaultdict(set)
    members = Episode.team_members.through.objects.filter(episode_id__in=client_of)
    for episode_id, user_id in members.values_list("episode_id", "user_id"):
        team[episode_id].add(user_id)
    versions = (
        viewer_shared_each(PlanVersion.objects.filter(episode_id__in=client_of), client_ids)
        .filter(proposed_at__isnull=False)
        .exclude(status=PlanVersion.Status.DRAFT)
        .prefetch_related("goals__problems", "decisions")
        .order_by("number")
        if recipient.plans
        else []
    )
    alerts = (
        viewer_shared_each(Alert.objects.filter(client_id__in=client_ids), client_ids).order_by(
            "opened_at", "pk"
        )
        if recipient.alerts
        else []
    )
    return _Page(
        episodes=_grouped(episodes, lambda e: e.client_id),
        links=_grouped(links, lambda link: link.client_id),
        sessions=_grouped(sessions, lambda s: client_of[s.episode_id]),
        problems=_grouped(problems, lambda p: client_of[p.episode_id]),
        responses=_grouped(responses, lambda r: client_of[r.episode_id]),
        team=team,
        versions=_grouped(versions, lambda v: v.episode_id),
        alerts=_grouped(alerts, lambda a: a.client_id),
    )


def client_records(clients: Sequence[Client], recipient: Recipient) -> list[ClientRecord]:
    """Everything of each client's record (all their episodes) that goes into an export, for
    a page of clients read at once: a query for each kind of row, whatever their number."""
    if not clients:
        return []
    page = _read_page([client.pk for client in clients], recipient)
    records = [_record(client, page, recipient) for client in clients]
    staff = {pk for record in records for pk in _staff_pks(record)}
    users = {user.pk: user for user in User.objects.filter(pk__in=staff)}
    return [
        replace(
            record,
            practitioners=tuple(
                PractitionerInput(
                    pk=user.pk,
                    name=user.full_name,
                    email=user.email,
                    role=user.role,
                    practice_pk=record.client.practice_pk,
                )
                for user in (users[pk] for pk in sorted(_staff_pks(record)) if pk in users)
            ),
        )
        for record in records
    ]


def client_record(client: Client, recipient: Recipient) -> ClientRecord:
    """Everything of one client's record (all their episodes) that goes into an export."""
    [record] = client_records([client], recipient)
    return record


def _staff_pks(record: ClientRecord) -> set[int]:
    """The staff the record names: its Practitioners."""
    found = {e.clinician_pk for e in record.episodes}
    found |= {pk for e in record.episodes for pk in e.team_pks}
    found |= {e.clinician_pk for e in record.encounters}
    found |= {p.recorder_pk for e in record.episodes for p in e.problems}
    found |= {plan.author_pk for plan in record.plans}
    found |= {a.acknowledged_by_pk for a in record.alerts if a.acknowledged_by_pk is not None}
    found |= {a.resolved_by_pk for a in record.alerts if a.resolved_by_pk is not None}
    found |= {
        r.author_pk
        for r in record.responses
        if r.author_kind == "practitioner" and r.author_pk is not None
    }
    return found


def _record(client: Client, page: _Page, recipient: Recipient) -> ClientRecord:
    """One client's record from the page's rows, without its practitioners (read for the
    whole page once every record has named its own)."""
    episodes = page.episodes[client.pk]
    links = page.links[client.pk]
    link_of_user = {link.guardian_id: link.pk for link in links}
    by_pk = {episode.pk: episode for episode in episodes}
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
        for p in page.problems[client.pk]
    ]
    episode_inputs = tuple(
        EpisodeInput(
            pk=e.pk,
            client_pk=client.pk,
            practice_pk=e.practice_id,
            clinician_pk=e.primary_clinician_id,
            team_pks=tuple(sorted(page.team[e.pk])),
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
        for s in page.sessions[client.pk]
    )
    response_inputs = []
    for r in page.responses[client.pk]:
        if not _shown(r, recipient):
            continue
        episode = by_pk[r.episode_id]
        kind, author = _author(r, episode, link_of_user)
        instrument = page.instrument(r.instrument_id, episode.practice_id)
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

    plans = _plans(client, episodes, link_of_user, page) if recipient.plans else ()
    alerts = (
        _alerts(client, page.alerts[client.pk], {r.pk: r for r in response_inputs}, recipient)
        if recipient.alerts
        else ()
    )
    return ClientRecord(
        practice=PracticeInput(pk=client.practice_id, name=client.practice.name),
        practitioners=(),
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
    client: Client,
    alerts: list[Alert],
    responses: dict[int, ResponseInput],
    recipient: Recipient,
) -> tuple[AlertInput, ...]:
    """The client's clinical alerts (rapport.core.fhir.safety says which), with the form that
    raised each where that form is in the export."""
    found = []
    kinds = dict(Alert.Kind.choices)
    for alert in alerts:
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
    client: Client, episodes: list[Episode], link_of_user: dict[int, int], page: _Page
) -> tuple[PlanInput, ...]:
    """The plan versions that reached the client or their family, never a draft (work in
    progress, as on the portal), each with its goals and who answered it."""
    families = page.measure_families(client.practice_id)
    found: list[PlanInput] = []
    for episode in episodes:
        versions = page.versions[episode.pk]
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
