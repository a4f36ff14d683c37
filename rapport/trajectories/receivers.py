"""How trajectories react to a submitted response; connected in rapport/signals.py."""

from __future__ import annotations

from typing import Any

from rapport.measures.models import Response
from rapport.trajectories.services import trajectory_classify


def classify(sender: Any, response: Response, **kwargs: Any) -> None:
    trajectory_classify(response=response)
