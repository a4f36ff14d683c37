"""The matrix: the JSON API (/api/v1/), called with each role's signed-in session.

The API answers as the pages do: a record the caller may not read is 404 (audited as denied),
an admin reads no record without a break-glass grant, clients and guardians have no API (403,
they use the portal), and a caller with no session nor token gets 401 (not a sign-in page: a
program cannot follow one). A session may read and write what its owner may on the pages, but
not use the FHIR operations, which need a token made with the fhir scope (403).

The same operations called with a token are in tests/test_authorization_api.py: the rows below,
but for the FHIR operations (API_TOKEN_ROWS there), and the scopes.
"""

from __future__ import annotations

from typing import Any

from rapport.accounts.services import api_token_create
from tests.authorization.cases import EVERYONE_200, LOGIN, Case, get, post, row
from tests.authorization.matrix_cast import PHQ9_NONE, MatrixCast

# Columns:             adm  sup  osup cli  co   out  adult teen grd  anon
API_OWN_200 = row(404, 200, 404, 200, 200, 404, 403, 403, 403, 401)
API_OTHER_200 = row(404, 404, 200, 404, 404, 200, 403, 403, 403, 401)
API_FOREIGN_404 = row(404, 404, 404, 404, 404, 404, 403, 403, 403, 401)
API_OWN_201 = row(404, 201, 404, 201, 201, 404, 403, 403, 403, 401)
API_STAFF_200 = row(200, 200, 200, 200, 200, 200, 403, 403, 403, 401)
API_CLINICAL_200 = row(403, 200, 200, 200, 200, 200, 403, 403, 403, 401)
API_ALERT_OWN_200 = row(403, 200, 404, 200, 200, 404, 403, 403, 403, 401)
API_ALERT_FOREIGN_404 = row(403, 404, 404, 404, 404, 404, 403, 403, 403, 401)
API_NO_SESSION_403 = row(403, 403, 403, 403, 403, 403, 403, 403, 403, 401)
EVERYONE_404 = row(404, 404, 404, 404, 404, 404, 404, 404, 404, 404)
# The account page's tokens: each member of staff their own; revoking another's is 404.
STAFF_PAGE_200 = row(200, 200, 200, 200, 200, 200, 403, 403, 403, LOGIN)
OWN_TOKEN_302 = row(404, 404, 404, 302, 404, 404, 403, 403, 403, LOGIN)

MEASURE = {"family": "gad7", "respondent": "client", "schedule": "every_session"}
ANSWERS = {"answers": {k: int(v) for k, v in PHQ9_NONE.items()}}
NOTE = {"note": "Phoned the client; safety plan agreed"}
EMPTY_BUNDLE: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": []}


def _by_target(
    kwarg: str, own: str, other: str, foreign: str, rows: tuple[dict[str, Any], ...]
) -> list[Case]:
    return [
        get("own", rows[0], **{kwarg: own}),
        get("other", rows[1], **{kwarg: other}),
        get("foreign", rows[2], **{kwarg: foreign}),
    ]


READS = (API_OWN_200, API_OTHER_200, API_FOREIGN_404)
CLIENT = ("client_id", "adult_client", "other_client", "foreign_client")
EPISODE = ("episode_id", "adult_episode", "other_episode", "foreign_episode")


def clinicians_token(cast: MatrixCast) -> int:
    made, _ = api_token_create(actor=None, user=cast.clinician, name="sync", scope="read")
    return made.pk


API_ROUTES: dict[str, list[Case]] = {
    "accounts:api_tokens": [
        get("", STAFF_PAGE_200),
        post("", STAFF_PAGE_200, {"name": "Nightly sync", "scope": "read", "days": "30"}),
    ],
    "accounts:api_token_revoke": [
        post("clinician's", OWN_TOKEN_302, {}, token_id=clinicians_token)
    ],
    "api:api-root": [get("", EVERYONE_404)],
    "api:openapi-json": [get("", EVERYONE_200)],
    "api:client_list": [get("", API_STAFF_200)],
    "api:client_detail": _by_target(*CLIENT, READS),
    "api:client_episodes": _by_target(*CLIENT, READS),
    "api:episode_detail": _by_target(*EPISODE, READS),
    "api:episode_sessions": _by_target(*EPISODE, READS),
    "api:session_detail": _by_target(
        "session_id", "adult_session", "other_session", "foreign_session", READS
    ),
    "api:measure_plans": _by_target(*EPISODE, READS),
    # The same address as measure_plans, posted to: a route name of its own.
    "api:measure_assign": [
        post("own", API_OWN_201, MEASURE, episode_id="adult_episode"),
        post("foreign", API_FOREIGN_404, MEASURE, episode_id="foreign_episode"),
    ],
    "api:episode_assignments": _by_target(*EPISODE, READS),
    "api:episode_responses": _by_target(*EPISODE, READS),
    "api:response_detail": _by_target(
        "response_id", "own_response", "other_response", "foreign_response", READS
    ),
    "api:response_submit": [
        post("own", API_OWN_201, ANSWERS, assignment_id="own_assignment"),
        post("foreign", API_FOREIGN_404, ANSWERS, assignment_id="foreign_assignment"),
    ],
    "api:episode_scores": _by_target(*EPISODE, READS),
    "api:episode_plan": _by_target(*EPISODE, READS),
    "api:alert_list": [get("", API_CLINICAL_200)],
    "api:alert_acknowledge": [
        post("own", API_ALERT_OWN_200, NOTE, alert_id="own_alert"),
        post("foreign", API_ALERT_FOREIGN_404, NOTE, alert_id="foreign_alert"),
    ],
    "api:fhir_everything": [
        get("own", API_NO_SESSION_403, client_id="adult_client"),
        get("foreign", API_NO_SESSION_403, client_id="foreign_client"),
    ],
    "api:fhir_import": [post("", API_NO_SESSION_403, EMPTY_BUNDLE)],
}
