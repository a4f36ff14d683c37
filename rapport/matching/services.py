"""Writes of the stuck-case review: opening one and completing it (which closes the alert that
started it, through the alerts app's own service)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import CLINICAL_STAFF_ROLES, User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_resolve
from rapport.alliance.models import Rupture
from rapport.alliance.services import rupture_open
from rapport.audit.services import audit_record
from rapport.care.models import Attendance, Episode, Session, SessionKind
from rapport.care.services import session_schedule
from rapport.core import case_review as rules
from rapport.core import fit_check as fit_rules
from rapport.matching.models import (
    ClientPreference,
    ConsultationRecord,
    FitCheck,
    FitCheckSettings,
    FitSuggestionDismissal,
    StuckCaseReview,
    TherapistProfile,
)
from rapport.people.models import Client

RESOLVED_BY_REVIEW = "Reviewed the case (stuck-case review): {decision}"


@transaction.atomic
def review_open(
    *,
    actor: User,
    episode: Episode,
    alert: Alert | None = None,
    rupture: Rupture | None = None,
) -> StuckCaseReview:
    """Open a review of the episode, from an alert, a rupture or by hand (neither given).

    An episode has one open review at a time: opening another returns the open one, so two
    clinicians of a team (or one from two alerts) work on the same review. The caller has
    checked that the alert or rupture may start a review (matching.queries)."""
    if alert is not None and rupture is not None:
        raise ValidationError(_("A review starts from one alert or one rupture, not both."))
    if not episode.is_open:
        raise ValidationError(_("This episode is closed: there is no case left to review."))
    Episode.objects.select_for_update().filter(pk=episode.pk).first()  # one open review each
    existing = episode.case_reviews.filter(status=StuckCaseReview.Status.OPEN).first()
    if existing is not None:
        return existing
    if alert is not None:
        trigger = rules.trigger_for_alert(alert.kind)
        if trigger is None or alert.episode_id != episode.pk:
            raise ValidationError(_("A review cannot start from this alert."))
    elif rupture is not None:
        if rupture.episode_id != episode.pk:
            raise ValidationError(_("A review cannot start from this rupture."))
        trigger = rules.Trigger.RUPTURE
    else:
        trigger = rules.Trigger.BY_HAND
    review = StuckCaseReview.objects.create(
        episode=episode,
        opened_by=actor,
        opened_at=timezone.now(),
        trigger=trigger.value,
        alert=alert,
        rupture=rupture,
    )
    audit_record(
        actor=actor,
        action="open",
        obj=review,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"trigger": trigger.value},
    )
    return review


@transaction.atomic
def review_complete(
    *,
    actor: User,
    review: StuckCaseReview,
    answers: dict[str, dict[str, str]],
    options: list[str],
    decision: str,
    follow_up_on: date,
    facts: dict[str, Any],
    today: date,
) -> StuckCaseReview:
    """Record what was found and decided, and close the alert that started the review."""
    locked = StuckCaseReview.objects.select_for_update().get(pk=review.pk)
    if not locked.is_open:
        raise ValidationError(_("This review has already been completed."))
    problems: dict[str, list[str]] = {}
    checklist = rules.checklist_problems({k: v.get("answer", "") for k, v in answers.items()})
    if checklist:
        problems["__all__"] = checklist
    if not options or any(o not in rules.Option.__members__.values() for o in options):
        problems["options"] = ["Choose at least one way forward."]
    if len(decision.strip()) < 5:
        problems["decision"] = ["Say what was decided (a few words at least)."]
    if (follow_up := rules.follow_up_problem(follow_up_on, today=today)) is not None:
        problems["follow_up_on"] = [follow_up]
    if problems:
        raise ValidationError(problems)
    locked.answers = {
        item.key: {
            "answer": answers[item.key]["answer"],
            "note": answers[item.key].get("note", "").strip(),
        }
        for item in rules.CHECKLIST
    }
    locked.options = [option.value for option in rules.Option if option.value in options]
    locked.decision = decision.strip()
    locked.follow_up_on = follow_up_on
    locked.facts = facts
    locked.decided_by = actor
    locked.completed_at = timezone.now()
    locked.status = StuckCaseReview.Status.DONE
    locked.save()
    if locked.alert is not None and locked.alert.status != Alert.Status.RESOLVED:
        alert_resolve(
            actor=actor,
            alert=locked.alert,
            note=RESOLVED_BY_REVIEW.format(decision=locked.decision),
        )
    audit_record(
        actor=actor,
        action="complete",
        obj=locked,
        client_id=locked.episode.client_id,
        practice_id=locked.episode.practice_id,
        detail={"options": locked.options, "follow_up_on": follow_up_on.isoformat()},
    )
    return locked


PROFILE_FIELDS = (
    "languages",
    "approaches",
    "populations",
    "modalities",
    "days",
    "hours",
    "capacity",
    "share_characteristics",
    "gender",
    "age_range",
    "cultural_background",
    "faith",
    "directive",
    "challenge",
)


@transaction.atomic
def therapist_profile_save(
    *, actor: User, therapist: User, details: dict[str, Any]
) -> TherapistProfile:
    """Create or update a therapist's profile (one per therapist). Without consent to show
    them, the self-described characteristics are not kept at all."""
    if not therapist.is_clinical_staff or therapist.practice_id is None:
        raise ValidationError(_("Only a clinician or a supervisor has a therapist profile."))
    values = {name: details[name] for name in PROFILE_FIELDS if name in details}
    if not values.get("share_characteristics"):
        values.update(gender="", age_range="", cultural_background="", faith="")
    profile, created = TherapistProfile.objects.select_for_update().update_or_create(
        user=therapist, defaults={"practice_id": therapist.practice_id, **values}
    )
    audit_record(
        actor=actor,
        action="create" if created else "update",
        obj=profile,
        practice_id=therapist.practice_id,
        detail={"fields": sorted(values)},
    )
    return profile


@transaction.atomic
def client_preferences_set(
    *, actor: User, client: Client, items: dict[str, tuple[str, str]]
) -> list[ClientPreference]:
    """Set the client's preferences about a therapist: one per kind, each a value and how much
    it matters; "no matter" keeps no value."""
    saved = []
    for kind, (value, strength) in items.items():
        if kind not in ClientPreference.Kind.values:
            raise ValidationError(_("Unknown preference: %(kind)s.") % {"kind": kind})
        if strength not in ClientPreference.Strength.values:
            raise ValidationError(_("Unknown strength: %(strength)s.") % {"strength": strength})
        if strength == ClientPreference.Strength.NO_MATTER:
            value = ""
        elif not value:
            raise ValidationError(_("Say what the client wants, or mark it as no matter."))
        preference, _created = ClientPreference.objects.update_or_create(
            client=client, kind=kind, defaults={"value": value, "strength": strength}
        )
        saved.append(preference)
    audit_record(
        actor=actor,
        action="update",
        obj=client,
        client_id=client.pk,
        practice_id=client.practice_id,
        detail={"therapist_preferences": sorted(items)},
    )
    return saved


# --- Fit checks ----------------------------------------------------------------------------------

MIN_WORDS = 3  # characters: "no", "-" say nothing a coordinator could act on


@transaction.atomic
def fit_check_request(
    *,
    actor: User,
    episode: Episode,
    starter: str,
    words: str,
    talk_first: bool = False,
    client_asked: bool = False,
    share_reason: bool = False,
    reason: str = "",
    preferences: dict[str, tuple[str, str]] | None = None,
) -> FitCheck:
    """Ask for a fit check of the episode (the caller has checked who may: rapport.access).

    A person has one active fit check of an episode at a time: asking again while one is active
    returns it, so a request sent twice is stored once. When the client wants to talk with their
    therapist first, a rupture opens for the therapist with the client's words (the alliance
    app's own service); a private request goes to the coordinator and nowhere else."""
    who = fit_rules.Starter(starter)
    Episode.objects.select_for_update().filter(pk=episode.pk).first()
    active = episode.fit_checks.filter(
        requested_by=actor, status__in=[s.value for s in fit_rules.ACTIVE]
    ).first()
    if active is not None:
        return active
    if not episode.is_open:
        raise ValidationError(_("This episode is closed."))
    problems: dict[str, list[str]] = {}
    if len(words.strip()) < MIN_WORDS:
        problems["words"] = ["Say in a few words what is not working."]
    if who is fit_rules.Starter.THERAPIST and reason not in FitCheck.Reason.values:
        problems["reason"] = ["Choose a reason."]
    if problems:
        raise ValidationError(problems)
    if preferences:
        client_preferences_set(actor=actor, client=episode.client, items=preferences)
    therapist = who is fit_rules.Starter.THERAPIST
    status = fit_rules.first_status(
        starter=who, talk_first=talk_first and not therapist, client_asked=client_asked
    )
    now = timezone.now()
    rupture = None
    if status is fit_rules.Status.OPEN:
        rupture = rupture_open(
            actor=actor,
            episode=episode,
            session=None,
            kind=Rupture.Kind.UNCLEAR,
            client_words=words,
            understanding="",
        )
    fit_check = FitCheck.objects.create(
        episode=episode,
        starter=who.value,
        requested_by=actor,
        requested_at=now,
        status=status.value,
        words=words.strip(),
        reason=reason if therapist else "",
        talk_first=talk_first and not therapist,
        client_asked=client_asked and therapist,
        share_reason=share_reason and not therapist,
        rupture=rupture,
        sent_to_coordinator_at=now if status is fit_rules.Status.WITH_COORDINATOR else None,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=fit_check,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"starter": who.value, "status": status.value},
    )
    return fit_check


def _fit_check_step(
    *, actor: User, fit_check: FitCheck, action: fit_rules.Action, note: str
) -> FitCheck:
    locked = FitCheck.objects.select_for_update().select_related("episode").get(pk=fit_check.pk)
    after = fit_rules.next_status(fit_rules.Status(locked.status), action)
    if after is None:
        raise ValidationError(
            _("This fit check is %(status)s.") % {"status": locked.get_status_display().lower()}
        )
    now = timezone.now()
    if action is fit_rules.Action.CLOSE:
        locked.closed_by, locked.closed_at, locked.closing_note = actor, now, note.strip()
    else:
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note.strip()
    if after is fit_rules.Status.APPROVED:
        locked.sent_to_coordinator_at = now
    locked.status = after.value
    locked.save()
    audit_record(
        actor=actor,
        action=action.value,
        obj=locked,
        client_id=locked.episode.client_id,
        practice_id=locked.episode.practice_id,
        detail={"status": after.value},
    )
    return locked


@transaction.atomic
def fit_check_approve(*, actor: User, fit_check: FitCheck, note: str = "") -> FitCheck:
    """The supervisor agrees with the therapist's request: it goes to the coordinator."""
    return _fit_check_step(
        actor=actor, fit_check=fit_check, action=fit_rules.Action.APPROVE, note=note
    )


@transaction.atomic
def fit_check_decline(*, actor: User, fit_check: FitCheck, note: str) -> FitCheck:
    """The supervisor does not agree, and says why (the therapist reads it)."""
    if len(note.strip()) < MIN_WORDS:
        raise ValidationError({"note": [_("Say why, for the therapist.")]})
    return _fit_check_step(
        actor=actor, fit_check=fit_check, action=fit_rules.Action.DECLINE, note=note
    )


@transaction.atomic
def fit_check_close(*, actor: User, fit_check: FitCheck, note: str) -> FitCheck:
    """Close a fit check: talked through with the therapist, or dealt with by the coordinator."""
    if len(note.strip()) < MIN_WORDS:
        raise ValidationError({"note": [_("Say how it ended.")]})
    return _fit_check_step(
        actor=actor, fit_check=fit_check, action=fit_rules.Action.CLOSE, note=note
    )


@transaction.atomic
def fit_suggestion_dismiss(*, actor: User, episode: Episode) -> FitSuggestionDismissal:
    """The therapist sets the suggestion aside; newer evidence brings it back."""
    Episode.objects.select_for_update().filter(pk=episode.pk).first()  # one per episode
    dismissal, _ = FitSuggestionDismissal.objects.update_or_create(
        episode=episode, defaults={"dismissed_by": actor, "dismissed_at": timezone.now()}
    )
    audit_record(
        actor=actor,
        action="dismiss",
        obj=dismissal,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
    )
    return dismissal


@transaction.atomic
def fit_check_settings_update(*, actor: User, settings: FitCheckSettings) -> FitCheckSettings:
    """Store a practice's fit-check settings; a value out of range is refused, not saved."""
    settings.full_clean()
    settings.save()
    audit_record(actor=actor, action="update", obj=settings, practice_id=settings.practice_id)
    return settings


# --- Candidates and the choice (issue 14, part 5) --------------------------------------------

CONSULTATION_MINUTES = (10, 30)  # short: a first meeting, not a session of therapy


def _may_take_over(fit_check: FitCheck, clinician: User) -> bool:
    episode = fit_check.episode
    return (
        clinician.is_active
        and clinician.role in CLINICAL_STAFF_ROLES
        and clinician.practice_id == episode.practice_id
        and clinician.pk != episode.primary_clinician_id
    )


@transaction.atomic
def fit_check_offer(*, actor: User, fit_check: FitCheck, offered: list[dict[str, Any]]) -> FitCheck:
    """The coordinator offers these candidates to the client, who chooses among them in the
    portal. `offered` is what the client is shown: each clinician with the strengths and the
    preferences met (rapport.matching.queries.offer_rows); never a caution."""
    locked = FitCheck.objects.select_for_update().select_related("episode").get(pk=fit_check.pk)
    if not locked.choosing:
        raise ValidationError(
            _("This fit check is %(status)s.") % {"status": locked.get_status_display().lower()}
        )
    ids = [int(row["clinician"]) for row in offered]
    clinicians = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    if not ids or len(set(ids)) != len(ids):
        raise ValidationError(_("Offer one or more different therapists."))
    if any(pk not in clinicians or not _may_take_over(locked, clinicians[pk]) for pk in ids):
        raise ValidationError(_("One of these therapists cannot take the client."))
    rows = [
        {
            "clinician": int(row["clinician"]),
            "strengths": [str(d) for d in row.get("strengths", [])],
            "met": [str(k) for k in row.get("met", [])],
        }
        for row in offered
    ]
    if locked.offered == rows:
        return locked  # offered twice (a double submit): one offer
    locked.offered = rows
    locked.offered_at = timezone.now()
    locked.save(update_fields=["offered", "offered_at"])
    audit_record(
        actor=actor,
        action="offer",
        obj=locked,
        client_id=locked.episode.client_id,
        practice_id=locked.episode.practice_id,
        detail={"clinicians": ids},
    )
    return locked


@transaction.atomic
def fit_check_choose(*, actor: User, fit_check: FitCheck, clinician: User) -> FitCheck:
    """Record the new therapist chosen: by the client (or guardian) among those offered, or by
    the coordinator where the client prefers that. The handoff (consent, transfer) follows
    elsewhere. Choosing the same therapist twice (a double submit) stores one choice."""
    locked = (
        FitCheck.objects.select_for_update().select_related("episode__client").get(pk=fit_check.pk)
    )
    if locked.status == FitCheck.Status.CHOSEN and locked.chosen_clinician_id == clinician.pk:
        return locked
    after = fit_rules.next_status(fit_rules.Status(locked.status), fit_rules.Action.CHOOSE)
    if after is None:
        raise ValidationError(
            _("This fit check is %(status)s.") % {"status": locked.get_status_display().lower()}
        )
    if not _may_take_over(locked, clinician):
        raise ValidationError(_("This therapist cannot take the client."))
    from_portal = not actor.is_practice_staff
    if from_portal and clinician.pk not in locked.offered_ids:
        raise ValidationError(_("Choose one of the therapists offered."))
    locked.chosen_clinician = clinician
    locked.chosen_at = timezone.now()
    locked.chosen_by = actor
    locked.status = after.value
    locked.save(update_fields=["chosen_clinician", "chosen_at", "chosen_by", "status"])
    audit_record(
        actor=actor,
        action="choose",
        obj=locked,
        client_id=locked.episode.client_id,
        practice_id=locked.episode.practice_id,
        detail={"clinician": clinician.pk, "by": "portal" if from_portal else "coordinator"},
    )
    return locked


@transaction.atomic
def consultation_book(
    *,
    actor: User,
    fit_check: FitCheck,
    clinician: User,
    scheduled_start: Any,
    duration_minutes: int,
    modality: str,
) -> Any:
    """Book a short consultation of the client with a possible new therapist: a care session of
    kind "consultation" (care.clock leaves it out of every count of the therapy)."""
    locked = FitCheck.objects.select_for_update().select_related("episode").get(pk=fit_check.pk)
    if not locked.choosing:
        raise ValidationError(
            _("This fit check is %(status)s.") % {"status": locked.get_status_display().lower()}
        )
    if not _may_take_over(locked, clinician):
        raise ValidationError(_("This therapist cannot take the client."))
    low, high = CONSULTATION_MINUTES
    if not low <= duration_minutes <= high:
        raise ValidationError(
            {
                "duration_minutes": [
                    _("A consultation is short: %(low)s to %(high)s minutes.")
                    % {"low": low, "high": high}
                ]
            }
        )
    session = session_schedule(
        actor=actor,
        episode=locked.episode,
        scheduled_start=scheduled_start,
        duration_minutes=duration_minutes,
        modality=modality,
        clinician=clinician,
        kind=SessionKind.CONSULTATION,
    )
    audit_record(
        actor=actor,
        action="consultation",
        obj=locked,
        client_id=locked.episode.client_id,
        practice_id=locked.episode.practice_id,
        detail={"clinician": clinician.pk, "session": session.pk},
    )
    return session


CONSULTATION_OUTCOMES = (
    Attendance.ATTENDED,
    Attendance.NO_SHOW,
    Attendance.CANCELLED_CLIENT,
    Attendance.CANCELLED_CLINICIAN,
)


@transaction.atomic
def consultation_record(
    *, actor: User, session: Session, attendance: str, note: str
) -> ConsultationRecord:
    """Record once how a consultation went: its attendance on the session, and a short note for
    the coordinator (who may call it is rapport.access.may_record_consultation)."""
    locked = Session.objects.select_for_update().select_related("episode").get(pk=session.pk)
    if not locked.is_consultation:
        raise ValidationError(
            _("Only a consultation with a possible new therapist is recorded here.")
        )
    if attendance not in CONSULTATION_OUTCOMES:
        raise ValidationError({"attendance": [_("Choose how the consultation went.")]})
    if locked.attendance != Attendance.SCHEDULED or hasattr(locked, "consultation_record"):
        raise ValidationError(_("This consultation is already recorded."))
    now = timezone.now()
    if locked.scheduled_start > now and attendance in (Attendance.ATTENDED, Attendance.NO_SHOW):
        raise ValidationError(
            {"attendance": [_("It has not taken place yet: only a cancellation can be recorded.")]}
        )
    locked.attendance = attendance
    locked.save(update_fields=["attendance", "updated_at"])
    record = ConsultationRecord.objects.create(
        session=locked, note=note.strip(), recorded_by=actor, recorded_at=now
    )
    # The attendance only: the note is the coordinator's to read, not the audit trail's to copy.
    audit_record(
        actor=actor,
        action="consultation_record",
        obj=locked,
        client_id=locked.episode.client_id,
        practice_id=locked.episode.practice_id,
        detail={"attendance": attendance, "note": bool(record.note)},
    )
    return record
