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
