"""Research exports of a practice: tidy CSV or Parquet files and their data dictionary.

The rules (columns, pseudonyms, what an unidentified export leaves out) are in
rapport.core.research; this module reads the practice and writes the files. Everything is read
as it is written, a chunk of rows at a time, so memory stays flat with the practice's size:
episodes and completed forms are read in two ordered streams and joined as they go.
"""

from __future__ import annotations

import csv
import secrets
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils import timezone

from rapport.accounts.models import User
from rapport.audit.services import audit_record
from rapport.care.models import Attendance, Episode, Session
from rapport.core.ages import age_band
from rapport.core.instruments.model import Instrument
from rapport.core.research import (
    ANSWER_COLUMNS,
    EPISODE_COLUMNS,
    ITEM_COLUMNS,
    SCORE_COLUMNS,
    Cell,
    Column,
    Ids,
    OutcomeSummary,
    dictionary_rows,
    iso,
    neutralised,
    outcome_columns,
    shown,
)
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument, outcome_families
from rapport.practices.models import Practice

Format = Literal["csv", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "parquet")
RESEARCH_EXPORT_OBJECT_TYPE = "interop.research_export"
CHUNK = 2000  # rows read from the database at a time
BATCH = 20_000  # rows held per Parquet row group
MISSED = (Attendance.NO_SHOW, Attendance.CANCELLED_CLIENT)
# As a break-glass reason: a sentence someone can check later, not "x".
REASON_MIN = 10


class TableWriter(Protocol):
    def write(self, row: Sequence[Cell]) -> None: ...

    def close(self) -> None: ...


class CsvTable:
    """A CSV file with a header row; text that a spreadsheet would run is neutralised."""

    def __init__(self, path: Path, columns: Sequence[Column]) -> None:
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow([column.name for column in columns])

    def write(self, row: Sequence[Cell]) -> None:
        self.writer.writerow([neutralised(cell) for cell in row])

    def close(self) -> None:
        self.handle.close()


class ParquetTable:
    """A Parquet file written a row group at a time, typed from the dictionary's kinds."""

    def __init__(self, path: Path, columns: Sequence[Column]) -> None:
        # Loaded only when Parquet is asked for: importing pyarrow takes a good part of a second.
        # It ships no type information.
        import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

        kinds = {"text": pa.string(), "integer": pa.int64(), "number": pa.float64()}
        self.schema = pa.schema(
            [(c.name, kinds.get(c.kind, pa.bool_())) for c in columns]  # boolean otherwise
        )
        self.writer = pq.ParquetWriter(str(path), self.schema)
        self.rows: list[Sequence[Cell]] = []

    def write(self, row: Sequence[Cell]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

        if self.rows:
            columns = list(zip(*self.rows, strict=True))
            arrays = [
                pa.array(values, type=self.schema.field(i).type) for i, values in enumerate(columns)
            ]
            self.writer.write_batch(pa.record_batch(arrays, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


def _table(folder: Path, name: str, columns: Sequence[Column], fmt: Format) -> TableWriter:
    if fmt == "parquet":
        return ParquetTable(folder / f"{name}.parquet", columns)
    return CsvTable(folder / f"{name}.csv", columns)


@dataclass
class Written:
    """What an export wrote: rows per table and the files, for the audit and the person."""

    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _EpisodeRow:
    pk: int
    client_id: int
    therapist_id: int
    status: str
    closure_reason: str
    start_date: date
    end_date: date | None
    date_of_birth: date
    client_name: str


def _episodes(practice: Practice) -> Iterator[_EpisodeRow]:
    rows = (
        Episode.objects.filter(practice=practice)
        .order_by("pk")
        .values_list(
            "pk",
            "client_id",
            "primary_clinician_id",
            "status",
            "closure_reason",
            "start_date",
            "end_date",
            "client__date_of_birth",
            "client__full_name",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield _EpisodeRow(*row)


RESPONSE_FIELDS = (
    "pk",
    "episode_id",
    "instrument_id",
    "instrument_version",
    "respondent",
    "language",
    "mode",
    "completed_at",
    "answers",
    "total",
    "subscales",
    "band",
    "severity",
    "prorated",
)


def _responses(practice: Practice) -> Iterator[dict[str, Any]]:
    rows = (
        Response.objects.filter(episode__practice=practice)
        .order_by("episode_id", "completed_at", "pk")
        .values(*RESPONSE_FIELDS)
    )
    yield from rows.iterator(chunk_size=CHUNK)


def _session_counts(practice: Practice) -> dict[int, tuple[int, int]]:
    """Attended and missed sessions per episode: one integer pair per episode."""
    counts: dict[int, list[int]] = {}
    grouped = (
        Session.objects.filter(episode__practice=practice)
        .values("episode_id", "attendance")
        .annotate(n=Count("pk"))
    )
    for row in grouped:
        pair = counts.setdefault(row["episode_id"], [0, 0])
        if row["attendance"] == Attendance.ATTENDED:
            pair[0] += row["n"]
        elif row["attendance"] in MISSED:
            pair[1] += row["n"]
    return {pk: (pair[0], pair[1]) for pk, pair in counts.items()}


class _Instruments:
    """Each instrument the practice's forms were answered on, read once per export."""

    def __init__(self, practice: Practice) -> None:
        self.practice_id = practice.pk
        self.known: dict[str, Instrument | None] = {}

    def get(self, instrument_id: str) -> Instrument | None:
        if instrument_id not in self.known:
            try:
                self.known[instrument_id] = get_instrument(
                    instrument_id, practice_id=self.practice_id
                )
            except LookupError:
                self.known[instrument_id] = None
        return self.known[instrument_id]


def _item_rows(instrument: Instrument) -> Iterator[list[Cell]]:
    for position, item in enumerate(instrument.items, start=1):
        values = [option.value for option in item.options]
        yield [
            instrument.id,
            instrument.version,
            item.link_id,
            position,
            item.kind,
            item.text,
            min(values) if values else item.min_value,
            max(values) if values else item.max_value,
            " | ".join(f"{o.value}={o.label}" for o in item.options),
            item.scored,
        ]


def write_research_export(
    practice: Practice, folder: Path, *, fmt: Format, identified: bool
) -> Written:
    """Write the practice's tables into `folder` (which must exist and be empty)."""
    ids = Ids(identified=identified, salt=b"" if identified else secrets.token_bytes(32))
    instruments = _Instruments(practice)
    outcomes = sorted(
        instrument.id for family in outcome_families(practice.pk).values() for instrument in family
    )
    episode_columns = (*shown(EPISODE_COLUMNS, identified=identified), *outcome_columns(outcomes))
    answer_columns = shown(ANSWER_COLUMNS, identified=identified)
    score_columns = shown(SCORE_COLUMNS, identified=identified)
    written = Written()
    tables = {
        "episodes": _table(folder, "episodes", episode_columns, fmt),
        "answers": _table(folder, "answers", answer_columns, fmt),
        "scores": _table(folder, "scores", score_columns, fmt),
    }
    counts = dict.fromkeys(tables, 0)
    sessions = _session_counts(practice)
    zone = practice.zone
    today = timezone.localdate(timezone=zone)
    try:
        responses = _responses(practice)
        pending = next(responses, None)
        for episode in _episodes(practice):
            who: list[Cell] = [
                ids.of("client", episode.client_id),
                ids.of("episode", episode.pk),
                ids.of("therapist", episode.therapist_id),
            ]
            summary = OutcomeSummary()
            while pending is not None and pending["episode_id"] == episode.pk:
                form = _form_cells(pending, episode, ids, zone)
                for row in _answer_rows(pending, instruments, identified):
                    tables["answers"].write([*who, *form, *row])
                    counts["answers"] += 1
                for row in _score_rows(pending):
                    tables["scores"].write([*who, *form, *row])
                    counts["scores"] += 1
                if pending["respondent"] == "client":
                    summary.add(pending["instrument_id"], pending["total"])
                pending = next(responses, None)
            tables["episodes"].write(
                [
                    *who,
                    *_episode_cells(episode, sessions, today, identified),
                    *summary.cells(outcomes),
                ]
            )
            counts["episodes"] += 1
    finally:
        for table in tables.values():
            table.close()
    _write_dictionary(
        folder,
        {"episodes": episode_columns, "answers": answer_columns, "scores": score_columns},
    )
    _write_items(folder, instruments)
    written.rows = counts
    written.files = sorted(path.name for path in folder.iterdir())
    return written


def _form_cells(
    response: dict[str, Any], episode: _EpisodeRow, ids: Ids, zone: tzinfo
) -> list[Cell]:
    completed = response["completed_at"]
    cells: list[Cell] = [
        ids.of("response", response["pk"]),
        response["instrument_id"],
        response["instrument_version"],
        response["respondent"],
        response["language"],
        response["mode"],
        (completed.astimezone(zone).date() - episode.start_date).days,
    ]
    if ids.identified:
        cells.append(iso(completed))
    return cells


def _answer_rows(
    response: dict[str, Any], instruments: _Instruments, identified: bool
) -> Iterator[list[Cell]]:
    instrument = instruments.get(response["instrument_id"])
    positions = (
        {item.link_id: n for n, item in enumerate(instrument.items, start=1)} if instrument else {}
    )
    answers: dict[str, Any] = response["answers"] or {}
    for link_id in sorted(answers, key=lambda key: (positions.get(key, len(positions) + 1), key)):
        value = answers[link_id]
        if value is None or value == "":
            continue  # not answered: tidy data has no row for it
        if isinstance(value, bool) or not isinstance(value, int | float):
            if not identified:
                continue  # the client's own words never leave unidentified
            row: list[Cell] = [link_id, positions.get(link_id), None, str(value)]
        else:
            row = [link_id, positions.get(link_id), value]
            if identified:
                row.append(None)
        yield row


def _score_rows(response: dict[str, Any]) -> Iterator[list[Cell]]:
    if response["total"] is not None:
        yield [
            "total",
            response["total"],
            response["band"],
            response["severity"],
            response["prorated"],
        ]
    for name, value in sorted((response["subscales"] or {}).items()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield [name, value, None, None, None]


def _episode_cells(
    episode: _EpisodeRow,
    sessions: dict[int, tuple[int, int]],
    today: date,
    identified: bool,
) -> list[Cell]:
    attended, missed = sessions.get(episode.pk, (0, 0))
    cells: list[Cell] = [
        age_band(episode.date_of_birth, episode.start_date).value,
        episode.status,
        episode.closure_reason or None,
        ((episode.end_date or today) - episode.start_date).days,
        attended,
        missed,
    ]
    if identified:
        cells += [
            episode.client_name,
            iso(episode.date_of_birth),
            iso(episode.start_date),
            iso(episode.end_date),
        ]
    return cells


def _write_dictionary(folder: Path, tables: dict[str, Sequence[Column]]) -> None:
    with (folder / "dictionary.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "column", "kind", "meaning"])
        writer.writerows(dictionary_rows(tables))


def _write_items(folder: Path, instruments: _Instruments) -> None:
    found = sorted((i for i in instruments.known.values() if i is not None), key=lambda i: i.id)
    with (folder / "items.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column.name for column in ITEM_COLUMNS])
        for instrument in found:
            writer.writerows([neutralised(c) for c in row] for row in _item_rows(instrument))


def research_zip(practice: Practice, *, fmt: Format, identified: bool) -> tuple[IO[bytes], Written]:
    """The export as one zip file (a temporary file on disk, rewound), for a download."""
    archive = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with tempfile.TemporaryDirectory() as folder:
        written = write_research_export(practice, Path(folder), fmt=fmt, identified=identified)
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name in written.files:
                bundle.write(Path(folder) / name, arcname=name)
    archive.seek(0)
    return archive, written


def admin_research_export(
    user: User, *, fmt: Format, identified: bool, reason: str
) -> tuple[Practice, IO[bytes], Written]:
    """A practice admin's research export of their own practice, as a zip file; audited with
    what it holds and, when identified, why."""
    if user.practice_id is None:  # staff always belong to a practice; refused all the same
        raise PermissionDenied("This export is for a practice's admin.")
    practice = Practice.objects.get(pk=user.practice_id)
    archive, written = research_zip(practice, fmt=fmt, identified=identified)
    audit_research_export(
        actor=user,
        practice=practice,
        written=written,
        fmt=fmt,
        identified=identified,
        reason=reason,
        via="web",
    )
    return practice, archive, written


def audit_research_export(
    *,
    actor: User | None,
    practice: Practice,
    written: Written,
    fmt: Format,
    identified: bool,
    reason: str,
    via: str,
) -> None:
    """Who exported what, how, and — for an identified export — why."""
    detail: dict[str, Any] = {
        "format": fmt,
        "via": via,
        "identified": identified,
        "rows": written.rows,
        "files": written.files,
    }
    if identified:
        detail["reason"] = reason
    audit_record(
        actor=actor,
        action="export",
        object_type=RESEARCH_EXPORT_OBJECT_TYPE,
        object_id=practice.pk,
        practice_id=practice.pk,
        detail=detail,
    )
