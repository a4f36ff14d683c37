"""MATRIX: every named route with the status each role must get, and its parameters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.authorization.cases import Case
from tests.authorization.routes_alliance import ALLIANCE_ROUTES
from tests.authorization.routes_api import API_ROUTES
from tests.authorization.routes_dashboards import DASHBOARDS_ROUTES
from tests.authorization.routes_exposure import EXPOSURE_ROUTES
from tests.authorization.routes_interop import INTEROP_ROUTES
from tests.authorization.routes_matching import MATCHING_ROUTES
from tests.authorization.routes_measures import MEASURES_ROUTES
from tests.authorization.routes_people_care import PEOPLE_CARE_ROUTES
from tests.authorization.routes_plans import PLANS_ROUTES
from tests.authorization.routes_progress import PROGRESS_ROUTES
from tests.authorization.routes_reports import REPORTS_ROUTES
from tests.authorization.routes_trajectories import TRAJECTORIES_ROUTES

MATRIX: dict[str, list[Case]] = {
    **PEOPLE_CARE_ROUTES,
    **MEASURES_ROUTES,
    **ALLIANCE_ROUTES,
    **EXPOSURE_ROUTES,
    **PLANS_ROUTES,
    **PROGRESS_ROUTES,
    **TRAJECTORIES_ROUTES,
    **DASHBOARDS_ROUTES,
    **REPORTS_ROUTES,
    **INTEROP_ROUTES,
    **MATCHING_ROUTES,
    **API_ROUTES,
}

# Routes that load a clinical object through rapport.access: (object type, URL kwarg).
CLINICAL_OBJECT_ROUTES = {
    "people:client_detail": ("people.client", "client_id"),
    "people:client_edit": ("people.client", "client_id"),
    "people:guardian_new": ("people.client", "client_id"),
    "people:portal_invite": ("people.client", "client_id"),
    "people:guardian_link_edit": ("people.guardianlink", "link_id"),
    "care:session_detail": ("care.session", "session_id"),
    "care:session_new": ("care.episode", "episode_id"),
    "care:episode_close": ("care.episode", "episode_id"),
    "care:episode_transfer": ("care.episode", "episode_id"),
    "care:episode_team": ("care.episode", "episode_id"),
    "care:episode_status": ("care.episode", "episode_id"),
    "measures:client_mode_start": ("measures.assignment", "assignment_id"),
    "measures:assignment_link": ("measures.assignment", "assignment_id"),
    "measures:assignment_complete": ("measures.assignment", "assignment_id"),
    "measures:episode_measures": ("care.episode", "episode_id"),
    "measures:plan_stop": ("measures.measureplan", "plan_id"),
    "measures:response_detail": ("measures.response", "response_id"),
    "measures:response_fhir": ("measures.response", "response_id"),
    "alerts:acknowledge": ("alerts.alert", "alert_id"),
    "alerts:resolve": ("alerts.alert", "alert_id"),
    "portal:assignment": ("measures.assignment", "assignment_id"),  # audited as "portal_read"
    "alliance:episode": ("care.episode", "episode_id"),
    "alliance:chart": ("care.episode", "episode_id"),
    "alliance:rupture_new": ("care.episode", "episode_id"),
    "alliance:rupture_detail": ("alliance.rupture", "rupture_id"),
    "alliance:repair_new": ("alliance.rupture", "rupture_id"),
    "trajectories:episode": ("care.episode", "episode_id"),
    "exposure:episode_ladders": ("care.episode", "episode_id"),
    "exposure:ladder_new": ("care.episode", "episode_id"),
    "exposure:ladder_detail": ("exposure.ladder", "ladder_id"),
    "exposure:ladder_edit": ("exposure.ladder", "ladder_id"),
    "exposure:chart": ("exposure.ladder", "ladder_id"),
    "exposure:step_new": ("exposure.ladder", "ladder_id"),
    "exposure:attempt_new": ("exposure.ladder", "ladder_id"),
    "exposure:step_edit": ("exposure.step", "step_id"),
    "exposure:step_move": ("exposure.step", "step_id"),
    "plans:episode": ("care.episode", "episode_id"),
    "plans:problem_new": ("care.episode", "episode_id"),
    "plans:reorder": ("care.episode", "episode_id"),
    "plans:draft_new": ("care.episode", "episode_id"),
    "plans:rating_new": ("care.episode", "episode_id"),
    "plans:count_new": ("care.episode", "episode_id"),
    "plans:review_new": ("care.episode", "episode_id"),
    "plans:problem_edit": ("plans.problem", "problem_id"),
    "plans:problem_move": ("plans.problem", "problem_id"),
    "plans:version": ("plans.planversion", "version_id"),
    "plans:goal_new": ("plans.planversion", "version_id"),
    "plans:compare": ("plans.planversion", "version_id"),
    "plans:print": ("plans.planversion", "version_id"),
    "plans:goal_edit": ("plans.plangoal", "goal_id"),
    "plans:goal_remove": ("plans.plangoal", "goal_id"),
    "plans:propose": ("plans.planversion", "version_id"),
    "plans:answer": ("plans.planversion", "version_id"),
    "plans:reply": ("plans.planversion", "version_id"),
    "progress:episode": ("care.episode", "episode_id"),
    "progress:chart": ("care.episode", "episode_id"),
    # Clients and guardians open these too: their loads are audited as "portal_read".
    "reports:progress": ("care.episode", "episode_id"),
    "reports:progress_pdf": ("care.episode", "episode_id"),
    "reports:plan": ("care.episode", "episode_id"),
    "reports:plan_pdf": ("care.episode", "episode_id"),
    "reports:discharge": ("care.episode", "episode_id"),
    "reports:discharge_pdf": ("care.episode", "episode_id"),
    "reports:discharge_write": ("care.episode", "episode_id"),
    "reports:send": ("care.episode", "episode_id"),
    "interop:client_fhir": ("people.client", "client_id"),
    "matching:review_new": ("care.episode", "episode_id"),
    "matching:review": ("matching.stuckcasereview", "review_id"),
    "matching:preferences": ("people.client", "client_id"),
    # The API loads what the pages load, through the same access layer.
    "api:client_detail": ("people.client", "client_id"),
    "api:client_episodes": ("people.client", "client_id"),
    "api:episode_detail": ("care.episode", "episode_id"),
    "api:episode_sessions": ("care.episode", "episode_id"),
    "api:session_detail": ("care.session", "session_id"),
    "api:measure_plans": ("care.episode", "episode_id"),
    "api:measure_assign": ("care.episode", "episode_id"),
    "api:episode_assignments": ("care.episode", "episode_id"),
    "api:episode_responses": ("care.episode", "episode_id"),
    "api:response_detail": ("measures.response", "response_id"),
    "api:response_submit": ("measures.assignment", "assignment_id"),
    "api:episode_scores": ("care.episode", "episode_id"),
    "api:episode_plan": ("care.episode", "episode_id"),
    "api:alert_acknowledge": ("alerts.alert", "alert_id"),
}


def matrix_params() -> list[Any]:
    """One test per case (a route, its object and its method); the test tries every role."""
    params = []
    for route, cases in MATRIX.items():
        for case in cases:
            parts = [route, case.target, "POST" if case.method == "POST" else ""]
            test_id = "-".join(part for part in parts if part)
            params.append(pytest.param(route, case, id=test_id))
    return params
