"""The matrix, dashboards: the therapist's caseload and the practice's figures.

The therapist dashboard is for clinical staff (each sees their own caseload, a supervisor their
team's too; which episodes appear is tested in tests/test_dashboards.py). The practice dashboard
shows aggregates only, for supervisors and practice admins; clinicians, clients and guardians are
refused by role. Neither loads an object by id, so there is no own/other/foreign here.
"""

from __future__ import annotations

from tests.authorization.cases import CLINICAL_200, LOGIN, Case, get, post, row

# Columns:                adm  sup  osup cli  co   out  adult teen grd  anon
PRACTICE_STAFF_200 = row(200, 200, 200, 403, 403, 403, 403, 403, 403, LOGIN)
PRACTICE_STAFF_302 = row(302, 302, 302, 403, 403, 403, 403, 403, 403, LOGIN)
PRACTICE_STAFF_405 = row(405, 405, 405, 403, 403, 403, 403, 403, 403, LOGIN)

DASHBOARDS_ROUTES: dict[str, list[Case]] = {
    "dashboards:therapist": [get("", CLINICAL_200)],
    "dashboards:practice": [get("", PRACTICE_STAFF_200)],
    # Counts of forms: a clinician their own clients', supervisors and admins the practice's.
    "dashboards:completion": [
        get("", row(200, 200, 200, 200, 200, 200, 403, 403, 403, LOGIN)),
    ],
    "dashboards:refresh": [
        get("", PRACTICE_STAFF_405),  # POST only
        post("", PRACTICE_STAFF_302, {}),
    ],
}
