"""The matrix, trajectories: expected treatment response, on-track status and its validation.

The practice pages (overview, validation report) show counts only, never a client: all staff of
the practice see them, the admin included; clients and guardians do not. Refitting is for admins
and supervisors; the thresholds are the admin's alone. An episode's scores with their status
follow the care of the episode, like the alliance page (open to an admin under break-glass).
"""

from __future__ import annotations

from tests.authorization.cases import (
    ADMIN_200,
    ADMIN_302,
    LOGIN,
    READ_FOREIGN_404,
    READ_OTHER_200,
    READ_OWN_200,
    Case,
    const,
    get,
    post,
    row,
)
from tests.authorization.payloads_trajectories import TRAJECTORY_SETTINGS

# Columns:         adm  sup  osup cli  co   out  adult teen grd  anon
STAFF_200 = row(200, 200, 200, 200, 200, 200, 403, 403, 403, LOGIN)
STAFF_404 = row(404, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN)
REFIT_302 = row(302, 302, 302, 403, 403, 403, 403, 403, 403, LOGIN)
REFIT_405 = row(405, 405, 405, 403, 403, 403, 403, 403, 403, LOGIN)

TRAJECTORIES_ROUTES: dict[str, list[Case]] = {
    "trajectories:overview": [get("", STAFF_200)],
    "trajectories:refresh": [get("", REFIT_405), post("", REFIT_302, {})],
    "trajectories:validation": [
        get("phq9", STAFF_200, family=const("phq9")),
        get("unknown", STAFF_404, family=const("nothing")),
    ],
    "trajectories:episode": [
        get("own", READ_OWN_200, episode_id="adult_episode"),
        get("other", READ_OTHER_200, episode_id="other_episode"),
        get("foreign", READ_FOREIGN_404, episode_id="foreign_episode"),
    ],
    "trajectories:settings": [get("", ADMIN_200), post("", ADMIN_302, TRAJECTORY_SETTINGS)],
}
