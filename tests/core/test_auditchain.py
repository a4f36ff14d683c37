import hashlib

import pytest

from rapport.core.auditchain import (
    GENESIS_HASH,
    ChainedEvent,
    Checkpoint,
    KeyringError,
    canonical_json,
    event_hash,
    find_first_break,
    keyed_event_hash,
    parse_keyring,
)


def build_chain(n: int) -> list[ChainedEvent]:
    events, previous = [], GENESIS_HASH
    for sequence in range(1, n + 1):
        payload = {"sequence": sequence, "action": "read", "detail": {"b": 2, "a": 1}}
        digest = event_hash(previous, payload)
        events.append(ChainedEvent(sequence, payload, previous, digest))
        previous = digest
    return events


def test_event_hash_is_sha256_of_previous_hash_and_canonical_json() -> None:
    payload = {"b": 1, "a": "é"}
    expected = hashlib.sha256(
        GENESIS_HASH.encode() + b"\n" + '{"a":"é","b":1}'.encode()
    ).hexdigest()
    assert canonical_json(payload) == '{"a":"é","b":1}'.encode()
    assert event_hash(GENESIS_HASH, payload) == expected


def test_an_intact_chain_has_no_break() -> None:
    chain = build_chain(5)
    assert find_first_break(chain, head_sequence=5, head_hash=chain[-1].stored_hash) is None


def test_an_altered_event_is_reported_at_its_sequence() -> None:
    chain = build_chain(5)
    altered = chain[2]
    chain[2] = ChainedEvent(
        3, {**altered.payload, "action": "write"}, altered.previous_hash, altered.stored_hash
    )
    brk = find_first_break(chain)
    assert brk is not None and brk.sequence == 3 and "altered" in brk.reason


def test_a_deleted_event_is_reported_as_missing() -> None:
    chain = build_chain(5)
    del chain[1]
    brk = find_first_break(chain)
    assert brk is not None and brk.sequence == 2 and "missing" in brk.reason


def test_deleting_the_newest_event_is_caught_by_the_chain_head() -> None:
    chain = build_chain(5)
    head_hash = chain[-1].stored_hash
    brk = find_first_break(chain[:-1], head_sequence=5, head_hash=head_hash)
    assert brk is not None and brk.sequence == 5


def test_a_rehashed_forgery_breaks_the_link_of_the_next_event() -> None:
    chain = build_chain(4)
    forged_payload = {**chain[1].payload, "action": "nothing to see"}
    chain[1] = ChainedEvent(
        2,
        forged_payload,
        chain[1].previous_hash,
        event_hash(chain[1].previous_hash, forged_payload),
    )
    brk = find_first_break(chain)
    assert brk is not None and brk.sequence == 3


KEY_A = b"a" * 32
KEY_B = b"b" * 32


def build_keyed_chain(
    keys: list[tuple[str, bytes]], previous: str = GENESIS_HASH, start: int = 1
) -> list[ChainedEvent]:
    events = []
    for offset, (key_id, key) in enumerate(keys):
        payload = {"sequence": start + offset, "action": "read"}
        digest = keyed_event_hash(key, key_id, previous, payload)
        events.append(ChainedEvent(start + offset, payload, previous, digest, key_id))
        previous = digest
    return events


def test_a_chain_signed_before_and_after_a_key_rotation_verifies_with_the_keyring() -> None:
    chain = build_keyed_chain([("a", KEY_A), ("a", KEY_A), ("b", KEY_B)])
    keyring = parse_keyring(f"a:{'a' * 32},b:{'b' * 32}", current_id="b")
    assert find_first_break(chain, keyring=keyring) is None
    brk = find_first_break(chain, keyring=parse_keyring("b:" + "b" * 32, current_id=None))
    assert brk is not None and brk.sequence == 1 and "unknown" in brk.reason


def test_unkeyed_events_are_accepted_only_before_the_first_keyed_one() -> None:
    legacy = build_chain(2)
    keyed = build_keyed_chain([("a", KEY_A)], previous=legacy[-1].stored_hash, start=3)
    keyring = parse_keyring("a:" + "a" * 32, current_id=None)
    assert find_first_break([*legacy, *keyed], keyring=keyring) is None
    payload = {"sequence": 4, "action": "read"}
    late = ChainedEvent(
        4, payload, keyed[-1].stored_hash, event_hash(keyed[-1].stored_hash, payload)
    )
    brk = find_first_break([*legacy, *keyed, late], keyring=keyring)
    assert brk is not None and brk.sequence == 4 and "no key" in brk.reason


def test_a_checkpoint_signature_covers_every_field() -> None:
    keyring = parse_keyring("a:" + "a" * 32, current_id=None)
    signed = Checkpoint(5, "f" * 64, "2026-12-02T10:00:00+00:00", "a").signed(KEY_A)
    assert signed.signature_valid(keyring)
    moved_back = Checkpoint(4, signed.head_hash, signed.written_at, "a", signed.mac)
    assert not moved_back.signature_valid(keyring)


def test_keyrings_refuse_short_secrets_duplicate_ids_and_an_unnamed_current_key() -> None:
    for text, current in [
        ("a:short", None),
        (f"a:{'x' * 32},a:{'y' * 32}", None),
        (f"a:{'x' * 32},b:{'y' * 32}", None),
        (f"a:{'x' * 32}", "c"),
    ]:
        with pytest.raises(KeyringError):
            parse_keyring(text, current_id=current)
    assert parse_keyring("x" * 40, current_id=None).current_id == "1"
