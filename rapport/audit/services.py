"""Appending to and checking the audit trail."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.audit.context import current_request_id
from rapport.audit.models import AuditChainHead, AuditEvent, BreakGlassGrant
from rapport.core.auditchain import (
    GENESIS_HASH,
    ChainBreak,
    Checkpoint,
    Keyring,
    find_first_break,
    keyed_event_hash,
)


def _keyring() -> Keyring:
    keyring: Keyring | None = settings.RAPPORT_AUDIT_KEYRING
    if keyring is None:
        raise ImproperlyConfigured("No audit key is configured (RAPPORT_AUDIT_KEY).")
    return keyring


def _client_id_of(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if obj._meta.label == "people.Client":
        return obj.pk
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
    keyring = _keyring()
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


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    first_break: ChainBreak | None
    checkpoint: Checkpoint | None = None
    problem: str = ""  # a checkpoint problem, when the chain itself could not be judged

    @property
    def intact(self) -> bool:
        return self.first_break is None and not self.problem


CHECKPOINT_ACTION = "audit_checkpoint"


def _checkpoint_dir() -> Path:
    return Path(settings.RAPPORT_AUDIT_CHECKPOINT_DIR)


def _read_checkpoints(keyring: Keyring) -> tuple[list[Checkpoint], str]:
    """Every checkpoint file, oldest first, or a one-line problem with one of them."""
    directory = _checkpoint_dir()
    if not directory.is_dir():
        return [], ""
    checkpoints = []
    for path in sorted(directory.glob("checkpoint-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            checkpoint = Checkpoint(
                sequence=int(data["sequence"]),
                head_hash=str(data["head_hash"]),
                written_at=str(data["written_at"]),
                key_id=str(data["key_id"]),
                mac=str(data["mac"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return [], f"the checkpoint {path} is unreadable"
        if not checkpoint.signature_valid(keyring):
            return [], f"the checkpoint {path} has an invalid signature (forged or wrong key)"
        checkpoints.append(checkpoint)
    checkpoints.sort(key=lambda checkpoint: checkpoint.sequence)
    return checkpoints, ""


def audit_verify(*, batch_size: int = 5000) -> ChainReport:
    """Recompute the keyed chain and compare it with the head and every signed checkpoint."""
    keyring = _keyring()
    checkpoints, problem = _read_checkpoints(keyring)
    if problem:
        return ChainReport(events_checked=0, first_break=None, problem=problem)
    head = AuditChainHead.objects.filter(pk=1).first()
    checked = 0
    recorded_checkpoint = 0

    def events() -> Any:
        nonlocal checked, recorded_checkpoint
        for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size):
            checked += 1
            if event.action == CHECKPOINT_ACTION:
                recorded_checkpoint = event.sequence
            yield event.as_chained()

    first_break = find_first_break(
        events(),
        head_sequence=head.last_sequence if head else 0,
        head_hash=head.last_hash if head else GENESIS_HASH,
        keyring=keyring,
        checkpoints=checkpoints,
    )
    newest = checkpoints[-1] if checkpoints else None
    if first_break is None and newest is None:
        where = _checkpoint_dir()
        if recorded_checkpoint:
            problem = (
                f"no checkpoint found in {where}, but the trail records one written at event "
                f"{recorded_checkpoint} (checkpoints deleted or the directory is wrong)"
            )
        elif settings.RAPPORT_AUDIT_REQUIRE_CHECKPOINT:
            problem = (
                f"no checkpoint found in {where}; run `rapport audit checkpoint` "
                "(the worker writes one every hour)"
            )
    return ChainReport(
        events_checked=checked, first_break=first_break, checkpoint=newest, problem=problem
    )


def audit_checkpoint_write() -> Checkpoint:
    """Record a checkpoint event, then sign the chain's new head into a file outside the database.

    The event in the chain tells a later verify that checkpoints exist, so a deleted checkpoint
    directory is noticed.
    """
    keyring = _keyring()
    with transaction.atomic():
        event = audit_record(actor=None, action=CHECKPOINT_ACTION, object_type="audit.checkpoint")
    written_at = timezone.now().isoformat()
    checkpoint = Checkpoint(event.sequence, event.hash, written_at, keyring.current_id).signed(
        keyring.current_key
    )
    directory = _checkpoint_dir()
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
    checkpoints, _ = _read_checkpoints(_keyring())
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


def break_glass_grant(*, actor: User, client_id: int, reason: str) -> BreakGlassGrant:
    """Let a practice admin read one client's record for a limited time, with a reason."""
    from django.conf import settings
    from django.core.exceptions import PermissionDenied, ValidationError

    from rapport import access  # noqa: PLC0415 -- cycle: access audits through this module
    from rapport.people.models import Client

    if not access.may_open_break_glass(actor):
        raise PermissionDenied("Only practice admins use break-glass access.")
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationError("Give the reason for opening this record (at least 10 characters).")
    with transaction.atomic():
        client = access.break_glass_clients(actor).filter(pk=client_id).first()
        if client is None:
            audit_record(
                actor=actor,
                action="break_glass",
                object_type="people.client",
                object_id=client_id,
                outcome=AuditEvent.Outcome.DENIED,
            )
            raise Client.DoesNotExist
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
