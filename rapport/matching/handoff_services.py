"""Writes of the warm handoff: begun by the coordinator, agreed (item by item) or withdrawn by
the client in the portal, made warm by a joint session or a summary the client reads first, then
completed by the episode's transfer (rapport.care), and followed up by email. Each is atomic and
audited; who may call which is rapport.access.handoff_access / may_consent_to_handoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import CLINICAL_STAFF_ROLES, User
from rapport.audit.services import audit_record
from rapport.care.models import Attendance, Episode, Session
from rapport.care.services import episode_transfer, session_record, session_schedule
from rapport.core import fit_check as fit_rules
from rapport.core import handoff as rules
from rapport.links import absolute_url
from rapport.matching.handoff_models import Handoff, HandoffSettings
from rapport.matching.models import FitCheck
from rapport.people.languages import client_language, writing_to
from rapport.plans.services import plan_drafts_set_aside

TRANSFER_REASON = "Warm handoff after a fit check."
MIN_SUMMARY = 20  # characters: a summary the client reads first says something


def _audit(actor: User | None, action: str, handoff: Handoff, **detail: object) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=handoff,
        client_id=handoff.episode.client_id,
        practice_id=handoff.episode.practice_id,
        detail={"status": handoff.status, **detail},
    )


def _locked(handoff: Handoff) -> Handoff:
    return (
        Handoff.objects.select_for_update()
        .select_related("episode__client", "fit_check")
        .get(pk=handoff.pk)
    )


@transaction.atomic
def handoff_begin(*, actor: User, fit_check: FitCheck, to_clinician: User) -> Handoff:
    """Start moving the client to `to_clinician`: the client is asked what may be shared.

    One handoff per fit check: asking again returns it, so a double submit stores one."""
    locked = FitCheck.objects.select_for_update().select_related("episode").get(pk=fit_check.pk)
    existing = Handoff.objects.filter(fit_check=locked).first()
    if existing is not None:
        return existing
    episode = locked.episode
    if fit_rules.Status(locked.status) not in fit_rules.WITH_COORDINATOR:
        raise ValidationError(_("Only a fit check with the coordinator leads to a new therapist."))
    if not episode.is_open:
        raise ValidationError(_("This episode is closed."))
    if (
        to_clinician.practice_id != episode.practice_id
        or to_clinician.role not in CLINICAL_STAFF_ROLES
        or not to_clinician.is_active
    ):
        raise ValidationError({"to_clinician": [_("Choose a clinician of this practice.")]})
    if to_clinician.pk == episode.primary_clinician_id:
        raise ValidationError({"to_clinician": [_("Choose someone other than the current one.")]})
    if locked.chosen_clinician_id is not None and to_clinician.pk != locked.chosen_clinician_id:
        raise ValidationError(
            {"to_clinician": [_("The handoff goes to the therapist chosen in this fit check.")]}
        )
    handoff = Handoff.objects.create(
        fit_check=locked,
        episode=episode,
        from_clinician_id=episode.primary_clinician_id,
        to_clinician=to_clinician,
        started_by=actor,
        started_at=timezone.now(),
    )
    _audit(actor, "create", handoff, to_clinician=to_clinician.pk)
    return handoff


@transaction.atomic
def handoff_consent(*, actor: User, handoff: Handoff, items: set[str], shown: list[str]) -> Handoff:
    """The client (or a child's guardian) agrees to the move, and to share exactly `items`;
    `shown` is what the page listed, kept as the record of what they agreed to. Agreeing
    again (after a withdrawal, or to change the items) starts a new period of validity."""
    locked = _locked(handoff)
    if not locked.is_open and locked.rule_status is not rules.Status.WITHDRAWN:
        raise ValidationError(_("This change of therapist is no longer open."))
    unknown = items - {item.value for item in rules.ITEMS}
    if unknown:
        raise ValidationError(_("Unknown items: %(items)s.") % {"items": sorted(unknown)})
    now = timezone.now()
    days = HandoffSettings.for_practice(locked.episode.practice_id).consent_days
    for item in rules.ITEMS:
        setattr(locked, f"share_{item.value}", item.value in items)
    locked.shared_list = shown
    locked.consented_by, locked.consented_at = actor, now
    locked.consent_expires_at = rules.consent_expiry(now, days)
    locked.withdrawn_by, locked.withdrawn_at = None, None
    if locked.rule_status in (rules.Status.CONSENT_ASKED, rules.Status.WITHDRAWN):
        locked.status = rules.Status.CONSENTED.value
    locked.save()
    _audit(actor, "consent", locked, items=sorted(items))
    return locked


@transaction.atomic
def handoff_withdraw(*, actor: User, handoff: Handoff) -> Handoff:
    """The client withdraws their consent: nothing moves (until they agree again)."""
    locked = _locked(handoff)
    if not locked.is_open:
        raise ValidationError(_("This change of therapist is no longer open."))
    if locked.rule_status is rules.Status.CONSENT_ASKED:
        raise ValidationError(_("You have not agreed to anything yet."))
    locked.status = rules.Status.WITHDRAWN.value
    locked.withdrawn_by, locked.withdrawn_at = actor, timezone.now()
    locked.save()
    _audit(actor, "withdraw", locked)
    return locked


def _require_consent(locked: Handoff) -> None:
    if not locked.consent_in_force(timezone.now()):
        raise ValidationError(
            _(
                "The client's consent is not in force (not given, withdrawn or expired): nothing "
                "moves until they agree in the portal."
            )
        )


@transaction.atomic
def handoff_summary_write(*, actor: User, handoff: Handoff, summary: str) -> Handoff:
    """The old therapist's written handoff; the client reads it before the new therapist can."""
    locked = _locked(handoff)
    _require_consent(locked)
    if len(summary.strip()) < MIN_SUMMARY:
        raise ValidationError({"summary": [_("Write a few sentences for the client to read.")]})
    locked.summary = summary.strip()
    locked.summary_written_at = timezone.now()
    locked.summary_read_at = None  # changed words are read again
    if locked.rule_status is rules.Status.CONSENTED:
        locked.status = rules.Status.SUMMARY_SHARED.value
    locked.save()
    _audit(actor, "summary", locked)
    return locked


@transaction.atomic
def handoff_summary_read(*, actor: User, handoff: Handoff) -> Handoff:
    locked = _locked(handoff)
    if not locked.summary_written_at or not locked.is_open:
        raise ValidationError(_("There is no summary to read."))
    locked.summary_read_at = timezone.now()
    locked.save(update_fields=["summary_read_at"])
    _audit(actor, "summary_read", locked)
    return locked


def _session(
    *, actor: User, episode: Episode, clinician: User, start: datetime, minutes: int, modality: str
) -> Session:
    session = session_schedule(
        actor=actor,
        episode=episode,
        scheduled_start=start,
        duration_minutes=minutes,
        modality=modality,
        clinician=clinician,
    )
    if start <= timezone.now():
        session = session_record(
            actor=actor,
            session=session,
            attendance=Attendance.ATTENDED,
            modality=modality,
            duration_minutes=minutes,
            private_notes="",
        )
    return session


@transaction.atomic
def handoff_joint_session(
    *, actor: User, handoff: Handoff, start: datetime, minutes: int, modality: str
) -> Handoff:
    """Record the joint session (old and new therapist with the client) as a session of the
    episode, with the old therapist as its clinician and the new one noted on the handoff. One
    in the past is recorded as attended; one ahead is booked."""
    locked = _locked(handoff)
    _require_consent(locked)
    if locked.joint_session_id is not None:
        return locked
    locked.joint_session = _session(
        actor=actor,
        episode=locked.episode,
        clinician=locked.from_clinician,
        start=start,
        minutes=minutes,
        modality=modality,
    )
    if locked.rule_status is rules.Status.CONSENTED:
        locked.status = rules.Status.JOINT_BOOKED.value
    locked.save()
    _audit(actor, "joint_session", locked, session=locked.joint_session_id)
    return locked


@transaction.atomic
def handoff_closing_session(
    *, actor: User, handoff: Handoff, start: datetime, minutes: int, modality: str
) -> Handoff:
    """The optional closing session with the previous therapist, recorded on the episode."""
    locked = _locked(handoff)
    if locked.closing_session_id is not None:
        return locked
    if locked.rule_status in (rules.Status.CANCELLED, rules.Status.WITHDRAWN):
        raise ValidationError(_("This handoff is not going ahead."))
    locked.closing_session = _session(
        actor=actor,
        episode=locked.episode,
        clinician=locked.from_clinician,
        start=start,
        minutes=minutes,
        modality=modality,
    )
    locked.save(update_fields=["closing_session"])
    _audit(actor, "closing_session", locked, session=locked.closing_session_id)
    return locked


def _joint_session_held(locked: Handoff) -> bool:
    session = locked.joint_session
    return session is not None and session.attendance == Attendance.ATTENDED


@transaction.atomic
def handoff_complete(*, actor: User, handoff: Handoff) -> Handoff:
    """Transfer the episode to the new therapist, in one transaction with the handoff's own
    change: consent is checked under the lock, so one withdrawn a moment before stops it, and a
    failure at any step leaves nothing half-moved. The old therapist's access ends with the
    transfer (they leave the episode's team too, if they were on it)."""
    locked = _locked(handoff)
    if locked.rule_status is rules.Status.COMPLETED:
        return locked
    _require_consent(locked)
    if not (_joint_session_held(locked) or locked.summary_read_at is not None):
        raise ValidationError(
            _("Hold the joint session, or wait until the client has read the summary.")
        )
    episode = Episode.objects.select_for_update().get(pk=locked.episode_id)
    if episode.primary_clinician_id != locked.from_clinician_id:
        raise ValidationError(_("The episode has changed hands since the handoff began."))
    transfer = episode_transfer(
        actor=actor, episode=episode, to_clinician=locked.to_clinician, reason=TRANSFER_REASON
    )
    if episode.team_members.filter(pk=locked.from_clinician_id).exists():
        episode.team_members.remove(locked.from_clinician_id)
    if not locked.share_plan:
        plan_drafts_set_aside(
            actor=actor, episode=episode, reason="The plan was not shared in the handoff."
        )
    locked.transfer = transfer
    locked.status = rules.Status.COMPLETED.value
    locked.completed_by, locked.completed_at = actor, timezone.now()
    locked.save()
    FitCheck.objects.filter(pk=locked.fit_check_id).update(
        status=fit_rules.Status.CLOSED.value,
        closed_by=actor,
        closed_at=locked.completed_at,
        closing_note="Moved to a new therapist (warm handoff).",
    )
    _audit(actor, "complete", locked, transfer=transfer.pk)
    return locked


@transaction.atomic
def handoff_cancel(*, actor: User, handoff: Handoff) -> Handoff:
    locked = _locked(handoff)
    if not locked.is_open and locked.rule_status is not rules.Status.WITHDRAWN:
        raise ValidationError(_("This handoff is finished."))
    locked.status = rules.Status.CANCELLED.value
    locked.cancelled_by, locked.cancelled_at = actor, timezone.now()
    locked.save()
    _audit(actor, "cancel", locked)
    return locked


# --- Follow-up ------------------------------------------------------------------------------------


def started_with_new_therapist(handoff: Handoff) -> bool:
    """Whether the client has had a session with the new therapist since the transfer."""
    return Session.objects.filter(
        episode_id=handoff.episode_id,
        clinician_id=handoff.to_clinician_id,
        attendance=Attendance.ATTENDED,
        scheduled_start__gte=handoff.completed_at,
    ).exists()


@transaction.atomic
def handoff_follow_ups_send(*, base_url: str, now: datetime | None = None) -> int:
    """Email the "did you start?" checks due (14 and 30 days after the transfer) to clients
    who have not yet had a session with their new therapist; each is sent once. Returns how
    many went."""
    now = now or timezone.now()
    first = min(rules.FOLLOW_UP_DAYS)
    due = (
        Handoff.objects.select_for_update(of=("self",))
        .filter(status=rules.Status.COMPLETED.value, completed_at__isnull=False)
        .filter(completed_at__lte=now - timedelta(days=first))
        .select_related("episode__client", "episode__practice", "to_clinician")
    )
    sent = 0
    for handoff in due:
        assert handoff.completed_at is not None
        days = rules.follow_ups_due(
            transferred_at=handoff.completed_at,
            now=now,
            sent=list(handoff.follow_ups_sent),
            started=started_with_new_therapist(handoff),
        )
        if not days:
            continue
        client = handoff.episode.client
        if client.email:
            link = absolute_url(reverse("portal:home"), base_url)
            with writing_to(client_language(client)):
                subject = _("Have you started with your new therapist?")
                body = render_to_string(
                    "matching/email/handoff_follow_up.txt",
                    {
                        "client": client,
                        "therapist": handoff.to_clinician,
                        "practice": handoff.episode.practice,
                        "link": link,
                    },
                )
            send_mail(subject, body, None, [client.email])
            sent += 1
        handoff.follow_ups_sent = sorted({*handoff.follow_ups_sent, *days})
        handoff.save(update_fields=["follow_ups_sent"])
        audit_record(
            actor=None,
            action="follow_up",
            obj=handoff,
            client_id=client.pk,
            practice_id=handoff.episode.practice_id,
            detail={"days": days, "emailed": bool(client.email)},
        )
    return sent


@transaction.atomic
def handoff_settings_update(*, actor: User, settings: HandoffSettings) -> HandoffSettings:
    """Store a practice's handoff settings; a value out of range is refused, not saved."""
    settings.full_clean()
    settings.save()
    audit_record(actor=actor, action="update", obj=settings, practice_id=settings.practice_id)
    return settings
