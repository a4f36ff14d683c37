"""How the alliance reacts to measures; connected in rapport/signals.py."""

from __future__ import annotations

from typing import Any

from rapport.alliance.services import alliance_evaluate, feedback_plans_ensure
from rapport.care.models import Episode
from rapport.measures.models import Response


def plan_feedback(sender: Any, episode: Episode, **kwargs: Any) -> None:
    feedback_plans_ensure(episode=episode)


def evaluate(sender: Any, response: Response, **kwargs: Any) -> None:
    alliance_evaluate(response=response)
