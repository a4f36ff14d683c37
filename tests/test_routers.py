"""The replica router: the dashboard refresh and the trajectory refit read on the replica, every
write and every read inside a transaction goes to the primary, and without a replica everything
goes to the primary.

The replica here is a second connection alias to the test database (as `TEST: {"MIRROR":
"default"}` makes it when DATABASE_REPLICA_URL is set), so the tests commit their data
(transaction=True) for that second connection to see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.dashboards.models import DashboardSnapshot
from rapport.dashboards.refresh import dashboards_refresh
from rapport.measures.models import Response
from rapport.practices.models import Practice
from rapport.routers import PRIMARY, REPLICA, read_alias, replica_alias, replica_reads
from rapport.speed.dashboards import generate_practice
from rapport.trajectories.models import ExpectedTrajectory, ScoreStatus
from rapport.trajectories.queries import practice_scores
from rapport.trajectories.refresh import trajectories_refresh
from rapport.trajectories.services import trajectories_refit

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def replica(transactional_db, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A "replica" alias with its own connection to the test database. Added once the test's
    database access is set up, and connected at once: that set-up refuses to open connections
    for aliases the test did not declare, and it cannot declare one that does not exist yet."""
    mirrored = {**connections["default"].settings_dict, "TEST": {"MIRROR": PRIMARY}}
    connections.settings[REPLICA] = mirrored
    connections[REPLICA].connect()
    try:
        yield REPLICA
    finally:
        with django_db_blocker.unblock():
            connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"))
    ]


def test_without_a_replica_every_query_goes_to_the_primary(db):
    assert replica_alias() == PRIMARY
    with replica_reads():
        assert read_alias() == PRIMARY


def test_reads_go_to_the_replica_only_inside_replica_reads_and_outside_transactions(replica):
    assert replica_alias() == REPLICA
    assert read_alias() == PRIMARY
    with replica_reads():
        assert read_alias() == REPLICA
        with transaction.atomic():
            # What a transaction reads it may write from: it must see the primary.
            assert read_alias() == PRIMARY
        assert read_alias() == REPLICA
    assert read_alias() == PRIMARY


def test_the_dashboard_refresh_reads_on_the_replica_and_writes_on_the_primary(replica):
    generated = generate_practice(clients=60, seed=7)
    practice = Practice.objects.get(pk=generated.practice_id)
    with (
        CaptureQueriesContext(connections[PRIMARY]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica_side,
    ):
        snapshot = dashboards_refresh(practice=practice)

    on_replica = statements(replica_side)
    on_primary = statements(primary)
    # The data mark and the outcome scores and the session ratings: every read of responses.
    assert len([sql for sql in on_replica if "measures_response" in sql]) == 3
    assert not [sql for sql in on_replica if sql.lstrip().upper().startswith(WRITES)]
    assert not [sql for sql in on_primary if "measures_response" in sql]
    assert [sql for sql in on_primary if "dashboards_dashboardsnapshot" in sql]
    assert [sql for sql in on_primary if sql.startswith("INSERT") and "audit_auditevent" in sql]
    assert DashboardSnapshot.objects.get(practice=practice).pk == snapshot.pk
    assert snapshot.administrations == generated.administrations


def test_the_trajectory_refit_reads_scores_on_the_replica_and_writes_on_the_primary(replica):
    generated = generate_practice(clients=60, seed=8)
    practice = Practice.objects.get(pk=generated.practice_id)
    with (
        CaptureQueriesContext(connections[PRIMARY]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica_side,
    ):
        fitted = trajectories_refresh(practice=practice)

    on_replica = statements(replica_side)
    on_primary = statements(primary)
    assert [sql for sql in on_replica if "measures_response" in sql]
    assert not [sql for sql in on_replica if sql.lstrip().upper().startswith(WRITES)]
    assert not [sql for sql in on_primary if "measures_response" in sql]
    assert [sql for sql in on_primary if "trajectories_scorestatus" in sql]
    assert {e.family for e in fitted} >= {"phq9"}
    assert ExpectedTrajectory.objects.filter(practice=practice, family="phq9").exists()
    # Every PHQ-9 score after an intake was classified.
    phq9 = Response.objects.filter(episode__practice=practice, instrument_id="phq9").count()
    assert ScoreStatus.objects.filter(family="phq9").count() == phq9 - generated.episodes


def test_a_refit_from_a_lagging_replica_keeps_the_status_of_a_score_it_did_not_see(db):
    generated = generate_practice(clients=60, seed=9)
    practice = Practice.objects.get(pk=generated.practice_id)
    trajectories_refresh(practice=practice)
    read_at = timezone.now()
    scores = practice_scores(practice.pk, as_of=read_at)
    # The newest score reached the primary (and classified itself on arrival) after the
    # replica's copy that the refit read: its row is missing from what was read.
    newest = scores.rows_by_family["phq9"].pop()
    ScoreStatus.objects.filter(response_id=newest.response_id).update(
        classified_at=read_at + timedelta(seconds=1)
    )
    before = ScoreStatus.objects.count()

    trajectories_refit(practice=practice, scores=scores)

    assert ScoreStatus.objects.count() == before
    kept = ScoreStatus.objects.get(response_id=newest.response_id)
    assert kept.classified_at == read_at + timedelta(seconds=1)
    # Every status the read did cover was replaced by the refit.
    assert not ScoreStatus.objects.filter(classified_at__lt=read_at).exists()
