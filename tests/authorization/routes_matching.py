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
    LOGIN,
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
    row,
)
from tests.authorization.cast_matching import teen_client, teen_guardian_fit, teen_handoff


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

FIT_WORDS = {
    "words": "We do not get on, and I dread the sessions.",
    "talk_first": "no",
    "language_strength": "must",
    "language": "Spanish",
}
THERAPIST_FIT = {
    "reason": "not_connecting",
    "words": "He says he does not feel heard.",
}
FIT_SETTINGS = {
    "coordinator": "supervisors",
    "alliance_window": "3",
    "alliance_low_sessions": "2",
    "off_track_in_a_row": "2",
    "after_session": "4",
}

HANDOFF_SETTINGS = {"consent_days": "45", "not_started_days": "28"}

# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

# The fit check's portal page: a client's own; an adolescent's own, and their guardian's.
PORTAL_ADULT_200 = row(403, 403, 403, 403, 403, 403, 200, 404, 404, LOGIN)
PORTAL_ADULT_302 = row(403, 403, 403, 403, 403, 403, 302, 404, 404, LOGIN)
PORTAL_TEEN_200 = row(403, 403, 403, 403, 403, 403, 404, 200, 200, LOGIN)
PORTAL_TEEN_302 = row(403, 403, 403, 403, 403, 403, 404, 302, 302, LOGIN)
PORTAL_FOREIGN_404 = row(403, 403, 403, 403, 403, 403, 404, 404, 404, LOGIN)
# A private request: the coordinators (the supervisors, by default) see it; the current
# therapist (clinician, and co_clinician on the team) and everyone else do not.
PRIVATE_FIT_200 = row(404, 200, 200, 404, 404, 404, 403, 403, 403, LOGIN)
PRIVATE_FIT_302 = row(404, 302, 302, 404, 404, 404, 403, 403, 403, LOGIN)
# The therapist's request awaiting approval: the episode's staff see it; only the supervisor of
# its clinicians approves it (the clinicians who see it are refused, 403).
APPROVE_302 = row(404, 302, 404, 403, 403, 404, 403, 403, 403, LOGIN)
STAFF_404 = row(404, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN)
COORDINATORS_200 = row(200, 200, 200, 403, 403, 403, 403, 403, 403, LOGIN)
# The candidates' routes of a private request: its coordinators (the supervisors), no one else;
# the admin (a coordinator only when the practice says so) does not see it. The candidate
# therapist (outsider_clinician, offered to the client) has no say in it: refused by role.
COORDINATE_200 = row(404, 200, 200, 403, 403, 403, 403, 403, 403, LOGIN)
COORDINATE_302 = row(404, 302, 302, 403, 403, 403, 403, 403, 403, LOGIN)
COORDINATE_FOREIGN_404 = row(404, 404, 404, 403, 403, 403, 403, 403, 403, LOGIN)


def choose_outsider(cast: Any) -> dict[str, Any]:
    return {"clinician": cast.outsider_clinician.pk}


def consultation(cast: Any) -> dict[str, Any]:
    when = timezone.localtime() + timedelta(days=3)
    return {
        "clinician": cast.outsider_clinician.pk,
        "scheduled_start": when.replace(hour=11, minute=0).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "20",
        "modality": "video",
    }


# The handoff (own_handoff: clinician -> outsider_clinician, begun by the supervisors, who
# coordinate): the coordinators run it, the old therapist (clinician) and the receiving one
# (outsider) see it; the co-clinician on the team and the admin (not a coordinator) do not.
HANDOFF_200 = row(404, 200, 200, 200, 404, 200, 403, 403, 403, LOGIN)
# Only a coordinator cancels or completes it; the two therapists are refused (403).
HANDOFF_COORDINATE_302 = row(404, 302, 302, 403, 404, 403, 403, 403, 403, LOGIN)
# Starting one: the coordinator of a fit check that reached them; the admin is not one (404).
HANDOFF_NEW_302 = row(404, 302, 302, 403, 403, 403, 403, 403, 403, LOGIN)
HANDOFF_NEW_404 = row(404, 404, 404, 403, 403, 403, 403, 403, 403, LOGIN)
HANDOFF_NEW_405 = row(405, 405, 405, 403, 403, 403, 403, 403, 403, LOGIN)
STAFF_PAGE_200 = row(200, 200, 200, 200, 200, 200, 403, 403, 403, LOGIN)


# A minor's change of therapist in the portal. The guardian who asked for a new therapist for
# the young person chooses among those offered; the young person does not choose for a request
# that is not theirs. In an adolescent's handoff the young person decides what is shared (their
# answers and words are theirs); the linked guardian reads it but may not decide (403).
GUARDIAN_CHOOSES_200 = row(403, 403, 403, 403, 403, 403, 404, 404, 200, LOGIN)
GUARDIAN_CHOOSES_302 = row(403, 403, 403, 403, 403, 403, 404, 404, 302, LOGIN)
TEEN_DECIDES_302 = row(403, 403, 403, 403, 403, 403, 404, 302, 403, LOGIN)

# A consultation (own_consultation: the adult client with outsider_clinician, the candidate):
# the candidate records how it went, and the coordinators (the supervisors); the current
# therapists and the admin (not a coordinator) do not see it.
CONSULTATION_200 = row(404, 200, 200, 404, 404, 200, 403, 403, 403, LOGIN)
CONSULTATION_302 = row(404, 302, 302, 404, 404, 302, 403, 403, 403, LOGIN)
CONSULTATION_DONE = {"attendance": "cancelled_client", "note": "She asked to move it."}


def handoff_to_outsider(cast: Any) -> dict[str, Any]:
    return {"to_clinician": str(cast.outsider_clinician.pk)}


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
    "matching:portal_fit_check": [
        get("own", PORTAL_ADULT_200, client_id="adult_client"),
        get("adolescent", PORTAL_TEEN_200, client_id="adolescent_client"),
        get("foreign", PORTAL_FOREIGN_404, client_id="foreign_client"),
        post("own", PORTAL_ADULT_302, FIT_WORDS, client_id="adult_client"),
        post("adolescent", PORTAL_TEEN_302, FIT_WORDS, client_id="adolescent_client"),
        post("foreign", PORTAL_FOREIGN_404, FIT_WORDS, client_id="foreign_client"),
    ],
    "matching:fit_check_new": [
        get("own", OWN_200, episode_id="adult_episode"),
        get("other", OTHER_200, episode_id="other_episode"),
        get("foreign", CLINICAL_404, episode_id="foreign_episode"),
        post("own", OWN_302, THERAPIST_FIT, episode_id="adult_episode"),
        post("foreign", CLINICAL_404, THERAPIST_FIT, episode_id="foreign_episode"),
    ],
    "matching:fit_checks": [get("", COORDINATORS_200)],
    "matching:fit_check": [
        get("own", PRIVATE_FIT_200, fit_check_id=extra("own_private_fit")),
        get("own", READ_OWN_200, fit_check_id=extra("own_therapist_fit")),
        get("foreign", STAFF_404, fit_check_id=extra("foreign_fit")),
        post(
            "own",
            PRIVATE_FIT_302,
            {"action": "close", "note": "Talked with her; she chose to stay for now."},
            fit_check_id=extra("own_private_fit"),
        ),
        post(
            "own",
            APPROVE_302,
            {"action": "approve", "note": ""},
            fit_check_id=extra("own_therapist_fit"),
        ),
        post(
            "foreign",
            STAFF_404,
            {"action": "close", "note": "x"},
            fit_check_id=extra("foreign_fit"),
        ),
    ],
    "matching:fit_suggestion_dismiss": [
        get("own", CLINICAL_405, episode_id="adult_episode"),
        post("own", OWN_302, {}, episode_id="adult_episode"),
        post("foreign", CLINICAL_404, {}, episode_id="foreign_episode"),
    ],
    "matching:fit_settings": [get("", ADMIN_200), post("", ADMIN_302, FIT_SETTINGS)],
    "matching:handoff_new": [
        get("own", HANDOFF_NEW_405, fit_check_id=extra("own_private_fit")),
        post("own", HANDOFF_NEW_302, handoff_to_outsider, fit_check_id=extra("own_private_fit")),
        post("foreign", HANDOFF_NEW_404, handoff_to_outsider, fit_check_id=extra("foreign_fit")),
    ],
    "matching:handoffs": [get("", STAFF_PAGE_200)],
    "matching:handoff": [
        get("own", HANDOFF_200, handoff_id=extra("own_handoff")),
        get("adolescent", HANDOFF_200, handoff_id=teen_handoff),
        post("own", HANDOFF_COORDINATE_302, {"action": "cancel"}, handoff_id=extra("own_handoff")),
    ],
    # The adult client's own change of therapist; nobody else's portal shows it. The
    # adolescent's: the young person and their guardian read it, the young person decides.
    "matching:portal_handoff": [
        get("own", PORTAL_ADULT_200, client_id="adult_client"),
        get("adolescent", PORTAL_TEEN_200, client_id=teen_client),
        post(
            "adolescent",
            TEEN_DECIDES_302,
            {"action": "consent", "share_alliance": "on"},
            client_id=teen_client,
        ),
        get("foreign", PORTAL_FOREIGN_404, client_id="foreign_client"),
        post(
            "own",
            PORTAL_ADULT_302,
            {"action": "consent", "share_measures": "on"},
            client_id="adult_client",
        ),
    ],
    "matching:rematch_outcomes": [get("", COORDINATORS_200)],
    "matching:fit_check_offer": [
        post("own", COORDINATE_302, {}, fit_check_id=extra("own_private_fit")),
        post("foreign", COORDINATE_FOREIGN_404, {}, fit_check_id=extra("foreign_fit")),
    ],
    "matching:fit_check_choose": [
        post("own", COORDINATE_302, choose_outsider, fit_check_id=extra("own_private_fit")),
        post("foreign", COORDINATE_FOREIGN_404, choose_outsider, fit_check_id=extra("foreign_fit")),
    ],
    "matching:consultation_new": [
        get("own", COORDINATE_200, fit_check_id=extra("own_private_fit")),
        get("foreign", COORDINATE_FOREIGN_404, fit_check_id=extra("foreign_fit")),
        post("own", COORDINATE_302, consultation, fit_check_id=extra("own_private_fit")),
        post("foreign", COORDINATE_FOREIGN_404, consultation, fit_check_id=extra("foreign_fit")),
    ],
    "matching:directory": [get("", COORDINATORS_200)],
    "matching:consultations": [get("", CLINICAL_200)],
    "matching:consultation_record": [
        get("own", CONSULTATION_200, session_id=extra("own_consultation")),
        post("own", CONSULTATION_302, CONSULTATION_DONE, session_id=extra("own_consultation")),
    ],
    "matching:handoff_settings": [get("", ADMIN_200), post("", ADMIN_302, HANDOFF_SETTINGS)],
    # The client's own preferences in the portal: who may ask for a fit check there may say them.
    "matching:portal_preferences": [
        get("own", PORTAL_ADULT_200, client_id="adult_client"),
        get("adolescent", PORTAL_TEEN_200, client_id="adolescent_client"),
        get("foreign", PORTAL_FOREIGN_404, client_id="foreign_client"),
        post("own", PORTAL_ADULT_302, PREFERENCES, client_id="adult_client"),
        post("adolescent", PORTAL_TEEN_302, PREFERENCES, client_id="adolescent_client"),
        post("foreign", PORTAL_FOREIGN_404, PREFERENCES, client_id="foreign_client"),
    ],
    # Choosing among the candidates offered: the client who asked privately; not the adolescent
    # or the guardian of someone else's request, not a therapist. For a minor, the guardian who
    # asked chooses (teen_guardian_fit), not the young person.
    "matching:portal_choose": [
        get("own", PORTAL_ADULT_200, fit_check_id=extra("own_private_fit")),
        get("foreign", PORTAL_FOREIGN_404, fit_check_id=extra("foreign_fit")),
        post("own", PORTAL_ADULT_302, choose_outsider, fit_check_id=extra("own_private_fit")),
        get("adolescent", GUARDIAN_CHOOSES_200, fit_check_id=teen_guardian_fit),
        post("adolescent", GUARDIAN_CHOOSES_302, choose_outsider, fit_check_id=teen_guardian_fit),
        post("foreign", PORTAL_FOREIGN_404, choose_outsider, fit_check_id=extra("foreign_fit")),
    ],
}
