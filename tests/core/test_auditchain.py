import hashlib

from rapport.core.auditchain import (
    GENESIS_HASH,
    ChainedEvent,
    canonical_json,
    event_hash,
    find_first_break,
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
