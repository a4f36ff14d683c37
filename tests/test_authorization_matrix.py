"""Who may open which page: the authorization matrix, route by route, role by role.

Every named URL route is listed in MATRIX with the status each role must get:

- anonymous visitors are sent to the sign-in page ("login") from every protected route;
- signed-in users of the wrong role get 403 (`role_required`);
- users of the right role without access to *that* object get 404 — never 403, never 200 —
  exactly as if it did not exist (rapport.access), and the attempt is audited as "denied";
- practice admins see clinical pages only under a break-glass grant, so without one: 404;
- the "foreign" object (another practice) is 404 for every user of the right role.

Objects are named from the cast's point of view (tests/conftest.py): "own" is the record in the
care of `clinician` (team A), "other" the one in the care of `outsider_clinician` (team B, same
practice), "foreign" one from another practice. For the measures and alerts routes this module
adds, per episode, a PHQ-9 plan, a pending assignment and a completed response with its urgent
alert, plus the adolescent's and the guardian's own forms (MatrixCast, below).

Measure links (/m/<token>/) are public, like the sign-in page: whoever holds a valid token opens
the form, signed in or not; any other token gets 410.

The cast is built once for this module (with the conftest's own `cast` fixture function) inside a
transaction, and each test runs in a savepoint rolled back afterwards: hundreds of cases stay fast.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.alerts.models import Alert
from rapport.audit.models import AuditEvent, BreakGlassGrant
from rapport.care.models import Attendance, Episode, EpisodeTransfer, Session
from rapport.measures.models import AccessLink, Assignment, LinkAttempt, MeasurePlan
from rapport.measures.models import Response as MeasureResponse
from rapport.measures.services import (
    draft_save,
    link_issue,
    measure_plan_set,
    response_submit,
    session_assignments_ensure,
)
from rapport.measures.views import CLIENT_MODE
from rapport.people.models import Client, GuardianLink
from rapport.practices.models import Practice, Team
from tests import conftest
from tests.conftest import PASSWORD, Cast, make_session, make_user, signed_in

ROLES = [
    "admin",
    "supervisor",
    "other_supervisor",
    "clinician",
    "co_clinician",
    "outsider_clinician",
    "adult_client",
    "adolescent_client",
    "guardian",
    "anonymous",
]

LOGIN = "login"  # 302 to the sign-in page


# --- How a case is written ---------------------------------------------------------------------

Ref = str | Callable[["MatrixCast"], Any]  # a cast attribute (its pk is used) or a function of it
Payload = dict[str, Any] | Callable[["MatrixCast"], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    method: str
    target: str  # "own", "other", "foreign", ... or "" for a route without an object
    kwargs: dict[str, Ref]
    expected: dict[str, int | str]
    data: Payload = field(default_factory=dict)

    def url(self, route: str, cast: MatrixCast) -> str:
        return reverse(route, kwargs={k: resolve(cast, ref) for k, ref in self.kwargs.items()})

    def payload(self, cast: MatrixCast) -> dict[str, Any]:
        data = self.data(cast) if callable(self.data) else dict(self.data)
        # Create-forms carry a one-time key (see accounts.services.submission_once).
        return {"submission_key": str(uuid.uuid4()), **data}


def resolve(cast: MatrixCast, ref: Ref) -> Any:
    return ref(cast) if callable(ref) else getattr(cast, ref).pk


def row(*statuses: int | str) -> dict[str, int | str]:
    """One line of the matrix, in the column order of ROLES."""
    assert len(statuses) == len(ROLES), f"a row needs {len(ROLES)} statuses, got {len(statuses)}"
    return dict(zip(ROLES, statuses, strict=True))


def get(target: str, expected: dict[str, int | str], **kwargs: Ref) -> Case:
    return Case("GET", target, kwargs, expected)


def post(target: str, expected: dict[str, int | str], data: Payload, **kwargs: Ref) -> Case:
    return Case("POST", target, kwargs, expected, data)


def const(value: str) -> Callable[[Cast], str]:
    return lambda cast: value


# Objects the cast lacks: a guardian link and a team in the other practice.
def foreign_guardian_link(cast: Cast) -> int:
    parent = User.objects.filter(email="parent@elsewhere.test").first() or make_user(
        cast.other_practice, "parent@elsewhere.test", Role.GUARDIAN
    )
    link, _ = GuardianLink.objects.get_or_create(
        client=cast.foreign_client, guardian=parent, defaults={"relationship": "father"}
    )
    return link.pk


def foreign_team(cast: Cast) -> int:
    team, _ = Team.objects.get_or_create(practice=cast.other_practice, name="Elsewhere team")
    return team.pk


# Measures and alerts: the conftest's cast has none, so this module adds them (add_measures).
PHQ9_NONE = {f"phq9-{n}": "0" for n in range(1, 10)}
PHQ9_RISK = {**PHQ9_NONE, "phq9-9": "1"}  # item 9 answered: an urgent risk alert
FEEDBACK = {"feedback-bond": "8", "feedback-goals": "8", "feedback-approach": "8"}
# What the adolescent wrote (and is still writing): never for the guardian's eyes.
TEEN_FREE_TEXT = "TEEN-FREE-TEXT-5d0e"
TEEN_DRAFT_TEXT = "TEEN-DRAFT-TEXT-a4b7"


@dataclass
class MatrixCast(Cast):
    """The conftest's cast and, for each of its three episodes (own, other, foreign), a PHQ-9
    plan, a pending assignment at the episode's session and a response completed earlier through
    a link, which answered item 9 and so opened an urgent alert. The adolescent has a session
    feedback with free text and a pending one; the guardian a pending check-in of their own."""

    own_plan: MeasurePlan
    own_assignment: Assignment
    own_response: MeasureResponse
    own_alert: Alert
    other_plan: MeasurePlan
    other_assignment: Assignment
    other_response: MeasureResponse
    other_alert: Alert
    foreign_plan: MeasurePlan
    foreign_assignment: Assignment
    foreign_response: MeasureResponse
    foreign_alert: Alert
    link_token: str  # a valid link to own_assignment
    used_link_token: str  # the link own_response was submitted through
    adolescent_response: MeasureResponse  # session feedback, with TEEN_FREE_TEXT
    adolescent_assignment: Assignment  # the adolescent's next feedback: pending, TEEN_DRAFT_TEXT
    guardian_assignment: Assignment  # the guardian's own check-in about the adolescent


def phq9_in_episode(
    episode: Episode, session: Session
) -> tuple[MeasurePlan, Assignment, MeasureResponse, Alert, str]:
    plan = measure_plan_set(
        actor=episode.primary_clinician,
        episode=episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    [done] = session_assignments_ensure(session=make_session(episode, days_from_now=-9))
    link, token = link_issue(actor=None, assignment=done)
    response = response_submit(
        assignment=done, answers=PHQ9_RISK, mode=MeasureResponse.Mode.LINK, actor=None, link=link
    )
    [pending] = session_assignments_ensure(session=session)
    alert = Alert.objects.get(source_response=response, urgent=True)
    return plan, pending, response, alert, token


def add_measures(cast: Cast) -> MatrixCast:
    own = phq9_in_episode(cast.adult_episode, cast.adult_session)
    other = phq9_in_episode(cast.other_episode, cast.other_session)
    foreign = phq9_in_episode(cast.foreign_episode, cast.foreign_session)
    _, link_token = link_issue(actor=None, assignment=own[1])

    # The adolescent rates each session; from the second one on, the guardian checks in too.
    teen = cast.adolescent_episode
    teen_plan = {"actor": cast.clinician, "episode": teen, "schedule": "every_session"}
    measure_plan_set(family="feedback", respondent="client", **teen_plan)
    [first] = session_assignments_ensure(session=make_session(teen, days_from_now=-9))
    teen_response = response_submit(
        assignment=first,
        answers={**FEEDBACK, "feedback-overall": "7", "feedback-better": TEEN_FREE_TEXT},
        mode=MeasureResponse.Mode.PORTAL,
        actor=cast.adolescent_client_user,
    )
    measure_plan_set(family="checkin", respondent="guardian", **teen_plan)
    second = session_assignments_ensure(session=make_session(teen, days_from_now=-2))
    by_respondent = {assignment.respondent: assignment for assignment in second}
    assert set(by_respondent) == {"client", "guardian"}, second
    draft_save(assignment=by_respondent["client"], answers={"feedback-better": TEEN_DRAFT_TEXT})

    return MatrixCast(
        **{f.name: getattr(cast, f.name) for f in fields(Cast)},
        own_plan=own[0],
        own_assignment=own[1],
        own_response=own[2],
        own_alert=own[3],
        other_plan=other[0],
        other_assignment=other[1],
        other_response=other[2],
        other_alert=other[3],
        foreign_plan=foreign[0],
        foreign_assignment=foreign[1],
        foreign_response=foreign[2],
        foreign_alert=foreign[3],
        link_token=link_token,
        used_link_token=own[4],
        adolescent_response=teen_response,
        adolescent_assignment=by_respondent["client"],
        guardian_assignment=by_respondent["guardian"],
    )


def valid_link(cast: MatrixCast) -> str:
    return cast.link_token


def used_link(cast: MatrixCast) -> str:
    return cast.used_link_token


# --- Payloads: minimal, valid-looking submissions -----------------------------------------------


def today() -> str:
    return timezone.localdate().isoformat()


CLIENT_DETAILS = {
    "full_name": "Renamed By Matrix",
    "date_of_birth": "1990-01-01",
    "preferred_language": "English",
    "status": "active",
}


def new_client(cast: Cast) -> dict[str, Any]:
    return {
        **CLIENT_DETAILS,
        "primary_clinician": cast.clinician.pk,
        "start_date": today(),
    }


NEW_GUARDIAN = {
    "full_name": "Gene Guardian",
    "email": "gene.guardian@example.com",
    "relationship": "father",
    "consent_to_treatment": "on",
}
GUARDIAN_SETTINGS = {"relationship": "parent", "may_see_schedule": "on", "is_active": "on"}
SESSION_RECORD = {
    "attendance": "attended",
    "modality": "phone",
    "duration_minutes": 45,
    "private_notes": "written by the matrix",
}


def session_booking(cast: Cast) -> dict[str, Any]:
    return {
        "date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "start_time": "10:00",
        "duration_minutes": 50,
        "modality": "video",
    }


def episode_closure(cast: Cast) -> dict[str, Any]:
    return {"reason": "completed", "end_date": today()}


def episode_transfer(cast: Cast) -> dict[str, Any]:
    return {"to_clinician": cast.co_clinician.pk, "reason": "Matrix: caseload balancing"}


def episode_team(cast: Cast) -> dict[str, Any]:
    return {"members": [cast.co_clinician.pk]}


EPISODE_STATUS = {"status": "on_hold"}
BREAK_GLASS = {"reason": "Matrix: urgent safeguarding review"}


def user_details(cast: Cast) -> dict[str, Any]:
    return {
        "full_name": "Casey Clinician",
        "email": cast.clinician.email,
        "role": "clinician",
        "team": cast.team_a.pk,
        "is_active": "on",
    }


NEW_USER = {
    "full_name": "Nia New",
    "email": "nia.new@northside.test",
    "role": "clinician",
    "is_active": "on",
}


def team_details(cast: Cast) -> dict[str, Any]:
    return {"name": "Team A renamed", "supervisor": cast.supervisor.pk}


NEW_TEAM = {"name": "Team C"}
PRACTICE_SETTINGS = {
    "name": "Northside Therapy",
    "time_zone": "Europe/London",
    "link_lead_hours": 24,
    "link_reminder_hours": 2,
    "link_valid_hours": 72,
}
BAD_SIGN_IN = {"username": "nobody@example.com", "password": "not-the-password"}
NEW_PASSWORD = {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"}
RESET_LINK = {"uidb64": const("MQ"), "token": const("not-a-real-token")}


def form(answers: dict[str, str]) -> dict[str, str]:
    """Answers as an answer page posts them."""
    return {f"item:{link_id}": value for link_id, value in answers.items()}


PHQ9_FORM = form(PHQ9_NONE)
FEEDBACK_FORM = form({**FEEDBACK, "feedback-overall": "9"})
CHECKIN_FORM = form({f"checkin-{item}": "6" for item in ("feeling", "home", "school", "overall")})
BAD_LINK = {"token": const("not-a-real-token")}
MEASURE_PLAN = {"family": "gad7", "respondent": "client", "schedule": "every_session", "every_n": 1}
ALERT_NOTE = {"note": "Matrix: phoned the client, safety plan agreed."}
UNLOCK = {"password": PASSWORD}


# --- The matrix ---------------------------------------------------------------------------------
# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

EVERYONE_200 = row(200, 200, 200, 200, 200, 200, 200, 200, 200, 200)
SIGNED_IN_302 = row(302, 302, 302, 302, 302, 302, 302, 302, 302, LOGIN)
SIGNED_IN_200 = row(200, 200, 200, 200, 200, 200, 200, 200, 200, LOGIN)
ADMIN_200 = row(200, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN)
ADMIN_302 = row(302, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN)
ADMIN_404 = row(404, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN)
CLINICAL_200 = row(403, 200, 200, 200, 200, 200, 403, 403, 403, LOGIN)
CLINICAL_302 = row(403, 302, 302, 302, 302, 302, 403, 403, 403, LOGIN)
CLINICAL_405 = row(403, 405, 405, 405, 405, 405, 403, 403, 403, LOGIN)
# Clinical staff on an object in nobody's care but another practice's.
CLINICAL_404 = row(403, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN)
EVERYONE_410 = row(410, 410, 410, 410, 410, 410, 410, 410, 410, 410)  # a link that opens nothing
# Measures and alerts follow the care of their episode, like sessions: the adult's ("own") is
# clinician's with co_clinician on the team, under supervisor; the "other" one is outsider's.
OWN_200 = row(403, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN)
OWN_302 = row(403, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN)
OTHER_200 = row(403, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN)
OTHER_302 = row(403, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN)
# Responses are open to admins as well, but only under break-glass: without a grant, 404.
READ_OWN_200 = row(404, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN)
READ_OTHER_200 = row(404, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN)
READ_FOREIGN_404 = row(404, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN)
# Portal forms: each client and guardian opens only the forms they answer themself.
PORTAL_NOBODY_404 = row(403, 403, 403, 403, 403, 403, 404, 404, 404, LOGIN)

MATRIX: dict[str, list[Case]] = {
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
    "measures:episode_measures": [
        get("own", OWN_200, episode_id="adult_episode"),
        get("other", OTHER_200, episode_id="other_episode"),
        get("foreign", CLINICAL_404, episode_id="foreign_episode"),
        post("own", OWN_302, MEASURE_PLAN, episode_id="adult_episode"),
        post("other", OTHER_302, MEASURE_PLAN, episode_id="other_episode"),
        post("foreign", CLINICAL_404, MEASURE_PLAN, episode_id="foreign_episode"),
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
}

# Routes that load a clinical object through rapport.access: (object type, URL kwarg).
CLINICAL_OBJECT_ROUTES = {
    "people:client_detail": ("people.client", "client_id"),
    "people:client_edit": ("people.client", "client_id"),
    "people:guardian_new": ("people.client", "client_id"),
    "people:portal_invite": ("people.client", "client_id"),
    "people:guardian_link_edit": ("people.guardianlink", "link_id"),
    "care:session_detail": ("care.session", "session_id"),
    "care:session_new": ("care.episode", "episode_id"),
    "care:episode_close": ("care.episode", "episode_id"),
    "care:episode_transfer": ("care.episode", "episode_id"),
    "care:episode_team": ("care.episode", "episode_id"),
    "care:episode_status": ("care.episode", "episode_id"),
    "measures:client_mode_start": ("measures.assignment", "assignment_id"),
    "measures:assignment_link": ("measures.assignment", "assignment_id"),
    "measures:assignment_complete": ("measures.assignment", "assignment_id"),
    "measures:episode_measures": ("care.episode", "episode_id"),
    "measures:plan_stop": ("measures.measureplan", "plan_id"),
    "measures:response_detail": ("measures.response", "response_id"),
    "measures:response_fhir": ("measures.response", "response_id"),
    "alerts:acknowledge": ("alerts.alert", "alert_id"),
    "alerts:resolve": ("alerts.alert", "alert_id"),
    "portal:assignment": ("measures.assignment", "assignment_id"),  # audited as "portal_read"
}


def matrix_params(
    keep: Callable[[str, Case, str], bool] = lambda route, case, role: True,
) -> list[Any]:
    params = []
    for route, cases in MATRIX.items():
        for case in cases:
            for role in ROLES:
                if keep(route, case, role):
                    parts = [route, role, case.target, "POST" if case.method == "POST" else ""]
                    test_id = "-".join(part for part in parts if part)
                    params.append(pytest.param(route, case, role, id=test_id))
    return params


# --- The cast, built once for the module --------------------------------------------------------


@dataclass
class Prepared:
    cast: MatrixCast
    session_keys: dict[str, str]  # role -> key of a session already signed in as that role


@pytest.fixture(scope="module")
def prepared(django_db_setup: None, django_db_blocker: Any) -> Iterator[Prepared]:
    """The conftest's cast with this module's measures objects, and one signed-in session per
    role, created once for this module inside a transaction rolled back when the module is done."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            cast = add_measures(conftest.build_cast())
            keys = {}
            for role in ROLES:
                if (user := cast.person(role)) is not None:
                    keys[role] = signed_in(user).session.session_key
            yield Prepared(cast, keys)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def cast(prepared: Prepared, db: None) -> MatrixCast:
    """Each test runs in a savepoint inside the module's transaction, on its own copy."""
    return copy.deepcopy(prepared.cast)


@pytest.fixture
def shared(prepared: Prepared, db: None) -> Prepared:
    """The module's cast itself, for tests that only read it (the matrix)."""
    return prepared


def web_for(prepared: Prepared, role: str) -> tuple[User | None, WebClient]:
    """A test client carrying the role's ready-made session cookie (none when anonymous)."""
    web = WebClient()
    if role in prepared.session_keys:
        web.cookies[settings.SESSION_COOKIE_NAME] = prepared.session_keys[role]
    return prepared.cast.person(role), web


def send(web: WebClient, case: Case, url: str, cast: MatrixCast) -> Any:
    if case.method == "POST":
        return web.post(url, case.payload(cast))
    return web.get(url)


def recorded_state() -> dict[str, list[dict[str, Any]]]:
    """Everything a denied request must leave untouched (sign-in bookkeeping aside)."""
    user_fields = [f.attname for f in User._meta.concrete_fields if f.name != "last_login"]
    return {
        "practices": list(Practice.objects.order_by("pk").values()),
        "teams": list(Team.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values(*user_fields)),
        "clients": list(Client.objects.order_by("pk").values()),
        "guardian_links": list(GuardianLink.objects.order_by("pk").values()),
        "episodes": list(Episode.objects.order_by("pk").values()),
        "episode_team": list(Episode.team_members.through.objects.order_by("pk").values()),
        "transfers": list(EpisodeTransfer.objects.order_by("pk").values()),
        "sessions": list(Session.objects.order_by("pk").values()),
        "break_glass": list(BreakGlassGrant.objects.order_by("pk").values()),
        "measure_plans": list(MeasurePlan.objects.order_by("pk").values()),
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "access_links": list(AccessLink.objects.order_by("pk").values()),
        "responses": list(MeasureResponse.objects.order_by("pk").values()),
        "alerts": list(Alert.objects.order_by("pk").values()),
    }


WRITE_STATEMENT = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
# What any request may write, allowed or not: the audit trail, the sign-in session and the count
# of tries at measure links (their rate limit).
BOOKKEEPING_TABLES = {
    "audit_auditevent",
    "audit_auditchainhead",
    "django_session",
    "measures_linkattempt",
}


def tables_written(queries: CaptureQueriesContext) -> set[str]:
    return {
        match.group(1)
        for query in queries.captured_queries
        if (match := WRITE_STATEMENT.match(query["sql"]))
    }


def is_denial(expected: int | str, role: str) -> bool:
    """Refused: by role, by object, by method, a dead link, or (anonymous) sent to sign in."""
    return expected in {403, 404, 405, 410} or (expected == LOGIN and role == "anonymous")


def assert_status(response: Any, expected: int | str) -> None:
    login_path = reverse("accounts:login")
    where = f" (to {response.get('Location')})" if response.status_code == 302 else ""
    if expected == LOGIN:
        assert response.status_code == 302, f"expected sign-in redirect, got {response.status_code}"
        assert urlsplit(response["Location"]).path == login_path, response["Location"]
        return
    assert response.status_code == expected, f"got {response.status_code}{where}"
    if expected == 302:
        assert urlsplit(response["Location"]).path != login_path, "unexpected sign-in redirect"


# --- The matrix tests ---------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "case", "role"), matrix_params())
def test_role_gets_expected_status(shared: Prepared, route: str, case: Case, role: str) -> None:
    cast = shared.cast
    url = case.url(route, cast)
    _, web = web_for(shared, role)
    expected = case.expected[role]

    with CaptureQueriesContext(connection) as queries:
        response = send(web, case, url, cast)

    assert_status(response, expected)
    if is_denial(expected, role):
        written = tables_written(queries) - BOOKKEEPING_TABLES
        assert not written, f"a denied {case.method} to {url} wrote to {sorted(written)}"


def test_every_route_is_in_the_authorization_matrix() -> None:
    named: set[str] = set()
    unnamed: list[str] = []

    def walk(resolver: URLResolver, namespace: str, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, inner, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                if pattern.name:
                    named.add(namespace + pattern.name)
                else:
                    unnamed.append(prefix + str(pattern.pattern))

    walk(get_resolver(), "", "/")

    assert not unnamed, f"every route must be named; unnamed: {sorted(unnamed)}"
    missing = sorted(named - MATRIX.keys())
    assert not missing, f"routes missing from the authorization matrix: {missing}"
    unknown = sorted(MATRIX.keys() - named)
    assert not unknown, f"matrix entries that are not routes: {unknown}"


def test_write_detector_sees_the_tables_an_allowed_post_writes(shared: Prepared) -> None:
    """The denied-requests-write-nothing check above would notice a real write."""
    _, web = web_for(shared, "clinician")
    url = reverse("care:session_detail", args=[shared.cast.adult_session.pk])

    with CaptureQueriesContext(connection) as queries:
        response = web.post(url, SESSION_RECORD)

    assert response.status_code == 302
    assert "care_session" in tables_written(queries) - BOOKKEEPING_TABLES


def test_every_matrix_case_states_a_status_for_every_role() -> None:
    for route, cases in MATRIX.items():
        assert cases, f"{route} has no cases"
        for case in cases:
            assert list(case.expected) == ROLES, (route, case.method, case.target)
            assert case.method in {"GET", "POST"}, (route, case.method)


def test_the_matrix_tries_at_bad_links_leave_nothing_behind(shared: Prepared) -> None:
    """Each bad-link case counts towards the per-address limit (10 in 10 minutes) only inside its
    own test: the matrix has more of them than the limit, and a valid link still opens."""
    _, web = web_for(shared, "anonymous")

    assert not LinkAttempt.objects.exists()
    assert web.get(reverse("measures:link_form", args=[shared.cast.link_token])).status_code == 200


# --- Measures: client mode, alerts and the portal's forms ---------------------------------------


def start_client_mode(web: WebClient, assignment: Assignment) -> Any:
    return web.post(reverse("measures:client_mode_start", args=[assignment.pk]))


def test_client_mode_opens_only_for_the_staff_member_who_started_it(cast: MatrixCast) -> None:
    web = signed_in(cast.co_clinician)
    started = start_client_mode(web, cast.own_assignment)
    outsider = signed_in(cast.outsider_clinician)
    refused = start_client_mode(outsider, cast.own_assignment)

    assert started.status_code == 302
    assert started["Location"] == reverse("measures:client_mode_form")
    assert web.get(reverse("measures:client_mode_form")).status_code == 200
    assert web.get(reverse("measures:client_mode_unlock")).status_code == 200
    assert refused.status_code == 404
    assert CLIENT_MODE not in outsider.session
    assert outsider.get(reverse("measures:client_mode_form")).status_code == 404
    assert outsider.get(reverse("measures:client_mode_unlock")).status_code == 404


def test_client_mode_checks_access_again_on_every_request(cast: MatrixCast) -> None:
    """Taken off the episode's team while the client holds the device: the form is gone."""
    web = signed_in(cast.co_clinician)
    assert start_client_mode(web, cast.own_assignment).status_code == 302
    cast.adult_episode.team_members.remove(cast.co_clinician)
    before = recorded_state()

    assert web.get(reverse("measures:client_mode_form")).status_code == 404
    assert web.post(reverse("measures:client_mode_form"), PHQ9_FORM).status_code == 404
    assert recorded_state() == before
    assert AuditEvent.objects.filter(
        actor_id=cast.co_clinician.pk,
        outcome=AuditEvent.Outcome.DENIED,
        object_type="measures.assignment",
        object_id=str(cast.own_assignment.pk),
    ).exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("clinician", {"own_alert"}),
        ("co_clinician", {"own_alert"}),
        ("supervisor", {"own_alert"}),
        ("other_supervisor", {"other_alert"}),
        ("outsider_clinician", {"other_alert"}),
    ],
)
def test_alert_inbox_lists_only_the_alerts_of_clients_in_care(
    shared: Prepared, role: str, expected: set[str]
) -> None:
    cast = shared.cast
    _, web = web_for(shared, role)

    page = web.get(reverse("alerts:inbox"), {"show": "all"})

    assert page.status_code == 200
    assert {alert.pk for alert in page.context["alerts"]} == {
        getattr(cast, name).pk for name in expected
    }


def portal_forms_on(page: Any) -> set[int]:
    """The assignments a portal page links to."""
    return {
        pk
        for pk in Assignment.objects.values_list("pk", flat=True)
        if f'href="{reverse("portal:assignment", args=[pk])}"' in page.text
    }


@pytest.mark.parametrize(
    ("role", "own"),
    [
        ("adult_client", "own_assignment"),
        ("adolescent_client", "adolescent_assignment"),
        ("guardian", "guardian_assignment"),
    ],
)
def test_portal_home_lists_only_the_forms_the_user_answers(
    shared: Prepared, role: str, own: str
) -> None:
    """Not another client's forms, nor (for a guardian) the young person's own."""
    _, web = web_for(shared, role)

    page = web.get(reverse("portal:home"))

    assert page.status_code == 200
    assert portal_forms_on(page) == {getattr(shared.cast, own).pk}


def test_inactive_guardian_link_closes_the_guardians_forms(cast: MatrixCast) -> None:
    GuardianLink.objects.filter(pk=cast.guardian_link.pk).update(is_active=False)
    web = signed_in(cast.guardian)
    url = reverse("portal:assignment", args=[cast.guardian_assignment.pk])

    assert web.get(url).status_code == 404
    assert web.post(url, CHECKIN_FORM).status_code == 404
    assert not portal_forms_on(web.get(reverse("portal:home")))
    assert Assignment.objects.get(pk=cast.guardian_assignment.pk).status == "pending"


# --- Audit of clinical access -------------------------------------------------------------------


def clinical_denial(route: str, case: Case, role: str) -> bool:
    return route in CLINICAL_OBJECT_ROUTES and case.expected[role] == 404


def clinical_read(route: str, case: Case, role: str) -> bool:
    return route in CLINICAL_OBJECT_ROUTES and case.method == "GET" and case.expected[role] == 200


def last_audit_event_id() -> int:
    """Events after this one were left by the request under test (the cast's set-up left some)."""
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def client_id_of(object_type: str, pk: int) -> int:
    if object_type == "people.client":
        return pk
    if object_type == "people.guardianlink":
        return GuardianLink.objects.get(pk=pk).client_id
    if object_type == "care.episode":
        return Episode.objects.get(pk=pk).client_id
    if object_type == "alerts.alert":
        return Alert.objects.get(pk=pk).client_id
    on_episode = {
        "care.session": Session,
        "measures.assignment": Assignment,
        "measures.measureplan": MeasurePlan,
        "measures.response": MeasureResponse,
    }[object_type]
    return on_episode.objects.select_related("episode").get(pk=pk).episode.client_id


@pytest.mark.parametrize(("route", "case", "role"), matrix_params(clinical_denial))
def test_denied_attempt_on_a_clinical_object_is_audited_as_denied(
    shared: Prepared, route: str, case: Case, role: str
) -> None:
    cast = shared.cast
    object_type, kwarg = CLINICAL_OBJECT_ROUTES[route]
    object_id = resolve(cast, case.kwargs[kwarg])
    user, web = web_for(shared, role)
    before = last_audit_event_id()

    response = send(web, case, case.url(route, cast), cast)

    assert response.status_code == 404
    events = AuditEvent.objects.filter(pk__gt=before, actor_id=user.pk)
    denied = events.filter(outcome=AuditEvent.Outcome.DENIED)
    assert denied.filter(object_type=object_type, object_id=str(object_id)).exists(), list(
        denied.values("action", "object_type", "object_id")
    )
    assert not events.filter(outcome=AuditEvent.Outcome.OK, object_type=object_type).exists()


@pytest.mark.parametrize(("route", "case", "role"), matrix_params(clinical_read))
def test_successful_clinical_read_is_audited_as_ok_with_the_client_id(
    shared: Prepared, route: str, case: Case, role: str
) -> None:
    cast = shared.cast
    object_type, kwarg = CLINICAL_OBJECT_ROUTES[route]
    object_id = resolve(cast, case.kwargs[kwarg])
    user, web = web_for(shared, role)
    before = last_audit_event_id()

    response = send(web, case, case.url(route, cast), cast)

    assert response.status_code == 200
    event = AuditEvent.objects.filter(
        pk__gt=before, actor_id=user.pk, object_type=object_type, object_id=str(object_id)
    ).get()
    assert event.outcome == AuditEvent.Outcome.OK
    assert event.client_id == client_id_of(object_type, object_id)
    # Showing an edit form is a read; saving it is the write. Portal users' reads are their own.
    assert event.action == ("portal_read" if route.startswith("portal:") else "read")


def test_clinician_reading_a_client_page_leaves_a_read_event_for_that_client(
    cast: Cast,
) -> None:
    web = signed_in(cast.clinician)

    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 200

    event = AuditEvent.objects.get(actor_id=cast.clinician.pk, object_type="people.client")
    assert (event.action, event.outcome, event.client_id) == ("read", "ok", cast.adult_client.pk)


def test_outsider_opening_a_client_page_leaves_only_a_denied_event(cast: Cast) -> None:
    web = signed_in(cast.outsider_clinician)
    before = last_audit_event_id()

    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404

    events = AuditEvent.objects.filter(pk__gt=before, actor_id=cast.outsider_clinician.pk).exclude(
        action="sign_in"
    )
    assert list(events.values_list("action", "outcome", "object_type", "object_id")) == [
        ("read", "denied", "people.client", str(cast.adult_client.pk))
    ]


# --- Break-glass --------------------------------------------------------------------------------


def open_break_glass(web: WebClient, client: Client) -> None:
    response = web.post(
        reverse("people:break_glass", args=[client.pk]),
        {"reason": "Safeguarding concern raised by phone"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:client_detail", args=[client.pk])


def test_admin_without_break_glass_gets_not_found_on_a_client_page(cast: Cast) -> None:
    web = signed_in(cast.admin)

    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404
    assert web.get(reverse("care:session_detail", args=[cast.adult_session.pk])).status_code == 404


def test_break_glass_needs_a_reason_of_at_least_ten_characters(cast: Cast) -> None:
    web = signed_in(cast.admin)

    response = web.post(
        reverse("people:break_glass", args=[cast.adult_client.pk]), {"reason": "because"}
    )

    assert response.status_code == 200
    assert not BreakGlassGrant.objects.exists()
    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404


def test_break_glass_lets_the_admin_read_the_client_page(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)

    page = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))

    assert page.status_code == 200
    assert "Alex Adult" in page.text
    assert "Read-only view under break-glass access" in page.text
    grant = BreakGlassGrant.objects.get()
    assert (grant.user_id, grant.client_id) == (cast.admin.pk, cast.adult_client.pk)
    assert AuditEvent.objects.filter(
        actor_id=cast.admin.pk, action="break_glass", outcome="ok", client_id=cast.adult_client.pk
    ).exists()
    assert AuditEvent.objects.filter(
        actor_id=cast.admin.pk, action="read", outcome="ok", client_id=cast.adult_client.pk
    ).exists()


def test_break_glass_is_read_only_and_a_session_post_writes_nothing(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)
    url = reverse("care:session_detail", args=[cast.adult_session.pk])
    assert web.get(url).status_code == 200
    before = recorded_state()

    response = web.post(url, SESSION_RECORD)

    assert response.status_code == 403
    assert recorded_state() == before
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.attendance == Attendance.SCHEDULED
    assert cast.adult_session.private_notes == ""


def test_break_glass_write_attempt_is_audited_as_denied(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)

    url = reverse("care:session_detail", args=[cast.adult_session.pk])
    response = web.post(url, SESSION_RECORD)

    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        actor_id=cast.admin.pk, outcome="denied", client_id=cast.adult_client.pk
    ).exists()


def test_break_glass_lets_the_admin_read_responses_but_not_act_on_measures(
    cast: MatrixCast,
) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)
    before = recorded_state()

    def status(route: str, obj: Any, data: dict[str, Any] | None = None) -> int:
        url = reverse(route, args=[obj.pk])
        return (web.get(url) if data is None else web.post(url, data)).status_code

    assert status("measures:response_detail", cast.own_response) == 200
    assert status("measures:response_fhir", cast.own_response) == 200
    assert status("measures:response_detail", cast.other_response) == 404
    assert status("measures:response_fhir", cast.other_response) == 404
    # Acting on measures and alerts is for clinical staff: refused by role, even under a grant.
    assert status("measures:assignment_complete", cast.own_assignment, PHQ9_FORM) == 403
    assert status("measures:plan_stop", cast.own_plan, {}) == 403
    assert status("alerts:resolve", cast.own_alert, ALERT_NOTE) == 403
    assert recorded_state() == before


def test_break_glass_covers_only_the_client_it_was_granted_for(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)

    assert web.get(reverse("people:client_detail", args=[cast.other_client.pk])).status_code == 404
    assert web.get(reverse("care:session_detail", args=[cast.other_session.pk])).status_code == 404


def test_expired_break_glass_grant_no_longer_opens_the_record(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)
    BreakGlassGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404


# --- What guardians and adolescents can see -----------------------------------------------------

ADULT_SECRET = "ADULT-PRIVATE-NOTE-7f3a"
TEEN_SECRET = "TEEN-PRIVATE-NOTE-91c2"


@pytest.fixture
def notes_on_record(cast: MatrixCast) -> MatrixCast:
    """Private notes on the adult's session and on two of the adolescent's (past and upcoming).

    The adolescent has also written free text in a session feedback (TEEN_FREE_TEXT, see
    add_measures) and is half-way through the next one (TEEN_DRAFT_TEXT); the guardian may see
    the young person's scores, not what they wrote.
    """
    cast.adult_session.private_notes = ADULT_SECRET
    cast.adult_session.save()
    for days in (-3, 5):
        session = make_session(cast.adolescent_episode, days_from_now=days)
        session.private_notes = f"{TEEN_SECRET} ({days:+d} days)"
        session.save()
    GuardianLink.objects.filter(pk=cast.guardian_link.pk).update(
        may_see_client_answers=True, may_see_client_free_text=False
    )
    return cast


def test_guardian_portal_shows_the_adolescent_by_preferred_name_without_notes(
    notes_on_record: MatrixCast,
) -> None:
    cast = notes_on_record
    page = signed_in(cast.guardian).get(reverse("portal:home"))

    assert page.status_code == 200
    assert re.search(r"<h2>\s*Ti\s*</h2>", page.text), "the adolescent's card, by preferred name"
    assert "with Clinician" in page.text  # the upcoming session is on the schedule
    for never in (TEEN_SECRET, ADULT_SECRET, "Alex Adult", "Olive Other", "Fay Foreign"):
        assert never not in page.text


def test_private_notes_are_on_the_clinicians_session_page(notes_on_record: MatrixCast) -> None:
    """The secret strings really render somewhere, so their absence elsewhere means something."""
    cast = notes_on_record
    web = signed_in(cast.supervisor)

    page = web.get(reverse("care:session_detail", args=[cast.adult_session.pk]))

    assert page.status_code == 200
    assert ADULT_SECRET in page.text


def test_the_adolescents_free_text_is_on_the_clinicians_response_page(
    notes_on_record: MatrixCast,
) -> None:
    """The strings really render somewhere, so their absence elsewhere means something."""
    cast = notes_on_record
    web = signed_in(cast.clinician)

    response_page = web.get(reverse("measures:response_detail", args=[cast.adolescent_response.pk]))
    teen_form = signed_in(cast.adolescent_client_user).get(
        reverse("portal:assignment", args=[cast.adolescent_assignment.pk])
    )

    assert response_page.status_code == 200
    assert TEEN_FREE_TEXT in response_page.text
    assert teen_form.status_code == 200
    assert TEEN_DRAFT_TEXT in teen_form.text  # their own draft, kept for them


def test_guardian_sees_the_adolescents_scores_but_not_their_words(
    notes_on_record: MatrixCast,
) -> None:
    cast = notes_on_record
    page = signed_in(cast.guardian).get(reverse("portal:home"))

    assert page.status_code == 200
    assert "Feedback</strong>" in page.text  # the young person's feedback score is shared
    assert TEEN_FREE_TEXT not in page.text
    assert TEEN_DRAFT_TEXT not in page.text


@pytest.mark.parametrize("role", ["guardian", "adolescent_client", "adult_client"])
def test_portal_users_never_see_private_notes_on_any_page(
    notes_on_record: MatrixCast, role: str
) -> None:
    cast = notes_on_record
    web = signed_in(cast.person(role))
    teen_sessions = Session.objects.filter(episode=cast.adolescent_episode)
    extra = [reverse("care:session_detail", args=[s.pk]) for s in teen_sessions]
    teen_forms = Assignment.objects.filter(episode=cast.adolescent_episode)
    extra += [reverse("portal:assignment", args=[a.pk]) for a in teen_forms]
    extra += [reverse("measures:response_detail", args=[cast.adolescent_response.pk])]
    urls = {
        case.url(route, cast)
        for route, cases in MATRIX.items()
        for case in cases
        if case.method == "GET"
    } | set(extra)
    # What the adolescent wrote is theirs and their clinician's: nobody else's in the portal.
    never = [TEEN_SECRET, ADULT_SECRET]
    if role != "adolescent_client":
        never += [TEEN_FREE_TEXT, TEEN_DRAFT_TEXT]

    for url in sorted(urls):
        response = web.get(url, follow=True)
        body = response.content.decode(errors="replace")
        for secret in never:
            assert secret not in body, (url, secret)


def test_adolescent_portal_shows_their_own_care_and_nobody_else(
    notes_on_record: MatrixCast,
) -> None:
    cast = notes_on_record
    page = signed_in(cast.adolescent_client_user).get(reverse("portal:home"))

    assert page.status_code == 200
    assert "Your care" in page.text
    for never in (TEEN_SECRET, ADULT_SECRET, "Alex Adult", "Olive Other"):
        assert never not in page.text


def test_inactive_guardian_link_hides_the_adolescent_from_the_guardian(cast: Cast) -> None:
    GuardianLink.objects.filter(pk=cast.guardian_link.pk).update(is_active=False)

    page = signed_in(cast.guardian).get(reverse("portal:home"))

    assert page.status_code == 200
    assert "Tia Teen" not in page.text
    assert "<h2>Ti</h2>" not in page.text
