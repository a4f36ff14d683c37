"""Read-only views of an episode's plan for other domains (chart markers, goal names)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from rapport import access
from rapport.accounts.models import User
from rapport.care.models import Episode
from rapport.people.models import Client
from rapport.plans.models import PlanGoal, PlanVersion


@dataclass(frozen=True)
class Sharing:
    """What of the young person's own data a reader of their plan may see: everything for the
    client and staff; for a guardian, what their link's confidentiality settings allow."""

    answers: bool = True  # scores and ratings, hence goal progress
    free_text: bool = True  # their own words, as on the problem list


def sharing_for(user: User, client: Client) -> Sharing:
    link = access.guardian_link_of(user, client)
    if link is None:
        return Sharing()
    return Sharing(answers=link.may_see_client_answers, free_text=link.may_see_client_free_text)


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
    versions = PlanVersion.objects.filter(episode=episode, proposed_at__isnull=False).order_by(
        "number"
    )
    markers = []
    for version in versions:
        if version.status == PlanVersion.Status.ACCEPTED and version.decided_at is not None:
            markers.append(
                PlanRevision(version.decided_at, version.number, f"plan v{version.number} accepted")
            )
        else:
            assert version.proposed_at is not None
            markers.append(
                PlanRevision(
                    version.proposed_at, version.number, f"plan v{version.number} proposed"
                )
            )
    return markers


def goal_titles(episode: Episode) -> dict[uuid.UUID, str]:
    """The latest title of every goal the episode's plan has ever had, by its stable key."""
    titles: dict[uuid.UUID, str] = {}
    goals = PlanGoal.objects.filter(version__episode=episode).order_by("version__number", "pk")
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


COMPARED_GOAL_FIELDS = ("title", "target_date", "benchmark", "family", "subscale", "target")


def _shown(obj: object, name: str) -> str:
    display = getattr(obj, f"get_{name}_display", None)
    value = display() if callable(display) else getattr(obj, name)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _label(model: type[PlanVersion] | type[PlanGoal], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()


def compare_versions(
    older: PlanVersion, newer: PlanVersion, *, private: bool = True
) -> VersionComparison:
    """What changed from one version to another: fields, and goals matched by their key.

    `private=False` leaves out the therapist's private formulation (for clients' eyes).
    """
    # The reason is shown with the version itself; private notes only where staff read.
    hidden = {"reason"} | (set() if private else {"private_formulation"})
    names = [f for f in PlanVersion.CONTENT_FIELDS if f not in hidden]
    fields = [
        FieldChange(_label(PlanVersion, n), _shown(older, n), _shown(newer, n))
        for n in names
        if _shown(older, n) != _shown(newer, n)
    ]
    before = {g.key: g for g in older.goals.prefetch_related("problems")}
    after = {g.key: g for g in newer.goals.prefetch_related("problems")}
    changed = []
    for key in before.keys() & after.keys():
        old, new = before[key], after[key]
        diffs = [
            FieldChange(_label(PlanGoal, n), _shown(old, n), _shown(new, n))
            for n in COMPARED_GOAL_FIELDS
            if _shown(old, n) != _shown(new, n)
        ]
        old_problems = ", ".join(sorted(p.title for p in old.problems.all()))
        new_problems = ", ".join(sorted(p.title for p in new.problems.all()))
        if old_problems != new_problems:
            diffs.append(FieldChange("Problems", old_problems, new_problems))
        if diffs:
            changed.append(GoalChange(new.title, diffs))
    return VersionComparison(
        older=older,
        newer=newer,
        fields=fields,
        goals_added=[g for k, g in after.items() if k not in before],
        goals_removed=[g for k, g in before.items() if k not in after],
        goals_changed=sorted(changed, key=lambda c: c.title),
    )
