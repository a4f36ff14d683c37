"""The demo practice built once per test run, then replayed as rows into every later test that
asks for it from the same starting database (under xdist, in any worker: the first build's
recording is kept in a folder the workers share, and a worker that asks while another builds
waits for it).

Building the demo takes seconds of ORM work (thousands of objects, a trajectory refit); about
forty modules and browser tests need it, and on two cores that was a fifth of `make test`. The
replay inserts the very rows the first build wrote, with their ids, in one transaction — what a
test sees is what the build would have made, because it is what the build made.

It replays only where that is certain: the database must hold exactly what it held before the
recorded build (compared row by row, so a flushed database and a fresh one are different starts);
the build may only insert rows into the models' tables and update rows that existed (never
delete, never touch a table outside the models). Anything else and the demo is simply built.
Content types and permissions are left out of the comparison: nothing in the demo refers to them,
and a flush re-creates them with new ids.
"""

from __future__ import annotations

import fcntl
import hashlib
import pickle  # nosec B403 - recordings this run wrote, read back by its own workers
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction

from rapport.demo.data import DEMO_TIME_ZONE
from rapport.demo.practice import (
    DemoLogin,
    DemoSummary,
    build_demo_practice,
    refresh_planner_statistics,
)
from rapport.practices.models import Practice

LEFT_OUT = {"django_content_type", "auth_permission"}


@dataclass
class _Table:
    model: type[models.Model]
    name: str
    columns: list[str]
    json_columns: frozenset[int]
    pk_index: int


@dataclass
class _Recording:
    inserts: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    updates: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    practice_pk: int = 0
    logins: list[DemoLogin] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


_RECORDINGS: dict[tuple[Any, ...], _Recording | None] = {}


# Under xdist: a folder all workers of one run share, where a recording is kept for the others
# (tests/conftest.py sets it). Each start (a key) is then built once per run, not once per worker.
_SHARED: list[Path] = []


def share_recordings_in(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _SHARED[:] = [folder]


def demo_practice(*, today: date | None = None, seed: int = 7) -> DemoSummary:
    """`build_demo_practice(today=, seed=)`, replayed from this run's first build when the
    database starts from the same state."""
    tables = _tables()
    before = _contents(tables)
    key = (today, seed, _digest(before))
    if key not in _RECORDINGS and _SHARED:
        built = _shared_build(key, today=today, seed=seed, tables=tables, before=before)
        if built is not None:
            return built
    if key in _RECORDINGS:
        recording = _RECORDINGS[key]
        if recording is not None:
            return _replay(recording, tables)
        return build_demo_practice(today=today, seed=seed)
    others_before = _other_table_counts(tables)
    summary = build_demo_practice(today=today, seed=seed)
    _RECORDINGS[key] = _record(summary, tables, before, others_before)
    return summary


def _shared_build(
    key: tuple[Any, ...],
    *,
    today: date | None,
    seed: int,
    tables: list[_Table],
    before: dict[str, list[tuple[Any, ...]]],
) -> DemoSummary | None:
    """Under a lock on the key's file: another worker's recording is loaded into this process's
    (None returned: the caller replays it), or the demo is built and its recording stored for
    the others. A worker that asks while another builds waits for that build."""
    # The day the demo is built for is part of its start: `today=None` means the day it runs.
    day = today or datetime.now(ZoneInfo(DEMO_TIME_ZONE)).date()
    name = hashlib.sha256(repr((day, *key[1:])).encode()).hexdigest()
    folder = _SHARED[0]
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = folder / f"{name}.pickle"
        if stored.exists():
            # Written by a worker of this very run, in this run's own temporary folder.
            _RECORDINGS[key] = pickle.loads(stored.read_bytes())  # noqa: S301
            return None
        others_before = _other_table_counts(tables)
        summary = build_demo_practice(today=today, seed=seed)
        _RECORDINGS[key] = _record(summary, tables, before, others_before)
        unfinished = stored.with_suffix(".part")
        unfinished.write_bytes(pickle.dumps(_RECORDINGS[key]))
        unfinished.replace(stored)
        return summary


def _tables() -> list[_Table]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.db_table in LEFT_OUT:
            continue
        fields = meta.concrete_fields
        found.append(
            _Table(
                model=model,
                name=meta.db_table,
                columns=[f.column for f in fields],
                json_columns=frozenset(
                    i for i, f in enumerate(fields) if isinstance(f, models.JSONField)
                ),
                pk_index=[f.column for f in fields].index(meta.pk.column),
            )
        )
    return found


def _contents(tables: list[_Table], *, ordered: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    contents = {}
    with connection.cursor() as cursor:
        for table in tables:
            columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
            cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(table.name)}")  # noqa: S608
            rows = cursor.fetchall()
            contents[table.name] = sorted(rows, key=repr) if ordered else rows
    return contents


def _digest(contents: dict[str, list[tuple[Any, ...]]]) -> str:
    return hashlib.sha256(repr(sorted(contents.items())).encode()).hexdigest()


def _other_table_counts(tables: list[_Table]) -> dict[str, int]:
    """Row counts of the tables no model owns (PostgreSQL's partitions aside: their rows are
    counted through their parent's model)."""
    known = {t.name for t in tables} | LEFT_OUT | {"django_migrations", "sqlite_sequence"}
    counts = {}
    with connection.cursor() as cursor:
        for name in connection.introspection.table_names(cursor):
            if name in known or any(name.startswith(f"{parent}_") for parent in known):
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    return counts


def _record(
    summary: DemoSummary,
    tables: list[_Table],
    before: dict[str, list[tuple[Any, ...]]],
    others_before: dict[str, int],
) -> _Recording | None:
    if _other_table_counts(tables) != others_before:
        return None
    after = _contents(tables, ordered=False)
    recording = _Recording(
        practice_pk=summary.practice.pk, logins=list(summary.logins), counts=dict(summary.counts)
    )
    for table in tables:
        old = {row[table.pk_index]: row for row in before[table.name]}
        new = {row[table.pk_index]: row for row in after[table.name]}
        if not old.keys() <= new.keys():
            return None  # the build deleted a row: not replayable
        inserted = [row for pk, row in new.items() if pk not in old]
        updated = [row for pk, row in new.items() if pk in old and old[pk] != row]
        if inserted:
            recording.inserts[table.name] = sorted(inserted, key=lambda r: r[table.pk_index])
        if updated:
            recording.updates[table.name] = updated
    return recording


def _replay(recording: _Recording, tables: list[_Table]) -> DemoSummary:
    by_name = {t.name: t for t in tables}
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SHOW is_superuser")
            if cursor.fetchone()[0] == "on":
                # The rows are those a valid build wrote into this very start, so their
                # references hold: as a restore does, the foreign-key triggers are skipped
                # (checking them at commit was half of a replay's time on PostgreSQL).
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                # Only a superuser may skip them: checked at commit, in any row order.
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, rows in recording.inserts.items():
            table = by_name[name]
            columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
            if postgresql:
                # COPY: a few times faster than one INSERT per row, which cost ~5 s a replay.
                into = f"COPY {connection.ops.quote_name(name)} ({columns}) FROM STDIN"
                with cursor.cursor.copy(into) as copy:
                    for row in rows:
                        copy.write_row(_adapted(table, row, postgresql=True))
                continue
            marks = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(name)} ({columns}) VALUES ({marks})",  # noqa: S608
                rows,
            )
        for name, rows in recording.updates.items():
            table = by_name[name]
            pk = table.columns[table.pk_index]
            others = [c for i, c in enumerate(table.columns) if i != table.pk_index]
            assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in others)
            for row in rows:
                values = _adapted(table, row, postgresql=postgresql)
                cursor.execute(
                    f"UPDATE {connection.ops.quote_name(name)} SET {assignments} "  # noqa: S608
                    f"WHERE {connection.ops.quote_name(pk)} = %s",
                    [v for i, v in enumerate(values) if i != table.pk_index]
                    + [values[table.pk_index]],
                )
        # New rows in a test must take ids after the replayed ones.
        written = [by_name[name].model for name in recording.inserts]
        for statement in connection.ops.sequence_reset_sql(no_style(), written):
            cursor.execute(statement)
    # As after the build: PostgreSQL would plan the first queries for empty tables.
    refresh_planner_statistics()
    return DemoSummary(
        practice=Practice.objects.get(pk=recording.practice_pk),
        logins=list(recording.logins),
        counts=dict(recording.counts),
    )


def _adapted(table: _Table, row: tuple[Any, ...], *, postgresql: bool) -> Sequence[Any]:
    # The vendor is passed, not asked of the connection: asking per row was a quarter of a
    # replay on SQLite (the connection is a thread-local proxy).
    if not table.json_columns or not postgresql:
        return row
    from psycopg.types.json import Jsonb

    return [
        # A JSON column may come back decoded (a dict, a list, a number) or as its text.
        Jsonb(value) if i in table.json_columns and not isinstance(value, str | None) else value
        for i, value in enumerate(row)
    ]
