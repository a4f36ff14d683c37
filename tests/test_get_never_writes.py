"""Opening a page never changes the database: every GET of every route, as every role.

The routes and their parameters come from the authorization matrix (tests/authorization/), so a
new page is covered as soon as it is in the matrix. Two independent checks per request: no
INSERT, UPDATE or DELETE was sent, and the row count of every table is as before. Only the
bookkeeping any request may leave is ignored: the audit trail, the sign-in session and the count
of tries at measure links (see tests/authorization/bookkeeping.py).
"""

from __future__ import annotations

import functools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.authorization.bookkeeping import BOOKKEEPING_TABLES, tables_written
from tests.authorization.cases import Case
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    send,
    shared_fixture,
    web_for,
)
from tests.authorization.matrix import matrix_params

IGNORED = BOOKKEEPING_TABLES | {"axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def row_counts() -> dict[str, int]:
    """Every table's row count, in one statement: a statement per table made this check cost
    more than the request it checks (thousands of round trips per module on PostgreSQL)."""
    tables = counted_tables()
    counts = ", ".join(f'(SELECT COUNT(*) FROM "{table}")' for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # noqa: S608 - names from the schema
        return dict(zip(tables, cursor.fetchone(), strict=True))


@functools.cache
def counted_tables() -> tuple[str, ...]:
    """The tables to count: the schema does not change while the tests run."""
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return tuple(table for table in names if table not in IGNORED)


def a_get(route: str, case: Case, role: str) -> bool:
    return case.method == "GET"


@pytest.mark.parametrize(("route", "case", "role"), matrix_params(a_get))
def test_opening_a_page_writes_nothing(shared: Prepared, route: str, case: Case, role: str) -> None:
    cast = shared.cast
    _, web = web_for(shared, role)
    url = case.url(route, cast)
    before = row_counts()

    with CaptureQueriesContext(connection) as queries:
        send(web, case, url, cast)

    written = tables_written(queries) - IGNORED
    assert not written, f"GET {url} as {role} wrote to {sorted(written)}"
    after = row_counts()
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert not changed, f"GET {url} as {role} changed row counts {changed}"


def test_the_check_notices_a_page_that_writes(shared: Prepared) -> None:
    """The detector itself: a write inside the captured block is seen by both checks."""
    from rapport.care.models import Session

    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        Session.objects.create(
            episode=shared.cast.adult_session.episode,
            clinician=shared.cast.clinician,
            scheduled_start=shared.cast.adult_session.scheduled_start,
            modality="video",
        )
    assert "care_session" in tables_written(queries)
    assert row_counts()["care_session"] == before["care_session"] + 1
