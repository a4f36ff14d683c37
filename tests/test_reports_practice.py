"""The supervisor's monthly practice report: the practice dashboard's figures for one month,
computed by the dashboard's own read with a month (no second copy), printed and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.audit.models import AuditEvent
from rapport.care.models import ClosureReason, Episode, EpisodeStatus
from rapport.dashboards.queries import month_figures, month_of, snapshot_values
from rapport.practices.models import Practice
from rapport.reports.queries import month_asked
from tests.conftest import signed_in
from tests.demo_snapshot import demo_practice
from tests.reports_pdf import pdf_info, pdf_text

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("reports_practice")

TODAY = dt.date(2026, 3, 18)
FEBRUARY = dt.date(2026, 2, 1)


@pytest.fixture(scope="module")
def practice(django_db_setup: None, django_db_blocker: Any) -> Iterator[Practice]:
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo_practice(today=TODAY)
            yield Practice.objects.get(is_demo=True)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def supervisor_of(practice: Practice) -> User:
    return User.objects.filter(practice=practice, role=Role.SUPERVISOR).first()  # type: ignore[return-value]


def test_a_months_figures_count_only_the_episodes_closed_in_it(
    practice: Practice, db: None
) -> None:
    closed_in_february = Episode.objects.filter(
        practice=practice,
        status=EpisodeStatus.CLOSED,
        end_date__gte=FEBRUARY,
        end_date__lt=dt.date(2026, 3, 1),
    )
    dropped = closed_in_february.filter(closure_reason=ClosureReason.DROPPED_OUT).count()

    figures = month_figures(practice, month_of(practice, FEBRUARY))

    assert closed_in_february.count() > 0
    assert figures["closed"]["n"] == closed_in_february.count()
    assert figures["closed"]["dropout"]["count"] == dropped
    assert figures["closed"]["n"] < snapshot_values(practice)["figures"]["closed"]["n"]


def test_the_months_of_a_year_share_out_the_closed_episodes_between_them(
    practice: Practice, db: None
) -> None:
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    counts = [month_figures(practice, month_of(practice, m))["closed"]["n"] for m in months]
    in_2025 = Episode.objects.filter(
        practice=practice, status=EpisodeStatus.CLOSED, end_date__year=2025
    ).count()

    assert sum(counts) == in_2025


def test_the_report_prints_the_dashboards_figures_for_the_month_and_is_audited(
    practice: Practice, db: None, tmp_path: Path
) -> None:
    supervisor = supervisor_of(practice)
    figures = month_figures(practice, month_of(practice, FEBRUARY))

    response = signed_in(supervisor).get(reverse("reports:practice_pdf", args=["2026-02"]))

    assert response.status_code == 200
    (tmp_path / "practice.pdf").write_bytes(response.content)
    text = pdf_text(tmp_path / "practice.pdf")
    assert pdf_info(tmp_path / "practice.pdf")["Tagged"] == "yes"
    assert "Practice report: February 2026" in text
    closed = figures["closed"]["n"]
    assert f"{closed} episode{'' if closed == 1 else 's'} closed" in text
    for section in ("Outcomes on the", "Alliance", "Ruptures and repair", "Open too long"):
        assert section in text
    # Aggregates only: no client of the practice is named.
    for name in Episode.objects.filter(practice=practice).values_list(
        "client__full_name", flat=True
    )[:50]:
        assert name not in text
    event = AuditEvent.objects.get(action="report", object_type="reports.practice")
    assert event.actor_id == supervisor.pk
    assert event.detail["month"] == "2026-02" and event.detail["format"] == "pdf"


def test_a_month_that_does_not_exist_or_has_not_begun_is_refused_with_its_reason(
    practice: Practice, db: None
) -> None:
    web = signed_in(supervisor_of(practice))

    bad = web.get(reverse("reports:practice", args=["2026-13"]))

    assert bad.status_code == 400
    assert "is not a month" in bad.content.decode()
    with pytest.raises(ValueError, match="has not begun"):
        month_asked("2026-04", TODAY)
    assert month_asked("2026-03", TODAY) == dt.date(2026, 3, 1)
    assert not AuditEvent.objects.filter(action="report", object_type="reports.practice").exists()
