"""The audit trail is a hash chain: each event's hash covers its content and the previous hash.

Altering any stored field changes that event's hash; deleting an event breaks the link of the
one after it; deleting the newest events is caught by comparing with the recorded chain head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def event_hash(previous_hash: str, payload: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(payload))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    sequence: int
    payload: Mapping[str, Any]
    previous_hash: str
    stored_hash: str


@dataclass(frozen=True, slots=True)
class ChainBreak:
    sequence: int
    reason: str


def find_first_break(
    events: Iterable[ChainedEvent],
    *,
    head_sequence: int | None = None,
    head_hash: str | None = None,
) -> ChainBreak | None:
    """Walk events in sequence order; return the first inconsistency, or None if intact."""
    expected_previous = GENESIS_HASH
    expected_sequence = 1
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
        if event_hash(event.previous_hash, event.payload) != event.stored_hash:
            return ChainBreak(event.sequence, "its content does not match its hash (altered)")
        expected_previous = event.stored_hash
        expected_sequence += 1
    last_sequence = expected_sequence - 1
    if head_sequence is not None and head_sequence != last_sequence:
        return ChainBreak(
            last_sequence + 1,
            f"the chain head records {head_sequence} events but {last_sequence} remain",
        )
    if head_hash is not None and head_hash != expected_previous:
        return ChainBreak(last_sequence, "the newest event does not match the chain head")
    return None
