"""Where queries go: every write and almost every read to the primary ("default"); the long reads
of the dashboard refresh and the trajectory refit to a streaming replica when one is configured
(DATABASE_REPLICA_URL, README "National scale").

A read goes to the replica only inside `replica_reads()` and only while no transaction is open on
the primary: a read that a write in the same transaction depends on must see that transaction's
own rows and the newest committed ones, which a replica (a few hundred milliseconds behind, and
outside the transaction) cannot show. Without a replica every query goes to the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections

PRIMARY = "default"
REPLICA = "replica"

_replica_reads: ContextVar[bool] = ContextVar("rapport_replica_reads", default=False)


def replica_alias() -> str:
    """The replica's connection alias, or the primary's when none is configured."""
    return REPLICA if REPLICA in connections.settings else PRIMARY


def read_alias() -> str:
    """Where a read made now goes (see the module's docstring)."""
    if _replica_reads.get() and not connections[PRIMARY].in_atomic_block:
        return replica_alias()
    return PRIMARY


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads made inside to the replica (outside transactions on the primary)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """The Django router for the rule above; the replica is never migrated (it streams the
    primary's schema with its data)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database seen twice, not two databases

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
