"""PostgreSQL for the test suite: Django's backend, with a cheaper way to empty the database.

A transactional test (a browser test against the live server, a test of concurrent writers) is
followed by a flush of every table. Django truncates them, and PostgreSQL's TRUNCATE gives each
table and each of its indexes a new file: 2 to 4 s for Rapport's tables, measured on a busy
2-core machine, after each such test. Deleting the rows a test leaves, and truncating only the
two audit tables, took 0.1 to 0.3 s there. Only the test runner uses this backend
(rapport.settings, when testing on PostgreSQL); the application never flushes.

Order matters twice. The audit tables refuse DELETE even to the test runner (their triggers
allow only TRUNCATE, and only with `rapport.audit_maintenance`), so they are still truncated,
together with every table that refers to them. The references to responses are checked by
statement-level triggers, not deferred foreign keys (measures migration 0006), so responses are
deleted after the rows that refer to them. Every other foreign key is deferred to the end of
the flush's transaction, when all rows are gone.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.management.color import Style
from django.db.backends.postgresql import base, operations

APPEND_ONLY = ("audit_auditevent", "audit_auditchainhead")
# Referred to by triggers that check each statement: emptied after everything else.
CHECKED_BY_STATEMENT = ("measures_response",)


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self,
        style: Style,
        tables: Sequence[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or not tables:
            # Restarting identities needs TRUNCATE ... RESTART IDENTITY: Django's own way.
            return list(super().sql_flush(style, tables, allow_cascade=allow_cascade))
        truncated = [name for name in tables if name in APPEND_ONLY]
        deleted = sorted(
            (name for name in tables if name not in APPEND_ONLY),
            key=lambda name: name in CHECKED_BY_STATEMENT,
        )
        # Django's own table names, quoted.
        statements = [f"DELETE FROM {self.quote_name(name)};" for name in deleted]  # nosec B608
        if truncated:
            statements.append(
                "TRUNCATE {} CASCADE;".format(", ".join(self.quote_name(n) for n in truncated))
            )
        return statements


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
