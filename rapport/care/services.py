"""Workflows over episodes and sessions. Each is atomic and audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import CLINICAL_STAFF_ROLES, User
from rapport.audit.services import audit_record
from rapport.care.models import (
    Attendance,
    ClosureReason,
    Episode,
    EpisodeStatus,
    EpisodeTransfer,
    Modality,
    Session,
    SessionKind,
    when_label,
)
from rapport.care.signals import episode_closed, session_booked, session_recorded
from rapport.people.models import Client

MAX_MINUTES = 480  # the longest session the model allows


def _require_clinician_in_practice(user: User, practice_id: int, what: str) -> None:
    if (
        user.practice_id != practice_id
        or user.role not in CLINICAL_STAFF_ROLES
        or not user.is_active
    ):
        messages = {
            "new clinician": _("The new clinician must be an active clinician in this practice."),
            "session's clinician": _(
                "The session's clinician must be an active clinician in this practice."
            ),
            "team member": _("The team member must be an active clinician in this practice."),
        }
        raise ValidationError(messages[what])


@transaction.atomic
def episode_set_status(*, actor: User, episode: Episode, status: str) -> Episode:
    if status not in {EpisodeStatus.ACTIVE, EpisodeStatus.ON_HOLD}:
        raise ValidationError(_("Use episode_close to close an episode."))
    if not episode.is_open:
        raise ValidationError(_("A closed episode cannot be put on hold or resumed."))
    previous = episode.status
    episode.status = status
    episode.save(update_fields=["status"])
    audit_record(actor=actor, action="update", obj=episode, detail={"status": [previous, status]})
    return episode


@transaction.atomic
def episode_close(
    *, actor: User, episode: Episode, reason: str, end_date: date, note: str = ""
) -> Episode:
    if not episode.is_open:
        raise ValidationError(_("This episode is already closed."))
    if reason not in ClosureReason.values:
        raise ValidationError(_("Choose why the episode is closing."))
    if end_date < episode.start_date:
        raise ValidationError(_("The end date cannot be before the episode started."))
    episode.status = EpisodeStatus.CLOSED
    episode.closure_reason = reason
    episode.closure_note = note
    episode.end_date = end_date
    episode.save(update_fields=["status", "closure_reason", "closure_note", "end_date"])
    # Future appointments of a closed episode would otherwise linger on calendars.
    cancelled = episode.sessions.filter(
        attendance=Attendance.SCHEDULED, scheduled_start__gt=timezone.now()
    ).update(attendance=Attendance.CANCELLED_CLINICIAN)
    audit_record(
        actor=actor,
        action="close",
        obj=episode,
        detail={"reason": reason, "future_sessions_cancelled": cancelled},
    )
    episode_closed.send(sender=Episode, episode=episode)
    return episode


@transaction.atomic
def episode_transfer(
    *, actor: User, episode: Episode, to_clinician: User, reason: str
) -> EpisodeTransfer:
    """Hand the episode to another clinician in the practice, keeping the history."""
    _require_clinician_in_practice(to_clinician, episode.practice_id, "new clinician")
    if not episode.is_open:
        raise ValidationError(_("A closed episode cannot be transferred."))
    if to_clinician.pk == episode.primary_clinician_id:
        raise ValidationError(_("The episode is already with this clinician."))
    if not reason.strip():
        raise ValidationError(_("Say why the episode is being transferred."))
    transfer = EpisodeTransfer.objects.create(
        episode=episode,
        from_clinician_id=episode.primary_clinician_id,
        to_clinician=to_clinician,
        reason=reason.strip(),
        transferred_at=timezone.now(),
        transferred_by=actor,
    )
    episode.primary_clinician = to_clinician
    episode.save(update_fields=["primary_clinician"])
    episode.team_members.remove(to_clinician)
    # Future appointments move with the client.
    moved = episode.sessions.filter(
        attendance=Attendance.SCHEDULED, scheduled_start__gt=timezone.now()
    ).update(clinician=to_clinician)
    audit_record(
        actor=actor,
        action="transfer",
        obj=episode,
        detail={
            "from_clinician": transfer.from_clinician_id,
            "to_clinician": to_clinician.pk,
            "future_sessions_moved": moved,
        },
    )
    return transfer


@transaction.atomic
def session_schedule(
    *,
    actor: User,
    episode: Episode,
    scheduled_start: datetime,
    duration_minutes: int,
    modality: str,
    clinician: User | None = None,
    kind: str = SessionKind.THERAPY,
) -> Session:
    clinician = clinician or episode.primary_clinician
    _require_clinician_in_practice(clinician, episode.practice_id, "session's clinician")
    if not episode.is_open:
        raise ValidationError(_("Sessions cannot be added to a closed episode."))
    if modality not in Modality.values:
        raise ValidationError(_("Choose how the session takes place."))
    session = Session(
        episode=episode,
        clinician=clinician,
        scheduled_start=scheduled_start,
        duration_minutes=duration_minutes,
        modality=modality,
        kind=kind,
    )
    session.full_clean()
    _refuse_a_clash(session)
    session.save()
    audit_record(actor=actor, action="create", obj=session, client_id=episode.client_id)
    # A session's forms are made when it is booked or recorded, never when a page is viewed.
    session_booked.send(sender=Session, session=session)
    return session


def _refuse_a_clash(session: Session) -> None:
    """The same client cannot be booked twice at once (in any of their episodes)."""
    episode = session.episode
    # Lock the client's row so that two bookings at once cannot both pass the check.
    Client.objects.select_for_update().filter(pk=episode.client_id).first()
    nearby = (
        Session.objects.filter(
            episode__client_id=episode.client_id,
            scheduled_start__lt=session.scheduled_end,
            scheduled_start__gt=session.scheduled_start - timedelta(minutes=MAX_MINUTES),
        )
        .exclude(attendance__in=[Attendance.CANCELLED_CLIENT, Attendance.CANCELLED_CLINICIAN])
        .select_related("clinician")
        .order_by("scheduled_start")
    )
    for other in nearby:
        if other.scheduled_end > session.scheduled_start:
            zone = episode.practice.zone
            end = timezone.localtime(other.scheduled_end, zone)
            raise ValidationError(
                _(
                    "%(client)s already has a session at %(start)s–%(end)s with %(clinician)s. "
                    "Choose another time, or cancel that one first."
                )
                % {
                    "client": episode.client,
                    "start": when_label(other.scheduled_start, zone),
                    "end": f"{end:%H:%M}",
                    "clinician": other.clinician.full_name,
                }
            )


@transaction.atomic
def session_record(
    *,
    actor: User,
    session: Session,
    attendance: str,
    modality: str,
    duration_minutes: int,
    private_notes: str,
) -> Session:
    """Record what happened: attendance, modality, length and the clinician's private notes."""
    if attendance not in Attendance.values:
        raise ValidationError(_("Choose an attendance outcome."))
    if modality not in Modality.values:
        raise ValidationError(_("Choose how the session took place."))
    if session.scheduled_start > timezone.now():
        if attendance == Attendance.ATTENDED:
            raise ValidationError(_("A session cannot be marked attended before it has started."))
        if attendance == Attendance.NO_SHOW:
            raise ValidationError(_("A session cannot be marked missed before it has started."))
    changed = [
        field
        for field, value in (
            ("attendance", attendance),
            ("modality", modality),
            ("duration_minutes", duration_minutes),
            ("private_notes", private_notes),
        )
        if getattr(session, field) != value
    ]
    session.attendance = attendance
    session.modality = modality
    session.duration_minutes = duration_minutes
    session.private_notes = private_notes
    session.full_clean()
    session.save()
    # Field names only: the audit trail must not become a second copy of clinical notes.
    audit_record(
        actor=actor,
        action="update",
        obj=session,
        client_id=session.episode.client_id,
        detail={"changed": changed, "attendance": attendance},
    )
    session_recorded.send(sender=Session, session=session)
    return session


@transaction.atomic
def episode_set_team(*, actor: User, episode: Episode, members: list[User]) -> Episode:
    """Set the clinicians who work on the episode besides the primary clinician."""
    for member in members:
        _require_clinician_in_practice(member, episode.practice_id, "team member")
    wanted = {m.pk for m in members} - {episode.primary_clinician_id}
    before = set(episode.team_members.values_list("pk", flat=True))
    episode.team_members.set(wanted)
    audit_record(
        actor=actor,
        action="update",
        obj=episode,
        detail={"team_added": sorted(wanted - before), "team_removed": sorted(before - wanted)},
    )
    return episode
