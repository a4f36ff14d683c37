"""The API's operations called as programs call them: with each role's own token.

Every operation of the matrix's API rows (tests/authorization/routes_api.py) gives each member
of staff, with a token of the scope it needs, what their session gets — the FHIR operations
aside, which only a token opens (API_TOKEN_ROWS). Clients and guardians cannot hold a token;
their sessions get 403 there, and no token at all is 401. A token of a scope that does not
cover the operation is 403 before any record is read; another practice's object is 404. A
refused call writes nothing but the audit trail and the token's last use.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext

from rapport.accounts.models import ApiToken
from rapport.accounts.services import api_token_create
from rapport.audit.models import AuditEvent
from tests.authorization.bookkeeping import BOOKKEEPING_TABLES, tables_written
from tests.authorization.cases import ROLES, Case, row
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    send,
    shared_fixture,
    web_for,
)
from tests.authorization.routes_api import API_ROUTES

FHIR = {"api:fhir_everything", "api:fhir_import"}
READ_ONLY = {"GET"}
# Columns:                     adm  sup  osup cli  co   out  adult teen grd  anon
API_TOKEN_ROWS = {
    ("api:fhir_everything", "own"): row(404, 200, 404, 200, 200, 404, 403, 403, 403, 401),
    ("api:fhir_everything", "foreign"): row(404, 404, 404, 404, 404, 404, 403, 403, 403, 401),
    ("api:fhir_import", ""): row(200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
}
STAFF = [
    "admin",
    "supervisor",
    "other_supervisor",
    "clinician",
    "co_clinician",
    "outsider_clinician",
]


def needed_scope(route: str, case: Case) -> str:
    return "fhir" if route in FHIR else "read" if case.method in READ_ONLY else "write"


@pytest.fixture(autouse=True)
def _api_settings(settings: Any) -> None:
    settings.RAPPORT_FHIR_BASE = "https://rapport.example.org/fhir"
    settings.RAPPORT_API_RATE_PER_MINUTE = 10000


def api_cases() -> list[Any]:
    return [
        pytest.param(route, case, id=f"{route}-{case.method}-{case.target or 'all'}")
        for route, cases in API_ROUTES.items()
        if route.startswith("api:") and route not in {"api:api-root", "api:openapi-json"}
        for case in cases
    ]


@pytest.fixture(scope="module")
def tokens(prepared: Prepared, django_db_blocker: Any) -> dict[tuple[str, str], str]:
    """A token of each scope for each member of staff, made once in the module's transaction."""
    made = {}
    with django_db_blocker.unblock():
        for role in STAFF:
            for scope in ApiToken.Scope.values:
                user = prepared.cast.person(role)
                made[role, scope] = api_token_create(
                    actor=None, user=user, name=scope, scope=scope
                )[1]
    return made


def caller(
    prepared: Prepared, tokens: dict[tuple[str, str], str], role: str, scope: str
) -> WebClient:
    if role in STAFF:
        return WebClient(HTTP_AUTHORIZATION=f"Bearer {tokens[role, scope]}")
    return web_for(prepared, role)[1]  # a client's or guardian's session, or nobody


@pytest.mark.parametrize(("route", "case"), api_cases())
def test_each_role_with_a_token_of_the_needed_scope_gets_what_the_pages_give(
    shared: Prepared, tokens, route: str, case: Case
) -> None:
    """Every role in turn, each role's call undone (a savepoint rolled back) before the next's;
    a failure names every role that failed."""
    failures = []
    for role in ROLES:
        with transaction.atomic():
            try:
                check_one_role(shared, tokens, route, case, role)
            except AssertionError as failure:
                failures.append(f"{role}: {failure}")
            transaction.set_rollback(True)
    assert not failures, f"{case.method} {route} ({case.target})\n" + "\n".join(failures)


def check_one_role(shared: Prepared, tokens, route: str, case: Case, role: str) -> None:
    cast = shared.cast
    expected = API_TOKEN_ROWS.get((route, case.target), case.expected)[role]
    web = caller(shared, tokens, role, needed_scope(route, case))

    with CaptureQueriesContext(connection) as queries:
        reply = send(web, case, case.url(route, cast), cast)

    assert reply.status_code == expected, reply.content[:300]
    if expected >= 400:
        assert reply.json()["detail"], "a refusal says why"
    if expected in (401, 403, 404):
        written = tables_written(queries) - BOOKKEEPING_TABLES - {"accounts_apitoken"}
        assert not written, f"a refused call wrote to {sorted(written)}"


@pytest.mark.parametrize(
    ("route", "case"), [p for p in api_cases() if needed_scope(*p.values) != "read"]
)
def test_a_token_whose_scope_does_not_cover_the_operation_is_403_and_reads_nothing(
    shared: Prepared, tokens, route: str, case: Case
) -> None:
    needed = needed_scope(route, case)
    wrong = {"write": "read", "fhir": "write"}[needed]  # every scope may read
    role = "admin" if route == "api:fhir_import" else "clinician"
    web = caller(shared, tokens, role, wrong)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    reply = send(web, case, case.url(route, shared.cast), shared.cast)

    assert reply.status_code == 403
    assert "scope" in reply.json()["detail"]
    assert not AuditEvent.objects.filter(pk__gt=before, action__in=["read", "write"]).exists()
