"""Treatment plans as FHIR R4: each plan version a CarePlan, each of its goals a Goal.

A revision takes the place of the version before it: the new CarePlan `replaces` the old one,
whose status is then `revoked`. A version's goals keep their own ids (a goal row per version),
so an old CarePlan still points at the goals it held.
"""

from __future__ import annotations

from typing import Any

from rapport.core.fhir import codes
from rapport.core.fhir.inputs import DecisionInput, GoalInput, PlanInput
from rapport.core.fhir.resources import SENSITIVE_META, reference, resource_id, total_code

CAREPLAN_STATUSES = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
GOAL_LIFECYCLE_STATUSES = frozenset(
    {
        "proposed",
        "planned",
        "accepted",
        "active",
        "on-hold",
        "completed",
        "cancelled",
        "entered-in-error",
        "rejected",
    }
)


def careplan_status(plan: PlanInput) -> str:
    """Replaced: revoked. Accepted: active, or completed once the episode closed. Proposed, or
    sent back with changes asked for: a draft, not yet to be acted on."""
    if plan.replaced or plan.status == "superseded":
        return "revoked"
    if plan.status == "accepted":
        return "completed" if plan.episode_closed else "active"
    return "draft"


def goal_lifecycle(plan: PlanInput) -> str:
    status = careplan_status(plan)
    return {"revoked": "cancelled", "active": "active", "completed": "completed"}.get(
        status, "proposed"
    )


def careplan_json(plan: PlanInput) -> dict[str, Any]:
    document: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": resource_id("CarePlan", plan.pk),
        "meta": SENSITIVE_META,
        "status": careplan_status(plan),
        "intent": "plan",
        "title": f"Treatment plan, version {plan.number}",
        "subject": reference("Patient", plan.client_pk),
        "period": {"start": (plan.decided_at or plan.proposed_at).isoformat()},
        "created": plan.proposed_at.isoformat(),
        "author": reference("Practitioner", plan.author_pk),
    }
    if plan.shared_text.strip():
        document["description"] = plan.shared_text.strip()
    if plan.replaces_pk is not None:
        document["replaces"] = [reference("CarePlan", plan.replaces_pk)]
    problems = sorted({pk for goal in plan.goals for pk in goal.problem_pks})
    if problems:
        document["addresses"] = [reference("Condition", pk) for pk in problems]
    if plan.goals:
        document["goal"] = [reference("Goal", goal.pk) for goal in plan.goals]
    return document


def _measure(goal: GoalInput, base: str) -> dict[str, Any]:
    if goal.benchmark in ("measure_target", "reliable_improvement") and goal.instrument:
        if not goal.subscale:
            return total_code(goal.instrument, base)
        return {
            "coding": [
                {
                    "system": codes.rapport_system(base, "instrument-subscale"),
                    "code": f"{goal.instrument.id}.{goal.subscale}",
                }
            ],
            "text": f"{goal.instrument.title}: {goal.instrument.subscale_title(goal.subscale)}",
        }
    kind = "goal-rating" if goal.benchmark == "rating" else "behaviour-count"
    words = "The client's 0-10 rating of the goal" if kind == "goal-rating" else "A count"
    return {
        "coding": [{"system": codes.rapport_system(base, "goal-measure"), "code": kind}],
        "text": words,
    }


def _comparator(goal: GoalInput) -> str:
    """As the goal is judged (rapport.core.benchmarks): a score lower-is-better is met strictly
    below its target; a rating at least; a count at least or at most."""
    if goal.benchmark == "measure_target":
        lower = goal.instrument is None or goal.instrument.direction == "lower"
        return "<" if lower else ">="
    if goal.benchmark == "count":
        return "<=" if goal.count_direction == "at_most" else ">="
    return ">="


def _target(goal: GoalInput, base: str) -> dict[str, Any]:
    target: dict[str, Any] = {"measure": _measure(goal, base)}
    if goal.benchmark == "reliable_improvement" or goal.target is None:
        target["detailString"] = goal.target_words
    else:
        unit = "{times}" if goal.benchmark == "count" else "{score}"
        target["detailQuantity"] = {
            "value": goal.target,
            "comparator": _comparator(goal),
            "unit": unit,
            "system": codes.UCUM,
            "code": unit,
        }
    if goal.target_date is not None:
        target["dueDate"] = goal.target_date.isoformat()
    return target


GOAL_ACCEPTANCE = "http://hl7.org/fhir/StructureDefinition/goal-acceptance"


def _acceptance(decision: DecisionInput) -> dict[str, Any]:
    """R4's goal-acceptance extension: who answered, and whether they agreed."""
    parts: list[dict[str, Any]] = []
    if decision.party_pk is not None:
        kind = "Patient" if decision.party_kind == "client" else "RelatedPerson"
        parts.append({"url": "individual", "valueReference": reference(kind, decision.party_pk)})
    parts.append({"url": "status", "valueCode": "agree" if decision.accepted else "disagree"})
    return {"url": GOAL_ACCEPTANCE, "extension": parts}


def goal_json(goal: GoalInput, plan: PlanInput, base: str) -> dict[str, Any]:
    """A goal in the client's own words, its measurable benchmark as the target, and who has
    agreed to the plan version that holds it."""
    document: dict[str, Any] = {
        "resourceType": "Goal",
        "id": resource_id("Goal", goal.pk),
        "meta": SENSITIVE_META,
        "lifecycleStatus": goal_lifecycle(plan),
        "description": {"text": goal.title},
        "subject": reference("Patient", goal.client_pk),
        "target": [_target(goal, base)],
    }
    if goal.problem_pks:
        document["addresses"] = [reference("Condition", pk) for pk in goal.problem_pks]
    if plan.decisions:
        document["extension"] = [_acceptance(decision) for decision in plan.decisions]
    return document
