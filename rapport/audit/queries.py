"""Reading the audit trail back: the configured keys, the signed checkpoints, and the check of
the whole chain against them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rapport.audit.models import AuditChainHead, AuditEvent
from rapport.core.auditchain import (
    GENESIS_HASH,
    ChainBreak,
    Checkpoint,
    Keyring,
    find_first_break,
)


def configured_keyring() -> Keyring:
    keyring: Keyring | None = settings.RAPPORT_AUDIT_KEYRING
    if keyring is None:
        raise ImproperlyConfigured("No audit key is configured (RAPPORT_AUDIT_KEY).")
    return keyring


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


def checkpoint_dir() -> Path:
    return Path(settings.RAPPORT_AUDIT_CHECKPOINT_DIR)


def read_checkpoints(keyring: Keyring) -> tuple[list[Checkpoint], str]:
    """Every checkpoint file, oldest first, or a one-line problem with one of them."""
    directory = checkpoint_dir()
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
    """Recompute the keyed chain and compare it with the head and every signed checkpoint.

    The sequencer runs first, so that every event committed so far is judged as part of the
    chain; one altered while it waited for its seal is reported here.
    """
    from rapport.audit.services import (  # noqa: PLC0415 -- cycle: services reads the keys here
        AuditSealRefused,
        audit_seal_all,
    )

    keyring = configured_keyring()
    try:
        audit_seal_all()
    except AuditSealRefused as refused:
        return ChainReport(events_checked=0, first_break=None, problem=str(refused))
    checkpoints, problem = read_checkpoints(keyring)
    if problem:
        return ChainReport(events_checked=0, first_break=None, problem=problem)
    head = AuditChainHead.objects.filter(pk=1).first()
    checked = 0
    recorded_checkpoint = 0

    def events() -> Any:
        nonlocal checked, recorded_checkpoint
        sealed = AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence")
        for event in sealed.iterator(chunk_size=batch_size):
            checked += 1
            chained = event.as_chained()
            if event.action == CHECKPOINT_ACTION:
                recorded_checkpoint = chained.sequence
            yield chained

    first_break = find_first_break(
        events(),
        head_sequence=head.last_sequence if head else 0,
        head_hash=head.last_hash if head else GENESIS_HASH,
        keyring=keyring,
        checkpoints=checkpoints,
    )
    newest = checkpoints[-1] if checkpoints else None
    if first_break is None and newest is None:
        where = checkpoint_dir()
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
