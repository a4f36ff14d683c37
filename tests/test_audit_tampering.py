"""Tampering with the audit trail is detected by anyone holding the key and the checkpoints.

Each scenario is what someone with write access to the database (but not to the key or the
checkpoint directory) could do: on PostgreSQL they first drop the append-only triggers, as the
owner of the tables could.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from rapport.audit.models import AuditChainHead, AuditEvent
from rapport.audit.queries import audit_verify
from rapport.audit.services import audit_checkpoint_if_due, audit_record, audit_seal_all
from rapport.core.auditchain import GENESIS_HASH, event_hash, parse_keyring

EVENTS = AuditEvent._meta.db_table
HEAD = AuditChainHead._meta.db_table
OLD_KEY = "old-secret-" + "a" * 40
NEW_KEY = "new-secret-" + "b" * 40


def tamper(*statements: tuple[str, list]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER USER")
            cursor.execute(f"ALTER TABLE {HEAD} DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER USER")
            cursor.execute(f"ALTER TABLE {HEAD} ENABLE TRIGGER USER")


def verify_fails() -> str:
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", stdout=StringIO())
    assert raised.value.returncode == 1
    message = str(raised.value)
    assert "\n" not in message
    return message


def verify_passes() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def write_events(cast, n: int) -> list[AuditEvent]:
    """Append n events and seal them, as the sequencer does within a minute; sealed as stored."""
    appended = [
        audit_record(actor=cast.clinician, action="read", obj=cast.adult_client) for _ in range(n)
    ]
    audit_seal_all()
    return list(AuditEvent.objects.filter(pk__in=[event.pk for event in appended]).order_by("id"))


def checkpoint() -> None:
    call_command("audit", "checkpoint", stdout=StringIO())


def rehash_unkeyed_from(sequence: int) -> None:
    """Recompute every plain SHA-256 hash from `sequence` on, as a forger without the key would."""
    events = list(AuditEvent.objects.order_by("sequence"))
    previous = GENESIS_HASH
    statements = []
    for event in events:
        if event.sequence >= sequence:
            new_hash = event_hash(previous, event.hashed_payload())
            statements.append(
                (
                    f"UPDATE {EVENTS} SET previous_hash = %s, hash = %s WHERE id = %s",
                    [previous, new_hash, event.pk],
                )
            )
            previous = new_hash
        else:
            previous = event.hash
    statements.append((f"UPDATE {HEAD} SET last_hash = %s WHERE id = 1", [previous]))
    tamper(*statements)


def test_each_event_records_the_key_it_was_signed_with(cast, settings):
    event = write_events(cast, 1)[0]
    assert event.key_id == settings.RAPPORT_AUDIT_KEYRING.current_id
    assert event.hash != event_hash(event.previous_hash, event.hashed_payload())


def test_an_intact_trail_with_a_checkpoint_verifies(cast):
    write_events(cast, 3)
    checkpoint()
    write_events(cast, 2)
    assert "intact: 6 events verified, matching the checkpoint at event 4" in verify_passes()


def test_an_edited_event_with_recomputed_plain_hashes_is_detected(cast):
    events = write_events(cast, 4)
    tamper((f"UPDATE {EVENTS} SET action = %s WHERE id = %s", ["nothing", events[1].pk]))
    rehash_unkeyed_from(events[1].sequence)
    assert f"event {events[1].sequence}" in verify_fails()


def test_a_rewritten_trail_stripped_of_its_keys_is_detected_by_the_checkpoint(cast):
    events = write_events(cast, 3)
    checkpoint()
    tamper((f"UPDATE {EVENTS} SET key_id = ''", []))
    rehash_unkeyed_from(1)
    assert "checkpoint" in verify_fails()
    assert events


def test_an_event_deleted_in_the_middle_is_detected(cast):
    events = write_events(cast, 5)
    tamper((f"DELETE FROM {EVENTS} WHERE id = %s", [events[2].pk]))
    assert f"event {events[2].sequence} is missing" in verify_fails()


def test_a_truncated_tail_with_the_head_moved_back_is_detected_by_the_checkpoint(cast):
    events = write_events(cast, 5)
    checkpoint()
    last_kept = events[2]
    tamper(
        (f"DELETE FROM {EVENTS} WHERE sequence > %s", [last_kept.sequence]),
        (
            f"UPDATE {HEAD} SET last_sequence = %s, last_hash = %s WHERE id = 1",
            [last_kept.sequence, last_kept.hash],
        ),
    )
    message = verify_fails()
    assert "records 6 events but 3 remain" in message


def test_a_wiped_trail_is_detected_by_the_checkpoint(cast):
    write_events(cast, 3)
    checkpoint()
    tamper(
        (f"DELETE FROM {EVENTS}", []),
        (f"UPDATE {HEAD} SET last_sequence = 0, last_hash = %s WHERE id = 1", [GENESIS_HASH]),
    )
    assert "but 0 remain" in verify_fails()


def test_a_deleted_checkpoint_directory_is_detected_when_the_trail_records_checkpoints(
    cast, settings
):
    write_events(cast, 2)
    checkpoint()
    shutil.rmtree(settings.RAPPORT_AUDIT_CHECKPOINT_DIR)
    assert "no checkpoint found" in verify_fails()


def test_production_requires_a_checkpoint_even_for_an_empty_trail(cast, settings):
    settings.RAPPORT_AUDIT_REQUIRE_CHECKPOINT = True
    assert "rapport audit checkpoint" in verify_fails()
    write_events(cast, 2)
    assert "rapport audit checkpoint" in verify_fails()
    checkpoint()
    verify_passes()


def test_a_forged_checkpoint_is_refused(cast, settings):
    write_events(cast, 2)
    checkpoint()
    path = next(settings.RAPPORT_AUDIT_CHECKPOINT_DIR.glob("checkpoint-*.json"))
    data = json.loads(path.read_text())
    data["sequence"] = 1
    path.write_text(json.dumps(data))
    assert "invalid signature" in verify_fails()


def test_the_worker_checkpoint_is_written_when_due_and_not_again_without_new_events(cast):
    write_events(cast, 2)
    first = audit_checkpoint_if_due()
    assert first is not None and first.sequence == 3
    assert audit_checkpoint_if_due() is None
    write_events(cast, 1)
    assert audit_checkpoint_if_due() is None  # newer than the interval

    later = audit_checkpoint_if_due(interval=timedelta(seconds=0))
    assert later is not None and later.sequence == 5
    assert audit_verify().intact


def test_a_rotated_key_signs_new_events_and_old_events_verify_with_the_old_key(cast, settings):
    settings.RAPPORT_AUDIT_KEYRING = parse_keyring(f"2025:{OLD_KEY}", current_id=None)
    old = write_events(cast, 2)
    checkpoint()
    settings.RAPPORT_AUDIT_KEYRING = parse_keyring(
        f"2025:{OLD_KEY},2026:{NEW_KEY}", current_id="2026"
    )
    new = write_events(cast, 2)
    assert {event.key_id for event in old} == {"2025"}
    assert {event.key_id for event in new} == {"2026"}
    checkpoint()
    assert "intact: 6 events" in verify_passes()
    # Without the retired key the old events (and the checkpoint it signed) cannot be verified.
    settings.RAPPORT_AUDIT_KEYRING = parse_keyring(f"2026:{NEW_KEY}", current_id=None)
    assert "invalid signature" in verify_fails()


def test_an_event_signed_with_an_unknown_key_is_reported(cast, settings):
    write_events(cast, 1)
    with override_settings(
        RAPPORT_AUDIT_KEYRING=parse_keyring(f"other:{NEW_KEY}", current_id=None)
    ):
        assert "unknown" in verify_fails()


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the append-only triggers exist on PostgreSQL"
)
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {EVENTS} SET action = 'nothing'",
        f"DELETE FROM {EVENTS}",
        f"TRUNCATE {EVENTS} CASCADE",
        f"DELETE FROM {HEAD}",
        f"UPDATE {HEAD} SET last_sequence = 0",
    ],
)
def test_postgresql_refuses_changes_to_the_audit_tables(cast, sql):
    from django.db import DatabaseError, transaction

    write_events(cast, 2)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL rapport.audit_maintenance = 'off'")
        with pytest.raises(DatabaseError, match="audit"), transaction.atomic():
            cursor.execute(sql)
    assert AuditEvent.objects.count() == 2
    assert audit_verify().first_break is None
