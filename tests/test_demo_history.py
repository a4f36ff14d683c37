"""The demo's former clients: closed episodes enough for outcome figures and flag validation."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from rapport.accounts.models import User
from rapport.care.models import Attendance, ClosureReason, Episode, EpisodeStatus, Session
from rapport.core.instruments import score
from rapport.dashboards.models import DashboardSnapshot
from rapport.demo import data
from rapport.demo.history import (
    CASELOADS,
    IMPROVER,
    FormerClient,
    build_demo_history,
    phq9_mean,
    plan_history,
)
from rapport.demo.practice import DemoSummary, plan_demo
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument
from rapport.people.models import Client, ClientStatus
from rapport.practices.models import Practice
from rapport.trajectories.queries import trajectory_validation
from tests.conftest import built_once
from tests.demo_snapshot import demo_practice

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("demo_history")

TODAY = dt.date(2026, 3, 18)
MIN_CASELOAD = 15  # the practice dashboard's default


@pytest.fixture(scope="module")
def former() -> tuple[FormerClient, ...]:
    return plan_history(plan=plan_demo(seed=7, today=TODAY), today=TODAY, seed=7)


@pytest.fixture(scope="module")
def built_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    """Built once for the module: its tests only read it (see built_once)."""
    yield from built_once(django_db_blocker, lambda: demo_practice(today=TODAY))


@pytest.fixture
def demo(built_demo: DemoSummary, db: None) -> DemoSummary:
    return built_demo


def _finals(former: tuple[FormerClient, ...]) -> list[tuple[int, int]]:
    """(intake, last) PHQ-9 of each former client."""
    return [(f.phq9_totals[0], f.phq9_totals[-1]) for f in former]


# --- The plan (no database) ------------------------------------------------------------------


def test_the_history_plan_is_the_same_for_a_seed_and_differs_for_another(
    former: tuple[FormerClient, ...],
) -> None:
    plan = plan_demo(seed=7, today=TODAY)
    assert plan_history(plan=plan, today=TODAY, seed=7) == former
    assert plan_history(plan=plan, today=TODAY, seed=8) != former


def test_every_clinician_has_enough_closed_episodes_to_be_compared_but_the_supervisor(
    former: tuple[FormerClient, ...],
) -> None:
    per_clinician = Counter(f.clinician for f in former)
    assert 180 <= len(former) <= 240
    assert per_clinician == CASELOADS
    assert all(per_clinician[k] >= 20 for k in ("clinician", "clinician2", "clinician3"))
    assert per_clinician["supervisor"] < MIN_CASELOAD  # shows the minimum at work


def test_former_episodes_started_six_to_thirty_months_ago_and_are_over(
    former: tuple[FormerClient, ...],
) -> None:
    current_names = {spec.full_name for spec in plan_demo(seed=7, today=TODAY)}
    for f in former:
        assert TODAY - dt.timedelta(days=31 * 30) <= f.start_date <= TODAY - dt.timedelta(weeks=26)
        assert f.start_date <= f.end_date < TODAY
        assert f.full_name not in current_names
        assert 4 <= len(f.visits) <= 20
        assert f.visits[0].attendance == Attendance.ATTENDED
        assert all(v.start.date() <= f.end_date for v in f.visits)
        # Adults when they started, and still the age they were drawn at (19-68) give or take.
        assert 19 <= (f.start_date - f.date_of_birth).days // 365.25 <= 68
        if f.closure_reason == ClosureReason.DROPPED_OUT:
            assert [v.attendance for v in f.visits[-3:]] == [Attendance.NO_SHOW] * 3
        else:
            assert f.visits[-1].attendance == Attendance.ATTENDED
        # Only a client who ended below the cut-off is said to have ended in the healthy range.
        if "non-clinical range" in f.closure_note:
            assert f.phq9_totals[-1] < 10


def test_about_one_in_six_drops_out_and_a_few_are_referred_on(
    former: tuple[FormerClient, ...],
) -> None:
    reasons = Counter(f.closure_reason for f in former)
    assert 0.12 <= reasons[ClosureReason.DROPPED_OUT] / len(former) <= 0.22
    assert 0.01 <= reasons[ClosureReason.REFERRED_OUT] / len(former) <= 0.08
    assert reasons[ClosureReason.COMPLETED] / len(former) >= 0.7


def test_phq9_falls_for_most_and_rises_for_a_few(former: tuple[FormerClient, ...]) -> None:
    pairs = _finals(former)
    intakes = [pre for pre, _ in pairs]
    assert min(intakes) >= 10 and max(intakes) <= 24  # at caseness; item 9 stays 0
    assert 14 <= statistics.mean(intakes) <= 17
    assert statistics.mean(post for _, post in pairs) <= statistics.mean(intakes) - 4
    # A change of 6 points is beyond the PHQ-9's measurement error (reliable change).
    improved = sum(post <= pre - 6 for pre, post in pairs) / len(pairs)
    worse = sum(post >= pre + 6 for pre, post in pairs) / len(pairs)
    assert 0.45 <= improved <= 0.8
    assert 0.03 <= worse <= 0.12
    below_cutoff = sum(post < 10 for _, post in pairs) / len(pairs)
    assert 0.3 <= below_cutoff <= 0.7


def test_the_clients_who_improve_slowly_early_on_mostly_end_unimproved(
    former: tuple[FormerClient, ...],
) -> None:
    # Early slow progress carries on, so early flags have something true to predict.
    followed = [f for f in former if len(f.phq9_totals) >= 6]
    slow = [f for f in followed if f.phq9_totals[3] >= f.phq9_totals[0] - 1]
    quick = [f for f in followed if f.phq9_totals[3] <= f.phq9_totals[0] - 5]
    assert len(slow) >= 15 and len(quick) >= 15

    def unimproved(group: list[FormerClient]) -> float:
        return sum(f.phq9_totals[-1] > f.phq9_totals[0] - 6 for f in group) / len(group)

    assert unimproved(slow) >= unimproved(quick) + 0.4


def test_phq9_means_are_log_linear_in_the_session_number() -> None:
    means = [phq9_mean(intake=16, improvement=0.5, shift=0, session=s) for s in (1, 12, 144)]
    assert means == pytest.approx([16, 8, 0])
    shifted = phq9_mean(intake=16, improvement=0.5, shift=2, session=12)
    assert shifted == pytest.approx(10)


def test_every_phq9_form_adds_up_and_most_courses_are_improvers(
    former: tuple[FormerClient, ...],
) -> None:
    for f in former:
        for visit in f.visits:
            if visit.phq9 is not None:
                assert visit.attendance == Attendance.ATTENDED
                assert visit.phq9["phq9-9"] == 0
                assert all(0 <= visit.phq9[f"phq9-{n}"] <= 3 for n in range(1, 9))
    courses = Counter(f.course for f in former)
    assert 0.65 <= courses[IMPROVER] / len(former) <= 0.8


# --- Written to the database -----------------------------------------------------------------


def test_the_history_is_written_with_a_handful_of_bulk_queries(
    db: None, django_assert_max_num_queries: Any
) -> None:
    practice = Practice.objects.create(name="History", time_zone=data.DEMO_TIME_ZONE)
    users = {
        m.key: User.objects.create(
            email=f"{m.key}@history.test", full_name=m.full_name, role=m.role, practice=practice
        )
        for m in data.STAFF
    }
    plan = plan_demo(seed=7, today=TODAY)
    with django_assert_max_num_queries(25):  # thousands of rows, nothing per row
        history = build_demo_history(practice=practice, plan=plan, users=users, today=TODAY, seed=7)
    assert history.counts["former_clients"] == len(history.episodes) == sum(CASELOADS.values())
    assert history.counts["former_responses"] > 4000
    assert (
        Episode.objects.filter(practice=practice).exclude(status=EpisodeStatus.CLOSED).count() == 0
    )


def test_former_clients_are_discharged_or_inactive_without_logins_and_score_as_stored(
    demo: DemoSummary,
) -> None:
    former = {
        f.full_name: f
        for f in plan_history(plan=plan_demo(seed=7, today=TODAY), today=TODAY, seed=7)
    }
    clients = Client.objects.filter(practice=demo.practice, full_name__in=former)
    assert clients.count() == len(former)
    assert not clients.filter(user__isnull=False).exists()
    assert not clients.filter(guardian_links__isnull=False).exists()
    for client in clients:
        dropped = former[client.full_name].closure_reason == ClosureReason.DROPPED_OUT
        assert client.status == (ClientStatus.INACTIVE if dropped else ClientStatus.DISCHARGED)

    episodes = Episode.objects.filter(client__in=clients)
    assert set(episodes.values_list("status", flat=True)) == {EpisodeStatus.CLOSED}
    responses = Response.objects.filter(episode__in=episodes)
    assert set(responses.values_list("instrument_id", flat=True)) == {
        "phq9",
        "gad7",
        "feedback-client",
        "feedback-therapist",
    }
    for response in responses.filter(instrument_id__in=["phq9", "gad7"]):
        instrument = get_instrument(response.instrument_id)
        items = [response.answers[link] for link in instrument.total_items]
        assert response.total == sum(items)
        result = score(instrument, response.answers)
        assert (response.band, response.severity) == (result.band.label, result.band.severity)
        assert not response.flags
    # The session ratings: the client after most attended sessions, the therapist after most of
    # those.
    attended = Session.objects.filter(episode__in=episodes, attendance=Attendance.ATTENDED)
    rated = responses.filter(instrument_id="feedback-client").count()
    assert rated >= 0.85 * attended.count()
    assert responses.filter(instrument_id="feedback-therapist").count() >= 0.8 * rated


def test_the_dashboard_and_the_validation_report_have_closed_episodes_to_show(
    demo: DemoSummary,
) -> None:
    snapshot = DashboardSnapshot.objects.get(practice=demo.practice)
    assert snapshot.closed_episodes >= 180
    phq9 = next(i for i in snapshot.figures["instruments"] if i["id"] == "phq9")
    # The three clinicians and the seven colleagues who have left (rapport.demo.candidates).
    assert len(phq9["therapists"]) == 10 and phq9["therapists_hidden"] == 1
    assert 0.1 <= snapshot.figures["closed"]["dropout"]["value"] <= 0.25
    assert phq9["effect"]["mean_post"] < phq9["effect"]["mean_pre"] - 3
    assert phq9["therapist_effect"]["available"]

    found = trajectory_validation(practice_id=demo.practice.pk, family="phq9", actor=None)
    report = found.report
    assert report is not None and report.n_evaluated >= 100
    flags = report.results["not_improved", "off_track"]
    base_rate = flags.n_bad_outcome / flags.n
    assert flags.ppv.value is not None and flags.ppv.value > base_rate + 0.2
