"""The matrix: reports (progress and plan), each a page and the same page as a PDF.

Staff read an episode's reports as they read its pages: clinical staff in its care, a practice
admin only under break-glass. Clients and guardians reach the same addresses from the portal: the
adult their own episode's, the adolescent theirs, and the adolescent's guardian theirs too (what
the guardian's copy holds is tested in tests/test_reports_access.py); nobody else's.
"""

from __future__ import annotations

from tests.authorization.cases import LOGIN, Case, get, row

# Columns:          adm  sup  osup cli  co   out  adult teen grd  anon
OWN_REPORT = row(404, 200, 404, 200, 200, 404, 200, 404, 404, LOGIN)
TEEN_REPORT = row(404, 200, 404, 200, 404, 404, 404, 200, 200, LOGIN)
OTHER_REPORT = row(404, 404, 200, 404, 404, 200, 404, 404, 404, LOGIN)
FOREIGN_REPORT = row(404, 404, 404, 404, 404, 404, 404, 404, 404, LOGIN)


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
}
