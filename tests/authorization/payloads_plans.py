"""Valid form data for the plans routes of the matrix (so an allowed POST really writes)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.authorization.matrix_cast import MatrixCast

PROBLEM = {"title": "Sleep", "client_words": "I lie awake", "status": "active"}
DRAFT = {"reason": "Client asked to focus on sleep first"}
PLAN_CONTENT = {
    "reason": "Review after 6 sessions",
    "approach": "CBT for worry",
    "review_every": "6",
    "review_unit": "sessions",
    "reviewers": "client",
    "edits": "0",
}
GOAL = {
    "title": "Sleep by midnight",
    "benchmark": "rating",
    "target": "7",
    "count_direction": "at_least",
    "edits": "0",
}
MOVE_DOWN = {"direction": "down"}
REVIEW = {"working": "Worry time helps", "not_working": "", "changes": ""}
ACCEPT = {"accept": "yes"}
ANSWER = {"party": "client", "accept": "yes", "comment": ""}
REPLY = {"party": "client", "reply": "Let's talk it through", "submission_key": str(uuid.uuid4())}


def reorder(name: str):  # type: ignore[no-untyped-def]
    def payload(cast: MatrixCast) -> dict[str, Any]:
        return {"order": str(cast.extra[f"plans_{name}_problem"].pk)}

    return payload


def rating(name: str, field: str = "rating-value", prefix: str = "rating"):  # type: ignore[no-untyped-def]
    def payload(cast: MatrixCast) -> dict[str, Any]:
        return {
            f"{prefix}-goal_key": str(cast.extra[f"plans_{name}_goal"].key),
            f"{prefix}-submission_key": str(uuid.uuid4()),
            field: "5",
        }

    return payload


def count(name: str):  # type: ignore[no-untyped-def]
    return rating(name, field="count-count", prefix="count")
