"""Problem lists and treatment plans: writing, proposing, agreeing, reviewing.

Every write is audited; a version's content is frozen once proposed (see models), so a revision
starts a new draft copied from the latest version, goals keeping their keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open, alert_open_unless_open, alert_resolve
from rapport.audit.services import audit_record
from rapport.care.models import Episode, Session
from rapport.plans.goal_status import measure_families
from rapport.plans.models import (
    BehaviourCount,
    GoalRating,
    PlanDecision,
    PlanGoal,
    PlanReview,
    PlanVersion,
    Problem,
    ProblemChange,
)
from rapport.plans.queries import (
    CHANGES_ASKED,
    GUARDIAN_OF,
    PROMPTED_REVIEW,
    REVIEW_AGREED,
    REVIEW_REASON,
    latest_version,
    plan_review_due_reason,
)

PROBLEM_FIELDS = ("title", "client_words", "description", "onset", "status", "measure_families")
GOAL_FIELDS = (
    "title",
    "target_date",
    "benchmark",
    "family",
    "subscale",
    "target",
    "count_direction",
)
# Kinds of alert that say the plan may not be working: each suggests a review.
# "Not on track" covers both grades of the expected-response classification.
REVIEW_PROMPTS = frozenset(
    {Alert.Kind.AT_RISK, Alert.Kind.OFF_TRACK, Alert.Kind.DETERIORATION, Alert.Kind.GOALS_LOW}
)
UNRESOLVED = (Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED)


def _lock_episode(episode: Episode) -> Episode:
    """Plan moves of one episode (start, propose, answer, review) happen one at a time, so a
    double submit or two people at once meet a settled state rather than a half-made one."""
    return Episode.objects.select_for_update().get(pk=episode.pk)


def _audit(actor: User | None, action: str, obj: Any, episode: Episode, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail=detail or None,
    )


# --- Problem list -------------------------------------------------------------------------------


@transaction.atomic
def problem_add(*, actor: User, episode: Episode, **fields: Any) -> Problem:
    last = Problem.objects.filter(episode=episode).aggregate(top=Max("priority"))["top"] or 0
    problem = Problem.objects.create(
        episode=episode,
        priority=last + 1,
        created_at=timezone.now(),
        created_by=actor,
        **{name: fields[name] for name in PROBLEM_FIELDS},
    )
    ProblemChange.objects.create(
        problem=problem,
        at=problem.created_at,
        by=actor,
        action="created",
        changes={name: [None, fields[name]] for name in PROBLEM_FIELDS if fields[name]},
    )
    _audit(actor, "create", problem, episode)
    return problem


@transaction.atomic
def problem_update(*, actor: User, problem: Problem, **fields: Any) -> Problem:
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    changes = {
        name: [getattr(locked, name), fields[name]]
        for name in PROBLEM_FIELDS
        if getattr(locked, name) != fields[name]
    }
    if not changes:
        return locked
    for name in changes:
        setattr(locked, name, fields[name])
    locked.save()
    ProblemChange.objects.create(
        problem=locked, at=timezone.now(), by=actor, action="updated", changes=changes
    )
    _audit(actor, "update", locked, problem.episode, fields=sorted(changes))
    return locked


@transaction.atomic
def problems_reorder(*, actor: User, episode: Episode, order: list[int]) -> list[Problem]:
    """Set the agreed priorities: `order` lists every problem of the episode, first first."""
    problems = {p.pk: p for p in Problem.objects.select_for_update().filter(episode=episode)}
    if sorted(order) != sorted(problems) or len(set(order)) != len(order):
        raise ValidationError(_("The new order must list each problem of this episode once."))
    now = timezone.now()
    for priority, pk in enumerate(order, start=1):
        problem = problems[pk]
        if problem.priority != priority:
            change = {"priority": [problem.priority, priority]}
            problem.priority = priority
            problem.save(update_fields=["priority"])
            ProblemChange.objects.create(
                problem=problem, at=now, by=actor, action="reordered", changes=change
            )
    _audit(actor, "reorder", episode, episode, order=order)
    return [problems[pk] for pk in order]


@transaction.atomic
def problem_move(
    *, actor: User, problem: Problem, up: bool, seen_at: int | None = None
) -> list[Problem]:
    """One step up or down the list (the buttons that work without JavaScript).

    `seen_at` is the place (1 = first) the person saw the problem at: when it is no longer
    there, the click was already carried out (a double click), and is not carried out again.
    """
    _lock_episode(problem.episode)
    order = list(Problem.objects.filter(episode_id=problem.episode_id).values_list("pk", flat=True))
    at = order.index(problem.pk)
    if seen_at is not None and seen_at != at + 1:
        return list(Problem.objects.filter(episode_id=problem.episode_id))
    to = at - 1 if up else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return problems_reorder(actor=actor, episode=problem.episode, order=order)


# --- Plan versions ------------------------------------------------------------------------------


@transaction.atomic
def plan_draft_start(*, actor: User, episode: Episode, reason: str) -> PlanVersion:
    """A new draft: the first plan, or a revision copied from the latest version."""
    if not reason.strip():
        raise ValidationError(_("Say why this version is needed."))
    _lock_episode(episode)
    if PlanVersion.objects.filter(episode=episode, status=PlanVersion.Status.DRAFT).exists():
        raise ValidationError(_("This episode already has a draft plan: finish that one first."))
    base = latest_version(episode)
    top = PlanVersion.objects.filter(episode=episode).aggregate(n=Max("number"))["n"] or 0
    content = {f: getattr(base, f) for f in PlanVersion.CONTENT_FIELDS} if base else {}
    content["reason"] = reason.strip()
    if base is None:
        content["reviewers"] = _default_reviewers(episode)
    draft = PlanVersion.objects.create(
        episode=episode,
        number=top + 1,
        based_on=base,
        author=actor,
        created_at=timezone.now(),
        **content,
    )
    for goal in base.goals.prefetch_related("problems") if base else []:
        copy = PlanGoal.objects.create(
            version=draft,
            key=goal.key,
            position=goal.position,
            **{f: getattr(goal, f) for f in GOAL_FIELDS},
        )
        copy.problems.set(goal.problems.all())
    _audit(actor, "create", draft, episode, number=draft.number, based_on=base and base.number)
    return draft


@transaction.atomic
def plan_drafts_set_aside(*, actor: User, episode: Episode, reason: str) -> int:
    """Close the episode's unfinished draft when its author is gone and the draft cannot go on:
    after a handoff that did not share the plan, the new therapist may neither see the old
    therapist's draft nor start their own while it exists (one draft per episode). It is kept,
    marked as replaced before an answer, for the supervisor's history."""
    drafts = list(
        PlanVersion.objects.select_for_update().filter(
            episode=episode, status=PlanVersion.Status.DRAFT
        )
    )
    for draft in drafts:
        draft.status = PlanVersion.Status.SUPERSEDED
        draft.save(update_fields=["status"])
        _audit(actor, "update", draft, episode, status="superseded", reason=reason)
    return len(drafts)


def _default_reviewers(episode: Episode) -> str:
    if not _guardian_can_review(episode):
        return PlanVersion.Reviewers.CLIENT
    band = str(episode.client.age_band())
    return {"child": "guardian", "adolescent": "both"}.get(band, "client")


def _guardian_can_review(episode: Episode) -> bool:
    """A guardian answers in the portal only through an active link that shares the plan."""
    return episode.client.guardian_links.filter(is_active=True, may_see_plan_summary=True).exists()


def _check_reviewers(episode: Episode, reviewers: str) -> None:
    """A child's plan goes to the guardian; an adolescent reviews their own plan, with the
    guardian too where the clinician chooses; the guardian must be able to read it."""
    band = str(episode.client.age_band())
    if reviewers == PlanVersion.Reviewers.CLIENT and band == "child":
        raise ValidationError(_("A child's plan is reviewed by their parent or guardian."))
    if reviewers == PlanVersion.Reviewers.GUARDIAN and band != "child":
        raise ValidationError(
            _("The client reviews their own plan; choose both to include the parent or guardian.")
        )
    if reviewers != PlanVersion.Reviewers.CLIENT and not _guardian_can_review(episode):
        raise ValidationError(
            _("No parent or guardian linked to this client may read the plan in the portal.")
        )


def _require_draft(version: PlanVersion) -> None:
    if version.status != PlanVersion.Status.DRAFT:
        raise ValidationError(_("This version has been proposed; start a revision to change it."))


def _locked_draft(version: PlanVersion) -> PlanVersion:
    """The draft, held until the change is saved, so a goal can't slip in as it is proposed."""
    locked = PlanVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(locked)
    return locked


class EditConflict(ValidationError):
    """Someone else saved the same draft (or goal) after this form was loaded.

    `current` is the object as they left it, so the form can show their change beside yours.
    """

    def __init__(self, message: str, *, current: PlanVersion | PlanGoal) -> None:
        super().__init__(message, code="edit_conflict")
        self.current = current


def _check_not_changed_since(obj: PlanVersion | PlanGoal, based_on_edits: int | None) -> None:
    if based_on_edits is not None and obj.edits != based_on_edits:
        raise EditConflict(
            "Someone else saved this while you were editing it, so yours was not saved. What they "
            "saved is shown next to yours; your text is still in the form: check both, then "
            "save again to keep yours.",
            current=obj,
        )


@transaction.atomic
def plan_draft_update(
    *, actor: User, version: PlanVersion, based_on_edits: int | None = None, **content: Any
) -> PlanVersion:
    """Save draft content. With `based_on_edits` (the edit count the form was loaded at) a save
    over someone else's newer save is refused with `EditConflict` instead of overwriting it."""
    locked = PlanVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(locked)
    _check_not_changed_since(locked, based_on_edits)
    if not str(content.get("reason", locked.reason)).strip():
        raise ValidationError(_("Say why this version is needed."))
    if "reviewers" in content:
        _check_reviewers(version.episode, content["reviewers"])
    for name, value in content.items():
        if name not in PlanVersion.CONTENT_FIELDS:
            raise ValueError(f"not plan content: {name}")
        setattr(locked, name, value)
    locked.edits += 1
    locked.edited_by = actor
    locked.edited_at = timezone.now()
    locked.save()
    _audit(actor, "update", locked, version.episode, fields=sorted(content), edits=locked.edits)
    return locked


@transaction.atomic
def goal_add(
    *, actor: User, version: PlanVersion, problems: list[Problem], **fields: Any
) -> PlanGoal:
    version = _locked_draft(version)
    _check_goal(version, problems, fields)
    top = version.goals.aggregate(p=Max("position"))["p"]
    goal = PlanGoal.objects.create(
        version=version,
        position=0 if top is None else top + 1,
        **{f: fields[f] for f in GOAL_FIELDS},
    )
    goal.problems.set(problems)
    _audit(actor, "create", goal, version.episode, version=version.number)
    return goal


@transaction.atomic
def goal_update(
    *,
    actor: User,
    goal: PlanGoal,
    problems: list[Problem],
    based_on_edits: int | None = None,
    **fields: Any,
) -> PlanGoal:
    goal.version = _locked_draft(goal.version)
    # The draft's lock serialises goal saves too, so the stored count read under it is current.
    stored = PlanGoal.objects.get(pk=goal.pk)
    _check_not_changed_since(stored, based_on_edits)
    _check_goal(goal.version, problems, fields)
    for name in GOAL_FIELDS:
        setattr(goal, name, fields[name])
    goal.edits = stored.edits + 1
    goal.save()
    goal.problems.set(problems)
    _audit(actor, "update", goal, goal.version.episode, version=goal.version.number)
    return goal


@transaction.atomic
def goal_remove(*, actor: User, goal: PlanGoal) -> None:
    goal.version = _locked_draft(goal.version)
    _audit(actor, "delete", goal, goal.version.episode, key=str(goal.key))
    goal.delete()


def _check_goal(version: PlanVersion, problems: list[Problem], fields: dict[str, Any]) -> None:
    if any(p.episode_id != version.episode_id for p in problems):
        raise ValidationError(_("A goal can only address problems of this episode."))
    needs_measure = fields["benchmark"] in {"measure_target", "reliable_improvement"}
    if needs_measure and not fields["family"]:
        raise ValidationError(_("Choose the measure this goal is judged on."))
    if fields["benchmark"] != "reliable_improvement" and fields["target"] is None:
        raise ValidationError(_("Give the target this goal should reach."))
    if fields["benchmark"] == "rating" and not 0 <= fields["target"] <= 10:
        raise ValidationError(_("A rating target is between 0 and 10."))
    if needs_measure:
        _check_measure(version, fields)


def _check_measure(version: PlanVersion, fields: dict[str, Any]) -> None:
    """The measure, subscale and target must be ones the data can ever answer."""
    instrument = measure_families(version.episode.practice_id).get(fields["family"])
    if instrument is None:
        raise ValidationError(_("Choose a measure the client answers."))
    subscale = fields.get("subscale") or ""
    if subscale and subscale not in instrument.subscales:
        names = ", ".join(sorted(instrument.subscales)) or "none"
        raise ValidationError(
            _("The %(measure)s has no subscale %(subscale)r (its subscales: %(names)s).")
            % {"measure": instrument.short_title, "subscale": subscale, "names": names}
        )
    if fields["benchmark"] == "reliable_improvement":
        if subscale:
            # Published reliability and norms are for the total; a subscale's would differ.
            raise ValidationError(_("Reliable improvement is judged on the total score only."))
        return
    low, high = instrument.score_range
    if not subscale and not low <= fields["target"] <= high:
        raise ValidationError(
            _("The %(measure)s scores from %(low)s to %(high)s: choose a target within that range.")
            % {"measure": instrument.short_title, "low": f"{low:g}", "high": f"{high:g}"}
        )


@transaction.atomic
def plan_propose(*, actor: User, version: PlanVersion) -> PlanVersion:
    episode = _lock_episode(version.episode)
    locked = PlanVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status == PlanVersion.Status.PROPOSED:
        return locked  # proposed twice (a double click) is proposed once
    _require_draft(locked)
    if not locked.goals.exists():
        raise ValidationError(_("A plan needs at least one goal before it is proposed."))
    _check_reviewers(episode, locked.reviewers)
    now = timezone.now()
    # Only the newest proposal may be answered: one still waiting is replaced, not left open.
    waiting = PlanVersion.objects.filter(episode=episode, status=PlanVersion.Status.PROPOSED)
    for older in waiting:
        older.status = PlanVersion.Status.SUPERSEDED
        older.decided_at = now
        older.save(update_fields=["status", "decided_at"])
        _audit(actor, "supersede", older, episode, number=older.number, by=locked.number)
    locked.status = PlanVersion.Status.PROPOSED
    locked.proposed_at = now
    locked.save(update_fields=["status", "proposed_at"])
    _audit(actor, "propose", locked, episode, number=locked.number)
    # A new version is an answer to every request for changes still waiting for one.
    _changes_alerts_resolve(
        actor, episode, f"Answered with version {locked.number} of the plan, proposed."
    )
    return locked


@transaction.atomic
def plan_decide(
    *, user: User, version: PlanVersion, party: str, accept: bool, comment: str
) -> PlanVersion:
    """A client or guardian accepts the proposed version or asks for changes (with why).

    The same answer sent again (a double click, a retry) changes nothing and is not an error.
    """
    episode = _lock_episode(version.episode)
    locked = PlanVersion.objects.select_for_update().get(pk=version.pk)
    given = PlanDecision.objects.filter(version=locked, party=party).first()
    if given is not None:
        if given.decision == ("accepted" if accept else "changes_requested"):
            return locked
        answered = {
            "client": _("The client's answer to this version is already recorded."),
            "guardian": _("The guardian's answer to this version is already recorded."),
        }
        raise ValidationError(answered[party])
    if locked.status != PlanVersion.Status.PROPOSED or not episode.is_open:
        raise ValidationError(_("This version is no longer waiting for an answer."))
    if party not in locked.parties():
        raise ValidationError(_("Your therapist has not asked you to review this plan."))
    if not accept and len(comment.strip()) < 3:
        raise ValidationError(_("Tell your therapist what you would like to change."))
    now = timezone.now()
    decision = PlanDecision.objects.create(
        version=locked,
        decision="accepted" if accept else "changes_requested",
        party=party,
        by=user,
        comment=comment.strip(),
        at=now,
    )
    accepted_by = set(locked.decisions.filter(decision="accepted").values_list("party", flat=True))
    if not accept:
        locked.status = PlanVersion.Status.CHANGES_REQUESTED
    elif locked.parties() <= accepted_by:
        locked.status = PlanVersion.Status.ACCEPTED
    if locked.status != PlanVersion.Status.PROPOSED:
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at"])
    _audit(user, decision.decision, locked, locked.episode, party=party)
    if not accept and not decision.in_session:
        # Asked from the portal: the therapist would otherwise not know until they looked.
        alert_open(
            episode=episode,
            kind=Alert.Kind.PLAN_CHANGES,
            reason=_changes_reason(decision, episode),
            actor=user,
        )
    if locked.status == PlanVersion.Status.ACCEPTED:
        # Agreeing a new version is the review the schedule asked for.
        day = timezone.localtime(now, episode.practice.zone)
        for alert in Alert.objects.filter(
            episode=episode, kind=Alert.Kind.PLAN_REVIEW, status__in=UNRESOLVED
        ):
            alert_resolve(
                actor=user,
                alert=alert,
                note=f"Version {locked.number} of the plan accepted on {day:%d %b %Y}.",
            )
    return locked


def _changes_reason(decision: PlanDecision, episode: Episode) -> str:
    """The alert's words: who asked, and what they asked for (staff read alerts, nobody else)."""
    client = episode.client
    name = client.preferred_name.strip() or client.full_name
    if decision.party == "guardian":
        who = GUARDIAN_OF % {"guardian": decision.by.full_name, "client": name}
    else:
        who = name
    number = decision.version.number
    return CHANGES_ASKED % {"who": who, "number": number, "comment": decision.comment}


def _changes_alerts_resolve(actor: User, episode: Episode, note: str) -> None:
    for alert in Alert.objects.filter(
        episode=episode, kind=Alert.Kind.PLAN_CHANGES, status__in=UNRESOLVED
    ):
        alert_resolve(actor=actor, alert=alert, note=note)


@transaction.atomic
def plan_changes_reply(*, actor: User, decision: PlanDecision, reply: str) -> PlanDecision:
    """The therapist answers a request for changes in words; the person who asked reads it in
    the portal. One reply per request: the same reply sent again changes nothing."""
    episode = _lock_episode(decision.version.episode)
    locked = PlanDecision.objects.select_for_update().get(pk=decision.pk)
    text = reply.strip()
    if locked.decision != PlanDecision.Decision.CHANGES_REQUESTED:
        raise ValidationError(_("Only a request for changes can be answered."))
    if locked.reply:
        if locked.reply == text:
            return locked
        raise ValidationError(_("This request has been answered already."))
    if len(text) < 3:
        raise ValidationError(_("Write your answer to the request."))
    locked.reply = text
    locked.replied_by = actor
    locked.replied_at = timezone.now()
    locked.save(update_fields=["reply", "replied_by", "replied_at"])
    _audit(actor, "reply", locked, episode, party=locked.party, version=locked.version.number)
    latest = latest_version(episode)
    waiting = PlanDecision.objects.filter(
        version=latest, decision=PlanDecision.Decision.CHANGES_REQUESTED, reply=""
    )
    if not waiting.exists():
        _changes_alerts_resolve(actor, episode, f"{actor.full_name} answered the request.")
    return locked


# --- Progress data ------------------------------------------------------------------------------


def _check_key(episode: Episode, goal_key: uuid.UUID) -> None:
    if not PlanGoal.objects.filter(version__episode=episode, key=goal_key).exists():
        raise ValidationError(_("That goal is not part of this client's plan."))


def _check_session(episode: Episode, session: Session | None) -> None:
    if session is not None and session.episode_id != episode.pk:
        raise ValidationError(_("That session belongs to another episode."))


@transaction.atomic
def goal_rating_record(
    *,
    actor: User,
    episode: Episode,
    goal_key: uuid.UUID,
    value: int,
    session: Session | None = None,
) -> GoalRating:
    _check_key(episode, goal_key)
    _check_session(episode, session)
    if not 0 <= value <= 10:
        raise ValidationError(_("A rating is between 0 and 10."))
    rating = GoalRating.objects.create(
        episode=episode,
        goal_key=goal_key,
        value=value,
        session=session,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    _audit(actor, "create", rating, episode, goal=str(goal_key))
    return rating


@transaction.atomic
def behaviour_count_record(
    *,
    actor: User,
    episode: Episode,
    goal_key: uuid.UUID,
    count: int,
    session: Session | None = None,
) -> BehaviourCount:
    _check_key(episode, goal_key)
    _check_session(episode, session)
    record = BehaviourCount.objects.create(
        episode=episode,
        goal_key=goal_key,
        count=count,
        session=session,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    _audit(actor, "create", record, episode, goal=str(goal_key))
    return record


# --- Reviews ------------------------------------------------------------------------------------


@transaction.atomic
def plan_review_check(*, episode: Episode, now: datetime | None = None) -> Alert | None:
    """Open a "plan review due" alert when the schedule is reached (one at a time)."""
    reason = plan_review_due_reason(episode, now=now)
    if reason is None:
        return None
    return alert_open_unless_open(episode=episode, kind=Alert.Kind.PLAN_REVIEW, reason=reason)


def plan_reviews_check_all(*, now: datetime | None = None) -> int:
    """The periodic sweep (weeks-based schedules fall due without any session being saved)."""
    episodes = Episode.objects.filter(
        status__in=["active", "on_hold"], plan_versions__status=PlanVersion.Status.ACCEPTED
    ).distinct()
    return sum(1 for episode in episodes if plan_review_check(episode=episode, now=now))


# No savepoint: it runs inside every submission, and mostly finds nothing to do.
@transaction.atomic(savepoint=False)
def plan_review_prompted(*, alert: Alert) -> Alert | None:
    """An off-track, deterioration or low-goals alert asks for a look at the plan."""
    if alert.kind not in REVIEW_PROMPTS:
        return None
    episode = alert.episode
    has_plan = PlanVersion.objects.filter(episode=episode).exclude(status="draft").exists()
    if not has_plan:
        return None
    # A stored reason is in English, whoever's language the page that raised it was in.
    with translation.override("en"):
        kind = str(alert.get_kind_display())
    return alert_open_unless_open(
        episode=episode,
        kind=Alert.Kind.PLAN_REVIEW,
        reason=PROMPTED_REVIEW % {"kind": kind},
        session=alert.session,
    )


@transaction.atomic
def plan_review_record(
    *,
    actor: User,
    episode: Episode,
    working: str,
    not_working: str,
    changes: str,
    revise: bool,
) -> PlanReview:
    """Record a review; it resolves open plan-review alerts and may start a revision."""
    _lock_episode(episode)
    reviewed = latest_version(episode)
    if reviewed is None:
        raise ValidationError(_("There is no plan to review yet."))
    review = PlanReview.objects.create(
        episode=episode,
        version=reviewed,
        working=working.strip(),
        not_working=not_working.strip(),
        changes=changes.strip(),
        at=timezone.now(),
        by=actor,
    )
    if revise:
        reason = REVIEW_REASON % {"changes": changes.strip() or REVIEW_AGREED}
        review.revision = plan_draft_start(actor=actor, episode=episode, reason=reason)
        review.save(update_fields=["revision"])
    _audit(actor, "create", review, episode, version=reviewed.number)
    open_alerts = Alert.objects.filter(
        episode=episode, kind=Alert.Kind.PLAN_REVIEW, status__in=UNRESOLVED
    )
    for alert in open_alerts:
        day = timezone.localtime(review.at, episode.practice.zone)
        alert_resolve(actor=actor, alert=alert, note=f"Plan reviewed on {day:%d %b %Y}.")
    return review
