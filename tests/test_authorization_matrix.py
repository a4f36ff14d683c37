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
practice), "foreign" one from another practice. For the measures and alerts routes these tests
add, per episode, a PHQ-9 plan, a pending assignment and a completed response with its urgent
alert, plus the adolescent's and the guardian's own forms (MatrixCast, in
tests/authorization/matrix_cast.py).

Each role's one request is checked four ways (status; a denied request writes nothing; a GET
writes nothing, by the statements sent and by every table's row count; a clinical read or denial
is audited): one request per role rather than one per check. A case (a route, its object and its
method) is one test that tries every role in turn, each role's request in a savepoint rolled back
before the next: a test per role cost more in the test's own set-up and tear-down than in its
request.

Measure links (/m/<token>/) are public, like the sign-in page: whoever holds a valid token opens
the form, signed in or not; any other token gets 410.

The cast is built once per test module (with the conftest's own build_cast, see
tests/authorization/fixtures.py) inside a transaction, and each test runs in a savepoint rolled
back afterwards: hundreds of cases stay fast.

The matrix data is in tests/authorization/ (routes_people_care.py, routes_measures.py); break-glass,
what guardians and adolescents can see, and the measures' own checks have their own modules
(tests/test_authorization_*.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from rapport.audit.models import AuditEvent
from rapport.measures.models import LinkAttempt
from rapport.people.models import Client
from tests.authorization.bookkeeping import (
    BOOKKEEPING_TABLES,
    OPENING_MAY_WRITE,
    row_counts,
    tables_written,
)
from tests.authorization.cases import LOGIN, ROLES, Case, resolve
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    send,
    shared_fixture,
    web_for,
)
from tests.authorization.matrix import CLINICAL_OBJECT_ROUTES, MATRIX, matrix_params
from tests.authorization.payloads import SESSION_RECORD
from tests.conftest import Cast, signed_in


def is_denial(expected: int | str, role: str) -> bool:
    """Refused: by role, by object, by method, a dead link, (anonymous) sent to sign in, or (the
    API) no caller at all."""
    return expected in {401, 403, 404, 405, 410} or (expected == LOGIN and role == "anonymous")


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


@pytest.mark.parametrize(("route", "case"), matrix_params())
def test_every_role_gets_its_status_writes_only_what_it_may_and_is_audited(
    shared: Prepared, route: str, case: Case
) -> None:
    """One request per role, checked four ways: its status; a denied request writes nothing;
    opening a page (GET) writes nothing, by the statements sent and by every table's row count;
    a clinical object's read or denial leaves its audit event. Each role's request is undone (a
    savepoint rolled back) before the next role's, so every role meets the same database; a
    failure names every role that failed, not only the first."""
    cast = shared.cast
    url = case.url(route, cast)
    counts_before = row_counts() if case.method == "GET" else {}
    failures = []
    for role in ROLES:
        with transaction.atomic():
            try:
                check_one_role(shared, route, case, role, url, counts_before)
            except AssertionError as failure:
                failures.append(f"{role}: {failure}")
            transaction.set_rollback(True)
    assert not failures, f"{case.method} {url}\n" + "\n".join(failures)


def check_one_role(
    shared: Prepared, route: str, case: Case, role: str, url: str, counts_before: dict[str, int]
) -> None:
    cast = shared.cast
    user, web = web_for(shared, role)
    expected = case.expected[role]
    audit_before = last_audit_event_id()

    with CaptureQueriesContext(connection) as queries:
        response = send(web, case, url, cast)

    assert_status(response, expected)
    written = tables_written(queries)
    if is_denial(expected, role):
        assert not written - BOOKKEEPING_TABLES, (
            f"a denied {case.method} to {url} wrote to {sorted(written - BOOKKEEPING_TABLES)}"
        )
    if case.method == "GET":
        assert_opening_wrote_nothing(url, role, written, counts_before)
    if clinical_denial(route, case, role):
        assert_audited_as_denied(cast, route, case, user.pk, audit_before)
    if clinical_read(route, case, role):
        assert_audited_as_read(cast, route, case, role, user.pk, audit_before)


def assert_opening_wrote_nothing(
    url: str, role: str, written: set[str], counts_before: dict[str, int]
) -> None:
    """GET never writes: no INSERT, UPDATE or DELETE was sent, and no table's row count moved
    (two independent checks; only the bookkeeping any request may leave is ignored)."""
    assert not written - OPENING_MAY_WRITE, (
        f"GET {url} as {role} wrote to {sorted(written - OPENING_MAY_WRITE)}"
    )
    after = row_counts()
    changed = {t: (n, after.get(t)) for t, n in counts_before.items() if n != after.get(t)}
    assert not changed, f"GET {url} as {role} changed row counts {changed}"


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


def test_the_opening_check_notices_a_page_that_writes(shared: Prepared) -> None:
    """The GET-never-writes check itself: a write inside the captured block is seen by both
    the statements and the row counts."""
    from rapport.care.models import Session

    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        Session.objects.create(
            episode=shared.cast.adult_session.episode,
            clinician=shared.cast.clinician,
            scheduled_start=shared.cast.adult_session.scheduled_start,
            modality="video",
        )
    assert "care_session" in tables_written(queries) - OPENING_MAY_WRITE
    assert row_counts()["care_session"] == before["care_session"] + 1


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


# --- Audit of clinical access -------------------------------------------------------------------


PORTAL_ROLES = frozenset({"adult_client", "adolescent_client", "guardian"})


def clinical_denial(route: str, case: Case, role: str) -> bool:
    return route in CLINICAL_OBJECT_ROUTES and case.expected[role] == 404


def clinical_read(route: str, case: Case, role: str) -> bool:
    return route in CLINICAL_OBJECT_ROUTES and case.method == "GET" and case.expected[role] == 200


def last_audit_event_id() -> int:
    """Events after this one were left by the request under test (the cast's set-up left some)."""
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def client_id_of(object_type: str, pk: int) -> int:
    return _client_id(apps.get_model(object_type).objects.get(pk=pk))


# How the objects of later domains hang together: each leads, in the end, to an episode.
_PARENTS = ("episode", "ladder", "step", "plan", "version", "goal", "problem")


def _client_id(obj: Any) -> int:
    if isinstance(obj, Client):
        return int(obj.pk)
    if getattr(obj, "client_id", None) is not None:
        return int(obj.client_id)
    for name in _PARENTS:
        if (parent := getattr(obj, name, None)) is not None:
            return _client_id(parent)
    raise AssertionError(f"no way from {obj!r} to its client")


def assert_audited_as_denied(
    cast: Cast, route: str, case: Case, user_id: int, audit_before: int
) -> None:
    """A refused look at a clinical object is audited as denied, never as a read."""
    object_type, kwarg = CLINICAL_OBJECT_ROUTES[route]
    object_id = resolve(cast, case.kwargs[kwarg])
    events = AuditEvent.objects.filter(pk__gt=audit_before, actor_id=user_id)
    denied = events.filter(outcome=AuditEvent.Outcome.DENIED)
    assert denied.filter(object_type=object_type, object_id=str(object_id)).exists(), list(
        denied.values("action", "object_type", "object_id")
    )
    assert not events.filter(outcome=AuditEvent.Outcome.OK, object_type=object_type).exists()


def assert_audited_as_read(
    cast: Cast, route: str, case: Case, role: str, user_id: int, audit_before: int
) -> None:
    """A clinical read leaves one event, "ok", naming the client whose record was read."""
    object_type, kwarg = CLINICAL_OBJECT_ROUTES[route]
    object_id = resolve(cast, case.kwargs[kwarg])
    event = AuditEvent.objects.filter(
        pk__gt=audit_before, actor_id=user_id, object_type=object_type, object_id=str(object_id)
    ).get()
    assert event.outcome == AuditEvent.Outcome.OK
    assert event.client_id == client_id_of(object_type, object_id)
    # Showing an edit form is a read; saving it is the write. Portal users' reads are their own,
    # on the portal's pages and on the pages staff and portal share (reports).
    portal_read = route.startswith("portal:") or role in PORTAL_ROLES
    assert event.action == ("portal_read" if portal_read else "read")


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
