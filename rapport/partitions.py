"""Monthly range partitions on PostgreSQL for the two tables that grow with every administration:
responses (by `completed_at`) and audit events (by `occurred_at`). README "National scale".

A partitioned table must carry its partition key in every unique constraint, so at the database
level the primary key is (id, month column) while Django keeps `id` as the key: ids still come
from the table's one identity sequence, so they stay unique as long as rows take their id from
it (the generators that write explicit ids move the sequence past them). The other unique rules
become trigger checks, serialised by a row lock (see the migrations that partition each table),
and so do references to responses from other tables, which PostgreSQL cannot point at a
partitioned table without the month column.

Partitions are made ahead by `partitions_ensure`, which the worker calls every round; a row
dated outside them (an import of old data, a clock far off) lands in the DEFAULT partition,
which is correct, only not pruned. SQLite has no partitions: every function here does nothing
there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.db import connections

# Table → the timestamp column its rows are partitioned by.
PARTITIONED = {"measures_response": "completed_at", "audit_auditevent": "occurred_at"}
MONTHS_AHEAD = 3

# A partition of the audit trail inherits the parent's row triggers but not its statement
# triggers: TRUNCATE of one partition would empty part of the trail unseen without this one.
AUDIT_PARTITION_TRIGGER = (
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {partition} "
    "FOR EACH STATEMENT EXECUTE FUNCTION rapport_audit_refuse_change()"
)


def month_start(day: date, months_later: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


def is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
    return cursor.fetchone() is not None


def partitions_ensure(
    *, since: date | None = None, months_ahead: int = MONTHS_AHEAD, using: str = "default"
) -> list[str]:
    """Create the monthly partitions from `since` (this month by default) to `months_ahead`
    months after this one, for every partitioned table; the names of those created. Idempotent.

    A month whose rows already sit in the DEFAULT partition is left there (moving them would
    delete audit events, which the trail refuses): correct, only not pruned.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    today = datetime.now(UTC).date()
    first = month_start(since or today)
    last = month_start(today, months_ahead)
    created: list[str] = []
    with connection.cursor() as cursor:
        for table, column in PARTITIONED.items():
            if not is_partitioned(cursor, table):
                continue
            month = first
            while month <= last:
                name = partition_name(table, month)
                following = month_start(month, 1)
                if not _exists(cursor, name) and not _default_holds(
                    cursor, table, column, month, following
                ):
                    cursor.execute(
                        f"CREATE TABLE {name} PARTITION OF {table} "  # nosec B608
                        "FOR VALUES FROM (%s) TO (%s)",
                        [_midnight(month), _midnight(following)],
                    )
                    if table == "audit_auditevent":
                        cursor.execute(AUDIT_PARTITION_TRIGGER.format(partition=name))
                    created.append(name)
                month = following
    return created


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _default_holds(cursor: Any, table: str, column: str, start: date, end: date) -> bool:
    cursor.execute(
        f"SELECT 1 FROM {table}_default WHERE {column} >= %s AND {column} < %s LIMIT 1",  # nosec B608
        [_midnight(start), _midnight(end)],
    )
    return cursor.fetchone() is not None


def partition_table(schema_editor: Any, table: str, *, unique_by_trigger: list[str]) -> None:
    """Turn `table` into a table range-partitioned by month on its PARTITIONED column, with a
    DEFAULT partition and one per month of its rows and MONTHS_AHEAD months more, keeping its
    rows, ids, indexes, checks and outgoing foreign keys. References *to* it from other tables
    are dropped: the caller replaces them. Unique indexes on `unique_by_trigger` columns become
    plain indexes (the caller installs the trigger that keeps them unique)."""
    column = PARTITIONED[table]
    old = f"{table}_unpartitioned"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'p')",
            [table, table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT min(" + column + "), max(" + column + ") FROM " + table  # nosec B608
        )
        earliest, _ = cursor.fetchone()
    statements = [
        f"ALTER TABLE {table} RENAME TO {old}",
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY "
        f"INCLUDING CONSTRAINTS INCLUDING STORAGE) PARTITION BY RANGE ({column})",
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey_by_month PRIMARY KEY (id, {column})",
        f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT",
    ]
    for statement in statements:
        schema_editor.execute(statement, params=None)
    partitions_ensure(
        since=earliest.date() if earliest else None, using=schema_editor.connection.alias
    )
    for statement in [
        f"INSERT INTO {table} SELECT * FROM {old}",  # nosec B608
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608
        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {old}), false)",
        f"DROP TABLE {old} CASCADE",
    ]:
        schema_editor.execute(statement, params=None)
    for _name, definition in indexes:
        if any(f"({col})" in definition for col in unique_by_trigger):
            definition = definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX")
        schema_editor.execute(definition, None)
    for name, definition in foreign_keys:
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}", None)
