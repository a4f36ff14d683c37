"""The break-glass column of the matrix: a practice admin holding a grant for the adult client.

Under a grant the admin reads the whole of that client's record and writes nothing
(rapport.access.record_access). So, for a route that loads a clinical object of the granted
client: a page that shows the record answers 200 (READ_PAGES); a form to create or change
something, and every POST, answers 403 (FORM_PAGES and the rest). Everything else — another
client, another practice, the routes that load no clinical object — answers exactly as it does
to the admin without a grant (the admin column).

Every route whose "own" page clinicians can open must be listed in one of the two sets, so that
a new page makes its author decide what a break-glass reader sees.
"""

from __future__ import annotations

from tests.authorization.cases import Case

READ_PAGES = frozenset(
    {
        "people:client_detail",
        "care:session_detail",
        "measures:episode_measures",
        "measures:response_detail",
        "measures:response_fhir",
        "alliance:episode",
        "alliance:chart",
        "alliance:rupture_detail",
        "trajectories:episode",
        "progress:episode",
        "progress:chart",
        "exposure:episode_ladders",
        "exposure:ladder_detail",
        "exposure:chart",
        "plans:episode",
        "plans:version",
        "plans:compare",
        "plans:print",
        "reports:progress",
        "reports:progress_pdf",
        "reports:plan",
        "reports:plan_pdf",
        "reports:discharge",
        "reports:discharge_pdf",
        "matching:review",
        # The API reads what the pages read, under the same grant.
        "api:client_detail",
        "api:client_episodes",
        "api:episode_detail",
        "api:episode_sessions",
        "api:session_detail",
        "api:measure_plans",
        "api:episode_assignments",
        "api:episode_responses",
        "api:response_detail",
        "api:episode_scores",
        "api:episode_plan",
    }
)

FORM_PAGES = frozenset(
    {
        "people:client_edit",
        "people:guardian_new",
        "people:guardian_link_edit",
        "care:episode_close",
        "care:episode_transfer",
        "care:episode_team",
        "measures:assignment_complete",
        "alerts:acknowledge",
        "alerts:resolve",
        "alliance:rupture_new",
        "exposure:ladder_new",
        "exposure:ladder_edit",
        "exposure:attempt_new",
        "exposure:step_edit",
        "plans:problem_new",
        "plans:problem_edit",
        "plans:goal_new",
        "plans:goal_edit",
        "plans:review_new",
        "matching:preferences",
        # Not a form, but refused alike: exporting the whole record is no emergency read.
        "interop:client_fhir",
    }
)

# The cases whose object belongs to the granted client (the adult's record).
GRANTED_TARGET = "own"


def break_glass_expected(route: str, case: Case, clinical_routes: set[str]) -> int | str:
    admin = case.expected["admin"]
    if admin == 405:  # the method is refused before anyone's access is looked at
        return admin
    if case.target != GRANTED_TARGET or route not in clinical_routes or route.startswith("portal:"):
        return admin
    if case.method == "GET" and route in READ_PAGES:
        # A record's page that is not there in the record's state (a discharge letter of an
        # open episode: 409) is not there for the break-glass reader either.
        return 409 if case.expected["clinician"] == 409 else 200
    return 403
