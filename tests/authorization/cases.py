"""The roles and how a case of the authorization matrix is written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.people.models import GuardianLink
from rapport.practices.models import Team
from tests.conftest import Cast, make_user

if TYPE_CHECKING:
    from tests.authorization.matrix_cast import MatrixCast

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


# --- The matrix's common rows ------------------------------------------------------------------
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
# Saving on such a page: the access layer answers (404 without a grant, 403 under one).
READ_OWN_302 = row(404, 302, 404, 302, 302, 404, 403, 403, 403, LOGIN)
READ_OTHER_302 = row(404, 404, 302, 404, 404, 302, 403, 403, 403, LOGIN)
# Portal forms: each client and guardian opens only the forms they answer themself.
PORTAL_NOBODY_404 = row(403, 403, 403, 403, 403, 403, 404, 404, 404, LOGIN)


def extra(name: str) -> Callable[[MatrixCast], int]:
    """A reference to an object an extension put into MatrixCast.extra (its pk)."""

    def pk_of(cast: MatrixCast) -> int:
        return int(cast.extra[name].pk)

    return pk_of
