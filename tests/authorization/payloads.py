"""Payloads: minimal, valid-looking submissions for the matrix's POST cases."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.authorization.cases import const
from tests.authorization.matrix_cast import FEEDBACK, PHQ9_NONE
from tests.conftest import PASSWORD, Cast

# --- Payloads: minimal, valid-looking submissions -----------------------------------------------


def today() -> str:
    return timezone.localdate().isoformat()


CLIENT_DETAILS = {
    "full_name": "Renamed By Matrix",
    "date_of_birth": "1990-01-01",
    "preferred_language": "English",
    "status": "active",
}


def new_client(cast: Cast) -> dict[str, Any]:
    return {
        **CLIENT_DETAILS,
        "primary_clinician": cast.clinician.pk,
        "start_date": today(),
    }


NEW_GUARDIAN = {
    "full_name": "Gene Guardian",
    "email": "gene.guardian@example.com",
    "relationship": "father",
    "consent_to_treatment": "on",
}
TEXTS_YES = {"texts": "yes", "phone": "+44 7700 900321"}
GUARDIAN_SETTINGS = {"relationship": "parent", "may_see_schedule": "on", "is_active": "on"}
SESSION_RECORD = {
    "attendance": "attended",
    "modality": "phone",
    "duration_minutes": 45,
    "private_notes": "written by the matrix",
}


def session_booking(cast: Cast) -> dict[str, Any]:
    return {
        "date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "start_time": "10:00",
        "duration_minutes": 50,
        "modality": "video",
    }


def episode_closure(cast: Cast) -> dict[str, Any]:
    return {"reason": "completed", "end_date": today()}


def episode_transfer(cast: Cast) -> dict[str, Any]:
    return {"to_clinician": cast.co_clinician.pk, "reason": "Matrix: caseload balancing"}


def episode_team(cast: Cast) -> dict[str, Any]:
    return {"members": [cast.co_clinician.pk]}


EPISODE_STATUS = {"status": "on_hold"}
BREAK_GLASS = {"reason": "Matrix: urgent safeguarding review"}


def user_details(cast: Cast) -> dict[str, Any]:
    return {
        "full_name": "Casey Clinician",
        "email": cast.clinician.email,
        "role": "clinician",
        "team": cast.team_a.pk,
        "is_active": "on",
    }


NEW_USER = {
    "full_name": "Nia New",
    "email": "nia.new@northside.test",
    "role": "clinician",
    "is_active": "on",
}


def team_details(cast: Cast) -> dict[str, Any]:
    return {"name": "Team A renamed", "supervisor": cast.supervisor.pk}


NEW_TEAM = {"name": "Team C"}
PRACTICE_SETTINGS = {
    "name": "Northside Therapy",
    "time_zone": "Europe/London",
    "link_lead_hours": 24,
    "link_reminder_hours": 2,
    "link_valid_hours": 72,
    "link_reminders": 1,
    "link_reminder_every_hours": 24,
    "quiet_from_hour": 21,
    "quiet_until_hour": 8,
    "urgent_escalation_minutes": 60,
}
BAD_SIGN_IN = {"username": "nobody@example.com", "password": "not-the-password"}
NEW_PASSWORD = {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"}
RESET_LINK = {"uidb64": const("MQ"), "token": const("not-a-real-token")}


def form(answers: dict[str, str]) -> dict[str, str]:
    """Answers as an answer page posts them."""
    return {f"item:{link_id}": value for link_id, value in answers.items()}


PHQ9_FORM = form(PHQ9_NONE)
FEEDBACK_FORM = form({**FEEDBACK, "feedback-overall": "9"})
CHECKIN_FORM = form({f"checkin-{item}": "6" for item in ("feeling", "home", "school", "overall")})
BAD_LINK = {"token": const("not-a-real-token")}
MEASURE_PLAN = {
    "family": "gad7",
    "respondent": "client",
    "schedule": "every_session",
    "every_n": 1,
    "lead_hours": 24,
}
ALERT_NOTE = {"note": "Matrix: phoned the client, safety plan agreed."}
UNLOCK = {"password": PASSWORD}
# Alliance: ruptures, repair and the practice's thresholds.
NEW_RUPTURE = {"kind": "withdrawal", "client_words": "x", "understanding": "y"}
RUPTURE_EDIT = {"kind": "unclear", "client_words": "", "understanding": ""}


def REPAIR_STEP(cast: Any) -> dict[str, str]:  # noqa: N802 - a payload like the others
    # A prefixed form carries its own one-time key, fresh for each request.
    return {"repair-kind": "talked", "repair-note": "n", "repair-submission_key": str(uuid.uuid4())}


ALLIANCE_SETTINGS = {
    "low_total_cutoff": 36,
    "low_item_value": 7,
    "drop_from_previous": 1,
    "drop_from_recent_mean": 3,
    "disagreement_total": 4,
    "disagreement_item": 2,
    "child_guardian_discrepancy": 6,
    "goals_item_low": 6,
    "ceiling_sessions": 4,
    "repair_window_sessions": 3,
    "overdue_alert_days": 7,
}
