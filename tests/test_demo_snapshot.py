"""The demo practice replayed from a recording (tests/demo_snapshot.py) is, row for row, the demo
practice the recording was made from: on PostgreSQL the replay writes with COPY, and every
column type the demo uses (JSON, times with their zone, dates, flags) must come back the same."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from tests import demo_snapshot

# A day no other test builds the demo for: the first build here is a build, not a replay.
DAY = dt.date(2026, 5, 11)


def test_a_replayed_demo_is_row_for_row_the_built_one(db: None) -> None:
    tables = demo_snapshot._tables()
    with transaction.atomic():
        built_summary = demo_snapshot.demo_practice(today=DAY)
        built = demo_snapshot._contents(tables)
        transaction.set_rollback(True)
    [recording] = [r for key, r in demo_snapshot._RECORDINGS.items() if key[0] == DAY]
    assert recording is not None, "the build could not be recorded"

    replayed_summary = demo_snapshot.demo_practice(today=DAY)
    replayed = demo_snapshot._contents(tables)

    assert sum(len(rows) for rows in recording.inserts.values()) > 10_000
    assert replayed.keys() == built.keys()
    for table in built:
        assert replayed[table] == built[table], table
    assert replayed_summary.practice.pk == built_summary.practice.pk
    assert replayed_summary.logins == built_summary.logins
