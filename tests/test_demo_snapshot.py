"""The demo practice replayed from a recording (tests/demo_snapshot.py) is, row for row, the demo
practice the recording was made from: on PostgreSQL the replay writes with COPY, and every
column type the demo uses (JSON, times with their zone, dates, flags) must come back the same.
The recording reaches another xdist worker through the run's shared folder, so that worker
replays it rather than building the demo again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction

from tests import demo_snapshot

# A day no other test builds the demo for: the first build here is a build, not a replay.
DAY = dt.date(2026, 5, 11)


def test_another_worker_replays_the_stored_recording_row_for_row_as_built(
    db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_snapshot, "_RECORDINGS", {})
    monkeypatch.setattr(demo_snapshot, "_SHARED", [])
    demo_snapshot.share_recordings_in(tmp_path)
    tables = demo_snapshot._tables()
    with transaction.atomic():
        built_summary = demo_snapshot.demo_practice(today=DAY)
        built = demo_snapshot._contents(tables)
        transaction.set_rollback(True)
    [recording] = demo_snapshot._RECORDINGS.values()
    assert recording is not None, "the build could not be recorded"
    assert len(list(tmp_path.glob("*.pickle"))) == 1

    # Another worker: nothing recorded in its process, and it must not build.
    monkeypatch.setattr(demo_snapshot, "_RECORDINGS", {})

    def no_second_build(**_: object) -> None:
        raise AssertionError("built again instead of replaying the stored recording")

    monkeypatch.setattr(demo_snapshot, "build_demo_practice", no_second_build)
    replayed_summary = demo_snapshot.demo_practice(today=DAY)
    replayed = demo_snapshot._contents(tables)

    assert sum(len(rows) for rows in recording.inserts.values()) > 10_000
    assert replayed.keys() == built.keys()
    for table in built:
        assert replayed[table] == built[table], table
    assert replayed_summary.practice.pk == built_summary.practice.pk
    assert replayed_summary.logins == built_summary.logins
