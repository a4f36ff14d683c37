"""Several app servers share one database: concurrent writers must not fork the audit chain or
carry out one submission twice. Real threads, real connections, real database locks."""

import threading
import uuid

import pytest
from django.db import close_old_connections, connection

from rapport.accounts.services import submission_once
from rapport.audit.models import AuditChainHead, AuditEvent
from rapport.audit.queries import audit_verify
from rapport.audit.services import audit_record


def run_in_threads(n: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def runner(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return errors


@pytest.fixture
def threaded_cast(transactional_db, cast):
    return cast


def test_concurrent_audit_appends_keep_one_unbroken_chain(threaded_cast):
    cast = threaded_cast
    before = AuditEvent.objects.count()

    def append(i: int) -> None:
        for _ in range(15):
            audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)

    assert run_in_threads(4, append) == []
    assert AuditEvent.objects.count() == before + 60
    assert audit_verify().first_break is None  # seals all 60 first
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    assert audit_verify().first_break is None


def test_a_submission_sent_four_times_at_once_is_carried_out_once(threaded_cast):
    cast = threaded_cast
    key = uuid.uuid4()
    performed: list[int] = []
    results: list[tuple[str, bool]] = []

    def submit(i: int) -> None:
        def perform() -> str:
            performed.append(i)
            audit_record(actor=cast.clinician, action="create", obj=cast.adult_client)
            return "/clients/1/"

        results.append(submission_once(user=cast.clinician, key=key, perform=perform))

    assert run_in_threads(4, submit) == []
    assert len(performed) == 1
    assert sorted(first for _, first in results) == [False, False, False, True]
    assert {url for url, _ in results} == {"/clients/1/"}


def test_writers_racing_to_start_a_missing_chain_head_all_append(transactional_db):
    # A fresh database whose chain head row is gone (a flushed test database): the first
    # writers create it together, and none takes the others' first event for a broken chain.
    assert not AuditEvent.objects.exists()
    AuditChainHead.objects.all().delete()

    def append(i: int) -> None:
        for _ in range(5):
            audit_record(actor=None, action="read", object_type="test.race", object_id=i)

    assert run_in_threads(4, append) == []
    assert AuditEvent.objects.count() == 20
    assert audit_verify().first_break is None


# --- Twenty identical posts at once, through the whole request path -----------------------------
# A double click, a retrying proxy and an impatient user together: twenty requests carrying the
# same form (and one-time key or link) race through the views, each on its own connection.

SAME_POST_TIMES = 20


def post_at_once(user, url: str, payload: dict[str, str]) -> list[int]:
    from django.test import Client as WebClient

    webs = []
    for _ in range(SAME_POST_TIMES):
        web = WebClient()
        if user is not None:
            web.force_login(user)
        webs.append(web)
    statuses: list[int] = []

    def post(i: int) -> None:
        statuses.append(webs[i].post(url, payload).status_code)

    assert run_in_threads(SAME_POST_TIMES, post) == []
    return statuses


def test_twenty_identical_rupture_posts_at_once_record_one_rupture(threaded_cast):
    from django.urls import reverse

    from rapport.alliance.models import Rupture

    cast = threaded_cast
    payload = {
        "kind": "withdrawal",
        "client_words": "I didn't feel heard today",
        "understanding": "Pushed the homework too hard",
        "submission_key": str(uuid.uuid4()),
    }
    url = reverse("alliance:rupture_new", args=[cast.adult_episode.pk])

    statuses = post_at_once(cast.clinician, url, payload)

    assert sorted(set(statuses)) == [302]
    assert Rupture.objects.filter(episode=cast.adult_episode).count() == 1
    created = AuditEvent.objects.filter(object_type="alliance.rupture", action="create")
    assert created.count() == 1


def test_twenty_identical_measure_submissions_through_one_link_store_one_response(threaded_cast):
    from django.urls import reverse

    from rapport.measures.models import Response
    from rapport.measures.services import link_issue, measure_plan_set, session_assignments_ensure
    from tests.conftest import assignment_for

    cast = threaded_cast
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")
    _, token = link_issue(actor=None, assignment=assignment)
    answers = {f"item:phq9-{n}": "1" for n in range(1, 10)}

    statuses = post_at_once(None, reverse("measures:link_form", args=[token]), answers)

    # The first stores; the rest find it stored (302 to "done") or the link used up (410).
    assert set(statuses) <= {302, 410}, statuses
    assert Response.objects.filter(assignment=assignment).count() == 1
    assert AuditEvent.objects.filter(object_type="measures.response", action="submit").count() == 1
    assert audit_verify().first_break is None


def test_appends_racing_with_several_sequencers_are_all_sealed_into_one_chain(threaded_cast):
    from rapport.audit.services import audit_seal

    cast = threaded_cast
    before = AuditEvent.objects.count()

    def append_and_seal(i: int) -> None:
        for n in range(12):
            audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
            if n % 3 == i % 3:
                audit_seal()

    assert run_in_threads(4, append_and_seal) == []
    assert audit_verify().first_break is None
    assert not AuditEvent.objects.filter(sequence__isnull=True).exists()
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, before + 49))
