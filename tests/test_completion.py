"""Completion that practices can see: forms asked, sent, opened, completed and run out of time,
by measure, session kind, week and clinician; the monthly rate and its trend; and clients who
have stopped answering, flagged on the caseload.

The cast's adult client (on `clinician`'s caseload) is asked forms over five months; the
expected figures are counted by hand from what each test sets up.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.models import Episode
from rapport.core.completion import Funnel, Trend, month_trend, stopped_answering
from rapport.dashboards.completion import completion_figures, monthly_completion
from rapport.measures.models import Assignment
from rapport.measures.services import link_issue
from rapport.people.queries import caseload_rows
from tests.conftest import Cast, signed_in

COMPLETED = Assignment.Status.COMPLETED
EXPIRED = Assignment.Status.EXPIRED
PENDING = Assignment.Status.PENDING


def ask(cast: Cast, due: datetime, status: str, instrument: str = "phq9") -> Assignment:
    return Assignment.objects.create(
        episode=cast.adult_episode,
        instrument_id=instrument,
        respondent="client",
        respondent_key="client",
        status=status,
        due_at=due,
    )


def local_noon(cast: Cast, day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(cast.practice.time_zone))


def test_a_funnel_counts_each_stage_and_its_rate_leaves_waiting_forms_out() -> None:
    funnel = Funnel(asked=10, sent=6, opened=5, completed=6, expired=2)

    assert funnel.rate == 75.0
    assert Funnel(asked=3).rate is None
    assert (funnel + Funnel(asked=1, expired=1)).expired == 3


@pytest.mark.parametrize(
    ("rates", "trend"),
    [
        ([50.0, 60.0, 55.0, 70.0], Trend.RISING),
        ([70.0, 72.0, 68.0, 60.0], Trend.FALLING),
        ([70.0, 72.0, 68.0, 73.0], Trend.STEADY),
        ([None, None, None, 70.0], Trend.UNKNOWN),
        ([80.0, None], Trend.UNKNOWN),
    ],
)
def test_this_months_rate_is_compared_with_the_three_months_before(
    rates: list[float | None], trend: Trend
) -> None:
    assert month_trend(rates).trend == trend


def test_only_a_run_of_three_expired_forms_means_a_client_stopped_answering() -> None:
    assert stopped_answering(["expired", "expired", "expired", "completed"])
    assert not stopped_answering(["expired", "completed", "expired"])
    assert not stopped_answering(["expired", "expired"])


def test_the_weeks_funnel_counts_sent_opened_completed_and_expired_forms(cast: Cast) -> None:
    today = timezone.localdate(timezone=ZoneInfo(cast.practice.time_zone))
    yesterday = local_noon(cast, today - timedelta(days=1))
    opened = ask(cast, yesterday, PENDING)
    ask(cast, yesterday, COMPLETED, instrument="gad7")
    ask(cast, yesterday, EXPIRED)
    ask(cast, yesterday, Assignment.Status.CANCELLED)  # never counted
    _, token = link_issue(actor=cast.clinician, assignment=opened)
    opened.links.update(sent_at=timezone.now())

    assert signed_in(None).get(reverse("measures:link_form", args=[token])).status_code == 200
    figures = completion_figures(cast.practice, Episode.objects.filter(pk=cast.adult_episode.pk))

    assert figures.whole == Funnel(asked=3, sent=1, opened=2, completed=1, expired=1)
    assert figures.by_measure["PHQ-9"] == Funnel(asked=2, sent=1, opened=1, completed=0, expired=1)
    assert figures.by_modality["Between sessions"].asked == 3
    assert sum(f.asked for f in figures.by_week.values()) == 3
    assert figures.by_clinician[cast.clinician.full_name].asked == 3


def test_opening_a_form_by_its_link_is_audited_as_a_read_of_that_form(cast: Cast) -> None:
    assignment = ask(cast, timezone.now(), PENDING)
    _, token = link_issue(actor=cast.clinician, assignment=assignment)

    signed_in(None).get(reverse("measures:link_form", args=[token]))

    event = AuditEvent.objects.get(action="link_open")
    assert (event.object_type, event.object_id, event.client_id) == (
        "measures.assignment",
        str(assignment.pk),
        cast.adult_client.pk,
    )


def test_the_monthly_rate_and_its_trend_cover_the_last_six_months(cast: Cast) -> None:
    today = timezone.localdate(timezone=ZoneInfo(cast.practice.time_zone))
    first = today.replace(day=1)
    earlier = [(first - timedelta(days=1 + 31 * n)).replace(day=10) for n in range(3)]
    for month in earlier:  # one of two completed in each of the three months before
        ask(cast, local_noon(cast, month), COMPLETED)
        ask(cast, local_noon(cast, month), EXPIRED)
    ask(cast, local_noon(cast, first), COMPLETED)  # all completed this month

    months, trend = monthly_completion(
        cast.practice, Episode.objects.filter(practice=cast.practice)
    )

    assert len(months) == 6
    assert months[-1].month == first
    assert [m.funnel.rate for m in months[-4:]] == [50.0, 50.0, 50.0, 100.0]
    assert (trend.rate, trend.before, trend.trend) == (100.0, 50.0, Trend.RISING)


def test_a_client_whose_last_three_forms_expired_is_flagged_on_the_caseload(cast: Cast) -> None:
    now = timezone.now()
    ask(cast, now - timedelta(days=40), COMPLETED)
    for days in (30, 20, 10):
        ask(cast, now - timedelta(days=days), EXPIRED)
    ask(cast, now + timedelta(days=1), PENDING)  # not yet due: no outcome, not counted

    rows = caseload_rows([cast.adult_episode.pk, cast.other_episode.pk])
    flags = {row.episode.pk: row.flags for row in rows}

    assert "Last 3 forms not completed" in flags[cast.adult_episode.pk]
    assert "Last 3 forms not completed" not in flags[cast.other_episode.pk]


def test_the_clinician_sees_their_clients_completion_and_who_stopped_answering(
    cast: Cast,
) -> None:
    now = timezone.now()
    for days in (30, 20, 10):
        ask(cast, now - timedelta(days=days), EXPIRED)

    page = signed_in(cast.clinician).get(reverse("dashboards:completion"))
    text = page.content.decode()

    assert page.status_code == 200
    assert "Clients who have stopped answering" in text
    assert cast.adult_client.display_name in text
    assert "By clinician" not in text  # a clinician sees their own clients only
    listed = AuditEvent.objects.get(actor_id=cast.clinician.pk, action="list")
    assert listed.detail == {"view": "completion", "episodes": [cast.adult_episode.pk]}


def test_a_supervisor_sees_the_practice_by_clinician_and_no_client_names(cast: Cast) -> None:
    ask(cast, timezone.now() - timedelta(days=2), EXPIRED)

    text = signed_in(cast.supervisor).get(reverse("dashboards:completion")).content.decode()
    dashboard = signed_in(cast.supervisor).get(reverse("dashboards:practice")).content.decode()

    assert "By clinician" in text
    assert cast.clinician.full_name in text
    assert cast.adult_client.full_name not in text
    assert "Forms completed</a> this month" in dashboard
