"""Fear ladders: set-up, ordering and practice records; progress up the steps is read in
exposure.queries."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.core import exposure as rules
from rapport.exposure import queries
from rapport.exposure.models import Attempt, Ladder, Step
from rapport.exposure.queries import LadderOverview


def _check_goal(episode: Episode, goal_key: uuid.UUID | None) -> None:
    if goal_key is not None and goal_key not in queries.goal_titles(episode):
        raise ValidationError(_("That goal is not part of this client's plan."))


def _audit(
    actor: User | None, action: str, obj: Ladder | Step | Attempt, ladder: Ladder, **detail: object
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        client_id=ladder.episode.client_id,
        practice_id=ladder.episode.practice_id,
        detail=detail or None,
    )


# --- Ladders and steps ----------------------------------------------------------------------------


@transaction.atomic
def ladder_create(
    *,
    actor: User,
    episode: Episode,
    title: str,
    goal_key: uuid.UUID | None = None,
    steps: list[tuple[str, int]] | None = None,
) -> Ladder:
    """A new ladder; steps given as (situation, expected SUDS) are put easiest first."""
    title = title.strip()
    if not title:
        raise ValidationError(_("Give the ladder a title."))
    _check_goal(episode, goal_key)
    ladder = Ladder.objects.create(
        episode=episode, title=title, goal_key=goal_key, created_by=actor
    )
    _audit(actor, "create", ladder, ladder)
    ordered = sorted(steps or [], key=lambda step: step[1])  # stable: ties keep their order
    for situation, expected in ordered:
        step_add(actor=actor, ladder=ladder, situation=situation, expected_suds=expected)
    return ladder


@transaction.atomic
def ladder_update(
    *,
    actor: User,
    ladder: Ladder,
    title: str,
    goal_key: uuid.UUID | None,
    mastery_peak_suds: int,
    mastery_fall_percent: int,
    mastery_consecutive: int,
) -> Ladder:
    title = title.strip()
    if not title:
        raise ValidationError(_("Give the ladder a title."))
    if goal_key != ladder.goal_key:  # a goal since dropped from the plan may stay as it was
        _check_goal(ladder.episode, goal_key)
    try:
        rules.MasteryRule(mastery_peak_suds, mastery_fall_percent, mastery_consecutive)
    except ValueError as error:
        raise ValidationError(str(error)) from error
    ladder.title = title
    ladder.goal_key = goal_key
    ladder.mastery_peak_suds = mastery_peak_suds
    ladder.mastery_fall_percent = mastery_fall_percent
    ladder.mastery_consecutive = mastery_consecutive
    ladder.full_clean()
    ladder.save()
    _audit(actor, "update", ladder, ladder)
    return ladder


def _check_step(situation: str, expected_suds: int) -> str:
    situation = situation.strip()
    if not situation:
        raise ValidationError(_("Describe the situation."))
    try:
        rules.check_suds(expected_suds, "Expected distress")
    except ValueError as error:
        raise ValidationError(str(error)) from error
    return situation


def _renumber(ladder: Ladder, steps: list[Step]) -> None:
    for position, step in enumerate(steps, start=1):
        step.position = position
    Step.objects.bulk_update(steps, ["position"])


@transaction.atomic
def step_add(*, actor: User, ladder: Ladder, situation: str, expected_suds: int) -> Step:
    """A new step goes above every step expected to be as easy or easier (easiest first)."""
    situation = _check_step(situation, expected_suds)
    Ladder.objects.select_for_update().filter(pk=ladder.pk).first()  # one reorder at a time
    steps = list(ladder.steps.all())
    at = sum(1 for step in steps if step.expected_suds <= expected_suds)
    step = Step.objects.create(
        ladder=ladder, situation=situation, expected_suds=expected_suds, position=at + 1
    )
    steps.insert(at, step)
    _renumber(ladder, steps)
    _audit(actor, "create", step, ladder, expected_suds=expected_suds)
    return step


@transaction.atomic
def step_update(*, actor: User, step: Step, situation: str, expected_suds: int) -> Step:
    """Changes the words and the expected distress; the order stays as the clinician left it."""
    step.situation = _check_step(situation, expected_suds)
    step.expected_suds = expected_suds
    step.save(update_fields=["situation", "expected_suds"])
    _audit(actor, "update", step, step.ladder)
    return step


@transaction.atomic
def step_move(*, actor: User, step: Step, direction: str, seen_at: int | None = None) -> Step:
    """One place along the ladder: towards the easier steps or the harder ones.

    `seen_at` is the step's number (1 = easiest) on the page that was clicked: when the step is
    no longer there, this click was already carried out (a double click) and is not repeated.
    """
    if direction not in {"easier", "harder"}:
        raise ValidationError(_("Move a step towards the easier or the harder end."))
    Ladder.objects.select_for_update().filter(pk=step.ladder_id).first()
    steps = list(Step.objects.filter(ladder_id=step.ladder_id))
    index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = index + 1 if direction == "harder" else index - 1
    if seen_at is not None and seen_at != index + 1:
        other = -1
    if 0 <= other < len(steps):
        steps[index], steps[other] = steps[other], steps[index]
        _renumber(step.ladder, steps)
        _audit(actor, "reorder", step, step.ladder, direction=direction)
    step.refresh_from_db(fields=["position"])
    return step


# --- Practice attempts ------------------------------------------------------------------------


@transaction.atomic
def attempt_record(
    *,
    actor: User,
    step: Step,
    practised_on: dt.date,
    setting: str,
    anticipated_suds: int,
    peak_suds: int,
    end_suds: int | None = None,
    duration_minutes: int | None = None,
    notes: str = "",
    via: str = Attempt.Via.CLINIC,
) -> Attempt:
    errors: dict[str, str] = {}
    for name, value in (
        ("anticipated_suds", anticipated_suds),
        ("peak_suds", peak_suds),
        ("end_suds", end_suds),
    ):
        if value is not None and not rules.SUDS_MIN <= value <= rules.SUDS_MAX:
            errors[name] = "Distress is rated from 0 to 100."
    if end_suds is not None and end_suds > peak_suds and "peak_suds" not in errors:
        errors["end_suds"] = "The distress at the end cannot be above the peak."
    episode = step.ladder.episode
    # The practice's own calendar: the client's "today" there, wherever this runs.
    if practised_on > timezone.localdate(timezone.now(), episode.practice.zone):
        errors["practised_on"] = "The practice cannot be in the future."
    elif practised_on < episode.start_date:
        errors["practised_on"] = "That is before this episode of care began."
    if setting not in Attempt.Setting.values:
        errors["setting"] = "Choose in session or homework."
    if via not in Attempt.Via.values:
        raise ValidationError(_("Unknown way of recording."))
    if errors:
        raise ValidationError(errors)
    attempt = Attempt(
        step=step,
        practised_on=practised_on,
        setting=setting,
        anticipated_suds=anticipated_suds,
        peak_suds=peak_suds,
        end_suds=end_suds,
        duration_minutes=duration_minutes,
        notes=notes.strip(),
        recorded_by=actor,
        recorded_via=via,
    )
    attempt.full_clean()
    attempt.save()
    _audit(actor, "create", attempt, step.ladder, step=step.pk, via=via)
    return attempt


@transaction.atomic
def ladders_read(*, actor: User, episode: Episode) -> list[LadderOverview]:
    """The episode's ladders with their progress; reading them is audited."""
    ladders = list(Ladder.objects.filter(episode=episode).select_related("episode__client"))
    goals = queries.goal_titles(episode) if any(ladder.goal_key for ladder in ladders) else {}
    audit_record(
        actor=actor,
        action="list",
        object_type="exposure.ladder",
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"episode": episode.pk, "ladders": [ladder.pk for ladder in ladders]},
    )
    return [queries.ladder_overview(ladder, goals) for ladder in ladders]
