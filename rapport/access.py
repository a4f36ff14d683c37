"""Object-level access. Every clinical object is loaded through `load` (staff) or a portal helper.

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.audit.models import AuditEvent, BreakGlassGrant
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.consent import is_withheld, remember_viewer, shown_since
from rapport.people.models import Client

# Care relationships are read as `id IN` over indexed lookups, never as an OR across the
# team-member join: the join makes the database scan every episode of the practice (and return
# an episode once per team member), where each lookup below walks one index.


def _team_member_episode_ids(users: Any) -> QuerySet[Any]:
    """Ids of the episodes on which `users` (a user or a queryset of user ids) are team members,
    through the membership table's index on the user."""
    through = Episode.team_members.through
    lookup = "user__in" if isinstance(users, QuerySet) else "user"
    return through.objects.filter(**{lookup: users}).values("episode_id")


def _own_episodes(user: User) -> Q:
    return Q(primary_clinician=user) | Q(pk__in=_team_member_episode_ids(user))


def _supervised_episodes(user: User) -> Q:
    clinicians = User.objects.filter(team__supervisor=user).values("pk")
    return Q(primary_clinician__in=clinicians) | Q(pk__in=_team_member_episode_ids(clinicians))


def _in_care(user: User) -> Q:
    """The episodes a clinical staff member is involved in, directly or as supervisor."""
    involved = _own_episodes(user)
    if user.role == Role.SUPERVISOR:
        involved |= _supervised_episodes(user)
    return involved


def _in_practice(involved: Q, practice_id: int | None) -> QuerySet[Episode]:
    """The episodes of `involved` in one practice. The practice is compared through `+ 0` so
    that no planner walks the practice's index instead of the care lookups: without statistics
    SQLite's does, which scans every episode of the practice."""
    return Episode.objects.alias(in_practice=F("practice_id") + 0).filter(
        involved, in_practice=practice_id
    )


def _not_handed_over(user: User) -> Q:
    """A therapist who handed a client over to another (a completed warm handoff) keeps none of
    that client through an earlier, closed episode of theirs: lists follow `_in_care_of`."""
    handed_over = apps.get_model("matching", "Handoff").objects.filter(
        episode__client_id=OuterRef("client_id"), from_clinician=user, status="completed"
    )
    return ~Q(status="closed") | Q(~Exists(handed_over))


def _episodes_in_care_of(user: User) -> QuerySet[Episode]:
    return _in_practice(_in_care(user), user.practice_id).filter(_not_handed_over(user))


def caseload_episodes(user: User) -> QuerySet[Episode]:
    """The episodes on a clinician's own caseload (primary clinician or team member)."""
    if not user.is_authenticated or not user.is_clinical_staff:
        return Episode.objects.none()
    return _in_practice(_own_episodes(user), user.practice_id).filter(_not_handed_over(user))


def team_episodes(user: User) -> QuerySet[Episode]:
    """Episodes of the clinicians in the teams a supervisor supervises."""
    if not user.is_authenticated or user.role != Role.SUPERVISOR:
        return Episode.objects.none()
    return _in_practice(_supervised_episodes(user), user.practice_id)


def clients_in_care_of(user: User) -> QuerySet[Client]:
    """Clients whose clinical record the user may read and write as a clinician."""
    if not user.is_authenticated or not user.is_clinical_staff or user.practice_id is None:
        return Client.objects.none()
    episode_client_ids = _episodes_in_care_of(user).values("client_id")
    return Client.objects.filter(practice_id=user.practice_id, id__in=episode_client_ids)


def _in_care_of(user: User, client_id: int) -> bool:
    """Whether `user` cares for one client: that client's few episodes (through the index on
    the client) tested against the care relationship, not the practice's episodes searched."""
    if not user.is_clinical_staff or user.practice_id is None:
        return False
    episodes = _in_practice(_in_care(user), user.practice_id).filter(client_id=client_id)
    # A therapist who handed the client over to another (a completed warm handoff) no longer
    # reads the record through an earlier episode of theirs; only through an open one they are
    # still on (as primary clinician or on its team), or as a supervisor of its clinicians.
    # One query: the care relationship and the handoff are asked together.
    handed_over = apps.get_model("matching", "Handoff").objects.filter(
        episode__client_id=client_id, from_clinician=user, status="completed"
    )
    return episodes.filter(~Q(status="closed") | ~Exists(handed_over)).exists()


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


# --- Break-glass: who may open a grant, and which grants are in force --------------------------
#
# The grant and the write that opens it belong to the audit app; who may open one, on which
# records, and whether it is in force are decided here, with the rest of the policy.


def may_open_break_glass(user: User) -> bool:
    """Only a practice admin breaks the glass: clinical staff read through their care, and
    clients and guardians through the portal."""
    return bool(user.is_authenticated and user.role == Role.ADMIN)


def break_glass_clients(user: User) -> QuerySet[Client]:
    """The clients whose record `user` may open under break-glass: those of their practice."""
    if not may_open_break_glass(user) or user.practice_id is None:
        return Client.objects.none()
    return Client.objects.filter(practice_id=user.practice_id)


def break_glass_client(user: User, client_id: int) -> Client:
    """The client of the break-glass page: 404 (audited as a refused break-glass) for one the
    user may not open, exactly as for a client that does not exist."""
    client = break_glass_clients(user).filter(pk=client_id).first()
    if client is None:
        raise _deny(user, object_type_of(Client), client_id, "break_glass")
    return client


def active_grants(user: User) -> QuerySet[BreakGlassGrant]:
    """An admin's break-glass grants in force now, in their own practice."""
    if not may_open_break_glass(user) or user.practice_id is None:
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(
        user=user, expires_at__gt=timezone.now(), client__practice_id=user.practice_id
    ).select_related("client")


def record_access(user: User, client_id: int | None) -> RecordAccess:
    """The one policy for a client's clinical record: care relationship, break-glass, or none."""
    if client_id is None or not user.is_authenticated:
        return NO_ACCESS
    if _in_care_of(user, client_id):
        return IN_CARE
    grant = active_grants(user).filter(client_id=client_id).order_by("-expires_at").first()
    if grant is not None:
        return RecordAccess(
            read=True, emergency_reason=grant.reason, emergency_until=grant.expires_at
        )
    return NO_ACCESS


def _audit_read(
    user: User, action: str, obj: Model, client_id: int | None, decision: RecordAccess
) -> None:
    """Every load is audited; one under break-glass says so, so the trail can list them."""
    detail = {"access": "break_glass"} if decision.emergency else None
    audit_record(actor=user, action=action, obj=obj, client_id=client_id, detail=detail)


# --- Loading one object of a client's record ------------------------------------------------------
#
# Each model that `load` serves says, in its own app, whose record it belongs to:
#     client_path: ClassVar[str] = "episode__client"   # lookup to its client; "pk" for Client
#     access_select_related: ClassVar[tuple[str, ...]] = ("episode__client",)
# so a new model joins the policy where it is defined, not in a table here.


def client_path_of(model: type[Model]) -> str:
    """The lookup from `model` to its client; a model that declares none cannot be loaded."""
    path = getattr(model, "client_path", None)
    if not isinstance(path, str) or not path:
        raise TypeError(
            f"{model.__name__} declares no client_path, so access cannot tell whose record "
            "it belongs to."
        )
    return path


def object_type_of(model: type[Model]) -> str:
    """The audit trail's name for a model: "app_label.modelname"."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


def client_id_of(obj: Model) -> int | None:
    """The client an already loaded object belongs to, following its model's client_path
    through relations that `load` selected, so no further query."""
    *hops, last = client_path_of(type(obj)).split("__")
    target: object = obj
    for hop in hops:
        target = getattr(target, hop)
    client_id = getattr(target, "pk" if last == "pk" else f"{last}_id")
    return client_id if isinstance(client_id, int) else None


def load[M: Model](
    user: User, model: type[M], pk: int, *, write: bool = False, action: str | None = None
) -> M:
    """Load one object of a client's record under `record_access`: 404 (audited) without read
    access, 403 (audited) for a write without write access, else the object (audited as
    `action`, by default "read" or "write")."""
    client_path = client_path_of(model)
    object_type = object_type_of(model)
    action = action or ("write" if write else "read")
    client_id = None
    if user.is_authenticated and user.practice_id is not None:
        in_practice = "practice_id" if client_path == "pk" else f"{client_path}__practice_id"
        client_id = (
            model._default_manager.filter(pk=pk, **{in_practice: user.practice_id})
            .values_list(client_path, flat=True)
            .first()
        )
    decision = record_access(user, client_id)
    withheld = remember_viewer(user, client_id) if decision.read else None
    if not decision.read or is_withheld(model, pk, withheld):
        raise _deny(user, object_type, pk, action)
    if write and not decision.write:
        raise _read_only(user, object_type, pk, action, client_id)
    related: tuple[str, ...] = getattr(model, "access_select_related", ())
    objects = model._default_manager.all()
    obj = (objects.select_related(*related) if related else objects).get(pk=pk)
    _audit_read(user, action, obj, client_id, decision)
    return obj


def fresh[M: Model](obj: M) -> M:
    """Another copy of an object `load` has already checked and audited, not audited again.

    A model form writes what it cleans into its instance, valid or not; a view gives the form
    this copy so that the object the write is made on, and the page re-rendered after a failed
    write, keep the stored values."""
    return type(obj)._default_manager.get(pk=obj.pk)


def can_write(user: User, record: Model | int | None) -> bool:
    """Whether `user` may change the client's record that `record` (an object `load` returned,
    or a client id) belongs to."""
    client_id = client_id_of(record) if isinstance(record, Model) else record
    return record_access(user, client_id).write


def audit_list(
    user: User,
    listed: QuerySet[Any] | type[Model],
    ids: Iterable[int] | None = None,
    *,
    view: str,
    action: str = "list",
    **detail: Any,
) -> None:
    """Audit a page that lists objects: which page, and which objects it showed.

    `listed` is the queryset shown (its ids are recorded) or the model listed; `ids`, when
    given, are what the page showed (say, the clients of the rows of a caseload), recorded
    under the model's plural ("clients"). Further keyword arguments are added to the detail."""
    model = listed if isinstance(listed, type) else listed.model
    if ids is None and not isinstance(listed, type):
        ids = [obj.pk for obj in listed]
    shown: dict[str, Any] = {"view": view}
    if ids is not None:
        shown[f"{model._meta.model_name}s"] = list(ids)
    audit_record(
        actor=user,
        action=action,
        object_type=object_type_of(model),
        detail=shown | detail,
    )


def audit_page(
    user: User,
    model: type[Model],
    page: Page[Any],
    *,
    view: str,
    search: str = "",
    **filters: Any,
) -> None:
    """Audit one page of a long list: which page of how many, under which filters, and how many
    rows matched — not the id of every row, which made one event per page view as large as the
    caseload. Whether a search was made is recorded, not the name searched for."""
    detail: dict[str, Any] = {
        "view": view,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": page.paginator.count,
        "shown": len(page.object_list),
        "search": bool(search),
    }
    for name, value in filters.items():
        detail[name] = value.isoformat() if isinstance(value, date) else value
    audit_record(actor=user, action="list", object_type=object_type_of(model), detail=detail)


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


# --- Portal: clients and guardians ----------------------------------------------------------------


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


def portal_episode(user: User, episode_id: int) -> Episode:
    """An episode of a client the portal user may open (their own, or a linked young person's),
    audited as a portal read; 404 (audited) otherwise, exactly as if it did not exist. What of
    the episode they then see is the reads' rule (rapport.progress.queries.portal_progress)."""
    episode = (
        Episode.objects.filter(pk=episode_id, client__in=portal_clients_for(user).values("pk"))
        .select_related("client", "practice", "primary_clinician")
        .first()
    )
    if episode is None:
        raise _deny(user, object_type_of(Episode), episode_id, "portal_read")
    audit_record(actor=user, action="portal_read", obj=episode, client_id=episode.client_id)
    return episode


# --- Portal: what a client or guardian may open of a record ---------------------------------
# Each model the portal shows declares its own rule as a classmethod `portal_visible(user)` in its
# app (who among clients and guardians sees which rows: a guardian sees a young person's ladder
# only where the clinician shares plan summaries, and so on). The loaders stay explicit about
# the portal: they never fall back to the staff policy above.


def portal_list[M: Model](user: User, model: type[M]) -> QuerySet[M]:
    """The rows of `model` a client or guardian may open; none for anyone else."""
    rule = getattr(model, "portal_visible", None)
    if rule is None:
        raise TypeError(f"{model.__name__} declares no portal_visible rule for the portal")
    if not user.is_authenticated or user.role not in (Role.CLIENT, Role.GUARDIAN):
        return model._default_manager.none()
    visible: QuerySet[M] = rule(user)
    return visible


def portal_load[M: Model](user: User, model: type[M], pk: int) -> M:
    """One object a client or guardian may open (audited as a portal read), or 404 (audited)
    exactly as if it did not exist."""
    related: tuple[str, ...] = getattr(model, "access_select_related", ())
    visible = portal_list(user, model)
    obj = (visible.select_related(*related) if related else visible).filter(pk=pk).first()
    if obj is None:
        raise _deny(user, object_type_of(model), pk, "portal_read")
    audit_record(actor=user, action="portal_read", obj=obj, client_id=client_id_of(obj))
    return obj


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


def report_audience(user: User, asked: str) -> str:
    """The audience of the report a user asked for ("" for their usual one). Clinical staff, and
    an admin under break-glass, print the clinician's report or the client's copy of it; a client
    or a guardian only the client's: the clinician's is the record's, not the portal's. Any
    other audience is refused (403, audited) before any record is read."""
    portal = user.role in (Role.CLIENT, Role.GUARDIAN)
    audience = asked or ("client" if portal else "clinician")
    if audience not in (("client",) if portal else ("clinician", "client")):
        audit_record(
            actor=user,
            action="report",
            object_type="route",
            object_id=f"audience={asked}"[:64],
            outcome=AuditEvent.Outcome.DENIED,
        )
        raise PermissionDenied("This report is not available to your account.")
    return audience


# --- Fit checks: who asks, who sees, who decides ------------------------------------------------
#
# A fit check asks whether client and therapist are the right match. In the portal:
# - an adult client asks for themself;
# - an adolescent (13–17) asks for themself, and their request is their own, as their free text
#   is: no guardian sees it;
# - a guardian asks for a child under 13 (who is not expected to raise it alone) and for an
#   adolescent (a parent may see that the match is not working); the guardian's request is theirs,
#   not shown to the young person in the portal;
# - a child under 13 does not ask in the portal: their parent does, or their therapist.
# Each person sees in the portal only the fit checks they asked for (FitCheck.portal_visible).
#
# Among staff, a private request (from the portal, not to be talked over with the therapist
# first) goes only to the practice's coordinators (supervisors or admins, the practice's
# setting), never to anyone caring for the client in the episode; the others are seen by the
# episode's staff, and by the coordinators once they reach them.


def may_request_fit_check_from_portal(user: User, client: Client) -> bool:
    if not user.is_authenticated:
        return False
    if user.role == Role.CLIENT:
        return client.user_id == user.pk and not client.is_child
    if user.role == Role.GUARDIAN:
        linked = client.guardian_links.filter(guardian=user, is_active=True).exists()
        return linked and client.is_minor
    return False


def is_fit_check_coordinator(user: User, practice_id: int, coordinators: str) -> bool:
    """Whether `user` coordinates fit checks in the practice: its supervisors, or its admins,
    as the practice set (`coordinators`: "supervisors" or "admins")."""
    role = {"supervisors": Role.SUPERVISOR, "admins": Role.ADMIN}.get(coordinators)
    return bool(
        user.is_authenticated
        and role is not None
        and user.role == role
        and user.practice_id == practice_id
    )


def _cares_for_episode(user: User, episode: Episode) -> bool:
    return caseload_episodes(user).filter(pk=episode.pk).exists()


@dataclass(frozen=True)
class FitCheckAccess:
    see: bool = False
    approve: bool = False
    close: bool = False
    # Find candidates, offer them, book consultations, choose for the client: the coordinator,
    # never someone caring for the client now, while the fit check is with the coordinator.
    coordinate: bool = False


def fit_check_access(user: User, fit_check: Any, *, coordinators: str) -> FitCheckAccess:
    """What a staff member may do with one fit check (a rapport.matching FitCheck).

    The current therapist (primary clinician or team member) never sees a private one, even as
    a coordinator. The supervisor of the episode's clinicians approves or declines a therapist's
    request; the coordinator closes one that has reached them; the episode's staff close one the
    client wanted to talk over with them first."""
    episode: Episode = fit_check.episode
    if not user.is_authenticated or not user.is_practice_staff:
        return FitCheckAccess()
    if user.practice_id != episode.practice_id:
        return FitCheckAccess()
    current = _cares_for_episode(user, episode)
    coordinator = is_fit_check_coordinator(user, episode.practice_id, coordinators)
    reached = fit_check.sent_to_coordinator_at is not None
    coordinate = coordinator and not current and fit_check.choosing
    if fit_check.is_private:
        see = coordinator and not current
        return FitCheckAccess(
            see=see, close=see and fit_check.with_coordinator, coordinate=coordinate
        )
    supervises = team_episodes(user).filter(pk=episode.pk).exists()
    approve = (
        supervises
        and fit_check.status == "awaiting_approval"
        and fit_check.requested_by_id != user.pk
    )
    close = (coordinator and fit_check.with_coordinator) or (current and fit_check.status == "open")
    see = _in_care_of(user, episode.client_id) or (coordinator and reached)
    return FitCheckAccess(see=see, approve=approve, close=close, coordinate=coordinate and reached)


def may_choose_in_portal(user: User, fit_check: Any) -> bool:
    """Who chooses among the candidates offered, in the portal: whoever asked for the fit check
    there, or, for a therapist's request the client asked for, whoever may ask in the portal
    for this client (the client unless a child; a guardian of a minor)."""
    client: Client = fit_check.episode.client
    if not may_request_fit_check_from_portal(user, client):
        return False
    if fit_check.starter == "therapist":
        return bool(fit_check.client_asked)
    return bool(fit_check.requested_by_id == user.pk)


def may_record_consultation(user: User, session: Any, *, coordinators: str) -> bool:
    """How a consultation went is recorded by the candidate therapist it was with, or by a
    coordinator who does not care for the client now (a private request stays private)."""
    episode: Episode = session.episode
    if not user.is_authenticated or user.practice_id != episode.practice_id:
        return False
    if user.pk == session.clinician_id:
        return True
    coordinator = is_fit_check_coordinator(user, episode.practice_id, coordinators)
    return coordinator and not _cares_for_episode(user, episode)


def fit_check_deny(user: User, model: type[Model], pk: int) -> Http404:
    """A fit check the user may not see: 404 (audited), exactly as if it did not exist."""
    return _deny(user, object_type_of(model), pk, "read")


# --- Handoffs: who consents, who sees, and what the new therapist sees of the past ---------------
#
# A handoff moves a client to a new therapist with the client's itemised consent (measures, plan
# and goals, alliance history, risk alerts; private notes never).
# In the portal, the person whose record it is decides:
# - an adult client consents for themself;
# - an adolescent (13–17) consents for themself: what was recorded about them, their answers and
#   their words, is theirs to share (as their fit check and free text are their own); a linked
#   guardian sees the handoff and what is shared, but does not decide;
# - for a child under 13 the linked guardian consents, as they ask for the fit check.
# Among staff: the practice's coordinators run it; the old therapist sees it, to write the
# summary and hold the joint session (the reason for the change only where the client allowed,
# as for the fit check); the receiving therapist sees it, and reads the summary only once the
# client has read it.


def may_consent_to_handoff(user: User, client: Client) -> bool:
    if not user.is_authenticated:
        return False
    if user.role == Role.CLIENT:
        return client.user_id == user.pk and not client.is_child
    if user.role == Role.GUARDIAN:
        linked = client.guardian_links.filter(guardian=user, is_active=True).exists()
        return linked and client.is_child
    return False


def portal_handoff_clients(user: User) -> QuerySet[Client]:
    """The clients whose handoff a portal user sees: their own record, or a linked young
    person's (a guardian of an adolescent reads it; see may_consent_to_handoff for who decides)."""
    if not user.is_authenticated or user.role not in (Role.CLIENT, Role.GUARDIAN):
        return Client.objects.none()
    if user.role == Role.CLIENT:
        return Client.objects.filter(user=user)
    return portal_clients_for(user)


@dataclass(frozen=True)
class HandoffAccess:
    see: bool = False
    coordinate: bool = False  # cancel, record the joint session, complete the transfer
    old_therapist: bool = False  # write the summary, record the joint or closing session
    receiving: bool = False
    see_reason: bool = False  # the fit check's words and reason


def handoff_access(user: User, handoff: Any, *, coordinators: str) -> HandoffAccess:
    """What a staff member may do with one handoff (a rapport.matching Handoff)."""
    episode: Episode = handoff.episode
    if not user.is_authenticated or not user.is_practice_staff:
        return HandoffAccess()
    if user.practice_id != episode.practice_id:
        return HandoffAccess()
    coordinator = is_fit_check_coordinator(user, episode.practice_id, coordinators)
    old = user.pk == handoff.from_clinician_id
    receiving = user.pk == handoff.to_clinician_id
    fit_check = handoff.fit_check
    see_reason = coordinator or not fit_check.is_private or fit_check.share_reason
    return HandoffAccess(
        see=coordinator or old or receiving,
        coordinate=coordinator and not old,
        old_therapist=old,
        receiving=receiving,
        see_reason=see_reason and (coordinator or old or receiving),
    )


def handoff_deny(user: User, model: type[Model], pk: int) -> Http404:
    """A handoff the user may not see: 404 (audited), exactly as if it did not exist."""
    return _deny(user, object_type_of(model), pk, "read")


# What the receiving therapist sees of the time before the handoff follows the client's consent:
# the rule is in rapport.consent, applied by `load` (one object) and by every list through
# `consented`, `shared_only`, `viewer_shared` or `shown_since`, never page by page.


def may_read_private_notes(user: User, client_id: int | None, written_at: datetime) -> bool:
    """Private notes (a plan's private formulation) are the care team's own; a therapist a
    handoff brought in never reads those written before it, whatever the client agreed to."""
    if not record_access(user, client_id).private_notes:
        return False
    since = shown_since(user, client_id, "private_notes")
    return since is None or written_at >= since
