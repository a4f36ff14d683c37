"""The audit trail is a keyed hash chain: each event's MAC covers its content and the previous MAC.

The MAC is HMAC-SHA256 under a key that lives outside the database, so whoever can write to the
database but does not hold the key cannot forge an event or re-link the chain after an edit.
Altering any stored field changes that event's MAC; deleting an event breaks the link of the one
after it; deleting the newest events, or all of them, is caught by the signed checkpoints that
are kept outside the database (see `Checkpoint`).

Events are appended without a lock and sealed into the chain afterwards, in the order of their
database ids, by one sequencer at a time (see rapport.audit.services.audit_seal). Until it is
sealed an event carries its own MAC (`unsealed_event_mac`, no link), so an edit made before
sealing is still detected; only deleting an unsealed event goes unnoticed, and only until the next
seal, which the worker runs every round and verify and every checkpoint run first.

Events written before keys existed carry no key id and a plain SHA-256 hash; they are accepted
only as the oldest part of the chain, which the first keyed event then anchors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
MIN_SECRET_LENGTH = 32


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def event_hash(previous_hash: str, payload: Mapping[str, Any]) -> str:
    """The unkeyed hash of events written before the chain was keyed."""
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(payload))
    return digest.hexdigest()


def keyed_event_hash(
    key: bytes, key_id: str, previous_hash: str, payload: Mapping[str, Any]
) -> str:
    """HMAC-SHA256 over the key id, the previous MAC and the canonical payload."""
    message = key_id.encode("ascii") + b"\n" + previous_hash.encode("ascii") + b"\n"
    return hmac.new(key, message + canonical_json(payload), hashlib.sha256).hexdigest()


def unsealed_event_mac(key: bytes, key_id: str, payload: Mapping[str, Any]) -> str:
    """The MAC an event carries from its insertion until it is sealed: its content alone.

    The empty link keeps it apart from every chained MAC, whose link is 64 hex digits.
    """
    return keyed_event_hash(key, key_id, "", payload)


# --- Keys ---------------------------------------------------------------------------------------


class KeyringError(ValueError):
    pass


@dataclass(frozen=True)
class Keyring:
    """The audit keys by id; `current_id` signs new events, the others verify old ones."""

    keys: Mapping[str, bytes]
    current_id: str

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current_id]

    def __repr__(self) -> str:  # never print the secrets
        return f"Keyring(ids={sorted(self.keys)}, current_id={self.current_id!r})"


def parse_keyring(text: str, *, current_id: str | None, default_id: str = "1") -> Keyring:
    """Keys written as `id:secret` entries (comma- or line-separated), or one bare secret.

    With several keys, `current_id` must name the one that signs new events.
    """
    entries = [
        entry.strip()
        for line in text.splitlines()
        if not line.strip().startswith("#")
        for entry in line.split(",")
        if entry.strip()
    ]
    if not entries:
        raise KeyringError("no audit key given")
    keys: dict[str, bytes] = {}
    if len(entries) == 1 and ":" not in entries[0]:
        keys[current_id or default_id] = entries[0].encode("utf-8")
    else:
        for entry in entries:
            key_id, sep, secret = entry.partition(":")
            if not sep or not KEY_ID.fullmatch(key_id):
                raise KeyringError(
                    "audit keys must be written as id:secret, the id being 1-32 letters, "
                    "digits, '.', '_' or '-'"
                )
            if key_id in keys:
                raise KeyringError(f"audit key id {key_id!r} is given twice")
            keys[key_id] = secret.encode("utf-8")
    for key_id, raw in keys.items():
        if not KEY_ID.fullmatch(key_id):
            raise KeyringError(f"audit key id {key_id!r} must be 1-32 letters, digits, . _ -")
        if len(raw) < MIN_SECRET_LENGTH:
            raise KeyringError(
                f"audit key {key_id!r} is too short ({MIN_SECRET_LENGTH}+ random characters)"
            )
    if current_id is None:
        if len(keys) > 1:
            raise KeyringError("several audit keys are given: name the current one")
        current_id = next(iter(keys))
    if current_id not in keys:
        raise KeyringError(f"the current audit key id {current_id!r} is not among the keys")
    return Keyring(keys=keys, current_id=current_id)


def derived_keyring(secret: str, *, key_id: str = "dev") -> Keyring:
    """A development-only key derived from another secret, so that `make run` needs no setup."""
    key = hmac.new(secret.encode("utf-8"), b"rapport audit chain", hashlib.sha256).digest()
    return Keyring(keys={key_id: key}, current_id=key_id)


# --- Checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's length and newest MAC at one moment, signed, kept outside the database."""

    sequence: int
    head_hash: str
    written_at: str  # ISO 8601, UTC
    key_id: str
    mac: str = ""

    def signed_fields(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "head_hash": self.head_hash,
            "written_at": self.written_at,
            "key_id": self.key_id,
        }

    def expected_mac(self, key: bytes) -> str:
        message = b"rapport audit checkpoint\n" + canonical_json(self.signed_fields())
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def signed(self, key: bytes) -> Checkpoint:
        return Checkpoint(
            self.sequence, self.head_hash, self.written_at, self.key_id, self.expected_mac(key)
        )

    def signature_valid(self, keyring: Keyring) -> bool:
        key = keyring.keys.get(self.key_id)
        return key is not None and hmac.compare_digest(self.expected_mac(key), self.mac)


# --- Verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    sequence: int
    payload: Mapping[str, Any]
    previous_hash: str
    stored_hash: str
    key_id: str = ""  # empty: written before the chain was keyed


@dataclass(frozen=True, slots=True)
class ChainBreak:
    sequence: int
    reason: str


def _expected_hash(event: ChainedEvent, keyring: Keyring | None) -> str | None:
    if not event.key_id:
        return event_hash(event.previous_hash, event.payload)
    if keyring is None or event.key_id not in keyring.keys:
        return None
    key = keyring.keys[event.key_id]
    return keyed_event_hash(key, event.key_id, event.previous_hash, event.payload)


def find_first_break(
    events: Iterable[ChainedEvent],
    *,
    head_sequence: int | None = None,
    head_hash: str | None = None,
    keyring: Keyring | None = None,
    checkpoints: Iterable[Checkpoint] = (),
) -> ChainBreak | None:
    """Walk events in sequence order; return the first inconsistency, or None if intact.

    `checkpoints` (already known to be signed correctly) must each match the event at their
    sequence, and the chain must reach the newest of them.
    """
    pinned = {checkpoint.sequence: checkpoint for checkpoint in checkpoints}
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    keyed_seen = False
    for event in events:
        if event.sequence != expected_sequence:
            return ChainBreak(
                expected_sequence,
                f"event {expected_sequence} is missing (next stored event is {event.sequence})",
            )
        if event.previous_hash != expected_previous:
            return ChainBreak(
                event.sequence, "its link to the previous event does not match (deleted or altered)"
            )
        if event.key_id:
            keyed_seen = True
        elif keyed_seen:
            return ChainBreak(
                event.sequence, "it carries no key although older events do (rewritten)"
            )
        expected = _expected_hash(event, keyring)
        if expected is None:
            return ChainBreak(
                event.sequence, f"it was written with audit key {event.key_id!r}, which is unknown"
            )
        if not hmac.compare_digest(expected, event.stored_hash):
            return ChainBreak(event.sequence, "its content does not match its hash (altered)")
        checkpoint = pinned.get(event.sequence)
        if checkpoint is not None and checkpoint.head_hash != event.stored_hash:
            return ChainBreak(
                event.sequence,
                f"it differs from the checkpoint written at {checkpoint.written_at} (rewritten)",
            )
        expected_previous = event.stored_hash
        expected_sequence += 1
    last_sequence = expected_sequence - 1
    if pinned:
        newest = pinned[max(pinned)]
        if newest.sequence > last_sequence:
            return ChainBreak(
                last_sequence + 1,
                f"the checkpoint written at {newest.written_at} records {newest.sequence} events "
                f"but {last_sequence} remain (deleted or wiped)",
            )
    if head_sequence is not None and head_sequence != last_sequence:
        return ChainBreak(
            last_sequence + 1,
            f"the chain head records {head_sequence} events but {last_sequence} remain",
        )
    if head_hash is not None and head_hash != expected_previous:
        return ChainBreak(last_sequence, "the newest event does not match the chain head")
    return None
