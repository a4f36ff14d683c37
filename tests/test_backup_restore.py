"""The backup and restore drill, as the README tells an operator to do it: on PostgreSQL
`pg_dump` and `pg_restore` into a fresh database, on SQLite the online backup API. The copy must
hold the same rows in every table, and its audit trail must verify, also against the newest
signed checkpoint. A copy older than the newest checkpoint must be reported, not pass."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from rapport.audit.queries import audit_verify
from rapport.audit.services import audit_checkpoint_write, audit_record
from rapport.harness.backup import (
    drop_database,
    pg_dump_and_restore,
    postgres_tool,
    sqlite_online_backup,
    table_checksums,
)
from rapport.plans import services as plans
from tests.test_plans import goal_fields

on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="pg_dump and pg_restore: run with DATABASE_URL set to a PostgreSQL server",
)
on_sqlite = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="SQLite's online backup: the SQLite test run"
)


@pytest.fixture
def stored(transactional_db, cast):
    """Clinical rows and audit events, committed (a dump runs in another process)."""
    draft = plans.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="First plan"
    )
    plans.plan_draft_update(actor=cast.clinician, version=draft, approach="Sleep diary")
    plans.goal_add(actor=cast.clinician, version=draft, **goal_fields())
    for _ in range(5):
        audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    return cast


def checksums() -> dict[str, tuple[int, str]]:
    with connection.cursor() as cursor:
        return table_checksums(cursor, sorted(connection.introspection.table_names(cursor)))


@contextmanager
def connected_to(name: str) -> Iterator[None]:
    """The app's connection pointed at the restored copy, as after a real restore."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@pytest.fixture
def restored_copy(stored, tmp_path):
    """A function taking a backup now and returning a context manager connected to its copy."""
    made: list[str] = []

    def take() -> str:
        if connection.vendor == "postgresql":
            if not postgres_tool("pg_dump"):
                pytest.skip("pg_dump is not installed")
            db = connection.settings_dict
            target = f"{db['NAME']}_restore_{uuid.uuid4().hex[:8]}"
            pg_dump_and_restore(db, db["NAME"], target, tmp_path / f"{target}.dump")
        else:
            connection.ensure_connection()
            target = str(tmp_path / f"copy-{len(made)}.sqlite3")
            sqlite_online_backup(connection.connection, tmp_path / f"copy-{len(made)}.sqlite3")
        made.append(target)
        return target

    yield take
    if connection.vendor == "postgresql":
        for name in made:
            drop_database(connection.settings_dict, name)


def test_a_restored_copy_has_every_table_equal_and_an_intact_trail_up_to_the_checkpoint(
    restored_copy,
):
    checkpoint = audit_checkpoint_write()
    before = checksums()
    copy = restored_copy()

    with connected_to(copy):
        after = checksums()
        report = audit_verify()

    assert after == before
    assert before["audit_auditevent"][0] >= 8  # the drill copied a real trail
    assert report.intact, report
    assert report.checkpoint is not None
    assert report.checkpoint.sequence == checkpoint.sequence


def test_a_copy_older_than_the_newest_checkpoint_is_reported_as_a_shortened_trail(
    restored_copy, cast
):
    audit_checkpoint_write()
    copy = restored_copy()
    # Work goes on after the backup, and the worker signs a newer checkpoint.
    audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    newest = audit_checkpoint_write()

    with connected_to(copy):
        report = audit_verify()

    assert not report.intact
    assert report.first_break is not None
    assert report.first_break.sequence <= newest.sequence


@on_postgresql
def test_the_postgresql_drill_uses_pg_dump_and_pg_restore(restored_copy):
    assert postgres_tool("pg_restore")
    copy = restored_copy()
    with connected_to(copy), connection.cursor() as cursor:
        # The append-only triggers come back with the restore.
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal"
        )
        assert cursor.fetchone()[0] >= 1


@on_sqlite
def test_the_sqlite_backup_is_taken_while_another_connection_holds_the_database_open(
    restored_copy, cast
):
    # A second connection in the middle of a read transaction, as a running app would be.
    import sqlite3

    reader = sqlite3.connect(connection.settings_dict["NAME"])
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM audit_auditevent").fetchone()
    try:
        copy = restored_copy()
    finally:
        reader.rollback()
        reader.close()
    with connected_to(copy):
        assert audit_verify().first_break is None
