"""Dashboards' stored practice figures, on a generated practice of 400 clients: against a plain
recomputation, refreshing them, and the figures on the practice's and a therapist's page.

The practice is generated once for the module (seconds on PostgreSQL, where it was generated
again for each test); each test's writes are undone when it ends. The module's tests keep to one
worker, so that it is generated once in all.
"""

from __future__ import annotations

import os
import re
import statistics
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.accounts.models import User
from rapport.audit.models import AuditEvent
from rapport.care.models import Episode, EpisodeStatus
from rapport.dashboards.models import DashboardSnapshot
from rapport.dashboards.refresh import dashboards_refresh
from rapport.measures.models import Response
from rapport.practices.models import Practice
from rapport.speed.dashboards import generate_practice
from tests.conftest import built_once

if os.environ.get("PYTEST_XDIST_WORKER"):
    pytestmark = pytest.mark.xdist_group(__name__)


@pytest.fixture(scope="module")
def generated_once(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, lambda: generate_practice(clients=400, seed=4))


@pytest.fixture
def generated(generated_once, db):
    return generated_once


@pytest.fixture
def snapshot(generated):
    return dashboards_refresh(practice=Practice.objects.get(pk=generated.practice_id))


def plain_outcomes(practice_id: int) -> dict:
    """The PHQ-9 figures recomputed one episode at a time, without NumPy."""
    scores = defaultdict(list)
    for episode_id, total in (
        Response.objects.filter(
            episode__practice_id=practice_id, instrument_id="phq9", respondent="client"
        )
        .order_by("completed_at", "pk")
        .values_list("episode_id", "total")
    ):
        scores[episode_id].append(total)
    closed = set(
        Episode.objects.filter(practice_id=practice_id, status=EpisodeStatus.CLOSED).values_list(
            "pk", flat=True
        )
    )
    intake_sd = statistics.stdev(s[0] for s in scores.values())
    counts = Counter()
    pre, post = [], []
    for episode_id, series in scores.items():
        if episode_id not in closed or len(series) < 2:
            continue
        first, last = series[0], series[-1]
        pre.append(first)
        post.append(last)
        # NHS Talking Therapies: a change of 6 or more points is reliable; caseness is 10 or more.
        if first - last >= 6:
            counts["recovered" if first >= 10 and last < 10 else "improved"] += 1
        elif last - first >= 6:
            counts["harmed" if first < 10 and last >= 10 else "deteriorated"] += 1
        else:
            counts["unchanged"] += 1
    d = (statistics.mean(pre) - statistics.mean(post)) / statistics.stdev(pre)
    return {"counts": counts, "n": len(pre), "d": d, "sd": intake_sd}


def test_stored_outcomes_match_a_plain_recomputation_episode_by_episode(generated, snapshot):
    [phq] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    expected = plain_outcomes(generated.practice_id)
    assert phq["closed_with_pair"] == expected["n"]
    assert phq["sd"] == pytest.approx(expected["sd"], abs=1e-5)
    assert {c["key"]: c["count"] for c in phq["categories"]} == {
        key: expected["counts"][key]
        for key in ("recovered", "improved", "unchanged", "deteriorated", "harmed")
    }
    assert phq["effect"]["d"] == pytest.approx(expected["d"], abs=1e-5)
    assert phq["effect"]["lower"] < phq["effect"]["d"] < phq["effect"]["upper"]
    assert phq["cutoff_source"] == "rule" and phq["cutoff"] == 10
    assert phq["rule"]["name"] == "NHS Talking Therapies criterion"


def test_dropout_and_modality_figures_count_closed_episodes(generated, snapshot):
    closed = Episode.objects.filter(practice_id=generated.practice_id, status=EpisodeStatus.CLOSED)
    dropped = closed.filter(closure_reason="dropped_out").count()
    figures = snapshot.figures["closed"]
    assert figures["n"] == closed.count() == snapshot.closed_episodes
    assert figures["dropout"]["count"] == dropped
    assert figures["dropout"]["lower"] < figures["dropout"]["value"] < figures["dropout"]["upper"]
    # Every closed episode has attended sessions, so the modality rows add up to all of them.
    assert sum(m["n"] for m in figures["dropout_by_modality"]) == closed.count()
    modalities = Counter()
    for episode in closed.prefetch_related("sessions"):
        counts = Counter(s.modality for s in episode.sessions.all())
        order = ["in_person", "video", "phone", "text"]
        modalities[max(order, key=lambda m: (counts[m], -order.index(m)))] += 1
    assert {m["modality"]: m["n"] for m in figures["dropout_by_modality"]} == {
        k: v for k, v in modalities.items() if v
    }


def test_alliance_distribution_holds_every_client_rating(generated, snapshot):
    totals = list(
        Response.objects.filter(
            episode__practice_id=generated.practice_id, instrument_id="feedback-client"
        ).values_list("total", flat=True)
    )
    alliance = snapshot.figures["alliance"]
    assert alliance["n"] == len(totals)
    assert sum(b["count"] for b in alliance["bins"]) == len(totals)
    assert alliance["median"] == statistics.median(totals)
    assert alliance["below"]["count"] == sum(1 for t in totals if t < 36)
    assert (
        snapshot.administrations
        == Response.objects.filter(episode__practice_id=generated.practice_id).count()
    )


def test_therapists_are_compared_with_shrunken_rates_and_the_icc_has_an_interval(snapshot):
    [phq] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    therapists = phq["therapists"]
    assert len(therapists) == 4  # 400 clients, 100 per therapist: all above 15
    for row in therapists:
        assert row["improved_lower"] <= row["improved"] <= row["improved_upper"]
        assert row["adjusted_lower"] < row["adjusted"] < row["adjusted_upper"]
        # Shrinkage moves each rate towards the practice's, never past it.
        prior = phq["therapist_effect"]["prior_improved"]
        assert abs(row["improved"] - prior) <= abs(row["raw_improved"] - prior) + 1e-9
    effect = phq["therapist_effect"]
    assert effect["available"] and effect["n_groups"] == 4
    assert 0 <= effect["lower"] <= effect["icc"] <= effect["upper"] <= 1


def test_therapists_under_the_minimum_caseload_are_counted_but_never_named(generated, settings):
    settings.RAPPORT_DASHBOARD_MIN_CASELOAD = 1000
    snapshot = dashboards_refresh(practice=Practice.objects.get(pk=generated.practice_id))
    [phq] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    assert phq["therapists"] == []
    assert phq["therapists_hidden"] == 4
    assert "Therapist 0000" not in str(snapshot.figures)


def test_a_refresh_replaces_the_stored_figures_and_is_audited(generated, snapshot):
    practice = Practice.objects.get(pk=generated.practice_id)
    again = dashboards_refresh(practice=practice)
    assert DashboardSnapshot.objects.filter(practice=practice).count() == 1
    assert again.computed_at >= snapshot.computed_at
    assert AuditEvent.objects.filter(action="refresh", practice_id=practice.pk).count() == 2


def test_the_practice_dashboard_shows_the_stored_figures_to_a_supervisor(
    generated, snapshot, web_as
):
    supervisor = User.objects.get(pk=generated.supervisor_id)
    page = web_as(supervisor).get(reverse("dashboards:practice"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Outcomes on the PHQ-9" in html
    assert "Therapist 0001" in html
    assert "ICC" in html and "profile-likelihood" in html
    assert not re.search(r"Client \d", html)  # aggregates only: no client names
    assert AuditEvent.objects.filter(
        actor_id=supervisor.pk, object_type="dashboards.dashboardsnapshot"
    ).exists()


def test_a_long_therapist_table_is_split_into_pages(generated, snapshot, web_as, monkeypatch):
    from rapport.dashboards import views

    monkeypatch.setattr(views, "THERAPISTS_PER_PAGE", 3)
    web = web_as(User.objects.get(pk=generated.supervisor_id))
    first = web.get(reverse("dashboards:practice")).content.decode()
    assert "Therapist 0000" in first and "Therapist 0003" not in first
    assert "Therapists 1–3 of 4" in first
    second = web.get(reverse("dashboards:practice"), {"instrument": "phq9", "page": 2})
    html = second.content.decode()
    assert "Therapist 0003" in html and "Therapist 0000" not in html


def test_a_refresh_reads_the_practice_in_a_handful_of_queries(generated):
    practice = Practice.objects.get(pk=generated.practice_id)
    dashboards_refresh(practice=practice)
    with CaptureQueriesContext(connection) as queries:
        dashboards_refresh(practice=practice)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # Data mark, instruments, episodes, sessions, scores, ratings, names, alliance cut-off; then
    # the stored figures (2) and their audit event (3).
    assert len(statements) <= 13
    reads = [sql for sql in statements if "measures_response" in sql]
    assert len(reads) == 3  # the data mark, the outcome scores, the session ratings


def test_a_therapist_sees_their_own_shrunken_figures_on_their_dashboard(
    generated, snapshot, web_as
):
    therapist = User.objects.get(pk=generated.therapist_ids[0])
    page = web_as(therapist).get(reverse("dashboards:therapist"))
    own = page.context["own"]
    assert own["row"]["id"] == therapist.pk and own["row"]["n"] >= 15
    assert "Your outcomes on the PHQ-9" in page.content.decode()


def test_below_the_minimum_a_therapist_is_told_how_many_episodes_count_so_far(
    generated, settings, web_as
):
    settings.RAPPORT_DASHBOARD_MIN_CASELOAD = 1000
    dashboards_refresh(practice=Practice.objects.get(pk=generated.practice_id))
    therapist = User.objects.get(pk=generated.therapist_ids[0])
    page = web_as(therapist).get(reverse("dashboards:therapist"))
    own = page.context["own"]
    assert own["row"] is None and own["episodes"] > 0
    assert f"(you have {own['episodes']})" in page.content.decode()
