"""Reads of an episode's plan: its versions and goals, who still has to answer, whether a review
is due, and read-only views for other domains (chart markers, goal names)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop, ngettext

from rapport.accounts.models import Role, User
from rapport.care.clock import attended_since, booked_sessions
from rapport.care.models import Episode, Session
from rapport.consent import viewer_shared
from rapport.core.instruments import Instrument
from rapport.core.text import Phrase, plural_noop
from rapport.people.models import Client
from rapport.plans.goal_status import goal_target_words, measure_families
from rapport.plans.models import APPROACH_TAGS, PlanGoal, PlanReview, PlanVersion


@dataclass(frozen=True)
class Sharing:
    """What of the young person's own data a reader of their plan may see: everything for the
    client and staff; for a guardian, what their link's confidentiality settings allow."""

    answers: bool = True  # scores and ratings, hence goal progress
    free_text: bool = True  # their own words, as on the problem list


def sharing_for(user: User, client: Client) -> Sharing:
    link = client.guardian_link_for(user)
    if link is None:
        return Sharing()
    return Sharing(answers=link.may_see_client_answers, free_text=link.may_see_client_free_text)


def party_of(user: User) -> str:
    return "guardian" if user.role == Role.GUARDIAN else "client"


def portal_version(user: User, client: Client) -> PlanVersion | None:
    """The newest version shown to the client (never a draft), or None for a guardian whose
    link does not share plan summaries."""
    link = client.guardian_link_for(user)
    if link is not None and not link.may_see_plan_summary:
        return None
    episode = client.episodes.filter(status__in=["active", "on_hold"]).first()
    return latest_version(episode) if episode else None


@dataclass(frozen=True)
class PlanRevision:
    at: datetime
    number: int
    label: str


def plan_revisions(episode: Episode) -> list[PlanRevision]:
    """One marker per plan version that reached the client: when it was proposed or accepted.

    A version that was accepted is marked at its acceptance; one still waiting, or sent back
    with changes requested, at the moment it was proposed. Drafts are private work in progress.
    """
    versions = _versions(episode).filter(proposed_at__isnull=False).order_by("number")
    markers = []
    for version in versions:
        if version.status == PlanVersion.Status.ACCEPTED and version.decided_at is not None:
            markers.append(
                PlanRevision(
                    version.decided_at,
                    version.number,
                    gettext("plan v%(number)s accepted") % {"number": version.number},
                )
            )
        else:
            assert version.proposed_at is not None
            markers.append(
                PlanRevision(
                    version.proposed_at,
                    version.number,
                    gettext("plan v%(number)s proposed") % {"number": version.number},
                )
            )
    return markers


def goal_titles(episode: Episode) -> dict[uuid.UUID, str]:
    """The latest title of every goal the episode's plan has ever had, by its stable key."""
    titles: dict[uuid.UUID, str] = {}
    goals = viewer_shared(PlanGoal.objects.filter(version__episode=episode), episode.client_id)
    goals = goals.order_by("version__number", "pk")
    for key, title in goals.values_list("key", "title"):
        titles[key] = title
    return titles


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class GoalChange:
    title: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class VersionComparison:
    older: PlanVersion
    newer: PlanVersion
    fields: list[FieldChange]
    goals_added: list[PlanGoal]
    goals_removed: list[PlanGoal]
    goals_changed: list[GoalChange]

    @property
    def unchanged(self) -> bool:
        return not (self.fields or self.goals_added or self.goals_removed or self.goals_changed)


# What is compared, with the words the client reads (never a field's internal name), in the
# reader's language: the portal shows them to the client.
PLAN_LABELS = {
    "shared_formulation": gettext_noop("How we understand things"),
    "private_formulation": gettext_noop("Private formulation notes"),
    "approach": gettext_noop("What we will do"),
    "approach_tags": gettext_noop("Approaches"),
    "session_frequency": gettext_noop("How often we meet"),
    "modality": gettext_noop("How we meet"),
    "participants": gettext_noop("Who takes part"),
    "review": gettext_noop("Looking back together"),
    "reviewers": gettext_noop("Who reads and agrees the plan"),
}
# The choices' words (the models keep them in English: the record's language).
_CHOICE_WORDS = (
    gettext_noop("The client"),
    gettext_noop("The parent or guardian"),
    gettext_noop("The client and the parent or guardian"),
    gettext_noop("CBT"),
    gettext_noop("Exposure"),
    gettext_noop("Behavioural activation"),
    gettext_noop("Family work"),
    gettext_noop("Parent training"),
    gettext_noop("Psychoeducation"),
    gettext_noop("Relaxation"),
    gettext_noop("Sleep"),
    gettext_noop("Problem solving"),
)


def _review_words(version: PlanVersion) -> str:
    every = version.review_every
    if version.review_unit == PlanVersion.ReviewUnit.WEEKS:
        words = ngettext("every %(n)s week", "every %(n)s weeks", every)
    else:
        words = ngettext("every %(n)s session", "every %(n)s sessions", every)
    return words % {"n": every}


def _plan_values(version: PlanVersion, *, private: bool) -> dict[str, str]:
    tags = dict(APPROACH_TAGS)
    values = {
        "shared_formulation": version.shared_formulation.strip(),
        "approach": version.approach.strip(),
        "approach_tags": ", ".join(gettext(tags.get(t, t)) for t in version.approach_tags),
        "session_frequency": version.session_frequency.strip(),
        "modality": gettext(version.get_modality_display()) if version.modality else "",
        "participants": version.participants.strip(),
        "review": _review_words(version),
        "reviewers": gettext(version.get_reviewers_display()),
    }
    if private:
        values["private_formulation"] = version.private_formulation.strip()
    return values


def _goal_values(goal: PlanGoal, families: dict[str, Instrument]) -> dict[str, str]:
    """A goal's parts by the words the client reads, in the active language."""
    return {
        gettext("Goal"): goal.title,
        gettext("Aiming for"): goal_target_words(goal, families),
        gettext("By"): (
            date_format(goal.target_date, gettext("j F Y"))
            if goal.target_date
            else gettext("no date set")
        ),
        gettext("What it is for"): ", ".join(sorted(p.title for p in goal.problems.all())) or "—",
    }


def compare_versions(
    older: PlanVersion, newer: PlanVersion, *, private: bool = True
) -> VersionComparison:
    """What changed from one version to another, in words: the plan's parts, and goals matched
    by their key (a goal's measure, target and direction read as one "aiming for").

    `private=False` leaves out the therapist's private formulation (for clients' eyes).
    """
    before_values = _plan_values(older, private=private)
    after_values = _plan_values(newer, private=private)
    fields = [
        FieldChange(gettext(PLAN_LABELS[name]), before_values[name], after_values[name])
        for name in PLAN_LABELS
        if name in after_values and before_values[name] != after_values[name]
    ]
    families = measure_families(newer.episode.practice_id)
    before = {g.key: g for g in older.goals.prefetch_related("problems")}
    after = {g.key: g for g in newer.goals.prefetch_related("problems")}
    changed = []
    for key in before.keys() & after.keys():
        old, new = _goal_values(before[key], families), _goal_values(after[key], families)
        diffs = [
            FieldChange(label, old[label], new[label]) for label in old if old[label] != new[label]
        ]
        if diffs:
            changed.append(GoalChange(after[key].title, diffs))
    return VersionComparison(
        older=older,
        newer=newer,
        fields=fields,
        goals_added=[g for k, g in after.items() if k not in before],
        goals_removed=[g for k, g in before.items() if k not in after],
        goals_changed=sorted(changed, key=lambda c: c.title),
    )


def _versions(episode: Episode) -> QuerySet[PlanVersion]:
    """The episode's plan versions, without those a handoff's consent withholds from the staff
    member this request is for (rapport.consent): for a therapist a handoff brought in without
    the plan, the plan starts again with the versions they write."""
    return viewer_shared(PlanVersion.objects.filter(episode=episode), episode.client_id)


def latest_version(episode: Episode, *, include_draft: bool = False) -> PlanVersion | None:
    versions = _versions(episode)
    if not include_draft:
        versions = versions.exclude(status=PlanVersion.Status.DRAFT)
    return versions.order_by("-number").first()


def accepted_version(episode: Episode) -> PlanVersion | None:
    return _versions(episode).filter(status=PlanVersion.Status.ACCEPTED).order_by("-number").first()


def session_in_progress(episode: Episode, *, now: datetime | None = None) -> Session | None:
    """The session under way or just ended (within three hours of its start), if any: a
    rating or count taken now belongs to it."""
    now = now or timezone.now()
    return (
        booked_sessions(
            episode=episode,
            scheduled_start__lte=now + timedelta(minutes=15),
            scheduled_start__gte=now - timedelta(hours=3),
        )
        .order_by("-scheduled_start")
        .first()
    )


def _review_anchor(episode: Episode, accepted: PlanVersion) -> datetime:
    """Reviews count from the accepted version or the last review, whichever is later."""
    assert accepted.decided_at is not None
    last = PlanReview.objects.filter(episode=episode).order_by("-at").first()
    return max(accepted.decided_at, last.at) if last else accepted.decided_at


# The English of the plan alerts' reasons: stored so, said in the reader's language where an
# alert is shown (rapport.alerts.wording).
_DUE_WEEKS = plural_noop(
    "The plan is reviewed every %(n)s week; the last was %(day)s.",
    "The plan is reviewed every %(n)s weeks; the last was %(day)s.",
)
_DUE_SESSIONS = plural_noop(
    "The plan is reviewed every %(n)s session; %(held)s held since the last.",
    "The plan is reviewed every %(n)s sessions; %(held)s held since the last.",
)
PROMPTED_REVIEW = gettext_noop("%(kind)s: worth reviewing the plan with the client.")
CHANGES_ASKED = gettext_noop(
    "%(who)s asked for changes to the plan (version %(number)s): “%(comment)s”"
)
GUARDIAN_OF = gettext_noop("%(guardian)s (%(client)s's parent or guardian)")
# A version started by a review gives the review's changes as its reason (a page shows it).
REVIEW_REASON = gettext_noop("Plan review: %(changes)s")
REVIEW_AGREED = gettext_noop("changes agreed in review")
PLAN_ALERT_PHRASES: tuple[Phrase, ...] = (
    _DUE_WEEKS,
    _DUE_SESSIONS,
    PROMPTED_REVIEW,
    CHANGES_ASKED,
    GUARDIAN_OF,
    REVIEW_REASON,
    REVIEW_AGREED,
)


def plan_review_due_reason(episode: Episode, *, now: datetime | None = None) -> str | None:
    """Why a review is due by the accepted plan's schedule, or None when it is not."""
    accepted = accepted_version(episode)
    if accepted is None:
        return None
    now = now or timezone.now()
    since = _review_anchor(episode, accepted)
    every = accepted.review_every
    if accepted.review_unit == PlanVersion.ReviewUnit.WEEKS:
        if now - since >= timedelta(weeks=every):
            # The sweep runs outside any request, so the practice's own calendar day is named.
            day = timezone.localtime(since, episode.practice.zone)
            return _DUE_WEEKS[0 if every == 1 else 1] % {"n": every, "day": f"{day:%d %b %Y}"}
        return None
    attended = attended_since(episode, since=since, now=now)
    if attended >= every:
        return _DUE_SESSIONS[0 if every == 1 else 1] % {"n": every, "held": attended}
    return None


def episode_goals(version: PlanVersion | None) -> list[PlanGoal]:
    if version is None:
        return []
    return list(version.goals.prefetch_related("problems"))


def draft_of(episode: Episode) -> PlanVersion | None:
    return _versions(episode).filter(status="draft").first()


def pending_for(version: PlanVersion | None) -> set[str]:
    """Parties still to answer a proposed version."""
    if version is None or version.status != PlanVersion.Status.PROPOSED:
        return set()
    answered = set(version.decisions.values_list("party", flat=True))
    return version.parties() - answered
