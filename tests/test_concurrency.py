"""Several app servers share one database: concurrent writers must not fork the audit chain or
carry out one submission twice. Real threads, real connections, real database locks."""

import threading
import uuid

import pytest
from django.db import close_old_connections, connection

from rapport.accounts.services import submission_once
from rapport.audit.models import AuditChainHead, AuditEvent
from rapport.audit.services import audit_record, audit_verify


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
