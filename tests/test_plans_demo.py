"""The demo practice's problem lists and plans: every open episode has them, goals are judged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from rapport.care.models import Episode, EpisodeStatus
from rapport.demo.practice import DemoSummary
from rapport.plans import queries
from rapport.plans.goal_status import goals_progress
from rapport.plans.models import PlanVersion, Problem
from tests.conftest import built_once
from tests.demo_snapshot import demo_practice

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("plans_demo")

TODAY = dt.date(2026, 3, 18)


@pytest.fixture(scope="module")
def built_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    """Built once for the module: its tests only read it (see built_once)."""
    yield from built_once(django_db_blocker, lambda: demo_practice(today=TODAY))


@pytest.fixture
def demo(built_demo: DemoSummary, db: None) -> DemoSummary:
    return built_demo


def test_every_open_episode_has_problems_and_an_accepted_revised_plan(demo: DemoSummary) -> None:
    open_episodes = Episode.objects.filter(practice=demo.practice).exclude(
        status=EpisodeStatus.CLOSED
    )
    assert open_episodes.exists()
    for episode in open_episodes:
        versions = list(PlanVersion.objects.filter(episode=episode).order_by("number"))
        assert Problem.objects.filter(episode=episode).count() >= 2
        assert [v.number for v in versions] == [1, 2]
        assert all(v.status == "accepted" and v.reason for v in versions)
        assert versions[1].based_on_id == versions[0].pk
        assert versions[1].decisions.exists()


def test_some_demo_goals_are_met_and_some_are_not_computed_from_the_measures(
    demo: DemoSummary,
) -> None:
    statuses = []
    for episode in Episode.objects.filter(practice=demo.practice).exclude(status="closed"):
        version = queries.latest_version(episode)
        statuses += [
            g.progress.status.value
            for g in goals_progress(episode, queries.episode_goals(version), today=TODAY)
        ]
    assert statuses.count("met") >= 3
    assert len(set(statuses)) >= 3  # met, not yet and at risk all occur


def test_the_demo_counts_a_plan_and_its_revision_for_every_open_episode(
    demo: DemoSummary,
) -> None:
    summary = demo

    assert summary.counts["plan_versions"] == 2 * Episode.objects.exclude(status="closed").count()
    assert summary.counts["problems"] > 0
