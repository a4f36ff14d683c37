"""Object-level access. Every clinical object is loaded through one of these helpers.

Rules (deny by default, scoped to the user's practice):
- clinicians see clients with an episode on which they are primary clinician or team member;
- supervisors see those of their own episodes and of every episode that involves a clinician of
  a team they supervise;
- practice admins see clinical content only through an active, reasoned break-glass grant:
  the whole record, read-only, except private notes (session notes, private formulation);
  every page says so (see `record_access`, the one policy every loader and page follows);
- clients and guardians never load staff pages; the portal has its own helpers below.

A user who may not see an object gets 404, exactly as if it did not exist, and the attempt is
audited. Successful loads are audited as reads (or as the action the caller names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.audit.models import AuditEvent, BreakGlassGrant
from rapport.audit.services import audit_record
from rapport.care.models import Episode, Session
from rapport.people.models import Client, GuardianLink


def _episodes_in_care_of(user: User) -> QuerySet[Episode]:
    """Episodes a clinical staff member is involved in, directly or as supervisor."""
    involved = Q(primary_clinician=user) | Q(team_members=user)
    if user.role == Role.SUPERVISOR:
        involved |= Q(primary_clinician__team__supervisor=user) | Q(
            team_members__team__supervisor=user
        )
    return Episode.objects.filter(involved, practice_id=user.practice_id)


def caseload_episodes(user: User) -> QuerySet[Episode]:
    """The episodes on a clinician's own caseload (primary clinician or team member)."""
    if not user.is_authenticated or not user.is_clinical_staff:
        return Episode.objects.none()
    return Episode.objects.filter(
        Q(primary_clinician=user) | Q(team_members=user), practice_id=user.practice_id
    )


def team_episodes(user: User) -> QuerySet[Episode]:
    """Episodes of the clinicians in the teams a supervisor supervises."""
    if not user.is_authenticated or user.role != Role.SUPERVISOR:
        return Episode.objects.none()
    return Episode.objects.filter(
        Q(primary_clinician__team__supervisor=user) | Q(team_members__team__supervisor=user),
        practice_id=user.practice_id,
    )


def clients_in_care_of(user: User) -> QuerySet[Client]:
    """Clients whose clinical record the user may read and write as a clinician."""
    if not user.is_authenticated or not user.is_clinical_staff or user.practice_id is None:
        return Client.objects.none()
    episode_client_ids = _episodes_in_care_of(user).values("client_id")
    return Client.objects.filter(practice_id=user.practice_id, id__in=episode_client_ids)


def clients_readable_by(user: User) -> QuerySet[Client]:
    """Clients whose clinical record the user may read: care relationship or break-glass."""
    if not user.is_authenticated or user.practice_id is None:
        return Client.objects.none()
    if user.role == Role.ADMIN:
        granted = active_grants(user).values("client_id")
        return Client.objects.filter(practice_id=user.practice_id, id__in=granted)
    return clients_in_care_of(user)


@dataclass(frozen=True)
class RecordAccess:
    """What one user may do with one client's clinical record.

    `emergency_reason` is set when the access comes from a break-glass grant: the reader is then
    told on every page, may not write, and never sees private notes — those are the clinician's
    working notes, and an emergency reader needs the record, not the therapist's thinking.
    """

    read: bool = False
    write: bool = False
    private_notes: bool = False
    emergency_reason: str = ""
    emergency_until: datetime | None = None

    @property
    def emergency(self) -> bool:
        return bool(self.emergency_reason)


NO_ACCESS = RecordAccess()
IN_CARE = RecordAccess(read=True, write=True, private_notes=True)


def active_grants(user: User) -> QuerySet[BreakGlassGrant]:
    """An admin's break-glass grants in force now, in their own practice."""
    if not user.is_authenticated or user.role != Role.ADMIN or user.practice_id is None:
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(
        user=user, expires_at__gt=timezone.now(), client__practice_id=user.practice_id
    ).select_related("client")


def record_access(user: User, client_id: int | None) -> RecordAccess:
    """The one policy for a client's clinical record: care relationship, break-glass, or none."""
    if client_id is None or not user.is_authenticated:
        return NO_ACCESS
    if clients_in_care_of(user).filter(pk=client_id).exists():
        return IN_CARE
    grant = active_grants(user).filter(client_id=client_id).order_by("-expires_at").first()
    if grant is not None:
        return RecordAccess(
            read=True, emergency_reason=grant.reason, emergency_until=grant.expires_at
        )
    return NO_ACCESS


def _audit_read(
    user: User, action: str, obj: object, client_id: int | None, decision: RecordAccess
) -> None:
    """Every load is audited; one under break-glass says so, so the trail can list them."""
    detail = {"access": "break_glass"} if decision.emergency else None
    audit_record(actor=user, action=action, obj=obj, client_id=client_id, detail=detail)  # type: ignore[arg-type]


def _load(
    user: User,
    queryset: QuerySet,  # type: ignore[type-arg]
    object_id: int,
    *,
    client_path: str,
    object_type: str,
    write: bool,
    action: str | None = None,
):  # type: ignore[no-untyped-def]
    """Load one object of a client's record under `record_access`: 404 (audited) without read
    access, 403 (audited) for a write without write access, else the object (audited)."""
    action = action or ("write" if write else "read")
    client_id = None
    if user.is_authenticated and user.practice_id is not None:
        in_practice = "practice_id" if client_path == "pk" else f"{client_path}__practice_id"
        client_id = (
            queryset.filter(pk=object_id, **{in_practice: user.practice_id})
            .values_list(client_path, flat=True)
            .first()
        )
    decision = record_access(user, client_id)
    if not decision.read:
        raise _deny(user, object_type, object_id, action)
    if write and not decision.write:
        raise _read_only(user, object_type, object_id, action, client_id)
    obj = queryset.get(pk=object_id)
    _audit_read(user, action, obj, client_id, decision)
    return obj


def _deny(user: User, object_type: str, object_id: object, action: str) -> Http404:
    audit_record(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        outcome=AuditEvent.Outcome.DENIED,
    )
    return Http404("Not found")


def _read_only(
    user: User, object_type: str, object_id: int, action: str, client_id: int | None
) -> PermissionDenied:
    """A break-glass reader trying to write: refused (403, they know the record) and audited."""
    audit_record(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        client_id=client_id,
        outcome=AuditEvent.Outcome.DENIED,
    )
    return PermissionDenied("Break-glass access is read-only.")


def get_client_for_user(
    user: User, client_id: int, *, write: bool = False, action: str | None = None
) -> Client:
    return _load(  # type: ignore[no-any-return]
        user,
        Client.objects.all(),
        client_id,
        client_path="pk",
        object_type="people.client",
        write=write,
        action=action,
    )


def get_episode_for_user(
    user: User, episode_id: int, *, write: bool = False, action: str | None = None
) -> Episode:
    return _load(  # type: ignore[no-any-return]
        user,
        Episode.objects.select_related("client", "primary_clinician"),
        episode_id,
        client_path="client",
        object_type="care.episode",
        write=write,
        action=action,
    )


def get_session_for_user(
    user: User, session_id: int, *, write: bool = False, action: str | None = None
) -> Session:
    return _load(  # type: ignore[no-any-return]
        user,
        Session.objects.select_related("episode", "episode__client", "clinician"),
        session_id,
        client_path="episode__client",
        object_type="care.session",
        write=write,
        action=action,
    )


def get_guardian_link_for_user(user: User, link_id: int, *, write: bool = False) -> GuardianLink:
    """Staff load a guardian link through the client it belongs to."""
    return _load(  # type: ignore[no-any-return]
        user,
        GuardianLink.objects.select_related("client", "guardian"),
        link_id,
        client_path="client",
        object_type="people.guardianlink",
        write=write,
    )


# --- Portal: clients and guardians ----------------------------------------------------------


def portal_clients_for(user: User) -> QuerySet[Client]:
    """The client records a portal user may open: their own, or the children they are linked to."""
    if not user.is_authenticated:
        return Client.objects.none()
    if user.role == Role.CLIENT:
        return Client.objects.filter(user=user)
    if user.role == Role.GUARDIAN:
        return Client.objects.filter(
            guardian_links__guardian=user, guardian_links__is_active=True
        ).distinct()
    return Client.objects.none()


def get_portal_client_for_user(user: User, client_id: int) -> Client:
    client = portal_clients_for(user).filter(pk=client_id).first()
    if client is None:
        raise _deny(user, "people.client", client_id, "portal_read")
    audit_record(actor=user, action="portal_read", obj=client)
    return client


def guardian_link_of(user: User, client: Client) -> GuardianLink | None:
    if user.role != Role.GUARDIAN:
        return None
    return GuardianLink.objects.filter(guardian=user, client=client, is_active=True).first()


# --- Measures and alerts --------------------------------------------------------------------


_load_in_care = _load  # objects that hang off an episode follow the same policy


def get_assignment_for_user(user: User, assignment_id: int, *, write: bool = False):  # type: ignore[no-untyped-def]
    from rapport.measures.models import Assignment

    return _load_in_care(
        user,
        Assignment.objects.select_related("episode__client", "episode__practice", "session"),
        assignment_id,
        client_path="episode__client",
        object_type="measures.assignment",
        write=write,
    )


def get_response_for_user(user: User, response_id: int):  # type: ignore[no-untyped-def]
    from rapport.measures.models import Response

    return _load_in_care(
        user,
        Response.objects.select_related("episode__client", "assignment"),
        response_id,
        client_path="episode__client",
        object_type="measures.response",
        write=False,
    )


def get_plan_for_user(user: User, plan_id: int, *, write: bool = False):  # type: ignore[no-untyped-def]
    from rapport.measures.models import MeasurePlan

    return _load_in_care(
        user,
        MeasurePlan.objects.select_related("episode__client"),
        plan_id,
        client_path="episode__client",
        object_type="measures.measureplan",
        write=write,
    )


def get_alert_for_user(user: User, alert_id: int, *, write: bool = False):  # type: ignore[no-untyped-def]
    from rapport.alerts.models import Alert

    return _load_in_care(
        user,
        Alert.objects.select_related("client", "episode"),
        alert_id,
        client_path="client",
        object_type="alerts.alert",
        write=write,
    )


def portal_assignments_for(user: User):  # type: ignore[no-untyped-def]
    """Assignments a client or guardian answers themself."""
    from rapport.measures.models import Assignment

    if not user.is_authenticated:
        return Assignment.objects.none()
    if user.role == Role.CLIENT:
        return Assignment.objects.filter(respondent="client", episode__client__user=user)
    if user.role == Role.GUARDIAN:
        return Assignment.objects.filter(
            respondent="guardian",
            respondent_user=user,
            episode__client__guardian_links__guardian=user,
            episode__client__guardian_links__is_active=True,
        )
    return Assignment.objects.none()


def get_portal_assignment_for_user(user: User, assignment_id: int):  # type: ignore[no-untyped-def]
    assignment = (
        portal_assignments_for(user)
        .select_related("episode__client", "episode__practice")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise _deny(user, "measures.assignment", assignment_id, "portal_read")
    audit_record(
        actor=user, action="portal_read", obj=assignment, client_id=assignment.episode.client_id
    )
    return assignment


def get_rupture_for_user(user: User, rupture_id: int, *, write: bool = False):  # type: ignore[no-untyped-def]
    from rapport.alliance.models import Rupture

    return _load_in_care(
        user,
        Rupture.objects.select_related("episode__client", "session", "alert"),
        rupture_id,
        client_path="episode__client",
        object_type="alliance.rupture",
        write=write,
    )


# --- Exposure: fear ladders -----------------------------------------------------------------


def get_ladder_for_user(
    user: User, ladder_id: int, *, write: bool = False, action: str | None = None
):  # type: ignore[no-untyped-def]
    from rapport.exposure.models import Ladder

    return _load_in_care(
        user,
        Ladder.objects.select_related("episode__client", "episode__practice"),
        ladder_id,
        client_path="episode__client",
        object_type="exposure.ladder",
        write=write,
        action=action,
    )


def get_ladder_step_for_user(
    user: User, step_id: int, *, write: bool = False, action: str | None = None
):  # type: ignore[no-untyped-def]
    from rapport.exposure.models import Step

    return _load_in_care(
        user,
        Step.objects.select_related("ladder__episode__client"),
        step_id,
        client_path="ladder__episode__client",
        object_type="exposure.step",
        write=write,
        action=action,
    )


def portal_ladders_for(user: User):  # type: ignore[no-untyped-def]
    """Ladders a client sees (their own) or a guardian (a linked young person's, when the
    clinician shares plan summaries with them) on an open episode."""
    from rapport.exposure.models import Ladder

    open_ladders = Ladder.objects.filter(episode__status__in=["active", "on_hold"])
    if not user.is_authenticated:
        return Ladder.objects.none()
    if user.role == Role.CLIENT:
        return open_ladders.filter(episode__client__user=user)
    if user.role == Role.GUARDIAN:
        shared = GuardianLink.objects.filter(
            guardian=user, is_active=True, may_see_plan_summary=True
        ).values("client_id")
        return open_ladders.filter(episode__client__in=shared)
    return Ladder.objects.none()


def get_portal_ladder_for_user(user: User, ladder_id: int):  # type: ignore[no-untyped-def]
    ladder = (
        portal_ladders_for(user)
        .select_related("episode__client", "episode__practice")
        .filter(pk=ladder_id)
        .first()
    )
    if ladder is None:
        raise _deny(user, "exposure.ladder", ladder_id, "portal_read")
    audit_record(actor=user, action="portal_read", obj=ladder, client_id=ladder.episode.client_id)
    return ladder


# --- Plans: problem list and treatment plan --------------------------------------------------


def get_problem_for_user(user: User, problem_id: int, *, write: bool = False):  # type: ignore[no-untyped-def]
    from rapport.plans.models import Problem

    return _load_in_care(
        user,
        Problem.objects.select_related("episode__client", "episode__practice"),
        problem_id,
        client_path="episode__client",
        object_type="plans.problem",
        write=write,
    )


def get_plan_version_for_user(user: User, version_id: int, *, write: bool = False):  # type: ignore[no-untyped-def]
    from rapport.plans.models import PlanVersion

    return _load_in_care(
        user,
        PlanVersion.objects.select_related("episode__client", "episode__practice", "author"),
        version_id,
        client_path="episode__client",
        object_type="plans.planversion",
        write=write,
    )


def get_plan_goal_for_user(user: User, goal_id: int, *, write: bool = False):  # type: ignore[no-untyped-def]
    from rapport.plans.models import PlanGoal

    return _load_in_care(
        user,
        PlanGoal.objects.select_related("version__episode__client"),
        goal_id,
        client_path="version__episode__client",
        object_type="plans.plangoal",
        write=write,
    )


def get_portal_plan_version_for_user(user: User, version_id: int):  # type: ignore[no-untyped-def]
    """A plan version a client or guardian may read: proposed or decided, never a draft; a
    guardian only where the link shares plan summaries."""
    from rapport.plans.models import PlanVersion

    clients = portal_clients_for(user)
    if user.is_authenticated and user.role == Role.GUARDIAN:
        clients = clients.filter(
            guardian_links__guardian=user,
            guardian_links__is_active=True,
            guardian_links__may_see_plan_summary=True,
        )
    version = (
        PlanVersion.objects.select_related("episode__client", "episode__practice")
        .exclude(status="draft")
        .filter(pk=version_id, episode__client__in=clients)
        .first()
    )
    if version is None:
        raise _deny(user, "plans.planversion", version_id, "portal_read")
    audit_record(actor=user, action="portal_read", obj=version, client_id=version.episode.client_id)
    return version


# --- Policies of the apps ---------------------------------------------------------------------


def may_record_exposure_from_portal(user: User, client: Client) -> bool:
    """Clients record their own exposure practice. A guardian records it for a child (under 13),
    whose homework parents usually coach; an adolescent records their own, so a guardian only
    reads."""
    if user.role == Role.CLIENT:
        return client.user_id == user.pk
    if user.role == Role.GUARDIAN:
        linked = client.guardian_links.filter(guardian=user, is_active=True).exists()
        return linked and client.is_child
    return False


def may_see_exposure_distress(user: User, client: Client) -> bool:
    """The distress ratings of exposure practice are the young person's own answers: a guardian
    sees them where the link shares the young person's answers, or where they record a child's
    practice themselves."""
    if user.role != Role.GUARDIAN:
        return True
    link = client.guardian_links.filter(guardian=user, is_active=True).first()
    if link is None:
        return False
    return link.may_see_client_answers or may_record_exposure_from_portal(user, client)
