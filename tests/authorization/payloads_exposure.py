"""Payloads for the fear-ladder routes of the matrix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.authorization.matrix_cast import MatrixCast

NEW_LADDER = {"title": "Lifts", "steps": "Look at a lift, 20\nRide one floor, 60"}
LADDER_EDIT = {
    "title": "Renamed by the matrix",
    "mastery_peak_suds": 30,
    "mastery_fall_percent": 50,
    "mastery_consecutive": 2,
}
NEW_STEP = {"situation": "Ride the whole route", "expected_suds": 85}
STEP_EDIT = {"situation": "Stand at the stop for ten minutes", "expected_suds": 35}
STEP_MOVE = {"direction": "harder"}


def practice_on(name: str) -> Callable[[MatrixCast], dict[str, Any]]:
    """A practice record for the first step of the named ladder (own, other, foreign, teen)."""

    def payload(cast: MatrixCast) -> dict[str, Any]:
        return {
            "step": cast.extra[f"exposure_{name}_step"].pk,
            "practised_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "setting": "homework",
            "anticipated_suds": 60,
            "peak_suds": 45,
        }

    return payload
