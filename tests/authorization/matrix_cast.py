"""The measures, alerts and alliance objects this suite adds to the conftest's cast."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from rapport.alerts.models import Alert
from rapport.alliance.models import Rupture
from rapport.alliance.services import rupture_open
from rapport.care.models import Episode, Session
from rapport.measures.models import Assignment, MeasurePlan
from rapport.measures.models import Response as MeasureResponse
from rapport.measures.services import (
    draft_save,
    link_issue,
    measure_plan_set,
    response_submit,
    session_assignments_ensure,
)
from tests.conftest import Cast, assignment_for, make_session

# Measures and alerts: the conftest's cast has none, so this module adds them (add_measures).
PHQ9_NONE = {f"phq9-{n}": "0" for n in range(1, 10)}
PHQ9_RISK = {**PHQ9_NONE, "phq9-9": "1"}  # item 9 answered: an urgent risk alert
FEEDBACK = {"feedback-bond": "8", "feedback-goals": "8", "feedback-approach": "8"}
# What the adolescent wrote (and is still writing): never for the guardian's eyes.
TEEN_FREE_TEXT = "TEEN-FREE-TEXT-5d0e"
TEEN_DRAFT_TEXT = "TEEN-DRAFT-TEXT-a4b7"


@dataclass
class MatrixCast(Cast):
    """The conftest's cast and, for each of its three episodes (own, other, foreign), a PHQ-9
    plan, a pending assignment at the episode's session and a response completed earlier through
    a link, which answered item 9 and so opened an urgent alert. The adolescent has a session
    feedback with free text and a pending one; the guardian a pending check-in of their own.
    Each episode also has a rupture its primary clinician recorded (own, other, foreign)."""

    own_plan: MeasurePlan
    own_assignment: Assignment
    own_response: MeasureResponse
    own_alert: Alert
    other_plan: MeasurePlan
    other_assignment: Assignment
    other_response: MeasureResponse
    other_alert: Alert
    foreign_plan: MeasurePlan
    foreign_assignment: Assignment
    foreign_response: MeasureResponse
    foreign_alert: Alert
    link_token: str  # a valid link to own_assignment
    used_link_token: str  # the link own_response was submitted through
    adolescent_response: MeasureResponse  # session feedback, with TEEN_FREE_TEXT
    adolescent_assignment: Assignment  # the adolescent's next feedback: pending, TEEN_DRAFT_TEXT
    guardian_assignment: Assignment  # the guardian's own check-in about the adolescent
    own_rupture: Rupture
    other_rupture: Rupture
    foreign_rupture: Rupture
    # Objects later domains add (plans, ladders, ...), by name; see extensions.py.
    extra: dict[str, Any] = field(default_factory=dict)


def phq9_in_episode(
    episode: Episode, session: Session
) -> tuple[MeasurePlan, Assignment, MeasureResponse, Alert, str]:
    plan = measure_plan_set(
        actor=episode.primary_clinician,
        episode=episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    done = assignment_for(
        session_assignments_ensure(session=make_session(episode, days_from_now=-9, held=True)),
        "phq9",
    )
    link, token = link_issue(actor=None, assignment=done)
    response = response_submit(
        assignment=done, answers=PHQ9_RISK, mode=MeasureResponse.Mode.LINK, actor=None, link=link
    )
    pending = assignment_for(session_assignments_ensure(session=session), "phq9")
    alert = Alert.objects.get(source_response=response, urgent=True)
    return plan, pending, response, alert, token


def rupture_in_episode(episode: Episode) -> Rupture:
    return rupture_open(
        actor=episode.primary_clinician,
        episode=episode,
        session=None,
        kind="unclear",
        client_words="",
        understanding="",
    )


def add_measures(cast: Cast) -> MatrixCast:
    own = phq9_in_episode(cast.adult_episode, cast.adult_session)
    other = phq9_in_episode(cast.other_episode, cast.other_session)
    foreign = phq9_in_episode(cast.foreign_episode, cast.foreign_session)
    _, link_token = link_issue(actor=None, assignment=own[1])

    # The adolescent rates each session; from the second one on, the guardian checks in too.
    teen = cast.adolescent_episode
    teen_plan = {"actor": cast.clinician, "episode": teen, "schedule": "every_session"}
    measure_plan_set(family="feedback", respondent="client", **teen_plan)
    first = assignment_for(
        session_assignments_ensure(session=make_session(teen, days_from_now=-9, held=True)),
        "feedback",
    )
    teen_response = response_submit(
        assignment=first,
        answers={**FEEDBACK, "feedback-overall": "7", "feedback-better": TEEN_FREE_TEXT},
        mode=MeasureResponse.Mode.PORTAL,
        actor=cast.adolescent_client_user,
    )
    measure_plan_set(family="checkin", respondent="guardian", **teen_plan)
    second = session_assignments_ensure(session=make_session(teen, days_from_now=-2, held=True))
    by_respondent = {
        "client": assignment_for(second, "feedback"),
        "guardian": assignment_for(second, "checkin", "guardian"),
    }
    draft_save(assignment=by_respondent["client"], answers={"feedback-better": TEEN_DRAFT_TEXT})

    matrix_cast = MatrixCast(
        **{f.name: getattr(cast, f.name) for f in fields(Cast)},
        own_plan=own[0],
        own_assignment=own[1],
        own_response=own[2],
        own_alert=own[3],
        other_plan=other[0],
        other_assignment=other[1],
        other_response=other[2],
        other_alert=other[3],
        foreign_plan=foreign[0],
        foreign_assignment=foreign[1],
        foreign_response=foreign[2],
        foreign_alert=foreign[3],
        link_token=link_token,
        used_link_token=own[4],
        adolescent_response=teen_response,
        adolescent_assignment=by_respondent["client"],
        guardian_assignment=by_respondent["guardian"],
        own_rupture=rupture_in_episode(cast.adult_episode),
        other_rupture=rupture_in_episode(cast.other_episode),
        foreign_rupture=rupture_in_episode(cast.foreign_episode),
    )
    # Imported here: the extension modules import MatrixCast from this one.
    from tests.authorization.extensions import CAST_EXTENSIONS

    for extend in CAST_EXTENSIONS:
        extend(matrix_cast)
    return matrix_cast


def valid_link(cast: MatrixCast) -> str:
    return cast.link_token


def used_link(cast: MatrixCast) -> str:
    return cast.used_link_token
