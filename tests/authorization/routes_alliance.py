"""The matrix, part three: the working alliance (ruptures, repair, feedback and thresholds).

Alliance pages that show the record (the episode's alliance, its chart, a rupture) are open to an
admin under break-glass, to read: without a grant, 404; acting (a new rupture, a repair step) is
for clinical staff, refused by role (403). Ruptures follow the care of their episode: "own" is
the rupture on the adult's episode, "other" the one on outsider_clinician's, "foreign" one in
another practice (MatrixCast). The thresholds (alliance:settings) are the practice admin's alone.
"""

from __future__ import annotations

from tests.authorization.cases import (
    ADMIN_200,
    ADMIN_302,
    CLINICAL_200,
    CLINICAL_404,
    CLINICAL_405,
    OTHER_200,
    OTHER_302,
    OWN_200,
    OWN_302,
    READ_FOREIGN_404,
    READ_OTHER_200,
    READ_OTHER_302,
    READ_OWN_200,
    READ_OWN_302,
    Case,
    get,
    post,
)
from tests.authorization.payloads import (
    ALLIANCE_SETTINGS,
    NEW_RUPTURE,
    REPAIR_STEP,
    RUPTURE_EDIT,
)

# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

ALLIANCE_ROUTES: dict[str, list[Case]] = {
    "alliance:episode": [
        get("own", READ_OWN_200, episode_id="adult_episode"),
        get("other", READ_OTHER_200, episode_id="other_episode"),
        get("foreign", READ_FOREIGN_404, episode_id="foreign_episode"),
    ],
    "alliance:chart": [
        get("own", READ_OWN_200, episode_id="adult_episode"),
        get("other", READ_OTHER_200, episode_id="other_episode"),
        get("foreign", READ_FOREIGN_404, episode_id="foreign_episode"),
    ],
    "alliance:rupture_new": [
        get("own", OWN_200, episode_id="adult_episode"),
        get("other", OTHER_200, episode_id="other_episode"),
        get("foreign", CLINICAL_404, episode_id="foreign_episode"),
        post("own", OWN_302, NEW_RUPTURE, episode_id="adult_episode"),
        post("other", OTHER_302, NEW_RUPTURE, episode_id="other_episode"),
        post("foreign", CLINICAL_404, NEW_RUPTURE, episode_id="foreign_episode"),
    ],
    "alliance:rupture_detail": [
        get("own", READ_OWN_200, rupture_id="own_rupture"),
        get("other", READ_OTHER_200, rupture_id="other_rupture"),
        get("foreign", READ_FOREIGN_404, rupture_id="foreign_rupture"),
        post("own", READ_OWN_302, RUPTURE_EDIT, rupture_id="own_rupture"),
        post("other", READ_OTHER_302, RUPTURE_EDIT, rupture_id="other_rupture"),
        post("foreign", READ_FOREIGN_404, RUPTURE_EDIT, rupture_id="foreign_rupture"),
    ],
    "alliance:repair_new": [
        get("own", CLINICAL_405, rupture_id="own_rupture"),  # POST only
        post("own", OWN_302, REPAIR_STEP, rupture_id="own_rupture"),
        post("other", OTHER_302, REPAIR_STEP, rupture_id="other_rupture"),
        post("foreign", CLINICAL_404, REPAIR_STEP, rupture_id="foreign_rupture"),
    ],
    "alliance:inbox": [get("", CLINICAL_200)],
    "alliance:overview": [get("", CLINICAL_200)],
    "alliance:settings": [get("", ADMIN_200), post("", ADMIN_302, ALLIANCE_SETTINGS)],
}
