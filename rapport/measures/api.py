"""API: the measures of an episode (plans, forms waiting, responses) and answering a form."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from ninja.params import functions as params
from pydantic import Field

from rapport import access
from rapport.api.auth import caller, idempotent
from rapport.api.schemas import REFUSALS, Refusal, Strict
from rapport.care.models import Episode
from rapport.consent import viewer_shared
from rapport.core.schedules import LEAD_HOURS_DEFAULT, LEAD_HOURS_MAX
from rapport.measures.models import Assignment, MeasurePlan, Response
from rapport.measures.services import measure_plan_set, response_submit

router = Router(tags=["measures"])

Answer = int | float | str | None


class MeasurePlanIn(Strict):
    family: str = Field(min_length=1, max_length=64, description="The measure family, e.g. phq9.")
    respondent: Literal["client", "guardian", "therapist"]
    schedule: Literal["every_session", "every_n_sessions", "intake_discharge", "between_sessions"]
    every_n: int = Field(1, ge=1, le=52)
    lead_hours: int = Field(LEAD_HOURS_DEFAULT, ge=0, le=LEAD_HOURS_MAX)


class MeasurePlanOut(Strict):
    id: int
    episode_id: int
    family: str
    respondent: str
    schedule: str
    every_n: int
    lead_hours: int
    created_at: datetime


class AssignmentOut(Strict):
    id: int
    episode_id: int
    session_id: int | None
    instrument_id: str
    respondent: str
    status: str
    due_at: datetime


class ResponseOut(Strict):
    id: int
    assignment_id: int
    episode_id: int
    instrument_id: str
    instrument_version: str
    respondent: str
    total: float | None
    band: str
    severity: int | None
    prorated: bool
    mode: str
    completed_at: datetime


class ResponseDetail(ResponseOut):
    answers: dict[str, Answer]
    subscales: dict[str, Any]
    flags: list[dict[str, Any]]


class AnswersIn(Strict):
    answers: dict[str, Answer] = Field(description="The answer to each item, by its linkId.")


def _plan_out(plan: MeasurePlan) -> MeasurePlanOut:
    return MeasurePlanOut.model_validate(plan, from_attributes=True)


def _response_out(response: Response) -> ResponseDetail:
    return ResponseDetail.model_validate(response, from_attributes=True)


@router.get("/episodes/{episode_id}/measures", response={200: list[MeasurePlanOut], **REFUSALS})
def measure_plans(request: HttpRequest, episode_id: int) -> list[MeasurePlanOut]:
    """The measures the episode uses now."""
    user = caller(request, "read")
    episode = access.load(user, Episode, episode_id)
    plans = list(episode.measures.filter(is_active=True).order_by("family", "respondent"))
    access.audit_list(user, MeasurePlan, [p.pk for p in plans], view="api:measure_plans")
    return [_plan_out(p) for p in plans]


IdempotencyKey = Annotated[
    str | None, params.Header(alias="Idempotency-Key", min_length=1, max_length=200)
]


@router.post(
    "/episodes/{episode_id}/measures",
    response={201: MeasurePlanOut, 409: Refusal, **REFUSALS},
)
def measure_assign(
    request: HttpRequest,
    episode_id: int,
    plan: MeasurePlanIn,
    idempotency_key: IdempotencyKey = None,
) -> Status[dict[str, Any]]:
    """Start using a measure in the episode (replacing an earlier plan for the same measure and
    respondent), as the episode's measures page does. With an `Idempotency-Key`, a retry gets
    the first result again and replaces nothing; the same key with another body is 409."""
    user = caller(request, "write")
    episode = access.load(user, Episode, episode_id, write=True)

    def assign() -> tuple[int, dict[str, Any]]:
        made = measure_plan_set(actor=user, episode=episode, **plan.model_dump())
        return 201, _plan_out(made).model_dump(mode="json")

    return Status(*idempotent(request, user, idempotency_key, plan.model_dump(), assign))


@router.get("/episodes/{episode_id}/assignments", response={200: list[AssignmentOut], **REFUSALS})
def episode_assignments(request: HttpRequest, episode_id: int) -> list[AssignmentOut]:
    """The forms of the episode: waiting, completed, expired or cancelled."""
    user = caller(request, "read")
    episode = access.load(user, Episode, episode_id)
    shown = viewer_shared(Assignment.objects.filter(episode=episode), episode.client_id)
    assignments = list(shown.order_by("due_at", "pk"))
    access.audit_list(user, Assignment, [a.pk for a in assignments], view="api:episode_assignments")
    return [AssignmentOut.model_validate(a, from_attributes=True) for a in assignments]


@router.get("/episodes/{episode_id}/responses", response={200: list[ResponseOut], **REFUSALS})
def episode_responses(request: HttpRequest, episode_id: int) -> list[ResponseOut]:
    """The completed forms of the episode, oldest first, with their scores."""
    user = caller(request, "read")
    episode = access.load(user, Episode, episode_id)
    shown = viewer_shared(Response.objects.filter(episode=episode), episode.client_id)
    responses = list(shown.order_by("completed_at", "pk"))
    access.audit_list(user, Response, [r.pk for r in responses], view="api:episode_responses")
    return [ResponseOut.model_validate(r, from_attributes=True) for r in responses]


@router.get("/responses/{response_id}", response={200: ResponseDetail, **REFUSALS})
def response_detail(request: HttpRequest, response_id: int) -> ResponseDetail:
    """One completed form with its answers."""
    return _response_out(access.load(caller(request, "read"), Response, response_id))


@router.post(
    "/assignments/{assignment_id}/response",
    response={201: ResponseDetail, 409: Refusal, **REFUSALS},
    url_name="response_submit",
)
def response_submit_api(
    request: HttpRequest,
    assignment_id: int,
    body: AnswersIn,
    idempotency_key: IdempotencyKey = None,
) -> Status[dict[str, Any]]:
    """Answer a waiting form, as a clinician entering it (a paper form, or their own rating).

    Send an `Idempotency-Key`: a retry with the same key gets the first result again, never a
    second response; the same key with other answers is refused (409)."""
    user = caller(request, "write")
    assignment = access.load(user, Assignment, assignment_id, write=True)
    mode = (
        Response.Mode.IN_SESSION
        if assignment.respondent == "therapist"
        else Response.Mode.CLINICIAN
    )

    def submit() -> tuple[int, dict[str, Any]]:
        stored = response_submit(assignment=assignment, answers=body.answers, mode=mode, actor=user)
        return 201, _response_out(stored).model_dump(mode="json")

    return Status(*idempotent(request, user, idempotency_key, body.model_dump(), submit))
