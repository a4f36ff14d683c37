"""Writing the audit trail: appending events, signing checkpoints, and break-glass grants."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

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


def _start_chain() -> AuditChainHead:
    """Create the chain head (normally done by a migration); safe when several start at once.

    Creating comes first: a writer that loses the race waits for the winner's commit and then
    fails on the key, instead of seeing the winner's first event and taking the chain for broken.
    """
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=1, last_sequence=0, last_hash=GENESIS_HASH)
            if AuditEvent.objects.exists():
                # Never restart the chain over existing events: fail closed (the new head is
                # rolled back); `audit verify` explains.
                raise _EventsWithoutHead
    except IntegrityError:
        pass  # another writer created it first
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
    """Append one event. Runs inside the caller's transaction, so a failed write leaves none."""
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
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = _start_chain()
        event = AuditEvent(
            sequence=head.last_sequence + 1,
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
            previous_hash=head.last_hash,
            key_id=keyring.current_id,
        )
        event.hash = keyed_event_hash(
            keyring.current_key, event.key_id, event.previous_hash, event.hashed_payload()
        )
        event.save()
        AuditChainHead.objects.filter(pk=1).update(
            last_sequence=event.sequence, last_hash=event.hash
        )
    return event


def audit_checkpoint_write() -> Checkpoint:
    """Record a checkpoint event, then sign the chain's new head into a file outside the database.

    The event in the chain tells a later verify that checkpoints exist, so a deleted checkpoint
    directory is noticed.
    """
    keyring = configured_keyring()
    with transaction.atomic():
        event = audit_record(actor=None, action=CHECKPOINT_ACTION, object_type="audit.checkpoint")
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
        raise ValidationError("Give the reason for opening this record (at least 10 characters).")
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
