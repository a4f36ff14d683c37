"""Monthly partitions of responses and audit events on PostgreSQL (rapport.partitions), and the
integrity the triggers keep where PostgreSQL's own constraints cannot reach a partitioned table.
Skipped on SQLite, which has no partitions (partitions_ensure does nothing there)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from rapport.audit.models import AuditEvent
from rapport.measures.models import Assignment, Response
from rapport.partitions import month_start, partition_name, partitions_ensure
from rapport.trajectories.models import ScoreStatus

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
)


def partitions_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def a_response(cast, completed_at: datetime) -> Response:  # type: ignore[no-untyped-def]
    assignment = Assignment.objects.create(
        episode=cast.adult_episode,
        instrument_id="phq9",
        respondent="client",
        respondent_key="client",
        status=Assignment.Status.COMPLETED,
        due_at=completed_at,
    )
    return Response.objects.create(
        assignment=assignment,
        episode=cast.adult_episode,
        instrument_id="phq9",
        instrument_version="1",
        respondent="client",
        answers={},
        total=5,
        mode=Response.Mode.IN_SESSION,
        completed_at=completed_at,
    )


def test_both_tables_have_this_and_the_next_months_and_a_default_partition(db):
    this_month = month_start(datetime.now(UTC).date())
    for table in ("measures_response", "audit_auditevent"):
        found = partitions_of(table)
        assert f"{table}_default" in found
        assert {partition_name(table, month_start(this_month, n)) for n in range(4)} <= found


def test_ensuring_partitions_is_idempotent_and_fills_missing_months(db):
    since = date(2019, 1, 1)
    made = partitions_ensure(since=since)
    assert partition_name("measures_response", since) in made
    assert partition_name("audit_auditevent", since) in made
    assert partitions_ensure(since=since) == []


def test_a_month_already_in_the_default_partition_stays_there(cast):
    a_response(cast, datetime(2018, 5, 3, tzinfo=UTC))
    made = partitions_ensure(since=date(2018, 4, 1), months_ahead=0)
    assert partition_name("measures_response", date(2018, 4, 1)) in made
    assert partition_name("measures_response", date(2018, 5, 1)) not in made
    assert Response.objects.filter(completed_at__year=2018).count() == 1


def test_a_query_for_one_month_reads_only_that_months_partition(cast):
    partitions_ensure(since=date(2025, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT count(*) FROM measures_response "
            "WHERE completed_at >= '2025-03-01' AND completed_at < '2025-04-01'"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "measures_response_y2025m03" in plan
    assert "measures_response_y2025m04" not in plan and "measures_response_default" not in plan


def test_an_assignment_still_takes_only_one_response(cast):
    first = a_response(cast, datetime.now(UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            assignment=first.assignment,
            episode=cast.adult_episode,
            instrument_id="phq9",
            instrument_version="1",
            respondent="client",
            answers={},
            total=6,
            mode=Response.Mode.IN_SESSION,
            completed_at=datetime(2025, 2, 1, tzinfo=UTC),  # another month: another partition
        )


def test_a_status_cannot_point_at_a_response_that_does_not_exist(cast):
    response = a_response(cast, datetime.now(UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreStatus.objects.create(
            response_id=response.pk + 1000,
            episode=cast.adult_episode,
            family="phq9",
            session_number=2,
            at=response.completed_at,
            status="on_track",
            method="rule",
            classified_at=response.completed_at,
        )
    assert not ScoreStatus.objects.exists()


def test_a_response_with_a_status_cannot_be_deleted_under_it(cast):
    response = a_response(cast, datetime.now(UTC))
    ScoreStatus.objects.create(
        response=response,
        episode=cast.adult_episode,
        family="phq9",
        session_number=2,
        at=response.completed_at,
        status="on_track",
        method="rule",
        classified_at=response.completed_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM measures_response WHERE id = %s", [response.pk])
    assert Response.objects.filter(pk=response.pk).exists()


def test_two_audit_events_cannot_share_a_place_in_the_chain(db):
    now = datetime.now(UTC)
    fields = {"occurred_at": now, "action": "view", "object_type": "x", "hash": "h"}
    AuditEvent.objects.create(sequence=10**12, previous_hash="p", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(sequence=10**12, previous_hash="q", **fields)


def test_a_partition_of_the_audit_trail_cannot_be_truncated(db):
    month = partition_name("audit_auditevent", month_start(datetime.now(UTC).date()))
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test runner's own exemption, withdrawn for this transaction.
        cursor.execute("SET LOCAL rapport.audit_maintenance = 'off'")
        cursor.execute(f"TRUNCATE {month}")


@pytest.mark.django_db(transaction=True)
def test_the_test_databases_flush_empties_every_table_the_audit_trail_and_partitions_included():
    """The test backend (rapport.testing.postgresql) deletes rows instead of truncating: an
    alert and a status refer to a response through statement-checked triggers, so a wrong
    order would fail here, and the audit trail is truncated, which its triggers allow the runner."""
    from django.core.management import call_command

    from rapport.alerts.models import Alert
    from rapport.audit.services import audit_record
    from tests.conftest import build_cast

    cast = build_cast()
    response = a_response(cast, datetime.now(UTC))
    Alert.raised(
        episode=cast.adult_episode,
        kind="risk",
        reason="PHQ-9: item 9",
        opened_at=response.completed_at,
        source_response=response,
    ).save()
    ScoreStatus.objects.create(
        response=response,
        episode=cast.adult_episode,
        family="phq9",
        session_number=2,
        at=response.completed_at,
        status="on_track",
        method="rule",
        classified_at=response.completed_at,
    )
    audit_record(actor=None, action="read", obj=response)
    assert AuditEvent.objects.exists()

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)

    tables = connection.introspection.django_table_names(only_existing=True)
    with connection.cursor() as cursor:
        left = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (introspected names)
            left[table] = cursor.fetchone()[0]
    assert {table: n for table, n in left.items() if n} == {
        "django_content_type": left["django_content_type"],
        "auth_permission": left["auth_permission"],
    }, "only what post_migrate recreates after a flush may remain"
