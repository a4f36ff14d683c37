"""The matrix: progress charts (the clinician's page and SVG, the portal's simplified version).

The clinician's chart reads the episode like the client page does: clinical staff in its care,
and a practice admin only under break-glass (without a grant: 404). The portal's version opens
for the client themself and for a linked guardian (what the guardian sees of the young person's
scores is tested in tests/test_progress_portal.py); everyone else in the portal gets 404.
"""

from __future__ import annotations

from tests.authorization.cases import (
    LOGIN,
    PORTAL_NOBODY_404,
    READ_FOREIGN_404,
    READ_OTHER_200,
    READ_OWN_200,
    Case,
    get,
    row,
)

# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

ADULT_ONLY_200 = row(403, 403, 403, 403, 403, 403, 200, 404, 404, LOGIN)
TEEN_AND_GUARDIAN_200 = row(403, 403, 403, 403, 403, 403, 404, 200, 200, LOGIN)


def _episode_cases() -> list[Case]:
    return [
        get("own", READ_OWN_200, episode_id="adult_episode"),
        get("other", READ_OTHER_200, episode_id="other_episode"),
        get("foreign", READ_FOREIGN_404, episode_id="foreign_episode"),
    ]


def _portal_cases() -> list[Case]:
    return [
        get("own", ADULT_ONLY_200, client_id="adult_client"),
        get("adolescent", TEEN_AND_GUARDIAN_200, client_id="adolescent_client"),
        get("other", PORTAL_NOBODY_404, client_id="other_client"),
        get("foreign", PORTAL_NOBODY_404, client_id="foreign_client"),
    ]


PROGRESS_ROUTES: dict[str, list[Case]] = {
    "progress:episode": _episode_cases(),
    "progress:chart": _episode_cases(),
    "progress:portal": _portal_cases(),
    "progress:portal_chart": _portal_cases(),
}
