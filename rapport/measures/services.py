"""Administering measures: plans, assignments, links from home, submitting answers."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Role, User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.services import audit_record
from rapport.care.clock import booked_number
from rapport.care.models import Attendance, Episode, Modality, Session
from rapport.core.instruments import (
    MAX_TEXT_LENGTH,
    validate_answers,
)
from rapport.core.reminders import in_quiet_hours, reminder_due
from rapport.core.schedules import LEAD_HOURS_DEFAULT, completed_remotely, due_at_session
from rapport.core.tokens import hash_token
from rapport.links import absolute_url
from rapport.measures.availability import assignment_available, not_yet_reason
from rapport.measures.defaults import DefaultEntry
from rapport.measures.models import (
    AccessLink,
    Assignment,
    DefaultMeasurePlan,
    LinkAttempt,
    MeasurePlan,
    Response,
)
from rapport.measures.queries import (
    LINK_ATTEMPT_WINDOW,
    default_measures,
    instrument_for,
    link_rate_limited,
    people_for,
    respondent_still_linked,
)
from rapport.measures.registry import choose_version, get_instrument
from rapport.measures.signals import assignments_preparing, response_submitted
from rapport.people.languages import client_language, language_of, writing_to
from rapport.people.models import GuardianPhone
from rapport.sms import TextNotSent, send_text, texts_enabled

# 32 random bytes: 256 bits, well above the 128 the threat model asks for.
TOKEN_BYTES = 32


# --- Plans ----------------------------------------------------------------------------------


@transaction.atomic
def measure_plan_set(
    *,
    actor: User,
    episode: Episode,
    family: str,
    respondent: str,
    schedule: str,
    every_n: int = 1,
    lead_hours: int = LEAD_HOURS_DEFAULT,
    reminders: int | None = None,
    link_valid_hours: int | None = None,
) -> MeasurePlan:
    """Start using a measure in an episode, replacing any earlier plan for the same measure."""
    if not episode.is_open:
        raise ValidationError(_("Measures cannot be planned for a closed episode."))
    # Fails early, with a clear message, if no version suits this person.
    instrument_for(episode, family=family, respondent=respondent)
    MeasurePlan.objects.filter(
        episode=episode, family=family, respondent=respondent, is_active=True
    ).update(is_active=False)
    plan = MeasurePlan(
        episode=episode,
        family=family,
        respondent=respondent,
        schedule=schedule,
        every_n=every_n,
        lead_hours=lead_hours,
        reminders=reminders,
        link_valid_hours=link_valid_hours,
    )
    plan.full_clean()
    plan.save()
    audit_record(
        actor=actor,
        action="create",
        obj=plan,
        client_id=episode.client_id,
        detail={"family": family, "respondent": respondent, "schedule": schedule},
    )
    # Sessions already booked get the new measure now, not when someone opens their page.
    upcoming = episode.sessions.filter(
        attendance=Attendance.SCHEDULED, scheduled_start__gte=timezone.now()
    )
    for session in upcoming:
        session_assignments_ensure(session=session)
    return plan


@transaction.atomic
def default_measures_apply(*, actor: User, episode: Episode) -> list[MeasurePlan]:
    """Give a new episode the practice's starting measures for the client's age band.

    Called at intake (never on a page view). A measure with no version for this client's age,
    or one the practice no longer has, is left out rather than refusing the intake.
    """
    band = str(episode.client.age_band())
    plans = []
    for entry in default_measures(episode.practice_id, band):
        try:
            choose_version(
                entry.family,
                respondent=entry.respondent,
                age_band=band,
                practice_id=episode.practice_id,
            )
        except LookupError:
            continue
        plans.append(
            measure_plan_set(
                actor=actor,
                episode=episode,
                family=entry.family,
                respondent=entry.respondent,
                schedule=entry.schedule,
                every_n=entry.every_n,
            )
        )
    return plans


@transaction.atomic
def default_measures_save(
    *, actor: User, by_band: dict[str, list[DefaultEntry]]
) -> list[DefaultMeasurePlan]:
    """Set a practice's starting measures for each age band given (an empty list means none)."""
    if actor.role != Role.ADMIN or actor.practice_id is None:
        raise PermissionDenied("Only a practice admin sets the default measures.")
    saved = []
    for age_band, measures in by_band.items():
        plan, _ = DefaultMeasurePlan.objects.select_for_update().get_or_create(
            practice_id=actor.practice_id, age_band=age_band
        )
        plan.measures = [entry._asdict() for entry in measures]
        plan.full_clean()
        plan.save()
        audit_record(
            actor=actor,
            action="update",
            obj=plan,
            practice_id=actor.practice_id,
            detail={"age_band": age_band, "measures": plan.measures},
        )
        saved.append(plan)
    return saved


@transaction.atomic
def measure_plan_stop(*, actor: User, plan: MeasurePlan) -> None:
    plan.is_active = False
    plan.save(update_fields=["is_active"])
    plan.assignments.filter(status=Assignment.Status.PENDING, session__isnull=False).update(
        status=Assignment.Status.CANCELLED
    )
    audit_record(actor=actor, action="stop", obj=plan, client_id=plan.episode.client_id)


# --- Assignments ----------------------------------------------------------------------------


@transaction.atomic
def session_assignments_ensure(*, session: Session) -> list[Assignment]:
    """Create (once) the assignments due at this session from the episode's active plans."""
    episode = session.episode
    # A consultation with a possible new therapist is not a session of the therapy: no forms.
    if session.is_cancelled or session.is_consultation or not episode.is_open:
        return list(session.assignments.all())
    assignments_preparing.send(sender=Session, episode=episode)
    number = booked_number(session)
    for plan in episode.measures.filter(is_active=True):
        if not due_at_session(plan.schedule, session_number=number, every_n=plan.every_n):
            continue
        for person in people_for(plan, session):
            instrument = instrument_for(episode, family=plan.family, respondent=person.respondent)
            assignment, created = Assignment.objects.get_or_create(
                session=session,
                plan=plan,
                respondent_key=person.key,
                defaults={
                    "episode": episode,
                    "instrument_id": instrument.id,
                    "respondent": person.respondent,
                    "respondent_user": person.user if person.respondent != "client" else None,
                    "remote": completed_remotely(plan.schedule),
                    "due_at": session.scheduled_start,
                },
            )
            if created:
                audit_record(
                    actor=None,
                    action="create",
                    obj=assignment,
                    client_id=episode.client_id,
                    practice_id=episode.practice_id,
                    detail={"instrument": instrument.id, "session": session.pk},
                )
    return list(
        session.assignments.select_related(
            "plan", "episode", "respondent_user", "response"
        ).order_by("pk")
    )


def discharge_assignments_create(*, episode: Episode) -> list[Assignment]:
    """At the end of an episode, the intake-and-discharge measures once more, from home.

    The worker emails their links like any other remote measure; they also wait in the portal.
    """
    created = []
    now = timezone.now()
    for plan in episode.measures.filter(is_active=True, schedule="intake_discharge"):
        for person in people_for(plan, None):
            if person.respondent == "therapist":
                continue
            exists = Assignment.objects.filter(
                plan=plan, session__isnull=True, respondent_key=person.key
            ).exists()
            if exists:
                continue
            instrument = instrument_for(episode, family=plan.family, respondent=person.respondent)
            assignment = Assignment.objects.create(
                episode=episode,
                plan=plan,
                instrument_id=instrument.id,
                respondent=person.respondent,
                respondent_key=person.key,
                respondent_user=person.user if person.respondent != "client" else None,
                remote=True,
                due_at=now,
            )
            audit_record(
                actor=None,
                action="create",
                obj=assignment,
                client_id=episode.client_id,
                practice_id=episode.practice_id,
                detail={"instrument": instrument.id, "discharge": True},
            )
            created.append(assignment)
    return created


# --- Links from home ------------------------------------------------------------------------


@transaction.atomic
def link_issue(
    *, actor: User | None, assignment: Assignment, now: datetime | None = None
) -> tuple[AccessLink, str]:
    """A fresh single-use link for an assignment. Earlier links for it stop working.

    Returns the link and its token; the token exists only here and in the email or the page
    that shows it once — the database keeps its hash.
    """
    if not assignment.is_open:
        raise ValidationError(_("This measure is no longer waiting to be completed."))
    if assignment.respondent == "therapist":
        raise ValidationError(_("Therapist ratings are completed on the session page."))
    now = now or timezone.now()
    if not assignment_available(assignment, now=now):
        raise ValidationError(not_yet_reason(assignment))
    if not respondent_still_linked(assignment):
        raise ValidationError(_("This guardian is no longer linked to the client."))
    assignment.links.filter(used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    hours = _link_hours(assignment)
    link = AccessLink.objects.create(
        assignment=assignment,
        token_hash=hash_token(token),
        expires_at=now + timedelta(hours=hours),
    )
    audit_record(
        actor=actor,
        action="link_issue",
        obj=assignment,
        client_id=assignment.episode.client_id,
        practice_id=assignment.episode.practice_id,
    )
    return link, token


@transaction.atomic
def link_failure_record(*, ip_address: str, now: datetime | None = None) -> bool:
    """Count one failed opening; True when the address was already over the limit.

    Once an address is over the limit nothing more is written, so a guesser cannot grow the
    table, and the block lifts a window after its last counted failure. Attempts older than
    the window are of no further use and are dropped."""
    now = now or timezone.now()
    if link_rate_limited(ip_address, now=now):
        return True
    LinkAttempt.objects.filter(at__lt=now - LINK_ATTEMPT_WINDOW).delete()
    LinkAttempt.objects.create(ip_address=ip_address, at=now, valid=False)
    return False


@transaction.atomic
def guardian_assignments_withdraw(*, client_id: int, guardian_id: int) -> int:
    """When a guardian link ends, their waiting forms are cancelled and their links die."""
    pending = Assignment.objects.filter(
        episode__client_id=client_id,
        respondent="guardian",
        respondent_user_id=guardian_id,
        status=Assignment.Status.PENDING,
    )
    AccessLink.objects.filter(
        assignment__in=pending, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    return pending.update(status=Assignment.Status.CANCELLED)


# --- Submitting -----------------------------------------------------------------------------


class AnswersInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Some answers need attention.")
        self.errors = errors


DRAFT_MAX_LENGTH = 2 * MAX_TEXT_LENGTH


@transaction.atomic
def draft_save(*, assignment: Assignment, answers: dict[str, Any]) -> None:
    """Keep what was typed so far, so that a reload or a dropped connection loses nothing."""
    instrument = get_instrument(
        assignment.instrument_id, practice_id=assignment.episode.practice_id
    )
    known = {item.link_id for item in instrument.items}
    # A draft keeps what can be kept: a NUL (which PostgreSQL cannot store, and nobody can see)
    # is left out, and an overlong answer is kept whole up to a bound, so the person can shorten
    # it after a reload; the submit then says what needs changing.
    draft = {
        key: str(value).replace("\x00", "")[:DRAFT_MAX_LENGTH]
        for key, value in answers.items()
        if key in known
    }
    Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.PENDING).update(
        draft=draft
    )


@transaction.atomic
def response_submit(
    *,
    assignment: Assignment,
    answers: dict[str, Any],
    mode: str,
    actor: User | None,
    link: AccessLink | None = None,
    language: str = "en",
) -> Response:
    """Store a completed form once, score it and raise alerts; all or nothing.

    `language` is the one the form was shown in, kept with the answers.

    A repeated submit (double click, retry after a network error) finds the stored response
    and returns it instead of storing a second one.
    """
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("episode__practice", "session", "plan")
        .get(pk=assignment.pk)
    )
    if locked.status != Assignment.Status.PENDING:
        # Completing stores the response in the same transaction, so only a form that is no
        # longer pending can have one: the common path spends no query looking for it.
        existing = Response.objects.filter(assignment=locked).first()
        if existing is not None:
            return existing
        raise ValidationError(_("This form is no longer waiting to be completed."))
    # Never a response for a session that has not happened (or a check-in before its time),
    # whichever page or link the answers came through.
    if not assignment_available(locked):
        raise ValidationError(not_yet_reason(locked))
    episode = locked.episode
    instrument = get_instrument(locked.instrument_id, practice_id=episode.practice_id)
    errors = validate_answers(instrument, answers)
    if errors:
        raise AnswersInvalid(errors)
    now = timezone.now()
    response = Response.scored(
        assignment=locked, instrument=instrument, answers=answers, mode=mode, completed_at=now
    )
    response.language = language
    response.save(force_insert=True)
    locked.status = Assignment.Status.COMPLETED
    locked.draft = {}
    locked.save(update_fields=["status", "draft"])
    if link is not None:
        AccessLink.objects.filter(pk=link.pk).update(used_at=now)
    audit_record(
        actor=actor,
        action="submit",
        obj=response,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"instrument": instrument.id, "mode": mode},
    )
    for flag in response.flags:
        alert_open(
            episode=episode,
            kind=Alert.Kind.RISK,
            urgent=flag["urgent"],
            reason=Alert.risk_reason(instrument.short_title, flag),
            source_response=response,
            session=locked.session,  # on the chart at the session the form belongs to
        )
    response_submitted.send(sender=Response, response=response)
    return response


# --- Sending links before remote sessions ---------------------------------------------------

REMOTE_MODALITIES = (Modality.VIDEO, Modality.PHONE)


def _link_hours(assignment: Assignment) -> int:
    """How long a link works: the measure plan's own life, else the practice's."""
    practice_hours = assignment.episode.practice.link_valid_hours
    plan = assignment.plan
    return plan.link_hours(practice_hours) if plan is not None else practice_hours


def _recipient(assignment: Assignment) -> str | None:
    """Who gets the link by email; None when there is nobody we may email."""
    client = assignment.episode.client
    if assignment.respondent == "client":
        return client.email or None
    if assignment.respondent == "guardian" and assignment.respondent_user is not None:
        link = client.guardian_links.filter(
            guardian=assignment.respondent_user, is_active=True, consent_to_contact=True
        ).first()
        return assignment.respondent_user.email if link else None
    return None


class TextRecipient(NamedTuple):
    phone: str
    language: str
    guardian: bool


def _text_recipient(assignment: Assignment) -> TextRecipient | None:
    """Who gets the link by text, with their yes and no STOP: the client for their own forms, a
    guardian for theirs, at the guardian's own number (never the child's) and only while their
    link allows contact. None when nobody may be texted."""
    client = assignment.episode.client
    if assignment.respondent == "client":
        if not client.may_text:
            return None
        return TextRecipient(client.phone, client_language(client), guardian=False)
    guardian = assignment.respondent_user
    if assignment.respondent != "guardian" or guardian is None:
        return None
    if not client.guardian_links.filter(
        guardian=guardian, is_active=True, consent_to_contact=True
    ).exists():
        return None
    phone = GuardianPhone.objects.filter(guardian=guardian).first()
    if phone is None or not phone.may_text:
        return None
    return TextRecipient(phone.phone, language_of(guardian), guardian=True)


def link_email(
    *, assignment: Assignment, token: str, base_url: str | None = None, reminder: bool = False
) -> bool:
    """Email a link; no clinical content in the message, only who asks and when."""

    to = _recipient(assignment)
    if to is None:
        return False
    episode = assignment.episode
    session = assignment.session
    zone = episode.practice.zone
    context = {
        "practice": episode.practice,
        "clinician": session.clinician if session else episode.primary_clinician,
        "session_start": timezone.localtime(session.scheduled_start, zone) if session else None,
        "link": absolute_url(reverse("measures:link_form", args=[token]), base_url),
        "valid_hours": _link_hours(assignment),
        "reminder": reminder,
        "for_child": assignment.respondent == "guardian",
        "about_session": assignment.instrument.kind == "alliance",
    }
    language = (
        client_language(episode.client)
        if assignment.respondent == "client"
        else language_of(assignment.respondent_user)
    )
    with writing_to(language):
        subject = (
            _("Reminder: a short form before your next session")
            if reminder
            else _("A short form before your next session")
        )
        body = render_to_string("measures/email/link.txt", context)
    send_mail(subject, body, None, [to])
    return True


@transaction.atomic
def link_send(*, actor: User, link: AccessLink, token: str) -> bool:
    """Email a link just issued (its token is only in hand now); an emailed link records when
    it went, so the worker does not send it again. False when there is nobody to email."""
    assignment = link.assignment
    if not link_email(assignment=assignment, token=token):
        return False
    AccessLink.objects.filter(pk=link.pk).update(sent_at=timezone.now())
    audit_record(
        actor=actor,
        action="link_email",
        obj=assignment,
        client_id=assignment.episode.client_id,
        practice_id=assignment.episode.practice_id,
    )
    return True


def links_send_due(*, now: datetime | None = None, base_url: str) -> int:
    """Send links ahead of video/phone sessions (and for between-session measures) and one
    reminder if still not done. Safe to run from several workers: each assignment is locked."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=168)
    sent = 0
    upcoming = Session.objects.filter(
        attendance=Attendance.SCHEDULED,
        scheduled_start__gt=now,
        scheduled_start__lte=horizon,
        episode__status__in=["active"],
    ).select_related("episode__practice", "episode__client", "clinician")
    for session in upcoming:
        practice = session.episode.practice
        if session.scheduled_start - timedelta(hours=practice.link_lead_hours) > now:
            continue
        remind_from = session.scheduled_start - timedelta(hours=practice.link_reminder_hours)
        for assignment in session_assignments_ensure(session=session):
            if not assignment.is_open or assignment.respondent == "therapist":
                continue
            if not (assignment.remote or session.modality in REMOTE_MODALITIES):
                continue
            if assignment.instrument.kind == "alliance":
                continue  # feedback is about the session: asked for when it has ended
            if not assignment_available(assignment, now=now):
                continue  # its plan's lead time has not come yet
            sent += _send_or_remind(
                assignment.pk, now=now, remind_from=remind_from, base_url=base_url
            )
    # Session feedback after video and phone sessions held in the last day (attendance recorded
    # as attended: nobody is asked to rate a session that did not happen); no reminder — an
    # unanswered feedback request is itself worth noticing.
    ended = Session.objects.filter(
        modality__in=REMOTE_MODALITIES,
        scheduled_start__gte=now - timedelta(hours=24),
        scheduled_start__lt=now,
        attendance=Attendance.ATTENDED,
        episode__status__in=["active"],
    )
    for session in ended:
        if session.scheduled_end > now:
            continue
        for assignment in session.assignments.filter(status=Assignment.Status.PENDING).exclude(
            respondent="therapist"
        ):
            if assignment.instrument.kind == "alliance":
                sent += _send_or_remind(
                    assignment.pk, now=now, remind_from=now, base_url=base_url, reminders=0
                )
    # Discharge measures have no session: sent once, with a reminder a day later.
    discharge = Assignment.objects.filter(
        status=Assignment.Status.PENDING, session__isnull=True, remote=True, due_at__lte=now
    ).exclude(respondent="therapist")
    for assignment in discharge.only("pk", "due_at"):
        remind_from = assignment.due_at + timedelta(hours=24)
        sent += _send_or_remind(assignment.pk, now=now, remind_from=remind_from, base_url=base_url)
    return sent


@transaction.atomic
def _send_or_remind(
    assignment_id: int,
    *,
    now: datetime,
    remind_from: datetime,
    base_url: str,
    reminders: int | None = None,
) -> int:
    """Send an assignment's link, or its next reminder when one is due: by email and, where the
    client agreed, by text. Nothing in the practice's quiet hours. `reminders` caps them for
    this kind of form (feedback gets none); by default the measure plan's, else the practice's."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("episode__practice", "episode__client", "session__clinician", "plan")
        .get(pk=assignment_id)
    )
    if not assignment.is_open:
        return 0
    practice = assignment.episode.practice
    local_hour = timezone.localtime(now, practice.zone).hour
    if in_quiet_hours(
        local_hour, quiet_from=practice.quiet_from_hour, quiet_until=practice.quiet_until_hour
    ):
        return 0  # the next run after the quiet hours sends it
    if reminders is None:
        plan = assignment.plan
        reminders = (
            plan.reminders
            if plan is not None and plan.reminders is not None
            else practice.link_reminders
        )
    sent_links = assignment.links.filter(sent_at__isnull=False)
    if not sent_links.exists():
        reminder = False
    elif reminder_due(
        now=now,
        first_reminder_at=remind_from,
        reminders_sent=sent_links.filter(reminder_sent_at__isnull=False).count(),
        limit=reminders,
        every=timedelta(hours=practice.link_reminder_every_hours),
    ):
        reminder = True
    else:
        return 0
    text_to = _text_recipient(assignment) if texts_enabled() else None
    if _recipient(assignment) is None and text_to is None:
        return 0
    link, token = link_issue(actor=None, assignment=assignment, now=now)
    link_email(assignment=assignment, token=token, base_url=base_url, reminder=reminder)
    if text_to is not None:
        _link_text(
            assignment=assignment, to=text_to, token=token, base_url=base_url, reminder=reminder
        )
    AccessLink.objects.filter(pk=link.pk).update(
        sent_at=now, reminder_sent_at=now if reminder else None
    )
    return 1


def _link_text(
    *, assignment: Assignment, to: TextRecipient, token: str, base_url: str, reminder: bool
) -> None:
    """The link by text message: the link and how to stop, nothing else. Not even the practice's
    name, which often says "therapy" on a lock screen anyone nearby can read, nor the child's
    name in a guardian's text; the person knows who asked them, and the page the link opens
    says it. A gateway that fails is recorded, and the email (when there is one) still went."""
    episode = assignment.episode
    link = absolute_url(reverse("measures:link_form", args=[token]), base_url)
    with writing_to(to.language):
        if to.guardian:
            body = (
                _("Reminder: a short form is waiting for you: %(link)s")
                if reminder
                else _("A short form for you to fill in: %(link)s")
            ) % {"link": link}
        else:
            body = (
                _("Reminder: your short form is waiting: %(link)s")
                if reminder
                else _("Your short form before your next session: %(link)s")
            ) % {"link": link}
        body += " " + _("Reply STOP to end these texts.")
    detail: dict[str, Any] = {"reminder": reminder, "sent": True}
    if to.guardian:
        detail["to"] = "guardian"
    try:
        send_text(to.phone, body)
    except TextNotSent as problem:
        detail.update(sent=False, problem=str(problem)[:200])
    audit_record(
        actor=None,
        action="link_text",
        obj=assignment,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail=detail,
    )
