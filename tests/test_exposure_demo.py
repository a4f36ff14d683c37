"""The demo's fear ladders: two anxious clients, part-way up, with distress falling."""

from __future__ import annotations

import datetime as dt

import pytest

from rapport.core.exposure import StepState
from rapport.demo.practice import DemoSummary
from rapport.exposure.models import Attempt, Ladder
from rapport.exposure.queries import ladder_overview
from tests.demo_snapshot import demo_practice

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("exposure_demo")

TODAY = dt.date(2026, 3, 18)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Built once for the module (the demo takes a while), rolled back afterwards."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield demo_practice(today=TODAY)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def ladders(demo: DemoSummary, db: None) -> list[Ladder]:
    return list(Ladder.objects.filter(episode__practice=demo.practice).order_by("pk"))


def test_two_anxious_clients_have_ladders_of_six_to_eight_steps(demo, ladders):
    assert len(ladders) == 2
    assert len({ladder.episode.client_id for ladder in ladders}) == 2
    assert all(6 <= ladder.steps.count() <= 8 for ladder in ladders)
    assert demo.counts["ladders"] == 2
    assert (
        demo.counts["ladder_attempts"] == Attempt.objects.filter(step__ladder__in=ladders).count()
    )


def test_the_demo_portal_client_has_a_ladder_and_recorded_homework_in_the_portal(ladders):
    mine = [ladder for ladder in ladders if ladder.episode.client.user_id]
    assert len(mine) == 1
    portal = Attempt.objects.filter(step__ladder=mine[0], recorded_via="portal")
    assert portal.exists()
    assert all(a.setting == "homework" for a in portal)


def test_each_demo_ladder_is_part_way_up_with_distress_falling(ladders):
    for ladder in ladders:
        overview = ladder_overview(ladder, goals={})
        states = [row.progress.state for row in overview.rows]
        assert 2 <= overview.progress.mastered <= 3
        assert states[: overview.progress.mastered] == [StepState.MASTERED] * (
            overview.progress.mastered
        )
        assert states[overview.progress.mastered] == StepState.PRACTISING
        assert states[-1] == StepState.NOT_STARTED
        for row in overview.rows:
            if row.progress.attempts >= 2:
                assert row.progress.slope < 0, (ladder.title, row.step.situation)
        days = [a.practised_on for row in overview.rows for a in row.attempts]
        assert days == sorted(days) and max(days) < TODAY
        assert min(days) >= ladder.episode.start_date
