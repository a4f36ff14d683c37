"""The matrix: reports (progress and plan), each a page and the same page as a PDF.

Staff read an episode's reports as they read its pages: clinical staff in its care, a practice
admin only under break-glass. Clients and guardians reach the same addresses from the portal: the
adult their own episode's, the adolescent theirs, and the adolescent's guardian theirs too (what
the guardian's copy holds is tested in tests/test_reports_access.py); nobody else's.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.authorization.cases import (
    CLINICAL_404,
    CLINICAL_405,
    EVERYONE_410,
    LOGIN,
    OTHER_302,
    OWN_302,
    Case,
    extra,
    get,
    post,
    row,
)

# Columns:          adm  sup  osup cli  co   out  adult teen grd  anon
OWN_REPORT = row(404, 200, 404, 200, 200, 404, 200, 404, 404, LOGIN)
TEEN_REPORT = row(404, 200, 404, 200, 404, 404, 404, 200, 200, LOGIN)
OTHER_REPORT = row(404, 404, 200, 404, 404, 200, 404, 404, 404, LOGIN)
FOREIGN_REPORT = row(404, 404, 404, 404, 404, 404, 404, 404, 404, LOGIN)


# A discharge letter not written yet: its clinicians get the form; the client is told it is not
# written yet (409, with the reason); an open episode has no letter (409 for those who may open
# it, with the reason; 404 for the others).
UNWRITTEN_PAGE = row(404, 200, 404, 200, 200, 404, 409, 404, 404, LOGIN)
UNWRITTEN_PDF = row(404, 409, 404, 409, 409, 404, 409, 404, 404, LOGIN)
OPEN_EPISODE = row(404, 409, 404, 409, 409, 404, 409, 404, 404, LOGIN)
LETTER = {"addressee": "Dr Referrer", "organisation": "", "recommendations": "Keep going."}


def _letters(*, unwritten: dict[str, int | str]) -> list[Case]:
    return [
        get("own", OWN_REPORT, episode_id=extra("reports_own_closed")),
        get("adolescent", TEEN_REPORT, episode_id=extra("reports_teen_closed")),
        get("other", OTHER_REPORT, episode_id=extra("reports_other_closed")),
        get("foreign", FOREIGN_REPORT, episode_id=extra("reports_foreign_closed")),
        get("own", unwritten, episode_id=extra("reports_own_unwritten")),
        get("own", OPEN_EPISODE, episode_id="adult_episode"),
    ]


# The practice's monthly report: aggregates, for supervisors and practice admins of the practice
# (of their own practice: it loads no object by id); a month that does not exist is a 400.
PRACTICE_STAFF_200 = row(200, 200, 200, 403, 403, 403, 403, 403, 403, LOGIN)
PRACTICE_STAFF_400 = row(400, 400, 400, 403, 403, 403, 403, 403, 403, LOGIN)


def _months() -> list[Case]:
    return [
        get("", PRACTICE_STAFF_200, month=lambda cast: "2026-01"),
        get("", PRACTICE_STAFF_400, month=lambda cast: "2026-13"),
        get("", PRACTICE_STAFF_400, month=lambda cast: "2999-01"),
    ]


def _send(person: str) -> Any:
    return lambda cast: {
        "kind": "progress",
        "recipient": getattr(cast, person).pk,
        "submission_key": str(uuid.uuid4()),
    }


# A recipient nobody is: refused before anything is sent.
_NOBODY = {"kind": "progress", "recipient": "", "submission_key": str(uuid.uuid4())}


def _cases() -> list[Case]:
    return [
        get("own", OWN_REPORT, episode_id="adult_episode"),
        get("adolescent", TEEN_REPORT, episode_id="adolescent_episode"),
        get("other", OTHER_REPORT, episode_id="other_episode"),
        get("foreign", FOREIGN_REPORT, episode_id="foreign_episode"),
    ]


REPORTS_ROUTES: dict[str, list[Case]] = {
    "reports:progress": _cases(),
    "reports:progress_pdf": _cases(),
    "reports:plan": _cases(),
    "reports:plan_pdf": _cases(),
    "reports:discharge": _letters(unwritten=UNWRITTEN_PAGE),
    "reports:discharge_pdf": _letters(unwritten=UNWRITTEN_PDF),
    "reports:practice": _months(),
    "reports:practice_pdf": _months(),
    # Emailing a client a link to their copy: the episode's clinicians, as for its other writes.
    "reports:send": [
        get("own", CLINICAL_405, episode_id="adult_episode"),
        post("own", OWN_302, _send("adult_client_user"), episode_id="adult_episode"),
        post(
            "other",
            OTHER_302,
            _NOBODY,
            episode_id="other_episode",
        ),
        post("foreign", CLINICAL_404, _send("adult_client_user"), episode_id="foreign_episode"),
    ],
    # The link itself: no sign-in, the token is the key; one that opens nothing is 410 for all.
    "reports:download": [
        get("", EVERYONE_410, token=lambda cast: "not-a-token"),
        post("", EVERYONE_410, {}, token=lambda cast: "not-a-token"),
    ],
    "reports:discharge_write": [
        post("own", OWN_302, LETTER, episode_id=extra("reports_own_unwritten")),
        post("other", OTHER_302, LETTER, episode_id=extra("reports_other_unwritten")),
        post("foreign", CLINICAL_404, LETTER, episode_id=extra("reports_foreign_unwritten")),
    ],
}
