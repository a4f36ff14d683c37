"""Problem lists and treatment plans: versions, agreement in the portal, progress, reviews."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from rapport.plans import queries, services
from rapport.plans.goal_status import goals_progress
from rapport.plans.models import GoalRating, PlanGoal, PlanVersion, Problem, ProblemChange
from rapport.plans.queries import compare_versions, goal_titles, plan_revisions
from tests.conftest import assignment_for, make_session, signed_in

PRIVATE = "PRIVATE-FORMULATION-3c9e"


def problem(cast, title: str, episode=None) -> Problem:
    return services.problem_add(
        actor=cast.clinician,
        episode=episode or cast.adult_episode,
        title=title,
        client_words=f"my {title.lower()}",
        description="",
        onset="",
        status="active",
        measure_families=[],
    )


def goal_fields(**overrides):
    fields = {
        "title": "Sleep through most nights",
        "target_date": timezone.localdate() + timedelta(weeks=12),
        "benchmark": "rating",
        "family": "",
        "subscale": "",
        "target": 7.0,
        "count_direction": "at_least",
        "problems": [],
    }
    return {**fields, **overrides}


def proposed_plan(cast, episode=None, **goal) -> PlanVersion:
    episode = episode or cast.adult_episode
    draft = services.plan_draft_start(actor=cast.clinician, episode=episode, reason="First plan")
    services.plan_draft_update(
        actor=cast.clinician, version=draft, private_formulation=PRIVATE, approach="CBT together"
    )
    services.goal_add(actor=cast.clinician, version=draft, **goal_fields(**goal))
    return services.plan_propose(actor=cast.clinician, version=draft)


def phq9_scores(cast, *totals: int) -> None:
    """The adult answers PHQ-9 at successive past sessions with these totals (items 1–8)."""
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    for weeks, total in zip(range(len(totals), 0, -1), totals, strict=True):
        session = make_session(cast.adult_episode, days_from_now=-7 * weeks)
        answers = {f"phq9-{n}": "0" for n in range(1, 10)}
        for n in range(1, 9):
            answers[f"phq9-{n}"] = str(min(3, max(0, total - 3 * (n - 1))))
        assignment = assignment_for(session_assignments_ensure(session=session), "phq9")
        response = response_submit(
            assignment=assignment, answers=answers, mode="in_session", actor=None
        )
        assert response.total == total


# --- Problem list -------------------------------------------------------------------------------


def test_clinician_adds_problems_and_each_change_is_kept_in_history(cast):
    web = signed_in(cast.clinician)
    url = reverse("plans:problem_new", args=[cast.adult_episode.pk])
    data = {
        "submission_key": str(uuid.uuid4()),
        "title": "Worry",
        "client_words": "I can't switch my head off",
        "status": "active",
        "measure_families": ["gad7"],
    }

    assert web.post(url, data).status_code == 302
    assert web.post(url, data).status_code == 302  # the same submit twice stores one problem
    worry = Problem.objects.get(episode=cast.adult_episode)
    edit = {**data, "status": "improving"}
    web.post(reverse("plans:problem_edit", args=[worry.pk]), edit)

    assert worry.measure_families == ["gad7"]
    actions = list(ProblemChange.objects.filter(problem=worry).values_list("action", "changes"))
    assert actions[0] == ("updated", {"status": ["active", "improving"]})
    assert actions[1][0] == "created"
    page = web.get(reverse("plans:problem_edit", args=[worry.pk]))
    assert "improving" in page.text and "History" in page.text


def test_problems_move_up_and_down_without_javascript_and_by_drag_order(cast):
    worry, sleep, work = (problem(cast, t) for t in ("Worry", "Sleep", "Work"))
    web = signed_in(cast.clinician)

    web.post(reverse("plans:problem_move", args=[sleep.pk]), {"direction": "up"})
    first = list(Problem.objects.filter(episode=cast.adult_episode).values_list("title", flat=True))
    web.post(
        reverse("plans:reorder", args=[cast.adult_episode.pk]),
        {"order": f"{work.pk},{worry.pk},{sleep.pk}"},
        HTTP_ACCEPT="application/json",
    )
    second = list(
        Problem.objects.filter(episode=cast.adult_episode).values_list("title", flat=True)
    )

    assert first == ["Sleep", "Worry", "Work"]
    assert second == ["Work", "Worry", "Sleep"]
    assert ProblemChange.objects.filter(problem=work, action="reordered").count() == 1


def test_a_reorder_must_list_every_problem_of_the_episode_once(cast):
    worry, sleep = problem(cast, "Worry"), problem(cast, "Sleep")
    theirs = problem(cast, "Other", episode=cast.other_episode)

    with pytest.raises(ValidationError):
        services.problems_reorder(
            actor=cast.clinician, episode=cast.adult_episode, order=[worry.pk, theirs.pk]
        )
    assert [worry.priority, sleep.priority] == [1, 2]


# --- Versions -----------------------------------------------------------------------------------


def test_a_proposed_version_can_not_be_edited_and_its_goals_are_frozen(cast):
    version = proposed_plan(cast)
    goal = version.goals.get()

    version.approach = "something else"
    with pytest.raises(ValidationError):
        version.save()
    goal.title = "changed"
    with pytest.raises(ValidationError):
        goal.save()
    with pytest.raises(ValidationError):
        services.goal_add(actor=cast.clinician, version=version, **goal_fields())
    assert PlanVersion.objects.get(pk=version.pk).approach == "CBT together"


def test_change_requested_then_revised_then_accepted_keeps_both_versions(cast):
    first = proposed_plan(cast)
    services.plan_decide(
        user=cast.adult_client_user,
        version=first,
        party="client",
        accept=False,
        comment="Sleep first, please",
    )
    second = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="Client asked to focus on sleep"
    )
    services.goal_add(
        actor=cast.clinician, version=second, **goal_fields(title="Fall asleep by midnight")
    )
    services.plan_draft_update(actor=cast.clinician, version=second, approach="Sleep first")
    second = services.plan_propose(actor=cast.clinician, version=second)
    services.plan_decide(
        user=cast.adult_client_user, version=second, party="client", accept=True, comment=""
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "changes_requested"
    assert first.decisions.get().comment == "Sleep first, please"
    assert second.status == "accepted" and second.decided_at is not None
    assert second.decisions.get().by == cast.adult_client_user
    # The kept goal has the same key in both versions; the new one is new.
    assert set(first.goals.values_list("key", flat=True)) < set(
        second.goals.values_list("key", flat=True)
    )
    comparison = compare_versions(first, second)
    assert [g.title for g in comparison.goals_added] == ["Fall asleep by midnight"]
    # The reason is shown on its own, not as a change.
    assert [(f.label, f.before, f.after) for f in comparison.fields] == [
        ("What we will do", "CBT together", "Sleep first")
    ]
    assert [r.label for r in plan_revisions(cast.adult_episode)] == [
        "plan v1 proposed",
        "plan v2 accepted",
    ]


def test_a_revision_needs_a_reason(cast):
    with pytest.raises(ValidationError):
        services.plan_draft_start(actor=cast.clinician, episode=cast.adult_episode, reason="  ")


def test_an_adolescents_plan_is_accepted_only_when_both_the_young_person_and_parent_accept(cast):
    version = proposed_plan(cast, episode=cast.adolescent_episode)
    assert version.reviewers == "both"

    services.plan_decide(
        user=cast.adolescent_client_user, version=version, party="client", accept=True, comment=""
    )
    waiting = PlanVersion.objects.get(pk=version.pk).status
    services.plan_decide(
        user=cast.guardian, version=version, party="guardian", accept=True, comment=""
    )

    assert waiting == "proposed"
    assert PlanVersion.objects.get(pk=version.pk).status == "accepted"


def test_asking_for_changes_needs_a_comment(cast):
    version = proposed_plan(cast)
    with pytest.raises(ValidationError):
        services.plan_decide(
            user=cast.adult_client_user, version=version, party="client", accept=False, comment=""
        )
    assert PlanVersion.objects.get(pk=version.pk).status == "proposed"


# --- Progress -----------------------------------------------------------------------------------


def test_a_phq9_goal_is_met_from_real_responses_only_once_the_score_is_below_10(cast):
    version = proposed_plan(cast, benchmark="measure_target", family="phq9", target=10.0)
    goals = queries.episode_goals(version)

    phq9_scores(cast, 16, 12, 10)
    at_ten = goals_progress(cast.adult_episode, goals)[0]
    phq9_scores_more = make_session(cast.adult_episode, days_from_now=-1)
    answers = {f"phq9-{n}": "1" for n in range(1, 10)}
    answers["phq9-9"] = "0"
    done = assignment_for(session_assignments_ensure(session=phq9_scores_more), "phq9")
    response_submit(assignment=done, answers=answers, mode="in_session", actor=None)  # total 8
    at_eight = goals_progress(cast.adult_episode, goals)[0]

    assert (at_ten.progress.status.value, at_ten.progress.current) == ("not_yet", 10.0)
    assert at_ten.progress.trend.value == "better"
    assert (at_eight.progress.status.value, at_eight.progress.current) == ("met", 8.0)


def test_reliable_improvement_on_phq9_is_judged_by_its_published_criterion(cast):
    version = proposed_plan(cast, benchmark="reliable_improvement", family="phq9", target=None)
    phq9_scores(cast, 20, 6)

    [item] = goals_progress(cast.adult_episode, queries.episode_goals(version))

    assert item.progress.status.value == "met"
    assert "NHS Talking Therapies criterion" in item.progress.reason


def test_reliable_improvement_without_a_criterion_or_norms_cannot_be_judged(cast):
    # The check-in has no published reliability or criterion, and one client is no practice SD.
    version = proposed_plan(cast, benchmark="reliable_improvement", family="checkin", target=None)
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="checkin",
        respondent="client",
        schedule="every_session",
    )
    for weeks, level in ((2, "2"), (1, "9")):
        session = make_session(cast.adult_episode, days_from_now=-7 * weeks)
        assignment = assignment_for(session_assignments_ensure(session=session), "checkin")
        answers = {f"checkin-{n}": level for n in ("feeling", "home", "school", "overall")}
        response_submit(assignment=assignment, answers=answers, mode="in_session", actor=None)

    [item] = goals_progress(cast.adult_episode, queries.episode_goals(version))

    assert item.progress.status.value == "cannot_judge"


def test_goal_ratings_follow_the_goal_key_into_the_next_version(cast):
    first = proposed_plan(cast, target=7.0)
    key = first.goals.get().key
    services.goal_rating_record(
        actor=cast.clinician, episode=cast.adult_episode, goal_key=key, value=4
    )
    services.goal_rating_record(
        actor=cast.adult_client_user, episode=cast.adult_episode, goal_key=key, value=7
    )
    second = services.plan_draft_start(actor=cast.clinician, episode=cast.adult_episode, reason="r")

    [item] = goals_progress(cast.adult_episode, queries.episode_goals(second))

    assert item.goal.key == key and item.goal.version == second
    assert item.values == [4.0, 7.0]
    assert item.progress.status.value == "met"
    assert goal_titles(cast.adult_episode) == {key: "Sleep through most nights"}


def test_a_rating_for_a_goal_of_another_episode_is_refused(cast):
    theirs = proposed_plan(cast, episode=cast.other_episode)
    with pytest.raises(ValidationError):
        services.goal_rating_record(
            actor=cast.clinician,
            episode=cast.adult_episode,
            goal_key=theirs.goals.get().key,
            value=5,
        )
    assert not GoalRating.objects.exists()


def test_a_behaviour_count_recorded_in_session_shows_on_the_plan_page(cast):
    version = proposed_plan(cast, benchmark="count", target=3.0, title="Go for a walk")
    key = version.goals.get().key
    web = signed_in(cast.clinician)

    web.post(
        reverse("plans:count_new", args=[cast.adult_episode.pk]),
        {"count-goal_key": str(key), "count-count": "3", "count-submission_key": str(uuid.uuid4())},
    )
    page = web.get(reverse("plans:episode", args=[cast.adult_episode.pk]))

    assert "Go for a walk" in page.text and "Met" in page.text


# --- Reviews ------------------------------------------------------------------------------------


def accepted_plan(cast, **content) -> PlanVersion:
    version = proposed_plan(cast)
    version = services.plan_decide(
        user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
    )
    PlanVersion.objects.filter(pk=version.pk).update(
        decided_at=timezone.now() - timedelta(weeks=10), **content
    )
    return PlanVersion.objects.get(pk=version.pk)


def attend(cast, days_ago: int):
    session = make_session(cast.adult_episode, days_from_now=-days_ago)
    session.attendance = Attendance.ATTENDED
    session.save()
    return session


def review_alerts(cast):
    return Alert.objects.filter(episode=cast.adult_episode, kind="plan_review")


def test_the_review_falls_due_when_the_scheduled_number_of_sessions_is_held(cast):
    # The cast's adult episode already has one held session (two days ago).
    accepted_plan(cast, review_every=3, review_unit="sessions")

    attend(cast, 14)
    after_one = review_alerts(cast).count()
    attend(cast, 7)
    attend(cast, 1)  # a fourth session does not open a second alert

    assert after_one == 0
    assert review_alerts(cast).count() == 1


def test_the_weekly_sweep_opens_a_review_when_the_weeks_have_passed(cast):
    accepted_plan(cast, review_every=8, review_unit="weeks")

    opened = services.plan_reviews_check_all()

    assert opened == 1
    assert "every 8 weeks" in review_alerts(cast).get().reason


def test_an_off_track_alert_prompts_one_plan_review(cast):
    accepted_plan(cast)

    alert_open(episode=cast.adult_episode, kind="off_track", reason="Above the expected band")
    alert_open(episode=cast.adult_episode, kind="goals_low", reason="Goals item 5")
    alert_open(episode=cast.adult_episode, kind="low_alliance", reason="Low")

    assert review_alerts(cast).count() == 1


def test_without_a_plan_an_off_track_alert_opens_no_review(cast):
    alert_open(episode=cast.adult_episode, kind="off_track", reason="Above the expected band")
    assert not review_alerts(cast).exists()


def test_recording_a_review_resolves_the_alert_and_can_start_a_revision(cast):
    accepted_plan(cast)
    alert_open(episode=cast.adult_episode, kind="deterioration", reason="Reliably worse")
    web = signed_in(cast.clinician)

    response = web.post(
        reverse("plans:review_new", args=[cast.adult_episode.pk]),
        {
            "submission_key": str(uuid.uuid4()),
            "working": "Sleep diary",
            "not_working": "Worry time",
            "changes": "Add exposure to the plan",
            "revise": "on",
        },
    )

    alert = review_alerts(cast).get()
    draft = PlanVersion.objects.get(episode=cast.adult_episode, status="draft")
    assert response.status_code == 302 and response["Location"].endswith(f"/{draft.pk}/")
    assert alert.status == "resolved"
    assert "Add exposure" in draft.reason
    assert AuditEvent.objects.filter(action="resolve", object_id=str(alert.pk)).exists()


# --- What clients and guardians see --------------------------------------------------------------


def test_the_client_reads_the_plan_in_the_portal_without_private_notes(cast):
    version = proposed_plan(cast)
    clinician_page = signed_in(cast.clinician).get(reverse("plans:version", args=[version.pk]))
    web = signed_in(cast.adult_client_user)

    page = web.get(reverse("plans:portal_plan", args=[cast.adult_client.pk]))
    printed = web.get(reverse("plans:portal_print", args=[version.pk]))
    staff_print = signed_in(cast.clinician).get(reverse("plans:print", args=[version.pk]))

    assert PRIVATE in clinician_page.text  # the notes really render for staff
    assert page.status_code == 200 and "Does this plan work for you?" in page.text
    for text in (page.text, printed.text, staff_print.text):
        assert "Sleep through most nights" in text
        assert PRIVATE not in text


def test_the_client_accepts_in_the_portal_and_the_answer_is_audited(cast):
    version = proposed_plan(cast)
    web = signed_in(cast.adult_client_user)

    web.post(reverse("plans:portal_decide", args=[version.pk]), {"accept": "yes"})

    version.refresh_from_db()
    assert version.status == "accepted"
    assert AuditEvent.objects.filter(
        action="accepted", object_type="plans.planversion", actor_id=cast.adult_client_user.pk
    ).exists()


def test_a_guardian_who_may_not_see_plan_summaries_gets_no_plan(cast):
    version = proposed_plan(cast, episode=cast.adolescent_episode)
    cast.guardian_link.may_see_plan_summary = False
    cast.guardian_link.save()
    web = signed_in(cast.guardian)

    page = web.get(reverse("plans:portal_plan", args=[cast.adolescent_client.pk]))
    direct = web.get(reverse("plans:portal_print", args=[version.pk]))

    assert "There is no plan to show yet" in page.text
    assert direct.status_code == 404


def test_drafts_are_never_shown_in_the_portal(cast):
    draft = services.plan_draft_start(actor=cast.clinician, episode=cast.adult_episode, reason="r")
    web = signed_in(cast.adult_client_user)

    assert web.get(reverse("plans:portal_print", args=[draft.pk])).status_code == 404
    page = web.get(reverse("plans:portal_plan", args=[cast.adult_client.pk]))
    assert "There is no plan to show yet" in page.text


def test_met_goals_are_celebrated_for_the_client(cast):
    version = proposed_plan(cast, target=6.0)
    services.plan_decide(
        user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
    )
    web = signed_in(cast.adult_client_user)
    web.post(
        reverse("plans:portal_rating", args=[cast.adult_client.pk]),
        {
            "rating-goal_key": str(version.goals.get().key),
            "rating-value": "6",
            "rating-submission_key": str(uuid.uuid4()),
        },
    )

    home = web.get(reverse("portal:home"))
    page = web.get(reverse("plans:portal_plan", args=[cast.adult_client.pk]))

    assert "1 goal reached" in home.text
    assert "Goal reached: <strong>Sleep through most nights</strong>" in page.text


def test_the_client_page_links_to_the_plan(cast):
    proposed_plan(cast)
    page = signed_in(cast.clinician).get(
        reverse("people:client_detail", args=[cast.adult_client.pk])
    )
    assert reverse("plans:episode", args=[cast.adult_episode.pk]) in page.text
    assert "Plan version 1" in page.text


def test_goal_keys_are_unique_within_a_version(cast):
    version = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="r"
    )
    goal = services.goal_add(actor=cast.clinician, version=version, **goal_fields())

    with pytest.raises(IntegrityError), transaction.atomic():
        PlanGoal.objects.create(version=version, key=goal.key, title="dup", benchmark="rating")


def test_an_answer_given_in_session_is_recorded_by_the_therapist_for_the_client(cast):
    version = proposed_plan(cast)
    web = signed_in(cast.clinician)

    web.post(
        reverse("plans:answer", args=[version.pk]),
        {"party": "client", "accept": "yes", "comment": ""},
    )
    again = web.post(
        reverse("plans:answer", args=[version.pk]),
        {"party": "client", "accept": "no", "comment": "changed my mind"},
    )
    page = web.get(reverse("plans:episode", args=[cast.adult_episode.pk]))

    decision = version.decisions.get()
    assert (decision.party, decision.by, decision.decision) == (
        "client",
        cast.clinician,
        "accepted",
    )
    assert again.status_code == 302  # the second answer is refused, the first stands
    assert "the client (in session, recorded by Clinician)" in page.text
    assert PlanVersion.objects.get(pk=version.pk).status == "accepted"


def test_a_rating_taken_during_a_session_belongs_to_that_session(cast):
    version = proposed_plan(cast)
    now = make_session(cast.adult_episode, days_from_now=0)
    web = signed_in(cast.clinician)

    web.post(
        reverse("plans:rating_new", args=[cast.adult_episode.pk]),
        {
            "rating-goal_key": str(version.goals.get().key),
            "rating-value": "5",
            "rating-submission_key": str(uuid.uuid4()),
        },
    )

    assert GoalRating.objects.get().session == now
