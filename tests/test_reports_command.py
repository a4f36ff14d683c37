"""`rapport report progress|plan --episode ID [--audience client|clinician] --out FILE.pdf`:
a PDF on success; one line of error and a non-zero exit on bad input."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.audit.models import AuditEvent
from tests.conftest import Cast
from tests.reports_pdf import pdf_info, pdf_text


def test_the_command_prints_a_clients_copy_and_audits_it(cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "progress.pdf"
    said = StringIO()

    call_command(
        "report",
        "progress",
        episode=cast.adult_episode.pk,
        audience="client",
        out=out,
        stdout=said,
    )

    assert pdf_info(out)["Tagged"] == "yes"
    assert "Your progress" in pdf_text(out)
    assert str(out) in said.getvalue()
    event = AuditEvent.objects.get(action="report", object_type="reports.progress")
    assert event.actor_id is None
    assert event.client_id == cast.adult_client.pk
    assert event.detail["via"] == "command" and event.detail["for"] == "client"


def test_the_command_prints_a_plan_summary_for_the_clinician_by_default(
    cast: Cast, tmp_path: Path
) -> None:
    out = tmp_path / "plan.pdf"

    call_command("report", "plan", episode=cast.adult_episode.pk, out=out, stdout=StringIO())

    assert "Plan summary: Alex Adult" in pdf_text(out)


def test_an_unknown_episode_is_one_line_of_error(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"^no episode with id 999999$"):
        call_command("report", "progress", episode=999999, out=tmp_path / "x.pdf")


def test_an_unwritable_path_is_one_line_of_error_and_writes_nothing(
    cast: Cast, tmp_path: Path
) -> None:
    out = tmp_path / "missing" / "x.pdf"

    with pytest.raises(CommandError, match=r"^cannot write .*x\.pdf: no directory"):
        call_command("report", "progress", episode=cast.adult_episode.pk, out=out)
    assert not AuditEvent.objects.filter(action="report").exists()


def test_from_the_shell_a_wrong_audience_exits_non_zero_with_one_line(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import execute_from_command_line

    args = ["rapport", "report", "progress", "--episode", str(cast.adult_episode.pk)]
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line([*args, "--audience", "insurer", "--out", str(tmp_path / "x")])

    assert exit_info.value.code != 0
    error_lines = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(error_lines) == 1 and "insurer" in error_lines[0]


def test_from_the_shell_an_unknown_episode_exits_non_zero_with_one_line(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(
            ["rapport", "report", "plan", "--episode", "999999", "--out", str(tmp_path / "x.pdf")]
        )

    assert exit_info.value.code != 0
    assert capsys.readouterr().err.strip() == "CommandError: no episode with id 999999"


def test_the_command_prints_a_discharge_letter_once_written(cast: Cast, tmp_path: Path) -> None:
    from rapport.reports.services import letter_write
    from tests.authorization.cast_reports import LETTER_RECOMMENDATIONS, closed_like

    closed = closed_like(cast.adult_episode)
    out = tmp_path / "letter.pdf"
    with pytest.raises(
        CommandError, match=rf"^the discharge letter of episode {closed.pk} is not written yet$"
    ):
        call_command("report", "discharge", episode=closed.pk, out=out)
    letter_write(
        actor=cast.clinician,
        episode=closed,
        addressee="Dr Referrer",
        organisation="",
        recommendations=LETTER_RECOMMENDATIONS,
    )

    call_command(
        "report", "discharge", episode=closed.pk, audience="client", out=out, stdout=StringIO()
    )

    assert LETTER_RECOMMENDATIONS in pdf_text(out)
    assert (
        AuditEvent.objects.get(action="report", object_type="reports.discharge").detail["for"]
        == "client"
    )


def test_the_discharge_letter_of_an_open_episode_is_one_line_of_error(
    cast: Cast, tmp_path: Path
) -> None:
    with pytest.raises(
        CommandError, match=r"^episode \d+ is still open: it has no discharge letter$"
    ):
        call_command("report", "discharge", episode=cast.adult_episode.pk, out=tmp_path / "x.pdf")


def test_the_command_prints_a_practice_report_for_a_month(cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "practice.pdf"

    call_command(
        "report", "practice", practice=cast.practice.pk, month="2026-01", out=out, stdout=StringIO()
    )

    assert "Practice report: January 2026" in pdf_text(out)
    event = AuditEvent.objects.get(action="report", object_type="reports.practice")
    assert event.detail["month"] == "2026-01" and event.detail["via"] == "command"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"practice": 1}, r"^a practice report takes --practice ID and --month YYYY-MM$"),
        ({"practice": 999999, "month": "2026-01"}, r"^no practice with id 999999$"),
        ({"practice": None, "month": "2026-1"}, r"^“2026-1” is not a month: write it as YYYY-MM"),
        ({"practice": None, "month": "2999-01"}, r"^January 2999 has not begun yet\.$"),
    ],
)
def test_a_practice_report_with_bad_options_is_one_line_of_error(
    cast: Cast, tmp_path: Path, options: dict[str, object], error: str
) -> None:
    if "practice" in options and options["practice"] is None:
        options = {**options, "practice": cast.practice.pk}

    with pytest.raises(CommandError, match=error):
        call_command("report", "practice", out=tmp_path / "x.pdf", **options)
    assert not AuditEvent.objects.filter(action="report").exists()


def test_an_episode_report_given_a_month_is_one_line_of_error(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"^a progress report takes --episode ID$"):
        call_command("report", "progress", month="2026-01", out=tmp_path / "x.pdf")
