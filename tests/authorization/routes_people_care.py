"""The matrix, part one: public and account pages, people, care, practice management, the
audit trail and the portal's home page."""

from __future__ import annotations

from tests.authorization.cases import (
    ADMIN_200,
    ADMIN_302,
    ADMIN_404,
    CLINICAL_200,
    CLINICAL_302,
    CLINICAL_404,
    CLINICAL_405,
    EVERYONE_200,
    LOGIN,
    SIGNED_IN_200,
    SIGNED_IN_302,
    Case,
    foreign_guardian_link,
    foreign_team,
    get,
    post,
    row,
)
from tests.authorization.payloads import (
    BAD_SIGN_IN,
    BREAK_GLASS,
    CLIENT_DETAILS,
    EPISODE_STATUS,
    GUARDIAN_SETTINGS,
    NEW_GUARDIAN,
    NEW_PASSWORD,
    NEW_TEAM,
    NEW_USER,
    PRACTICE_SETTINGS,
    RESET_LINK,
    SESSION_RECORD,
    TEXTS_YES,
    episode_closure,
    episode_team,
    episode_transfer,
    new_client,
    session_booking,
    team_details,
    user_details,
)

# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

PEOPLE_CARE_ROUTES: dict[str, list[Case]] = {
    # Public and account pages.
    "home": [get("", SIGNED_IN_302)],
    "healthz": [get("", EVERYONE_200)],
    "accounts:login": [
        get("", row(302, 302, 302, 302, 302, 302, 302, 302, 302, 200)),
        post("", row(302, 302, 302, 302, 302, 302, 302, 302, 302, 200), BAD_SIGN_IN),
    ],
    "accounts:logout": [
        get("", row(405, 405, 405, 405, 405, 405, 405, 405, 405, 405)),
        post("", row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN), {}),
    ],
    "accounts:account": [get("", SIGNED_IN_200), post("", SIGNED_IN_302, {"language": "es"})],
    # "Stay signed in": activity, for anyone signed in; a GET changes nothing and is refused.
    "accounts:keep_alive": [
        get("", row(405, 405, 405, 405, 405, 405, 405, 405, 405, LOGIN)),
        post("", row(204, 204, 204, 204, 204, 204, 204, 204, 204, LOGIN), {}),
    ],
    # The language switch before signing in: a cookie, for anyone.
    "accounts:language": [
        get("", row(405, 405, 405, 405, 405, 405, 405, 405, 405, 405)),
        post(
            "",
            row(302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
            {"language": "es", "next": "/accounts/password-reset/"},
        ),
    ],
    "accounts:two_factor_setup": [
        get("", SIGNED_IN_200),
        post("", SIGNED_IN_200, {"token": "not-a-code"}),
    ],
    "accounts:two_factor_verify": [
        get("", SIGNED_IN_302),  # no confirmed device yet: sent to set one up
        post("", SIGNED_IN_302, {"token": "123456"}),
    ],
    "accounts:password_reset": [
        get("", EVERYONE_200),
        post(
            "",
            row(302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
            {"email": "nobody@example.com"},
        ),
    ],
    "accounts:password_reset_done": [get("", EVERYONE_200)],
    "accounts:password_reset_confirm": [
        get("bad_link", EVERYONE_200, **RESET_LINK),  # "this link is not valid" page
        post("bad_link", EVERYONE_200, NEW_PASSWORD, **RESET_LINK),
    ],
    "accounts:password_reset_complete": [get("", EVERYONE_200)],
    # People.       adm  sup  osup cli  co   out  adult teen grd  anon
    "people:caseload": [get("", CLINICAL_200)],
    "people:client_new": [get("", CLINICAL_200), post("", CLINICAL_302, new_client)],
    "people:client_detail": [
        get(
            "own", row(404, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN), client_id="adult_client"
        ),
        get(
            "adolescent",
            row(404, 200, 404, 200, 404, 404, 403, 403, 403, LOGIN),
            client_id="adolescent_client",
        ),
        get(
            "other",
            row(404, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            client_id="other_client",
        ),
        get(
            "foreign",
            row(404, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN),
            client_id="foreign_client",
        ),
    ],
    "people:client_edit": [
        get(
            "own", row(403, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN), client_id="adult_client"
        ),
        get(
            "other",
            row(403, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            client_id="other_client",
        ),
        get("foreign", CLINICAL_404, client_id="foreign_client"),
        post(
            "own",
            row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            CLIENT_DETAILS,
            client_id="adult_client",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            CLIENT_DETAILS,
            client_id="other_client",
        ),
        post("foreign", CLINICAL_404, CLIENT_DETAILS, client_id="foreign_client"),
    ],
    "people:break_glass": [
        get("own", ADMIN_200, client_id="adult_client"),
        get("other", ADMIN_200, client_id="other_client"),
        get("foreign", ADMIN_404, client_id="foreign_client"),
        post("own", ADMIN_302, BREAK_GLASS, client_id="adult_client"),
        post("foreign", ADMIN_404, BREAK_GLASS, client_id="foreign_client"),
    ],
    "people:guardian_new": [
        # Guardians are linked to minors: "own" here is the adolescent, in clinician's care only.
        get(
            "own",
            row(403, 200, 404, 200, 404, 404, 403, 403, 403, LOGIN),
            client_id="adolescent_client",
        ),
        get(
            "other",
            row(403, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            client_id="other_client",
        ),
        get("foreign", CLINICAL_404, client_id="foreign_client"),
        post(
            "own",
            row(403, 302, 404, 302, 404, 404, 403, 403, 403, LOGIN),
            NEW_GUARDIAN,
            client_id="adolescent_client",
        ),
        post("foreign", CLINICAL_404, NEW_GUARDIAN, client_id="foreign_client"),
    ],
    "people:portal_invite": [
        get("own", CLINICAL_405, client_id="adult_client"),  # POST only
        post(
            "own",
            row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            {},
            client_id="adult_client",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            {},
            client_id="other_client",
        ),
        post("foreign", CLINICAL_404, {}, client_id="foreign_client"),
    ],
    "people:guardian_link_edit": [
        # The adolescent's link: co_clinician is on the adult's episode only.
        get(
            "own", row(403, 200, 404, 200, 404, 404, 403, 403, 403, LOGIN), link_id="guardian_link"
        ),
        get(
            "other",
            row(403, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            link_id="other_guardian_link",
        ),
        get("foreign", CLINICAL_404, link_id=foreign_guardian_link),
        post(
            "own",
            row(403, 302, 404, 302, 404, 404, 403, 403, 403, LOGIN),
            GUARDIAN_SETTINGS,
            link_id="guardian_link",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            GUARDIAN_SETTINGS,
            link_id="other_guardian_link",
        ),
        post("foreign", CLINICAL_404, GUARDIAN_SETTINGS, link_id=foreign_guardian_link),
    ],
    "people:client_directory": [get("", ADMIN_200)],
    # The SMS gateway's address for replies: the gateway's token, not a person's sign-in, opens
    # it (none is configured in the matrix, so every post is refused; tests/test_reminders.py
    # posts with one). GET is not a method it answers.
    "people:text_reply": [
        get("", row(*[405] * 10)),
        post("", row(*[403] * 10), {"from": "+447700900123", "body": "STOP"}),
    ],
    # Care.         adm  sup  osup cli  co   out  adult teen grd  anon
    "care:session_detail": [
        get(
            "own",
            row(404, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN),
            session_id="adult_session",
        ),
        get(
            "other",
            row(404, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            session_id="other_session",
        ),
        get(
            "foreign",
            row(404, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN),
            session_id="foreign_session",
        ),
        post(
            "own",
            row(404, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            SESSION_RECORD,
            session_id="adult_session",
        ),
        post(
            "other",
            row(404, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            SESSION_RECORD,
            session_id="other_session",
        ),
        post(
            "foreign",
            row(404, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN),
            SESSION_RECORD,
            session_id="foreign_session",
        ),
    ],
    "care:session_new": [
        get("own", CLINICAL_405, episode_id="adult_episode"),  # booking is POST only
        post(
            "own",
            row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            session_booking,
            episode_id="adult_episode",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            session_booking,
            episode_id="other_episode",
        ),
        post("foreign", CLINICAL_404, session_booking, episode_id="foreign_episode"),
    ],
    "care:episode_close": [
        get(
            "own",
            row(403, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN),
            episode_id="adult_episode",
        ),
        get(
            "other",
            row(403, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            episode_id="other_episode",
        ),
        get("foreign", CLINICAL_404, episode_id="foreign_episode"),
        post(
            "own",
            row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            episode_closure,
            episode_id="adult_episode",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            episode_closure,
            episode_id="other_episode",
        ),
        post("foreign", CLINICAL_404, episode_closure, episode_id="foreign_episode"),
    ],
    "care:episode_transfer": [
        get(
            "own",
            row(403, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN),
            episode_id="adult_episode",
        ),
        get(
            "other",
            row(403, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            episode_id="other_episode",
        ),
        get("foreign", CLINICAL_404, episode_id="foreign_episode"),
        post(
            "own",
            row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            episode_transfer,
            episode_id="adult_episode",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            episode_transfer,
            episode_id="other_episode",
        ),
        post("foreign", CLINICAL_404, episode_transfer, episode_id="foreign_episode"),
    ],
    "care:episode_team": [
        get(
            "own",
            row(403, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN),
            episode_id="adult_episode",
        ),
        get(
            "other",
            row(403, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            episode_id="other_episode",
        ),
        get("foreign", CLINICAL_404, episode_id="foreign_episode"),
        post(
            "own",
            row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            episode_team,
            episode_id="adult_episode",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            episode_team,
            episode_id="other_episode",
        ),
        post("foreign", CLINICAL_404, episode_team, episode_id="foreign_episode"),
    ],
    "care:episode_status": [
        get("own", CLINICAL_405, episode_id="adult_episode"),  # POST only
        post(
            "own",
            row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN),
            EPISODE_STATUS,
            episode_id="adult_episode",
        ),
        post(
            "other",
            row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN),
            EPISODE_STATUS,
            episode_id="other_episode",
        ),
        post("foreign", CLINICAL_404, EPISODE_STATUS, episode_id="foreign_episode"),
    ],
    # Practice management.  adm  sup  osup cli  co   out  adult teen grd  anon
    "practices:team": [get("", row(403, 200, 200, 403, 403, 403, 403, 403, 403, LOGIN))],
    "practices:manage": [get("", ADMIN_200)],
    "practices:user_list": [get("", ADMIN_200)],
    "practices:user_new": [get("", ADMIN_200), post("", ADMIN_302, NEW_USER)],
    "practices:user_edit": [
        get("own", ADMIN_200, user_id="clinician"),
        get("foreign", ADMIN_404, user_id="foreign_clinician"),
        post("own", ADMIN_302, user_details, user_id="clinician"),
        post("foreign", ADMIN_404, user_details, user_id="foreign_clinician"),
    ],
    "practices:team_list": [get("", ADMIN_200)],
    "practices:team_new": [get("", ADMIN_200), post("", ADMIN_302, NEW_TEAM)],
    "practices:team_edit": [
        get("own", ADMIN_200, team_id="team_a"),
        get("foreign", ADMIN_404, team_id=foreign_team),
        post("own", ADMIN_302, team_details, team_id="team_a"),
        post("foreign", ADMIN_404, team_details, team_id=foreign_team),
    ],
    "practices:settings": [get("", ADMIN_200), post("", ADMIN_302, PRACTICE_SETTINGS)],
    "audit:trail": [get("", ADMIN_200)],
    "portal:home": [get("", row(403, 403, 403, 403, 403, 403, 200, 200, 200, LOGIN))],
    # A client's or guardian's own yes to texts: always their own record, so no other to try.
    "portal:texts": [
        get("", row(403, 403, 403, 403, 403, 403, 200, 200, 200, LOGIN)),
        post("", row(403, 403, 403, 403, 403, 403, 302, 302, 302, LOGIN), TEXTS_YES),
    ],
}
