"""Writing the audit trail: appending events, sealing them into the chain, signing checkpoints,
and break-glass grants.

Why a sequencer: appending under a lock on one chain head serialised every audited request of the
installation. Events are now inserted without a lock, each with its own MAC, and `audit_seal`
chains the committed ones later in id order (README "Audit trail": the design, the window in
which an unsealed event can be deleted unnoticed, and how checkpoints close it).
"""

from __future__ import annotations

import hmac
import json
import os
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.audit.context import current_request_id
from rapport.audit.models import AuditChainHead, AuditEvent, BreakGlassGrant
from rapport.audit.queries import (
    CHECKPOINT_ACTION,
    checkpoint_dir,
    configured_keyring,
    read_checkpoints,
)
from rapport.core.auditchain import (
    GENESIS_HASH,
    Checkpoint,
    keyed_event_hash,
    unsealed_event_mac,
)
from rapport.people.models import Client


def _client_id_of(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if obj._meta.label == "people.Client":
        client_pk: int = obj.pk
        return client_pk
    client_id = getattr(obj, "client_id", None)
    if client_id is None and hasattr(obj, "episode"):
        client_id = obj.episode.client_id
    return client_id


class _EventsWithoutHead(Exception):
    pass


class AuditSealRefused(RuntimeError):
    """An event awaiting its seal no longer matches its own MAC: it was altered in between."""

    def __init__(self, event_id: int, reason: str = "does not match its own MAC (altered)") -> None:
        super().__init__(f"the event with id {event_id}, not yet sealed, {reason}")
        self.event_id = event_id


def _start_chain() -> AuditChainHead:
    """Create the chain head (normally done by a migration); safe when several start at once.

    Creating comes first: a sequencer that loses the race waits for the winner's commit and then
    fails on the key, instead of seeing the winner's first sealed event and taking the chain for
    broken. Unsealed events are no obstacle: they are what the new head will seal.
    """
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=1, last_sequence=0, last_hash=GENESIS_HASH)
            if AuditEvent.objects.filter(sequence__isnull=False).exists():
                # Never restart the chain over sealed events: fail closed (the new head is
                # rolled back); `audit verify` explains.
                raise _EventsWithoutHead
    except IntegrityError:
        pass  # another sequencer created it first
    except _EventsWithoutHead:
        raise RuntimeError("The audit chain head is missing; run `rapport audit verify`.") from None
    return AuditChainHead.objects.select_for_update().get(pk=1)


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int | None = None,
    client_id: int | None = None,
    practice_id: int | None = None,
    outcome: str = AuditEvent.Outcome.OK,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event, unsealed. Runs inside the caller's transaction, so a failed write leaves
    none; takes no lock, so readers do not queue behind one another (audit_seal chains it)."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        client_id = client_id if client_id is not None else _client_id_of(obj)
        practice_id = practice_id or getattr(obj, "practice_id", None)
    if practice_id is None and actor is not None:
        practice_id = actor.practice_id
    keyring = configured_keyring()
    event = AuditEvent(
        sequence=None,
        occurred_at=timezone.now(),
        practice_id=practice_id,
        actor_id=actor.pk if actor else None,
        actor_email=actor.email if actor else "",
        actor_role=actor.role if actor else "",
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        client_id=client_id,
        outcome=outcome,
        request_id=current_request_id.get(),
        detail=detail or {},
        previous_hash="",
        key_id=keyring.current_id,
    )
    event.hash = unsealed_event_mac(keyring.current_key, event.key_id, event.hashed_payload())
    # One INSERT: outside a transaction it is committed alone, and on SQLite it does not open an
    # IMMEDIATE transaction (the write lock is held for the statement only).
    event.save()
    return event


@transaction.atomic
def audit_seal(*, limit: int = 5000) -> int:
    """Chain the committed unsealed events, oldest id first; return how many were sealed.

    The sequencer: the worker runs it every round, and verify and every checkpoint run it first.
    Only it locks the chain head, so sealers queue behind one another but appends never do. An
    event whose own MAC no longer matches stops the sealing (fail closed: AuditSealRefused).
    """
    keyring = configured_keyring()
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = _start_chain()
    waiting = list(AuditEvent.objects.filter(sequence__isnull=True).order_by("id")[:limit])
    if not waiting:
        return 0
    sequence, previous = head.last_sequence, head.last_hash
    for event in waiting:
        key = keyring.keys.get(event.key_id)
        if key is None:
            raise AuditSealRefused(event.pk, f"was written with an unknown key {event.key_id!r}")
        if not hmac.compare_digest(
            unsealed_event_mac(key, event.key_id, event.hashed_payload()), event.hash
        ):
            raise AuditSealRefused(event.pk)
        sequence += 1
        event.sequence = sequence
        event.previous_hash = previous
        event.hash = keyed_event_hash(key, event.key_id, previous, event.hashed_payload())
        previous = event.hash
    AuditEvent.objects.bulk_update(waiting, ["sequence", "previous_hash", "hash"], batch_size=500)
    AuditChainHead.objects.filter(pk=1).update(last_sequence=sequence, last_hash=previous)
    return len(waiting)


def audit_seal_all() -> int:
    """Seal everything committed so far, in batches; the number sealed."""
    total = 0
    while sealed := audit_seal():
        total += sealed
    return total


def audit_checkpoint_write() -> Checkpoint:
    """Record a checkpoint event, seal it with everything before it, then sign the chain at that
    event into a file outside the database.

    The event in the chain tells a later verify that checkpoints exist, so a deleted checkpoint
    directory is noticed. Sealing first means a checkpoint pins every event committed before it,
    which closes the window in which an unsealed event could be deleted unnoticed.
    """
    keyring = configured_keyring()
    recorded = audit_record(actor=None, action=CHECKPOINT_ACTION, object_type="audit.checkpoint")
    audit_seal_all()
    event = AuditEvent.objects.get(pk=recorded.pk)
    assert event.sequence is not None  # sealed just above
    written_at = timezone.now().isoformat()
    checkpoint = Checkpoint(event.sequence, event.hash, written_at, keyring.current_id).signed(
        keyring.current_key
    )
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"checkpoint-{checkpoint.sequence:012d}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({**checkpoint.signed_fields(), "mac": checkpoint.mac}, indent=1) + "\n",
        encoding="utf-8",
    )
    os.replace(temporary, path)  # never a half-written checkpoint
    return checkpoint


def audit_checkpoint_if_due(*, interval: timedelta | None = None) -> Checkpoint | None:
    """Write a checkpoint when the newest is older than the interval and events were added."""
    if interval is None:
        interval = settings.RAPPORT_AUDIT_CHECKPOINT_INTERVAL
    audit_seal_all()  # the worker's round is the sequencer's heartbeat
    checkpoints, _ = read_checkpoints(configured_keyring())
    head = AuditChainHead.objects.filter(pk=1).first()
    if checkpoints:
        newest = checkpoints[-1]
        if head is not None and head.last_sequence == newest.sequence:
            return None  # nothing new since
        try:
            age = timezone.now() - datetime.fromisoformat(newest.written_at)
        except ValueError:
            age = interval
        if age < interval:
            return None
    return audit_checkpoint_write()


@transaction.atomic
def break_glass_grant(*, actor: User, client: Client, reason: str) -> BreakGlassGrant:
    """Let a practice admin read one client's record for a limited time, with a reason.

    `client` comes from `access.break_glass_client`, which holds the policy (who may open which
    record) and audits a refusal; this write checks only what the admin typed."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationError(
            _("Give the reason for opening this record (at least 10 characters).")
        )
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        user=actor,
        client=client,
        reason=reason,
        granted_at=now,
        expires_at=now + settings.RAPPORT_BREAK_GLASS_DURATION,
    )
    audit_record(actor=actor, action="break_glass", obj=client, detail={"reason": reason})
    return grant
