"""The matrix, part two: the portal's forms, measures and alerts."""

from __future__ import annotations

from tests.authorization.cases import (
    ADMIN_200,
    ADMIN_302,
    CLINICAL_200,
    CLINICAL_404,
    CLINICAL_405,
    EVERYONE_200,
    EVERYONE_410,
    LOGIN,
    OTHER_200,
    OTHER_302,
    OWN_200,
    OWN_302,
    PORTAL_NOBODY_404,
    READ_FOREIGN_404,
    READ_OTHER_200,
    READ_OTHER_302,
    READ_OWN_200,
    READ_OWN_302,
    Case,
    get,
    post,
    row,
)
from tests.authorization.matrix_cast import used_link, valid_link
from tests.authorization.payloads import (
    ALERT_NOTE,
    BAD_LINK,
    CHECKIN_FORM,
    FEEDBACK_FORM,
    MEASURE_PLAN,
    PHQ9_FORM,
    UNLOCK,
)

# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

MEASURES_ROUTES: dict[str, list[Case]] = {
    "portal:assignment": [
        get(
            "own",
            row(403, 403, 403, 403, 403, 403, 200, 404, 404, LOGIN),
            assignment_id="own_assignment",
        ),
        get(
            "adolescent",
            row(403, 403, 403, 403, 403, 403, 404, 200, 404, LOGIN),
            assignment_id="adolescent_assignment",
        ),
        get(
            "guardian",
            row(403, 403, 403, 403, 403, 403, 404, 404, 200, LOGIN),
            assignment_id="guardian_assignment",
        ),
        get("other", PORTAL_NOBODY_404, assignment_id="other_assignment"),
        get("foreign", PORTAL_NOBODY_404, assignment_id="foreign_assignment"),
        post(
            "own",
            row(403, 403, 403, 403, 403, 403, 302, 404, 404, LOGIN),
            PHQ9_FORM,
            assignment_id="own_assignment",
        ),
        post(
            "adolescent",
            row(403, 403, 403, 403, 403, 403, 404, 302, 404, LOGIN),
            FEEDBACK_FORM,
            assignment_id="adolescent_assignment",
        ),
        post(
            "guardian",
            row(403, 403, 403, 403, 403, 403, 404, 404, 302, LOGIN),
            CHECKIN_FORM,
            assignment_id="guardian_assignment",
        ),
        post("other", PORTAL_NOBODY_404, PHQ9_FORM, assignment_id="other_assignment"),
    ],
    # Measures.     adm  sup  osup cli  co   out  adult teen grd  anon
    "measures:link_form": [
        get("valid", EVERYONE_200, token=valid_link),
        get("used", EVERYONE_410, token=used_link),
        get("bad_link", EVERYONE_410, **BAD_LINK),
        post("bad_link", EVERYONE_410, PHQ9_FORM, **BAD_LINK),
    ],
    "measures:link_done": [get("", EVERYONE_200)],
    # Without the state client_mode_start leaves in the session: 404.
    "measures:client_mode_form": [get("", CLINICAL_404), post("", CLINICAL_404, PHQ9_FORM)],
    "measures:client_mode_unlock": [get("", CLINICAL_404), post("", CLINICAL_404, UNLOCK)],
    "measures:client_mode_start": [
        get("own", CLINICAL_405, assignment_id="own_assignment"),  # POST only
        post("own", OWN_302, {}, assignment_id="own_assignment"),
        post("other", OTHER_302, {}, assignment_id="other_assignment"),
        post("foreign", CLINICAL_404, {}, assignment_id="foreign_assignment"),
    ],
    "measures:assignment_link": [
        get("own", CLINICAL_405, assignment_id="own_assignment"),  # POST only
        post("own", OWN_200, {}, assignment_id="own_assignment"),  # shows the new link once
        post("other", OTHER_200, {}, assignment_id="other_assignment"),
        post("foreign", CLINICAL_404, {}, assignment_id="foreign_assignment"),
    ],
    "measures:assignment_complete": [
        get("own", OWN_200, assignment_id="own_assignment"),
        get("other", OTHER_200, assignment_id="other_assignment"),
        get("foreign", CLINICAL_404, assignment_id="foreign_assignment"),
        post("own", OWN_302, PHQ9_FORM, assignment_id="own_assignment"),
        post("other", OTHER_302, PHQ9_FORM, assignment_id="other_assignment"),
        post("foreign", CLINICAL_404, PHQ9_FORM, assignment_id="foreign_assignment"),
    ],
    # The record's pages are open to an admin under break-glass, to read (see the break-glass
    # column, tests/authorization/break_glass.py): without a grant, 404.
    "measures:episode_measures": [
        get("own", READ_OWN_200, episode_id="adult_episode"),
        get("other", READ_OTHER_200, episode_id="other_episode"),
        get("foreign", READ_FOREIGN_404, episode_id="foreign_episode"),
        post("own", READ_OWN_302, MEASURE_PLAN, episode_id="adult_episode"),
        post("other", READ_OTHER_302, MEASURE_PLAN, episode_id="other_episode"),
        post("foreign", READ_FOREIGN_404, MEASURE_PLAN, episode_id="foreign_episode"),
    ],
    "measures:plan_stop": [
        get("own", CLINICAL_405, plan_id="own_plan"),  # POST only
        post("own", OWN_302, {}, plan_id="own_plan"),
        post("other", OTHER_302, {}, plan_id="other_plan"),
        post("foreign", CLINICAL_404, {}, plan_id="foreign_plan"),
    ],
    "measures:response_detail": [
        get("own", READ_OWN_200, response_id="own_response"),
        get("other", READ_OTHER_200, response_id="other_response"),
        get("foreign", READ_FOREIGN_404, response_id="foreign_response"),
    ],
    "measures:response_fhir": [
        get("own", READ_OWN_200, response_id="own_response"),
        get("other", READ_OTHER_200, response_id="other_response"),
        get("foreign", READ_FOREIGN_404, response_id="foreign_response"),
    ],
    # Alerts.       adm  sup  osup cli  co   out  adult teen grd  anon
    "alerts:inbox": [get("", CLINICAL_200)],
    "alerts:acknowledge": [
        get("own", OWN_200, alert_id="own_alert"),
        get("other", OTHER_200, alert_id="other_alert"),
        get("foreign", CLINICAL_404, alert_id="foreign_alert"),
        post("own", OWN_302, ALERT_NOTE, alert_id="own_alert"),
        post("other", OTHER_302, ALERT_NOTE, alert_id="other_alert"),
        post("foreign", CLINICAL_404, ALERT_NOTE, alert_id="foreign_alert"),
    ],
    "alerts:resolve": [
        get("own", OWN_200, alert_id="own_alert"),
        get("other", OTHER_200, alert_id="other_alert"),
        get("foreign", CLINICAL_404, alert_id="foreign_alert"),
        post("own", OWN_302, ALERT_NOTE, alert_id="own_alert"),
        post("other", OTHER_302, ALERT_NOTE, alert_id="other_alert"),
        post("foreign", CLINICAL_404, ALERT_NOTE, alert_id="foreign_alert"),
    ],
    "measures:default_measures": [
        get("", ADMIN_200),
        post("", ADMIN_302, {"adult:phq9:client": "every_session", "child:checkin:client": ""}),
    ],
}
