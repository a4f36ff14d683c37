"""The matrix's break-glass column: every route, as a practice admin holding a grant for the
adult client (the rule is in tests/authorization/break_glass.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.audit.models import AuditEvent, BreakGlassGrant
from tests.authorization.bookkeeping import BOOKKEEPING_TABLES, tables_written
from tests.authorization.break_glass import FORM_PAGES, READ_PAGES, break_glass_expected
from tests.authorization.cases import Case
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    send,
    shared_fixture,
    web_for,
)
from tests.authorization.matrix import CLINICAL_OBJECT_ROUTES, MATRIX
from tests.test_authorization_matrix import assert_status, client_id_of, is_denial

REASON = "Client's GP phoned with a safeguarding concern"


@pytest.fixture(scope="module")
def granted(prepared: Prepared, django_db_blocker: Any) -> Prepared:
    """The module's admin holds a grant for the adult client for the whole module."""
    with django_db_blocker.unblock():
        now = timezone.now()
        BreakGlassGrant.objects.create(
            user=prepared.cast.admin,
            client=prepared.cast.adult_client,
            reason=REASON,
            granted_at=now,
            expires_at=now + timedelta(days=1),
        )
    return prepared


def column_params() -> list[Any]:
    params = []
    for route, cases in MATRIX.items():
        for case in cases:
            parts = [route, case.target, "POST" if case.method == "POST" else ""]
            params.append(pytest.param(route, case, id="-".join(p for p in parts if p)))
    return params


@pytest.mark.parametrize(("route", "case"), column_params())
def test_a_break_glass_reader_gets_the_expected_status(
    granted: Prepared, shared: Prepared, route: str, case: Case
) -> None:
    cast = shared.cast
    expected = break_glass_expected(route, case, set(CLINICAL_OBJECT_ROUTES))
    _, web = web_for(shared, "admin")
    url = case.url(route, cast)

    with CaptureQueriesContext(connection) as queries:
        response = send(web, case, url, cast)

    assert_status(response, expected)
    if is_denial(expected, "admin"):
        written = tables_written(queries) - BOOKKEEPING_TABLES
        assert not written, f"a refused {case.method} to {url} wrote to {sorted(written)}"


def granted_reads() -> list[Any]:
    return [
        pytest.param(route, case, id=route)
        for route, cases in MATRIX.items()
        for case in cases
        if route in READ_PAGES
        and case.method == "GET"
        and case.target == "own"
        # A page the record's state leaves empty (409) is no read to audit.
        and case.expected["clinician"] == 200
    ]


@pytest.mark.parametrize(("route", "case"), granted_reads())
def test_a_break_glass_read_is_audited_as_such_with_the_client(
    granted: Prepared, shared: Prepared, route: str, case: Case
) -> None:
    cast = shared.cast
    object_type, kwarg = CLINICAL_OBJECT_ROUTES[route]
    object_id = case.kwargs[kwarg]
    pk = object_id(cast) if callable(object_id) else getattr(cast, object_id).pk
    _, web = web_for(shared, "admin")
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    assert send(web, case, case.url(route, cast), cast).status_code == 200

    event = AuditEvent.objects.filter(
        pk__gt=before, actor_id=cast.admin.pk, object_type=object_type, object_id=str(pk)
    ).get()
    assert event.client_id == client_id_of(object_type, pk) == cast.adult_client.pk
    assert event.detail == {"access": "break_glass"}


def test_every_page_of_a_clinical_record_is_classified_for_break_glass() -> None:
    """A page clinicians open on their own client is either readable under break-glass or a
    form refused to it: its author has to decide which."""
    pages = {
        route
        for route, cases in MATRIX.items()
        if route in CLINICAL_OBJECT_ROUTES and not route.startswith("portal:")
        for case in cases
        if case.method == "GET" and case.target == "own" and case.expected["clinician"] == 200
    }
    assert not READ_PAGES & FORM_PAGES
    assert pages == READ_PAGES | FORM_PAGES, sorted(pages ^ (READ_PAGES | FORM_PAGES))
