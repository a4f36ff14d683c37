"""The matrix, stuck-case reviews: opening one is for the episode's clinical staff (and the
supervisor of its clinicians), refused by role to admins, clients and guardians; a review's page
is open to the same staff and, read-only, to an admin under break-glass. Clients and guardians
never see a review. "own", "other" and "foreign" are the open reviews of cast_matching.py.
Therapist profiles: each clinician's own, and the practice admin's for its clinicians."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from rapport.core import case_review as rules
from tests.authorization.cases import (
    ADMIN_200,
    ADMIN_302,
    ADMIN_404,
    CLINICAL_200,
    CLINICAL_302,
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
    extra,
    get,
    post,
)


def review_done(cast: Any) -> dict[str, Any]:
    follow_up = timezone.localdate() + timedelta(days=28)
    return {
        **dict.fromkeys(rules.CHECKLIST_KEYS, "unsure"),
        "options": ["supervision"],
        "decision": "Bring the case to supervision this week.",
        "follow_up_on": follow_up.isoformat(),
    }


PROFILE = {
    "languages": "English, Polish",
    "approaches": "CBT",
    "populations": ["adults"],
    "modalities": ["video", "in_person"],
    "days": ["mon", "thu"],
    "hours": "9:00 to 17:00",
    "capacity": "3",
}

PREFERENCES = {
    "language": "Polish",
    "language_strength": "must",
    "directive": "exploratory",
    "directive_strength": "prefer",
    **{
        f"{kind}_strength": "no_matter"
        for kind in ("approach", "modality", "days", "gender", "age_range")
        + ("cultural_background", "faith", "challenge")
    },
}

# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

MATCHING_ROUTES: dict[str, list[Case]] = {
    "matching:review_new": [
        get("own", CLINICAL_405, episode_id="adult_episode"),  # POST only
        post("own", OWN_302, {}, episode_id="adult_episode"),
        post("other", OTHER_302, {}, episode_id="other_episode"),
        post("foreign", CLINICAL_404, {}, episode_id="foreign_episode"),
    ],
    "matching:review": [
        get("own", READ_OWN_200, review_id=extra("own_review")),
        get("other", READ_OTHER_200, review_id=extra("other_review")),
        get("foreign", READ_FOREIGN_404, review_id=extra("foreign_review")),
        post("own", READ_OWN_302, review_done, review_id=extra("own_review")),
        post("other", READ_OTHER_302, review_done, review_id=extra("other_review")),
        post("foreign", READ_FOREIGN_404, review_done, review_id=extra("foreign_review")),
    ],
    # A client's preferences about a therapist follow the care of the client, like its details.
    "matching:preferences": [
        get("own", OWN_200, client_id="adult_client"),
        get("other", OTHER_200, client_id="other_client"),
        get("foreign", CLINICAL_404, client_id="foreign_client"),
        post("own", OWN_302, PREFERENCES, client_id="adult_client"),
        post("other", OTHER_302, PREFERENCES, client_id="other_client"),
        post("foreign", CLINICAL_404, PREFERENCES, client_id="foreign_client"),
    ],
    # Each clinician edits their own profile; the admin those of their practice's clinicians.
    "matching:profile_own": [get("", CLINICAL_200), post("", CLINICAL_302, PROFILE)],
    "matching:profile_edit": [
        get("own", ADMIN_200, user_id="clinician"),
        get("foreign", ADMIN_404, user_id="foreign_clinician"),
        post("own", ADMIN_302, PROFILE, user_id="clinician"),
        post("foreign", ADMIN_404, PROFILE, user_id="foreign_clinician"),
    ],
}
