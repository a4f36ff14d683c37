"""Treatment plans under review: benchmarks judged from real measure data at and around their
thresholds, who may answer which version, and what a guardian's link lets them see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.models import AuditEvent
from rapport.care.services import episode_close
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from rapport.plans import queries, services
from rapport.plans.goal_status import goals_progress
from rapport.plans.models import GoalRating, PlanDecision, PlanVersion, Problem
from tests.conftest import assignment_for, make_session, signed_in, years_ago
from tests.test_plans import PRIVATE, goal_fields, phq9_scores, proposed_plan


def scores(episode, family: str, answer_sets: list[dict[str, str]], *, actor) -> None:
    """The client answers `family` at successive past sessions, one answer set each."""
    measure_plan_set(
        actor=actor, episode=episode, family=family, respondent="client", schedule="every_session"
    )
    for weeks, answers in zip(range(len(answer_sets), 0, -1), answer_sets, strict=True):
        session = make_session(episode, days_from_now=-7 * weeks)
        assignment = assignment_for(session_assignments_ensure(session=session), family)
        response_submit(assignment=assignment, answers=answers, mode="in_session", actor=None)


def checkin(total: int) -> dict[str, str]:
    """A check-in (four 0–10 sliders, higher is better) adding up to `total`."""
    parts = [min(10, max(0, total - 10 * n)) for n in range(4)]
    return {
        f"checkin-{name}": str(part)
        for name, part in zip(("feeling", "home", "school", "overall"), parts, strict=True)
    }


def status_of(cast, version: PlanVersion, **kwargs) -> tuple[str, float | None]:
    [item] = goals_progress(cast.adult_episode, queries.episode_goals(version), **kwargs)
    return item.progress.status.value, item.progress.current


# --- Benchmarks against measure data --------------------------------------------------------------


@pytest.mark.parametrize(("latest", "expected"), [(27, "not_yet"), (28, "met"), (29, "met")])
def test_a_higher_is_better_checkin_target_is_met_at_the_target_and_above(cast, latest, expected):
    version = proposed_plan(cast, benchmark="measure_target", family="checkin", target=28.0)

    scores(cast.adult_episode, "checkin", [checkin(12), checkin(latest)], actor=cast.clinician)

    assert status_of(cast, version) == (expected, float(latest))


def test_a_falling_checkin_score_puts_its_goal_at_risk_even_though_the_number_is_lower(cast):
    version = proposed_plan(cast, benchmark="measure_target", family="checkin", target=28.0)

    scores(cast.adult_episode, "checkin", [checkin(n) for n in (24, 20, 16)], actor=cast.clinician)

    [item] = goals_progress(cast.adult_episode, queries.episode_goals(version))
    assert (item.progress.status.value, item.progress.trend.value) == ("at_risk", "worse")
    assert item.target_words == "at least 28 on the Check-in"


def test_a_phq9_target_of_10_is_met_at_9_not_at_10(cast):
    version = proposed_plan(cast, benchmark="measure_target", family="phq9", target=10.0)

    phq9_scores(cast, 15, 10)
    at_ten = status_of(cast, version)
    phq9_scores(cast, 9)

    assert at_ten == ("not_yet", 10.0)
    assert status_of(cast, version) == ("met", 9.0)


def test_reliable_improvement_on_the_phq9_is_judged_by_the_nhs_talking_therapies_criterion(cast):
    # NHS Talking Therapies: a fall of 6 or more points on the PHQ-9 is a reliable improvement.
    version = proposed_plan(cast, benchmark="reliable_improvement", family="phq9", target=None)
    phq9_scores(cast, 15, 10)
    fall_of_five = goals_progress(cast.adult_episode, queries.episode_goals(version))[0]
    phq9_scores(cast, 9)

    assert (fall_of_five.progress.status.value, fall_of_five.progress.current) == ("not_yet", 10.0)
    assert "NHS Talking Therapies criterion: a fall of 6 or more points" in (
        fall_of_five.progress.reason
    )
    assert status_of(cast, version) == ("met", 9.0)


def test_reliable_improvement_with_only_the_first_score_is_not_yet_and_shows_it(cast):
    version = proposed_plan(cast, benchmark="reliable_improvement", family="phq9", target=None)
    phq9_scores(cast, 20)

    assert status_of(cast, version) == ("not_yet", 20.0)


def test_a_target_date_is_judged_on_the_practices_calendar_not_the_servers(cast):
    # Two zones either side of UTC: at any hour one of them is on another calendar day.
    utc_today = datetime.now(UTC).date()
    zone = next(
        z
        for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
        if datetime.now(ZoneInfo(z)).date() != utc_today
    )
    local_today = datetime.now(ZoneInfo(zone)).date()
    cast.practice.time_zone = zone
    cast.practice.save()
    version = proposed_plan(cast, target_date=min(utc_today, local_today))

    status = status_of(cast, version)[0]

    # With no rating yet, the goal is at risk only once its date has passed where the client is.
    assert status == ("at_risk" if local_today > utc_today else "no_data")


# --- Goals the data can answer ------------------------------------------------------------------


def new_draft(cast) -> PlanVersion:
    return services.plan_draft_start(actor=cast.clinician, episode=cast.adult_episode, reason="r")


def test_a_subscale_the_measure_does_not_have_is_refused(cast):
    with pytest.raises(ValidationError, match="no subscale"):
        services.goal_add(
            actor=cast.clinician,
            version=new_draft(cast),
            **goal_fields(benchmark="measure_target", family="gad7", subscale="Worry", target=5.0),
        )


def test_reliable_improvement_is_judged_on_the_total_only(cast, monkeypatch):
    gad7 = services.measure_families(cast.practice.pk)["gad7"]
    with_subscale = type(gad7)(**{**gad7.__dict__, "subscales": {"worry": ("gad7-1",)}})
    monkeypatch.setattr(services, "measure_families", lambda practice_id: {"gad7": with_subscale})

    with pytest.raises(ValidationError, match="total score only"):
        services.goal_add(
            actor=cast.clinician,
            version=new_draft(cast),
            **goal_fields(
                benchmark="reliable_improvement", family="gad7", subscale="worry", target=None
            ),
        )


def test_a_measure_target_outside_the_measures_range_is_refused(cast):
    with pytest.raises(ValidationError, match="from 0 to 21"):
        services.goal_add(
            actor=cast.clinician,
            version=new_draft(cast),
            **goal_fields(benchmark="measure_target", family="gad7", target=30.0),
        )


# --- Who answers which version ------------------------------------------------------------------


def test_a_proposal_replaced_by_a_newer_one_can_no_longer_be_answered(cast):
    first = proposed_plan(cast)
    second = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="Typo in the goal"
    )
    second = services.plan_propose(actor=cast.clinician, version=second)
    web = signed_in(cast.adult_client_user)

    stale = web.post(reverse("plans:portal_decide", args=[first.pk]), {"accept": "yes"})

    assert stale.status_code == 302
    assert PlanVersion.objects.get(pk=first.pk).status == "superseded"
    assert not PlanDecision.objects.exists()
    assert queries.pending_for(PlanVersion.objects.get(pk=second.pk)) == {"client"}


def test_the_same_answer_sent_twice_is_kept_once_and_is_not_an_error(cast):
    version = proposed_plan(cast)
    web = signed_in(cast.adult_client_user)
    url = reverse("plans:portal_decide", args=[version.pk])

    web.post(url, {"accept": "yes"})
    again = web.post(url, {"accept": "yes"}, follow=True)

    assert PlanDecision.objects.filter(version=version).count() == 1
    assert "Thank you: you accepted the plan." in again.text
    assert "already recorded" not in again.text and "no longer waiting" not in again.text


def test_a_proposal_left_open_when_the_episode_closed_can_no_longer_be_accepted(cast):
    version = proposed_plan(cast)
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )

    with pytest.raises(ValidationError, match="no longer waiting"):
        services.plan_decide(
            user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
        )
    assert not PlanDecision.objects.exists()


def test_a_different_second_answer_is_refused_and_the_first_stands(cast):
    version = proposed_plan(cast)
    services.plan_decide(
        user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
    )
    with pytest.raises(ValidationError, match="already recorded"):
        services.plan_decide(
            user=cast.adult_client_user,
            version=version,
            party="client",
            accept=False,
            comment="No, wait",
        )
    assert PlanVersion.objects.get(pk=version.pk).status == "accepted"


def test_a_childs_plan_goes_to_the_guardian_not_the_child_alone(cast):
    cast.adolescent_client.date_of_birth = years_ago(9)
    cast.adolescent_client.save()
    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adolescent_episode, reason="First plan"
    )

    with pytest.raises(ValidationError, match="parent or guardian"):
        services.plan_draft_update(actor=cast.clinician, version=draft, reviewers="client")
    assert draft.reviewers == "guardian"


def test_an_adolescent_reviews_their_own_plan_never_the_guardian_alone(cast):
    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adolescent_episode, reason="First plan"
    )
    with pytest.raises(ValidationError, match="their own plan"):
        services.plan_draft_update(actor=cast.clinician, version=draft, reviewers="guardian")
    services.plan_draft_update(actor=cast.clinician, version=draft, reviewers="client")
    assert PlanVersion.objects.get(pk=draft.pk).reviewers == "client"


def test_without_a_guardian_who_may_read_the_plan_it_goes_to_the_young_person(cast):
    cast.guardian_link.may_see_plan_summary = False
    cast.guardian_link.save()
    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adolescent_episode, reason="First plan"
    )

    with pytest.raises(ValidationError, match="No parent or guardian"):
        services.plan_draft_update(actor=cast.clinician, version=draft, reviewers="both")
    assert draft.reviewers == "client"


def test_an_at_risk_alert_also_prompts_a_plan_review(cast):
    version = proposed_plan(cast)
    services.plan_decide(
        user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
    )

    alert_open(episode=cast.adult_episode, kind="at_risk", reason="Near the edge of the band")

    assert Alert.objects.filter(episode=cast.adult_episode, kind="plan_review").count() == 1


def test_the_weekly_review_reason_names_the_day_in_the_practices_time_zone(cast):
    version = proposed_plan(cast)
    services.plan_decide(
        user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
    )
    late_evening_utc = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)  # 6 January in Auckland
    PlanVersion.objects.filter(pk=version.pk).update(
        decided_at=late_evening_utc, review_every=2, review_unit="weeks"
    )
    cast.practice.time_zone = "Pacific/Auckland"
    cast.practice.save()

    reason = queries.plan_review_due_reason(cast.adult_episode)

    assert reason is not None and "06 Jan 2026" in reason


# --- What a guardian sees -----------------------------------------------------------------------


def teen_plan_with_a_met_rating(cast) -> PlanVersion:
    version = proposed_plan(cast, episode=cast.adolescent_episode, target=6.0)
    for user, party in ((cast.adolescent_client_user, "client"), (cast.guardian, "guardian")):
        services.plan_decide(user=user, version=version, party=party, accept=True, comment="")
    GoalRating.objects.create(
        episode=cast.adolescent_episode,
        goal_key=version.goals.get().key,
        value=8,
        recorded_by=cast.adolescent_client_user,
        recorded_at=timezone.now() - timedelta(days=1),
    )
    return version


def guardian_pages(cast, version: PlanVersion) -> list[str]:
    web = signed_in(cast.guardian)
    return [
        web.get(reverse("plans:portal_plan", args=[cast.adolescent_client.pk])).text,
        web.get(reverse("plans:portal_print", args=[version.pk])).text,
        web.get(reverse("portal:home")).text,
    ]


def test_a_guardian_not_shared_the_young_persons_answers_sees_goals_but_not_their_ratings(cast):
    version = teen_plan_with_a_met_rating(cast)
    teen_page = signed_in(cast.adolescent_client_user).get(
        reverse("plans:portal_plan", args=[cast.adolescent_client.pk])
    )

    plan, printed, home = guardian_pages(cast, version)

    assert "8 out of 10" in teen_page.text and "Goal reached" in teen_page.text
    for text in (plan, printed):
        assert "Sleep through most nights" in text
        assert "8 out of 10" not in text and "Goal reached" not in text
        assert "shared between the young person and their therapist" in text.lower()
        assert PRIVATE not in text
    assert "goal reached" not in home


def test_a_guardian_sees_the_young_persons_own_words_only_where_free_text_is_shared(cast):
    services.problem_add(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        title="Worry",
        client_words="TEEN-WORDS-5d2",
        description="",
        onset="",
        status="active",
        measure_families=[],
    )
    version = teen_plan_with_a_met_rating(cast)
    hidden = guardian_pages(cast, version)[:2]
    cast.guardian_link.may_see_client_free_text = True
    cast.guardian_link.save()

    shared = guardian_pages(cast, version)[:2]

    assert all("Worry" in text and "TEEN-WORDS-5d2" not in text for text in hidden)
    assert all("TEEN-WORDS-5d2" in text for text in shared)


def test_a_guardian_shared_the_young_persons_answers_sees_their_progress(cast):
    cast.guardian_link.may_see_client_answers = True
    cast.guardian_link.save()
    version = teen_plan_with_a_met_rating(cast)

    plan, printed, home = guardian_pages(cast, version)

    assert "8 out of 10" in plan and "8 out of 10" in printed
    assert "1 goal reached" in home


# --- Double submits -----------------------------------------------------------------------------


def test_a_rating_form_sent_twice_keeps_one_rating(cast):
    version = proposed_plan(cast)
    rating = {
        "rating-goal_key": str(version.goals.get().key),
        "rating-value": "5",
        "rating-submission_key": str(uuid.uuid4()),
    }
    client, clinician = signed_in(cast.adult_client_user), signed_in(cast.clinician)

    client.post(reverse("plans:portal_rating", args=[cast.adult_client.pk]), rating)
    client.post(reverse("plans:portal_rating", args=[cast.adult_client.pk]), rating)
    in_session = {**rating, "rating-submission_key": str(uuid.uuid4())}
    clinician.post(reverse("plans:rating_new", args=[cast.adult_episode.pk]), in_session)
    clinician.post(reverse("plans:rating_new", args=[cast.adult_episode.pk]), in_session)

    assert GoalRating.objects.count() == 2


def test_proposing_twice_proposes_once_without_an_error(cast):
    version = proposed_plan(cast)
    web = signed_in(cast.clinician)

    again = web.post(reverse("plans:propose", args=[version.pk]), follow=True)

    assert "start a revision" not in again.text
    assert PlanVersion.objects.get(pk=version.pk).status == "proposed"
    assert AuditEvent.objects.filter(action="propose", object_id=str(version.pk)).count() == 1


def test_a_double_click_on_move_up_moves_the_problem_one_place(cast):
    titles = ("Worry", "Sleep", "Work")
    for title in titles:
        services.problem_add(
            actor=cast.clinician,
            episode=cast.adult_episode,
            title=title,
            client_words="",
            description="",
            onset="",
            status="active",
            measure_families=[],
        )
    work = Problem.objects.get(title="Work")
    web = signed_in(cast.clinician)
    click = {"direction": "up", "position": "3"}  # the page showed Work third

    web.post(reverse("plans:problem_move", args=[work.pk]), click)
    web.post(reverse("plans:problem_move", args=[work.pk]), click)

    order = Problem.objects.filter(episode=cast.adult_episode).values_list("title", flat=True)
    assert list(order) == ["Worry", "Work", "Sleep"]


def test_a_goal_form_sent_twice_adds_one_goal(cast):
    draft = new_draft(cast)
    data = {
        "submission_key": str(uuid.uuid4()),
        "title": "Sleep through",
        "benchmark": "rating",
        "target": "7",
        "count_direction": "at_least",
    }
    web = signed_in(cast.clinician)

    web.post(reverse("plans:goal_new", args=[draft.pk]), data)
    web.post(reverse("plans:goal_new", args=[draft.pk]), data)

    assert draft.goals.count() == 1
