"""The matrix, fear ladders: clinician pages, and the portal page of the client (or guardian).

Ladders follow the care of their episode, like ruptures; unlike alliance pages, a practice admin
may read them under break-glass (without a grant: 404) and never write. In the portal the adult
opens their own ladder; the adolescent and their guardian the adolescent's, where only the
adolescent records practice (a guardian records only for a child under 13: 403).
"""

from __future__ import annotations

from tests.authorization.cases import (
    LOGIN,
    PORTAL_NOBODY_404,
    READ_FOREIGN_404,
    READ_OTHER_200,
    READ_OWN_200,
    Case,
    Payload,
    extra,
    get,
    post,
    row,
)
from tests.authorization.payloads_exposure import (
    LADDER_EDIT,
    NEW_LADDER,
    NEW_STEP,
    STEP_EDIT,
    STEP_MOVE,
    practice_on,
)

# Columns:            adm  sup  osup cli  co   out  adult teen grd  anon
WRITE_OWN_302 = row(404, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN)
WRITE_OTHER_302 = row(404, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN)
STAFF_405 = row(405, 405, 405, 405, 405, 405, 403, 403, 403, LOGIN)
PORTAL_ADULT_200 = row(403, 403, 403, 403, 403, 403, 200, 404, 404, LOGIN)
PORTAL_TEEN_200 = row(403, 403, 403, 403, 403, 403, 404, 200, 200, LOGIN)
PORTAL_ADULT_302 = row(403, 403, 403, 403, 403, 403, 302, 404, 404, LOGIN)
PORTAL_TEEN_302 = row(403, 403, 403, 403, 403, 403, 404, 302, 403, LOGIN)
# The chart is the adolescent's own distress ratings: not for a guardian whose link keeps the
# young person's answers private (the matrix cast's default).
PORTAL_TEEN_ONLY_200 = row(403, 403, 403, 403, 403, 403, 404, 200, 403, LOGIN)

OWN, OTHER, FOREIGN, TEEN = (
    extra("exposure_own_ladder"),
    extra("exposure_other_ladder"),
    extra("exposure_foreign_ladder"),
    extra("exposure_teen_ladder"),
)
OWN_STEP, OTHER_STEP, FOREIGN_STEP = (
    extra("exposure_own_step"),
    extra("exposure_other_step"),
    extra("exposure_foreign_step"),
)


def on_ladders(
    method: str,
    own: dict[str, int | str],
    other: dict[str, int | str],
    data: Payload | None = None,
) -> list[Case]:
    """The same request on the own, other and foreign ladder (a practice record by default)."""
    if method == "GET":
        return [
            get("own", own, ladder_id=OWN),
            get("other", other, ladder_id=OTHER),
            get("foreign", READ_FOREIGN_404, ladder_id=FOREIGN),
        ]

    def payload(name: str) -> Payload:
        return practice_on(name) if data is None else data

    return [
        post("own", own, payload("own"), ladder_id=OWN),
        post("other", other, payload("other"), ladder_id=OTHER),
        post("foreign", READ_FOREIGN_404, payload("foreign"), ladder_id=FOREIGN),
    ]


EXPOSURE_ROUTES: dict[str, list[Case]] = {
    "exposure:episode_ladders": [
        get("own", READ_OWN_200, episode_id="adult_episode"),
        get("other", READ_OTHER_200, episode_id="other_episode"),
        get("foreign", READ_FOREIGN_404, episode_id="foreign_episode"),
    ],
    "exposure:ladder_new": [
        get("own", READ_OWN_200, episode_id="adult_episode"),
        get("other", READ_OTHER_200, episode_id="other_episode"),
        get("foreign", READ_FOREIGN_404, episode_id="foreign_episode"),
        post("own", WRITE_OWN_302, NEW_LADDER, episode_id="adult_episode"),
        post("other", WRITE_OTHER_302, NEW_LADDER, episode_id="other_episode"),
        post("foreign", READ_FOREIGN_404, NEW_LADDER, episode_id="foreign_episode"),
    ],
    "exposure:ladder_detail": on_ladders("GET", READ_OWN_200, READ_OTHER_200),
    "exposure:chart": on_ladders("GET", READ_OWN_200, READ_OTHER_200),
    "exposure:ladder_edit": [
        *on_ladders("GET", READ_OWN_200, READ_OTHER_200),
        *on_ladders("POST", WRITE_OWN_302, WRITE_OTHER_302, LADDER_EDIT),
    ],
    "exposure:step_new": [
        get("own", STAFF_405, ladder_id=OWN),  # POST only
        *on_ladders("POST", WRITE_OWN_302, WRITE_OTHER_302, NEW_STEP),
    ],
    "exposure:attempt_new": [
        *on_ladders("GET", READ_OWN_200, READ_OTHER_200),
        *on_ladders("POST", WRITE_OWN_302, WRITE_OTHER_302),
    ],
    "exposure:step_edit": [
        get("own", READ_OWN_200, step_id=OWN_STEP),
        get("other", READ_OTHER_200, step_id=OTHER_STEP),
        get("foreign", READ_FOREIGN_404, step_id=FOREIGN_STEP),
        post("own", WRITE_OWN_302, STEP_EDIT, step_id=OWN_STEP),
        post("other", WRITE_OTHER_302, STEP_EDIT, step_id=OTHER_STEP),
        post("foreign", READ_FOREIGN_404, STEP_EDIT, step_id=FOREIGN_STEP),
    ],
    "exposure:step_move": [
        get("own", STAFF_405, step_id=OWN_STEP),  # POST only
        post("own", WRITE_OWN_302, STEP_MOVE, step_id=OWN_STEP),
        post("other", WRITE_OTHER_302, STEP_MOVE, step_id=OTHER_STEP),
        post("foreign", READ_FOREIGN_404, STEP_MOVE, step_id=FOREIGN_STEP),
    ],
    "exposure:portal": [
        get("own", PORTAL_ADULT_200, ladder_id=OWN),
        get("adolescent", PORTAL_TEEN_200, ladder_id=TEEN),
        get("other", PORTAL_NOBODY_404, ladder_id=OTHER),
        get("foreign", PORTAL_NOBODY_404, ladder_id=FOREIGN),
        post("own", PORTAL_ADULT_302, practice_on("own"), ladder_id=OWN),
        post("adolescent", PORTAL_TEEN_302, practice_on("teen"), ladder_id=TEEN),
        post("other", PORTAL_NOBODY_404, practice_on("other"), ladder_id=OTHER),
    ],
    "exposure:portal_chart": [
        get("own", PORTAL_ADULT_200, ladder_id=OWN),
        get("adolescent", PORTAL_TEEN_ONLY_200, ladder_id=TEEN),
        get("other", PORTAL_NOBODY_404, ladder_id=OTHER),
        get("foreign", PORTAL_NOBODY_404, ladder_id=FOREIGN),
    ],
}
