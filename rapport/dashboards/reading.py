"""Reading a whole practice into arrays for the dashboard figures: three lean queries.

A million administrations cannot go through model instances (or even ORM value conversion) in
the time a refresh has, so each query selects only the columns it needs, maps text to small
integer codes in SQL (CASE), leaves ordering by time to the database and returns plain numbers
that go straight into NumPy. The SQL is portable between SQLite and PostgreSQL. Inside
`replica_reads()` it runs on the replica (rapport.routers).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.db import connections
from numpy.typing import NDArray

from rapport.care.models import Attendance, ClosureReason, Episode, EpisodeStatus, Modality, Session
from rapport.core.outcomes import predominant
from rapport.measures.models import Respondent, Response
from rapport.routers import read_alias

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
MODALITIES: tuple[str, ...] = tuple(m.value for m in Modality)


@dataclass(frozen=True)
class PracticeData:
    episode_ids: IntArray  # sorted
    clinician_ids: IntArray  # primary clinician per episode
    client_ids: IntArray
    closed: NDArray[np.bool_]
    dropped_out: NDArray[np.bool_]
    modality: IntArray  # index into MODALITIES of the predominant attended modality; −1 if none
    # Client-rated administrations of the outcome instruments asked for, in time order per
    # episode:
    response_episode: IntArray  # row into the episode arrays
    response_instrument: IntArray  # index into the instrument ids asked for
    response_total: FloatArray
    # Client session ratings on the alliance instrument: each total given, and how often.
    rating_totals: FloatArray
    rating_counts: IntArray

    @property
    def n_episodes(self) -> int:
        return int(self.episode_ids.shape[0])


def _columns(rows: list[tuple[float, ...]], width: int) -> FloatArray:
    """Rows of numbers as an n × width array, without building a Python list per value."""
    flat = np.fromiter(
        itertools.chain.from_iterable(rows), dtype=np.float64, count=len(rows) * width
    )
    return flat.reshape(len(rows), width)


def _case(column: str, values: list[str]) -> tuple[str, list[str]]:
    """SQL mapping a text column to the index of its value in `values` (−1 otherwise)."""
    if not values:
        return "-1", []
    whens = " ".join(f"WHEN %s THEN {i}" for i in range(len(values)))
    return f"CASE {column} {whens} ELSE -1 END", list(values)


@dataclass(frozen=True)
class Month:
    """A calendar month of the practice's: its first and next month's first day, and the same
    as instants in the practice's time zone."""

    first: date
    after: date
    start: datetime
    end: datetime


# The SQL below interpolates only table names from the models' metadata and CASE/IN lists of
# "%s" placeholders; every value is a parameter (hence the `nosec B608` marks).
def read_practice(
    practice_id: int,
    instrument_ids: list[str],
    alliance_instrument_id: str | None,
    *,
    month: Month | None = None,
) -> PracticeData:
    """The practice as it stands now; or, for a `month`, as the month's figures count it: the
    episodes begun before its end, "closed" only those that closed within it (their outcomes
    are the month's), the scores given before its end, and the session ratings given in it."""
    episode = Episode._meta.db_table
    session = Session._meta.db_table
    response = Response._meta.db_table
    # "1 = 1" keeps the statements one shape with a month or without.
    closed_in, closed_params = "", []
    begun, begun_e, begun_params = "1 = 1", "1 = 1", []
    before_end, end_params = "1 = 1", []
    rated_in, rated_params = "1 = 1", []
    if month is not None:
        closed_in, closed_params = (
            " AND end_date >= %s AND end_date < %s",
            [month.first, month.after],
        )
        begun, begun_e, begun_params = "start_date < %s", "e.start_date < %s", [month.after]
        before_end, end_params = "r.completed_at < %s", [month.end]
        rated_in, rated_params = (
            "r.completed_at >= %s AND r.completed_at < %s",
            [
                month.start,
                month.end,
            ],
        )
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            f"SELECT id, primary_clinician_id, client_id, "  # nosec B608
            f"CASE WHEN status = %s{closed_in} THEN 1 ELSE 0 END, "
            f"CASE WHEN closure_reason = %s THEN 1 ELSE 0 END "
            f"FROM {episode} WHERE practice_id = %s AND {begun} ORDER BY id",
            [
                EpisodeStatus.CLOSED.value,
                *closed_params,
                ClosureReason.DROPPED_OUT.value,
                practice_id,
                *begun_params,
            ],
        )
        episodes = _columns(cursor.fetchall(), 5).astype(np.int64)

        modality_sql, modality_params = _case("s.modality", list(MODALITIES))
        cursor.execute(
            f"SELECT s.episode_id, {modality_sql}, COUNT(*) FROM {session} s "  # nosec B608
            f"JOIN {episode} e ON e.id = s.episode_id "
            f"WHERE e.practice_id = %s AND s.attendance = %s AND {begun_e} "
            f"GROUP BY s.episode_id, s.modality",
            [*modality_params, practice_id, Attendance.ATTENDED.value, *begun_params],
        )
        sessions = _columns(cursor.fetchall(), 3).astype(np.int64)

        instrument_sql, instrument_params = _case("r.instrument_id", instrument_ids)
        marks = ", ".join(["%s"] * len(instrument_ids)) or "NULL"
        cursor.execute(
            f"SELECT r.episode_id, {instrument_sql}, r.total FROM {response} r "  # nosec B608
            f"JOIN {episode} e ON e.id = r.episode_id "
            f"WHERE e.practice_id = %s AND r.respondent = %s AND r.total IS NOT NULL "
            f"AND r.instrument_id IN ({marks}) AND {begun_e} AND {before_end} "
            f"ORDER BY r.episode_id, r.completed_at, r.id",
            [
                *instrument_params,
                practice_id,
                Respondent.CLIENT.value,
                *instrument_ids,
                *begun_params,
                *end_params,
            ],
        )
        responses = _columns(cursor.fetchall(), 3)

        # Session ratings only feed a distribution: the database counts each total.
        cursor.execute(
            f"SELECT r.total, COUNT(*) FROM {response} r "  # nosec B608
            f"JOIN {episode} e ON e.id = r.episode_id "
            f"WHERE e.practice_id = %s AND r.respondent = %s AND r.total IS NOT NULL "
            f"AND r.instrument_id = %s AND {rated_in} GROUP BY r.total",
            [practice_id, Respondent.CLIENT.value, alliance_instrument_id or "", *rated_params],
        )
        ratings = _columns(cursor.fetchall(), 2)

    ids = episodes[:, 0]
    n = ids.shape[0]
    # Sessions of an episode of this practice always find their row.
    session_rows = np.searchsorted(ids, sessions[:, 0])
    modality = predominant(
        session_rows, sessions[:, 1], sessions[:, 2], n_groups=n, n_labels=len(MODALITIES)
    )
    return PracticeData(
        episode_ids=ids,
        clinician_ids=episodes[:, 1],
        client_ids=episodes[:, 2],
        closed=episodes[:, 3] == 1,
        dropped_out=episodes[:, 4] == 1,
        modality=modality,
        response_episode=np.searchsorted(ids, responses[:, 0].astype(np.int64)).astype(np.int64),
        response_instrument=responses[:, 1].astype(np.int64),
        response_total=np.ascontiguousarray(responses[:, 2]),
        rating_totals=np.ascontiguousarray(ratings[:, 0]),
        rating_counts=ratings[:, 1].astype(np.int64),
    )


def database_mark() -> str:
    """The part of every practice's data mark that covers the whole database: responses and
    sessions of all practices (a change in another practice only brings a refresh forward, and
    these need no join over millions of rows). Whole-table counts take seconds at national
    scale, so a sweep over every practice reads this once (README "National scale")."""
    session = Session._meta.db_table
    response = Response._meta.db_table
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {response}), "  # nosec B608
            f"(SELECT COALESCE(MAX(id), 0) FROM {response}), "
            f"(SELECT COUNT(*) FROM {session}), (SELECT MAX(updated_at) FROM {session})"
        )
        values = cursor.fetchone()
    return "|".join(str(v) for v in values)


def data_mark(practice_id: int, *, database: str | None = None) -> str:
    """A cheap summary of what the figures depend on; it changes when the data do. `database`:
    the database_mark() already read, if any."""
    episode = Episode._meta.db_table
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(MAX(id), 0), "  # nosec B608
            f"SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN closure_reason = %s THEN 1 ELSE 0 END) "
            f"FROM {episode} WHERE practice_id = %s",
            [EpisodeStatus.CLOSED.value, ClosureReason.DROPPED_OUT.value, practice_id],
        )
        values = cursor.fetchone()
    own = "|".join(str(v) for v in values)
    return f"{own}|{database if database is not None else database_mark()}"[:200]
