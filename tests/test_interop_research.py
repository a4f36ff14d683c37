"""Research exports: the demo practice's answers, scores and episodes as tidy CSV or Parquet,
pseudonymised unless an admin states why identifiers are needed, and audited.

The demo is built once for the module; the expected figures are counted here from the records
with the ORM, not taken from the export's own code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.audit.models import AuditEvent
from rapport.care.models import Episode
from rapport.core.research import neutralised, pseudonym
from rapport.interop.research import RESEARCH_EXPORT_OBJECT_TYPE
from rapport.measures.models import Response
from rapport.people.models import Client
from rapport.practices.models import Practice
from tests.conftest import built_once, signed_in
from tests.demo_snapshot import demo_practice

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("interop_research")

TODAY = dt.date(2026, 3, 18)
PSEUDONYM = re.compile(r"^[cetr]-[0-9a-f]{16}$")
FORMULA_NAME = '=HYPERLINK("http://evil.test","Click")'


@pytest.fixture(scope="module")
def practice(django_db_setup: None, django_db_blocker: Any) -> Iterator[Practice]:
    def build() -> Practice:
        summary = demo_practice(today=TODAY)
        # A name a spreadsheet would run, to see it neutralised in an identified export.
        first = Client.objects.filter(practice=summary.practice).order_by("pk")[0]
        Client.objects.filter(pk=first.pk).update(full_name=FORMULA_NAME)
        return summary.practice

    yield from built_once(django_db_blocker, build)


def export(practice: Practice, out: Path, *args: str) -> str:
    said = io.StringIO()
    call_command("export", *args, "--practice", str(practice.pk), "--out", str(out), stdout=said)
    return said.getvalue()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def exported(
    practice: Practice, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One pseudonymised export read by several tests (its audit event stays in the module's
    transaction, so the audit tests below pick theirs out by who made it and how)."""
    out = tmp_path_factory.mktemp("research") / "out"
    with django_db_blocker.unblock():
        export(practice, out, "csv")
    return out


@pytest.fixture
def pseudonymised(exported: Path, db: None) -> Path:
    return exported


def research_exports() -> int:
    return AuditEvent.objects.filter(object_type=RESEARCH_EXPORT_OBJECT_TYPE).count()


def numeric_answers(practice: Practice) -> int:
    count = 0
    for answers in Response.objects.filter(episode__practice=practice).values_list(
        "answers", flat=True
    ):
        count += sum(
            1
            for value in answers.values()
            if isinstance(value, int | float) and not isinstance(value, bool)
        )
    return count


def test_a_pseudonymised_export_has_a_row_for_every_number_answered_score_and_episode(
    practice: Practice, pseudonymised: Path
) -> None:
    responses = Response.objects.filter(episode__practice=practice)
    totals = responses.exclude(total=None).count()
    subscales = sum(len(s) for s in responses.values_list("subscales", flat=True))

    answers = read(pseudonymised / "answers.csv")
    scores = read(pseudonymised / "scores.csv")
    episodes = read(pseudonymised / "episodes.csv")

    assert len(answers) == numeric_answers(practice) > 1000
    assert len(scores) == totals + subscales
    assert len(episodes) == Episode.objects.filter(practice=practice).count()
    assert {row["language"] for row in scores} >= {"en"}


def test_a_pseudonymised_export_names_nobody_and_leaves_the_clients_words_out(
    practice: Practice, pseudonymised: Path
) -> None:
    text = "".join(path.read_text(encoding="utf-8") for path in pseudonymised.iterdir())
    written = [
        value
        for answers in Response.objects.filter(episode__practice=practice).values_list(
            "answers", flat=True
        )
        for value in answers.values()
        if isinstance(value, str) and len(value) > 12
    ]
    clients = Client.objects.filter(practice=practice)

    assert written, "the demo has written answers to leave out"
    for words in written[:50]:
        assert words not in text
    for client in clients:
        assert client.full_name not in text
        assert client.date_of_birth.isoformat() not in text
    assert TODAY.isoformat()[:7] not in text  # no calendar dates at all
    rows = read(pseudonymised / "answers.csv")
    for column in ("client", "episode", "therapist", "response"):
        assert all(PSEUDONYM.match(row[column]) for row in rows[:500]), column
    assert "written" not in rows[0]


def test_one_client_keeps_one_pseudonym_across_the_tables_and_a_new_export_gets_new_ones(
    practice: Practice, pseudonymised: Path, tmp_path: Path
) -> None:
    episodes = read(pseudonymised / "episodes.csv")
    scores = read(pseudonymised / "scores.csv")
    export(practice, tmp_path / "again", "csv")
    again = read(tmp_path / "again" / "episodes.csv")

    assert {row["episode"] for row in scores} <= {row["episode"] for row in episodes}
    assert {row["client"] for row in episodes}.isdisjoint({row["client"] for row in again})
    assert (
        pseudonym(b"a", "client", 1) == pseudonym(b"a", "client", 1) != pseudonym(b"b", "client", 1)
    )


def test_each_episodes_row_holds_its_first_and_last_phq9_total(
    practice: Practice, db: None, tmp_path: Path
) -> None:
    export(practice, tmp_path / "out", "csv", "--identified", "--reason", "Checking the export")
    rows = {row["episode"]: row for row in read(tmp_path / "out" / "episodes.csv")}
    checked = 0
    for episode in Episode.objects.filter(practice=practice):
        totals = list(
            Response.objects.filter(episode=episode, instrument_id="phq9", respondent="client")
            .order_by("completed_at", "pk")
            .values_list("total", flat=True)
        )
        row = rows[str(episode.pk)]
        assert int(row["phq9_count"]) == len(totals)
        if totals:
            assert (float(row["phq9_first"]), float(row["phq9_last"])) == (totals[0], totals[-1])
            checked += 1
    assert checked >= 5


def test_an_identified_export_keeps_names_dates_and_words_and_its_reason_is_audited(
    practice: Practice, db: None, tmp_path: Path
) -> None:
    said = export(
        practice, tmp_path / "out", "csv", "--identified", "--reason", "Records request 2026/14"
    )
    episodes = read(tmp_path / "out" / "episodes.csv")
    answers = read(tmp_path / "out" / "answers.csv")

    assert "identified" in said
    names = {row["client_name"] for row in episodes}
    assert "'" + FORMULA_NAME in names  # a spreadsheet shows it as text, never runs it
    assert any(row["written"] for row in answers)
    assert all(row["completed_at"] for row in answers[:100])
    event = AuditEvent.objects.filter(object_type=RESEARCH_EXPORT_OBJECT_TYPE).latest("pk")
    assert event.detail["identified"] is True
    assert event.detail["reason"] == "Records request 2026/14"
    assert event.detail["rows"]["episodes"] == len(episodes)


def test_text_a_spreadsheet_would_run_is_neutralised_and_numbers_are_left_alone() -> None:
    assert neutralised("=1+1") == "'=1+1"
    assert neutralised("+44 20 7946 0000") == "'+44 20 7946 0000"
    assert neutralised("-2") == "'-2"
    assert neutralised("@SUM(A1)") == "'@SUM(A1)"
    assert neutralised("\tx") == "'\tx"
    assert neutralised(-2) == -2
    assert neutralised("Mild") == "Mild"


def test_the_parquet_export_holds_the_same_rows_typed(
    practice: Practice, pseudonymised: Path, tmp_path: Path
) -> None:
    export(practice, tmp_path / "pq", "parquet")
    answers = pq.read_table(tmp_path / "pq" / "answers.parquet")
    episodes = pq.read_table(tmp_path / "pq" / "episodes.parquet")

    assert answers.num_rows == len(read(pseudonymised / "answers.csv"))
    assert episodes.num_rows == len(read(pseudonymised / "episodes.csv"))
    assert str(answers.schema.field("value").type) == "double"
    assert str(answers.schema.field("day").type) == "int64"


def test_the_dictionary_explains_every_column_of_every_table(pseudonymised: Path) -> None:
    dictionary = read(pseudonymised / "dictionary.csv")
    explained = {(row["table"], row["column"]) for row in dictionary if row["meaning"]}

    for table in ("answers", "scores", "episodes"):
        with (pseudonymised / f"{table}.csv").open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert {(table, column) for column in header} <= explained, table
    items = read(pseudonymised / "items.csv")
    assert any(row["instrument"] == "phq9" and row["position"] == "9" for row in items)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("xlsx",), "format 'xlsx' is not one of csv, parquet"),
        (("csv", "--identified"), "needs --reason of at least 10 characters"),
        (("csv", "--reason", "Just because I want"), "add --identified"),
    ],
)
def test_bad_input_to_the_export_command_fails_with_one_line_and_audits_nothing(
    practice: Practice, db: None, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    before = research_exports()
    with pytest.raises(CommandError, match=re.escape(says)):
        export(practice, tmp_path / "out", *args)
    assert not (tmp_path / "out").exists()
    assert research_exports() == before


def test_the_export_refuses_a_folder_with_files_in_it_and_an_unknown_practice(
    practice: Practice, db: None, tmp_path: Path
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="not an empty folder"):
        export(practice, tmp_path / "full", "csv")
    with pytest.raises(CommandError, match="no practice with id 999999"):
        call_command("export", "csv", "--practice", "999999", "--out", str(tmp_path / "new"))
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_the_admin_downloads_the_export_as_a_zip_from_the_manage_pages(
    practice: Practice, db: None
) -> None:
    admin = User.objects.filter(practice=practice, role=Role.ADMIN).first()
    assert admin is not None
    web = signed_in(admin)
    url = reverse("interop:research_export")
    before = research_exports()

    assert url in web.get(reverse("practices:manage")).content.decode()
    page = web.get(url)
    refused = web.post(url, {"format": "csv", "identified": "on", "reason": "why"})
    assert research_exports() == before  # a refused form exports nothing
    reply = web.post(url, {"format": "csv"})

    assert page.status_code == 200
    assert "nobody is named" in page.content.decode()
    assert refused.status_code == 200
    assert "needs a reason of at least 10 characters" in refused.content.decode()
    assert reply["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(reply.streaming_content)))
    assert set(archive.namelist()) == {
        "answers.csv",
        "scores.csv",
        "episodes.csv",
        "dictionary.csv",
        "items.csv",
    }
    event = AuditEvent.objects.filter(object_type=RESEARCH_EXPORT_OBJECT_TYPE).latest("pk")
    assert (event.actor_id, event.detail["via"], event.detail["identified"]) == (
        admin.pk,
        "web",
        False,
    )
