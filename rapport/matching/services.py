"""Writes of the stuck-case review: opening one and completing it (which closes the alert that
started it, through the alerts app's own service)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_resolve
from rapport.alliance.models import Rupture
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.core import case_review as rules
from rapport.matching.models import ClientPreference, StuckCaseReview, TherapistProfile
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
        raise ValidationError("A review starts from one alert or one rupture, not both.")
    if not episode.is_open:
        raise ValidationError("This episode is closed: there is no case left to review.")
    Episode.objects.select_for_update().filter(pk=episode.pk).first()  # one open review each
    existing = episode.case_reviews.filter(status=StuckCaseReview.Status.OPEN).first()
    if existing is not None:
        return existing
    if alert is not None:
        trigger = rules.trigger_for_alert(alert.kind)
        if trigger is None or alert.episode_id != episode.pk:
            raise ValidationError("A review cannot start from this alert.")
    elif rupture is not None:
        if rupture.episode_id != episode.pk:
            raise ValidationError("A review cannot start from this rupture.")
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
        raise ValidationError("This review has already been completed.")
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
)


@transaction.atomic
def therapist_profile_save(
    *, actor: User, therapist: User, details: dict[str, Any]
) -> TherapistProfile:
    """Create or update a therapist's profile (one per therapist). Without consent to show
    them, the self-described characteristics are not kept at all."""
    if not therapist.is_clinical_staff or therapist.practice_id is None:
        raise ValidationError("Only a clinician or a supervisor has a therapist profile.")
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
            raise ValidationError(f"Unknown preference: {kind}.")
        if strength not in ClientPreference.Strength.values:
            raise ValidationError(f"Unknown strength: {strength}.")
        if strength == ClientPreference.Strength.NO_MATTER:
            value = ""
        elif not value:
            raise ValidationError("Say what the client wants, or mark it as no matter.")
        preference, _ = ClientPreference.objects.update_or_create(
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
