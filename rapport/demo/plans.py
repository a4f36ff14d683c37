"""Problem lists and treatment plans for the demo practice.

Every open episode gets a problem list (the referral in the client's words, and one or two more)
and a plan in two versions: the first agreed in the first weeks, the second after a review
around the sixth session, each with its reason and accepted by the client (a child's by their
parent, an adolescent's by both). Goals are judged from data, never marked met here: a measure
target on the measure the client already answers (PHQ-9 below 10 for adults, the check-in at
least 28 for young people), so whether it is met follows from the demo's measure histories; and
from the revision on, a 0–10 goal rating (adults) or a behaviour count (young people) taken in
session. Where the sessions since the second version reach its review schedule, the "plan review
due" alert is there, as `plans.services.plan_review_check` would have opened it (acknowledged by
the clinician when it is older than two weeks, like the demo's other alerts).

Rows are written with bulk inserts, like the rest of the demo.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.care.models import Attendance, Episode, EpisodeStatus, Session
from rapport.core.ages import age_band
from rapport.demo.data import DEMO_TIME_ZONE, ClientSpec
from rapport.people.models import GuardianLink
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

REVIEW_EVERY = 6  # sessions
FIRST_PLAN_SESSION = 2  # the plan is agreed at the second session
IN_SESSION = "Agreed in session; recorded by the therapist."
OPEN_FOR = timedelta(days=14)  # older plan-review alerts were seen to by the clinician
SEEN_NOTE = "Review booked for the next session; the client will bring their goal ratings."

ADULT_WORDS = (
    "I just don't feel like me any more",
    "My head won't switch off",
    "I've stopped doing the things I used to love",
    "I feel on edge all the time",
    "I want to stop avoiding things",
)
YOUNG_WORDS = (
    "I get a funny tummy before school",
    "Everything makes me cross",
    "I don't want to see anyone",
    "My brain keeps worrying at night",
)
ADULT_EXTRA = (
    ("Sleep", "I lie awake until three"),
    ("Confidence", "I feel useless"),
    ("Relationships at home", "We keep arguing"),
    ("Work", "I dread Monday mornings"),
)
YOUNG_EXTRA = (
    ("Sleep", "I can't fall asleep on my own"),
    ("Friendships", "Nobody wants to play with me"),
    ("School", "I hate going in"),
)


def _at(day: date, hour: int = 17) -> datetime:
    # The practice's wall clock, as the demo's sessions are: not the server's.
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(DEMO_TIME_ZONE))


def build_demo_plans(
    *,
    plan: tuple[ClientSpec, ...],
    episodes: list[Episode],
    sessions: list[Session],
    guardian_links: list[GuardianLink],
    users: dict[str, User],
    today: date,
    seed: int,
) -> dict[str, int]:
    """Problems, two accepted plan versions, goal ratings and counts; returns counts."""
    rng = random.Random(f"{seed}:plans")
    held: dict[int, list[Session]] = defaultdict(list)
    for session in sessions:
        if session.attendance == Attendance.ATTENDED:
            held[session.episode_id].append(session)
    guardians: dict[int, list[User]] = defaultdict(list)
    for link in guardian_links:
        guardians[link.client_id].append(link.guardian)

    rows: dict[str, list[Any]] = defaultdict(list)
    open_episodes = [
        (spec, episode)
        for spec, episode in zip(plan, episodes, strict=True)
        if episode.status != EpisodeStatus.CLOSED
    ]
    for spec, episode in open_episodes:
        client_user = users.get("client") if spec.has_login else None
        _episode_plan(
            rows,
            rng,
            spec=spec,
            episode=episode,
            held=sorted(held[episode.pk], key=lambda s: s.scheduled_start),
            guardians=guardians[episode.client_id],
            client_user=client_user,
            today=today,
        )

    Problem.objects.bulk_create(rows["problems"])
    ProblemChange.objects.bulk_create(
        ProblemChange(
            problem=p,
            at=p.created_at,
            by=p.created_by,
            action="created",
            changes={"title": [None, p.title]},
        )
        for p in rows["problems"]
    )
    PlanVersion.objects.bulk_create(rows["firsts"])
    for second in rows["seconds"]:
        second.based_on_id = second.based_on.pk
    PlanVersion.objects.bulk_create(rows["seconds"])
    PlanGoal.objects.bulk_create(rows["goals"])
    PlanGoal.problems.through.objects.bulk_create(
        PlanGoal.problems.through(plangoal_id=goal.pk, problem_id=problem.pk)
        for goal, problem in rows["goal_problems"]
    )
    PlanDecision.objects.bulk_create(rows["decisions"])
    for review in rows["reviews"]:
        review.version_id, review.revision_id = review.version.pk, review.revision.pk
    PlanReview.objects.bulk_create(rows["reviews"])
    GoalRating.objects.bulk_create(rows["ratings"])
    BehaviourCount.objects.bulk_create(rows["counts"])
    Alert.objects.bulk_create(rows["alerts"])
    return {
        "problems": len(rows["problems"]),
        "plan_versions": len(rows["firsts"]) + len(rows["seconds"]),
        "goal_ratings": len(rows["ratings"]),
        "plan_review_alerts": len(rows["alerts"]),
    }


def _episode_plan(
    rows: dict[str, list[Any]],
    rng: random.Random,
    *,
    spec: ClientSpec,
    episode: Episode,
    held: list[Session],
    guardians: list[User],
    client_user: User | None,
    today: date,
) -> None:
    clinician = episode.primary_clinician
    young = spec.is_minor
    start = _at(episode.start_date)
    main = Problem(
        episode=episode,
        title=spec.referral_reason[:120],
        client_words=rng.choice(YOUNG_WORDS if young else ADULT_WORDS),
        description=spec.referral_reason,
        status=Problem.Status.ACTIVE,
        measure_families=["checkin" if young else "phq9"],
        priority=1,
        created_at=start,
        created_by=clinician,
    )
    extra_title, extra_words = rng.choice(YOUNG_EXTRA if young else ADULT_EXTRA)
    extra = Problem(
        episode=episode,
        title=extra_title,
        client_words=extra_words,
        status=Problem.Status.ACTIVE,
        priority=2,
        created_at=start,
        created_by=clinician,
    )
    rows["problems"] += [main, extra]

    agreed_at = held[FIRST_PLAN_SESSION - 1].scheduled_start if len(held) >= 2 else start
    revised_index = min(len(held) - 1, FIRST_PLAN_SESSION - 1 + REVIEW_EVERY)
    revised_at = held[revised_index].scheduled_start if held else start
    revised_at = max(revised_at, agreed_at + timedelta(days=1))
    band = {"child": "guardian", "adolescent": "both"}
    reviewers = "client" if not young else band.get(_band(spec, today), "guardian")
    common = {
        "episode": episode,
        "author": clinician,
        "status": PlanVersion.Status.ACCEPTED,
        "shared_formulation": (
            "When things feel hard, avoiding them brings relief now but keeps the problem going."
        ),
        "private_formulation": "Predisposing, precipitating and maintaining factors (private).",
        "approach": "Weekly CBT sessions: noticing patterns, then small steps to change them.",
        "approach_tags": ["CBT", "family work"] if young else ["CBT"],
        "session_frequency": "Weekly",
        "modality": "in_person",
        "participants": "Client and parent" if young else "Client",
        "review_every": REVIEW_EVERY,
        "review_unit": PlanVersion.ReviewUnit.SESSIONS,
        "reviewers": reviewers,
    }
    first = PlanVersion(
        number=1,
        reason="First plan, agreed at the second session.",
        created_at=agreed_at,
        proposed_at=agreed_at,
        decided_at=agreed_at + timedelta(hours=1),
        **common,
    )
    second = PlanVersion(
        number=2,
        based_on=first,
        reason=f"Review after {REVIEW_EVERY} sessions: adding a goal to track week by week.",
        created_at=revised_at,
        proposed_at=revised_at,
        decided_at=revised_at + timedelta(hours=1),
        **common,
    )
    rows["firsts"].append(first)
    rows["seconds"].append(second)

    measure_key, extra_key = uuid.uuid4(), uuid.uuid4()
    target_date = episode.start_date + timedelta(weeks=16)
    measure_goal = {
        "key": measure_key,
        "title": "Feel happier at home and at school" if young else "Feel like myself again",
        "benchmark": PlanGoal.Benchmark.MEASURE_TARGET,
        "family": "checkin" if young else "phq9",
        "target": 28.0 if young else 10.0,
        "target_date": target_date,
        "position": 0,
    }
    tracked_goal = {
        "key": extra_key,
        "title": "Go to school every day" if young else "Do one thing I enjoy each day",
        "benchmark": PlanGoal.Benchmark.COUNT if young else PlanGoal.Benchmark.RATING,
        "target": 4.0 if young else 7.0,
        "target_date": target_date + timedelta(weeks=4),
        "position": 1,
    }
    for version, goals in ((first, [measure_goal]), (second, [measure_goal, tracked_goal])):
        assert version.decided_at is not None  # both demo versions are agreed
        for fields in goals:
            goal = PlanGoal(version=version, **fields)
            rows["goals"].append(goal)
            rows["goal_problems"].append((goal, main if fields["position"] == 0 else extra))
        for party, by in _deciders(reviewers, clinician, client_user, guardians):
            rows["decisions"].append(
                PlanDecision(
                    version=version,
                    decision=PlanDecision.Decision.ACCEPTED,
                    party=party,
                    by=by,
                    comment=IN_SESSION if by == clinician else "",
                    at=version.decided_at,
                )
            )
    rows["reviews"].append(
        PlanReview(
            episode=episode,
            version=first,
            working="Coming every week; the diary helps to spot patterns.",
            not_working="Hard to see progress from week to week.",
            changes="Add a goal we can track at every session.",
            revision=second,
            at=revised_at,
            by=clinician,
        )
    )
    assert second.decided_at is not None
    after = [s for s in held if s.scheduled_start > second.decided_at]
    for i, session in enumerate(after):
        if young:
            rows["counts"].append(
                BehaviourCount(
                    episode=episode,
                    goal_key=extra_key,
                    count=min(5, 2 + i // 2 + rng.randint(0, 1)),
                    session=session,
                    recorded_by=clinician,
                    recorded_at=session.scheduled_end,
                )
            )
        else:
            rows["ratings"].append(
                GoalRating(
                    episode=episode,
                    goal_key=extra_key,
                    value=min(10, 3 + i + rng.randint(0, 1)),
                    session=session,
                    recorded_by=clinician,
                    recorded_at=session.scheduled_end,
                )
            )
    if len(after) >= REVIEW_EVERY:
        opened_at = after[REVIEW_EVERY - 1].scheduled_end
        # Like the demo's other alerts: older than two weeks, the clinician has seen to it.
        seen = opened_at < _at(today, 0) - OPEN_FOR
        rows["alerts"].append(
            Alert.raised(
                episode=episode,
                kind=Alert.Kind.PLAN_REVIEW,
                reason=f"The plan is reviewed every {REVIEW_EVERY} sessions; "
                f"{REVIEW_EVERY} held since the last.",
                opened_at=opened_at,
            )
        )
        if seen:
            alert = rows["alerts"][-1]
            alert.status = Alert.Status.ACKNOWLEDGED
            alert.acknowledged_at = opened_at + timedelta(days=1)
            alert.acknowledged_by = clinician
            alert.acknowledgement_note = SEEN_NOTE


def _band(spec: ClientSpec, today: date) -> str:
    return str(age_band(spec.date_of_birth, today))


def _deciders(
    reviewers: str, clinician: User, client_user: User | None, guardians: list[User]
) -> list[tuple[str, User]]:
    """Who accepted: the client (in the portal, or in session recorded by the therapist) and
    the first guardian, as the version asks."""
    found = []
    if reviewers in ("client", "both"):
        found.append(("client", client_user or clinician))
    if reviewers in ("guardian", "both") and guardians:
        found.append(("guardian", guardians[0]))
    return found
