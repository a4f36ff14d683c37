"""Fear ladders: set-up and ordering, practice records from the clinic and the portal, progress,
the chart, who may see and write what, and the audit trail."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.access import may_record_exposure_from_portal
from rapport.audit.models import AuditEvent
from rapport.audit.services import break_glass_grant
from rapport.exposure import queries
from rapport.exposure.models import Attempt, Ladder, Step
from rapport.exposure.queries import ladder_overview
from rapport.exposure.services import (
    attempt_record,
    ladder_create,
    ladder_update,
    step_add,
    step_move,
)
from tests.conftest import years_ago

BUS_STEPS = [
    ("Ride the whole route to town", 90),
    ("Stand at the bus stop for ten minutes", 30),
    ("Ride two stops with a friend", 50),
    ("Ride two stops alone", 65),
]


def days_ago(days: int):  # type: ignore[no-untyped-def]
    return timezone.localdate() - timedelta(days=days)


@pytest.fixture
def ladder(cast) -> Ladder:  # type: ignore[no-untyped-def]
    return ladder_create(
        actor=cast.clinician, episode=cast.adult_episode, title="Buses again", steps=BUS_STEPS
    )


def practise(step: Step, actor, peak: int, *, days: int = 1, **extra) -> Attempt:  # type: ignore[no-untyped-def]
    values = {"setting": "homework", "anticipated_suds": min(100, peak + 10), **extra}
    return attempt_record(
        actor=actor, step=step, practised_on=days_ago(days), peak_suds=peak, **values
    )


def situations(ladder: Ladder) -> list[str]:
    return [step.situation for step in ladder.steps.all()]


def record_form(step: Step, **overrides: object) -> dict[str, object]:
    return {
        "submission_key": str(uuid.uuid4()),
        "step": step.pk,
        "practised_on": days_ago(1).isoformat(),
        "setting": "homework",
        "anticipated_suds": 70,
        "peak_suds": 55,
        "end_suds": 30,
        "duration_minutes": 20,
        "notes": "Stayed on until the stop after the park.",
        **overrides,
    }


# --- Set-up and order ---------------------------------------------------------------------------


def test_a_new_ladder_puts_its_steps_easiest_first(ladder):
    assert situations(ladder) == [
        "Stand at the bus stop for ten minutes",
        "Ride two stops with a friend",
        "Ride two stops alone",
        "Ride the whole route to town",
    ]
    assert [s.position for s in ladder.steps.all()] == [1, 2, 3, 4]


def test_an_added_step_goes_in_among_the_others_by_its_expected_distress(cast, ladder):
    step_add(actor=cast.clinician, ladder=ladder, situation="Ride one stop alone", expected_suds=55)
    assert situations(ladder)[2] == "Ride one stop alone"
    assert [s.position for s in ladder.steps.all()] == [1, 2, 3, 4, 5]


def test_a_step_moves_one_place_and_stays_where_it_was_put(cast, ladder):
    alone = ladder.steps.get(situation="Ride two stops alone")
    step_move(actor=cast.clinician, step=alone, direction="easier")
    assert situations(ladder)[1] == "Ride two stops alone"
    first = ladder.steps.first()
    step_move(actor=cast.clinician, step=first, direction="easier")  # already first: no change
    assert ladder.steps.first() == first


def test_a_step_outside_the_scale_is_refused(cast, ladder):
    with pytest.raises(ValidationError):
        step_add(actor=cast.clinician, ladder=ladder, situation="Fly", expected_suds=120)
    assert ladder.steps.count() == 4


def test_a_ladder_can_be_linked_to_a_goal_of_the_plan(cast, monkeypatch):
    key = uuid.uuid4()
    monkeypatch.setattr(queries, "goal_titles", lambda episode: {key: "Travel to work by bus"})
    linked = ladder_create(
        actor=cast.clinician, episode=cast.adult_episode, title="Buses", goal_key=key
    )
    assert ladder_overview(linked).goal_title == "Travel to work by bus"
    with pytest.raises(ValidationError):
        ladder_create(
            actor=cast.clinician, episode=cast.adult_episode, title="X", goal_key=uuid.uuid4()
        )


def test_the_goals_to_choose_are_the_plans_goals_by_their_stable_key(cast):
    from rapport.plans import services as plans

    draft = plans.plan_draft_start(actor=cast.clinician, episode=cast.adult_episode, reason="r")
    goal = plans.goal_add(
        actor=cast.clinician,
        version=draft,
        problems=[],
        title="Take the bus to work",
        target_date=None,
        benchmark="rating",
        family="",
        subscale="",
        target=7.0,
        count_direction="at_least",
    )

    assert queries.goal_titles(cast.adult_episode) == {goal.key: "Take the bus to work"}
    assert queries.goal_titles(cast.other_episode) == {}


def test_the_mastery_rule_is_set_per_ladder_and_checked(cast, ladder):
    step = ladder.steps.first()
    practise(step, cast.clinician, 40, days=3)
    practise(step, cast.clinician, 35, days=2)
    assert ladder_overview(ladder).rows[0].state == "practising"  # 35 is above 30
    ladder_update(
        actor=cast.clinician,
        ladder=ladder,
        title=ladder.title,
        goal_key=None,
        mastery_peak_suds=40,
        mastery_fall_percent=50,
        mastery_consecutive=2,
    )
    assert ladder_overview(ladder).rows[0].state == "mastered"
    with pytest.raises(ValidationError):
        ladder_update(
            actor=cast.clinician,
            ladder=ladder,
            title=ladder.title,
            goal_key=None,
            mastery_peak_suds=40,
            mastery_fall_percent=0,
            mastery_consecutive=2,
        )


# --- Practice records -----------------------------------------------------------------------------


def test_a_double_click_on_move_earlier_moves_the_step_one_place(cast, ladder, web_as):
    hardest = ladder.steps.last()  # step 4 on the page
    click = {"direction": "easier", "position": "4"}
    web = web_as(cast.clinician)

    web.post(reverse("exposure:step_move", args=[hardest.pk]), click)
    web.post(reverse("exposure:step_move", args=[hardest.pk]), click)

    assert situations(ladder).index("Ride the whole route to town") == 2


def test_progress_follows_the_peaks_and_the_current_step_moves_up(cast, ladder):
    first, second = list(ladder.steps.all())[:2]
    for days, peak in ((6, 60), (5, 40), (4, 25), (3, 20)):
        practise(first, cast.clinician, peak, days=days)
    practise(second, cast.clinician, 70, days=2)
    overview = ladder_overview(ladder)
    assert [row.state for row in overview.rows] == [
        "mastered",
        "practising",
        "not_started",
        "not_started",
    ]
    assert overview.current.step == second
    # 60, 40, 25, 20 over repetitions 1-4 (mean 36.25): sum dx*dy = -67.5, sum dx^2 = 5.
    assert overview.rows[0].progress.slope == pytest.approx(-13.5)
    assert overview.rows[0].progress.fall_percent == pytest.approx(100 * 40 / 60)


@pytest.mark.parametrize(
    ("field", "value"),
    [("anticipated_suds", -1), ("peak_suds", 101), ("end_suds", 120)],
)
def test_distress_outside_0_to_100_is_refused_and_nothing_is_saved(cast, ladder, field, value):
    values = {"anticipated_suds": 50, "peak_suds": 60, field: value}
    with pytest.raises(ValidationError) as error:
        attempt_record(
            actor=cast.clinician,
            step=ladder.steps.first(),
            practised_on=days_ago(1),
            setting="homework",
            **values,
        )
    assert field in error.value.message_dict
    assert not Attempt.objects.exists()


def test_a_practice_in_the_future_is_refused(cast, ladder):
    with pytest.raises(ValidationError) as error:
        practise(ladder.steps.first(), cast.clinician, 50, days=-1)
    assert "practised_on" in error.value.message_dict


def test_the_end_distress_cannot_be_above_the_peak(cast, ladder):
    with pytest.raises(ValidationError) as error:
        practise(ladder.steps.first(), cast.clinician, 50, end_suds=60)
    assert "end_suds" in error.value.message_dict


def test_every_write_is_in_the_audit_trail_with_the_client(cast, ladder):
    attempt = practise(ladder.steps.first(), cast.clinician, 50)
    events = AuditEvent.objects.filter(object_type__startswith="exposure.", action="create")
    assert {(e.object_type, e.client_id) for e in events} == {
        ("exposure.ladder", cast.adult_client.pk),
        ("exposure.step", cast.adult_client.pk),
        ("exposure.attempt", cast.adult_client.pk),
    }
    assert events.filter(object_type="exposure.step").count() == 4
    assert events.get(object_type="exposure.attempt").object_id == str(attempt.pk)


# --- Clinician pages ------------------------------------------------------------------------------


def test_the_clinician_creates_a_ladder_from_a_list_of_steps(cast, web_as):
    web = web_as(cast.clinician)
    url = reverse("exposure:ladder_new", args=[cast.adult_episode.pk])
    form = {
        "submission_key": str(uuid.uuid4()),
        "title": "Lifts",
        "steps": "Ride a lift with my sister, 60\nLook at a lift, 20\n",
    }
    response = web.post(url, form)
    ladder = Ladder.objects.get(title="Lifts")
    assert response.status_code == 302 and response["Location"].endswith(f"/ladders/{ladder.pk}/")
    assert situations(ladder) == ["Look at a lift", "Ride a lift with my sister"]
    again = web.post(url, form)  # a double click: the same key
    assert again["Location"] == response["Location"]
    assert Ladder.objects.filter(title="Lifts").count() == 1


def test_a_badly_written_step_line_is_shown_back_as_a_form_error(cast, web_as):
    url = reverse("exposure:ladder_new", args=[cast.adult_episode.pk])
    form = {"submission_key": str(uuid.uuid4()), "title": "Lifts", "steps": "Look at a lift"}
    response = web_as(cast.clinician).post(url, form)
    assert response.status_code == 200 and "Line 1" in response.text
    assert not Ladder.objects.exists()


def test_the_clinician_records_a_practice_once_however_often_it_is_sent(cast, ladder, web_as):
    web = web_as(cast.co_clinician)
    step = ladder.steps.first()
    form = record_form(step)
    url = reverse("exposure:attempt_new", args=[ladder.pk])
    first = web.post(url, form)
    second = web.post(url, form)
    assert first.status_code == second.status_code == 302
    attempt = Attempt.objects.get()
    assert (attempt.step, attempt.peak_suds, attempt.recorded_via) == (step, 55, "clinic")
    assert attempt.recorded_by == cast.co_clinician


def test_bad_values_on_the_practice_form_come_back_as_errors(cast, ladder, web_as):
    url = reverse("exposure:attempt_new", args=[ladder.pk])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    form = record_form(ladder.steps.first(), peak_suds=140, practised_on=tomorrow)
    response = web_as(cast.clinician).post(url, form)
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 100" in response.text
    assert "The practice cannot be in the future." in response.text
    assert not Attempt.objects.exists()


def test_a_step_from_another_ladder_cannot_be_recorded_here(cast, ladder, web_as):
    other = ladder_create(
        actor=cast.outsider_clinician, episode=cast.other_episode, title="Other", steps=BUS_STEPS
    )
    form = record_form(other.steps.first())
    response = web_as(cast.clinician).post(reverse("exposure:attempt_new", args=[ladder.pk]), form)
    assert response.status_code == 400 and not Attempt.objects.exists()


def test_the_ladder_page_shows_progress_the_chart_and_the_records(cast, ladder, web_as):
    step = ladder.steps.first()
    practise(step, cast.adult_client_user, 60, days=3, notes="Heart racing at first.")
    practise(step, cast.clinician, 45, days=2)
    page = web_as(cast.clinician).get(reverse("exposure:ladder_detail", args=[ladder.pk]))
    assert page.status_code == 200
    chart_url = reverse("exposure:chart", args=[ladder.pk])
    assert f'src="{chart_url}"' in page.text and f'srcset="{chart_url}?size=narrow"' in page.text
    assert "60 → 45" in page.text and "25%" in page.text and "-15.0" in page.text
    assert "Heart racing at first." in page.text
    assert "Move later" in page.text


def test_the_chart_is_an_svg_with_a_line_per_practised_step(cast, ladder, web_as):
    step = ladder.steps.first()
    practise(step, cast.clinician, 60, days=3)
    practise(step, cast.clinician, 45, days=2)
    web = web_as(cast.clinician)
    for size in ("", "?size=narrow"):
        response = web.get(reverse("exposure:chart", args=[ladder.pk]) + size)
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        assert b"1. Stand at the bus stop for ten" in response.content
        assert b"Repetition" in response.content


def test_moving_a_step_through_the_page_works_without_javascript(cast, ladder, web_as):
    last = ladder.steps.last()
    response = web_as(cast.clinician).post(
        reverse("exposure:step_move", args=[last.pk]), {"direction": "easier"}
    )
    assert response.status_code == 302
    last.refresh_from_db()
    assert last.position == 3
    assert AuditEvent.objects.filter(action="reorder", object_id=str(last.pk)).exists()


def test_the_client_page_links_to_the_ladders(cast, ladder, web_as):
    page = web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert reverse("exposure:ladder_detail", args=[ladder.pk]) in page.text
    assert "0 of 4 steps mastered" in page.text


def test_reading_the_ladder_list_is_audited(cast, ladder, web_as):
    web_as(cast.supervisor).get(reverse("exposure:episode_ladders", args=[cast.adult_episode.pk]))
    event = AuditEvent.objects.get(actor_id=cast.supervisor.pk, action="list")
    assert (event.object_type, event.client_id) == ("exposure.ladder", cast.adult_client.pk)
    assert event.detail["ladders"] == [ladder.pk]


# --- Access -------------------------------------------------------------------------------------


def test_an_outsider_gets_not_found_and_a_denied_audit_event(cast, ladder, web_as):
    response = web_as(cast.outsider_clinician).get(
        reverse("exposure:ladder_detail", args=[ladder.pk])
    )
    assert response.status_code == 404
    event = AuditEvent.objects.exclude(action="sign_in").get(actor_id=cast.outsider_clinician.pk)
    assert (event.object_type, event.object_id, event.outcome) == (
        "exposure.ladder",
        str(ladder.pk),
        "denied",
    )


def test_a_break_glass_admin_reads_the_ladder_but_cannot_write(cast, ladder, web_as):
    break_glass_grant(actor=cast.admin, client=cast.adult_client, reason="Complaint review")
    web = web_as(cast.admin)
    page = web.get(reverse("exposure:ladder_detail", args=[ladder.pk]))
    assert page.status_code == 200 and "Read-only view" in page.text
    assert "Record practice" not in page.text
    write = web.post(
        reverse("exposure:attempt_new", args=[ladder.pk]), record_form(ladder.steps.first())
    )
    assert write.status_code == 403 and not Attempt.objects.exists()
    move = web.post(
        reverse("exposure:step_move", args=[ladder.steps.first().pk]), {"direction": "harder"}
    )
    assert move.status_code == 403


def test_an_admin_without_break_glass_gets_not_found(cast, ladder, web_as):
    response = web_as(cast.admin).get(reverse("exposure:ladder_detail", args=[ladder.pk]))
    assert response.status_code == 404


# --- Portal ---------------------------------------------------------------------------------------


def test_the_client_adds_a_practice_from_the_portal_once(cast, ladder, web_as):
    web = web_as(cast.adult_client_user)
    home = web.get(reverse("portal:home"))
    url = reverse("exposure:portal", args=[ladder.pk])
    assert url in home.text
    page = web.get(url)
    assert "Your ladder: Buses again" in page.text and "Save my practice" in page.text
    form = record_form(ladder.steps.first(), notes="Easier than I thought")
    first = web.post(url, form)
    second = web.post(url, form)
    assert first.status_code == second.status_code == 302
    attempt = Attempt.objects.get()
    assert attempt.recorded_via == "portal" and attempt.recorded_by == cast.adult_client_user
    event = AuditEvent.objects.get(object_type="exposure.attempt", action="create")
    assert event.actor_id == cast.adult_client_user.pk and event.client_id == cast.adult_client.pk


def test_the_portal_encourages_with_the_fall_in_distress(cast, ladder, web_as):
    step = ladder.steps.first()
    practise(step, cast.adult_client_user, 70, days=3)
    practise(step, cast.adult_client_user, 50, days=2)
    page = web_as(cast.adult_client_user).get(reverse("exposure:portal", args=[ladder.pk]))
    assert "come down from 70 the first time to 50 last time" in page.text


def test_the_portal_rejects_bad_values_with_errors(cast, ladder, web_as):
    url = reverse("exposure:portal", args=[ladder.pk])
    response = web_as(cast.adult_client_user).post(
        url, record_form(ladder.steps.first(), anticipated_suds=-5)
    )
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert not Attempt.objects.exists()


def test_another_client_cannot_open_the_ladder(cast, ladder, web_as):
    response = web_as(cast.adolescent_client_user).get(reverse("exposure:portal", args=[ladder.pk]))
    assert response.status_code == 404


def test_the_guardian_of_an_adolescent_sees_the_ladder_but_may_not_record(cast, web_as):
    teen = ladder_create(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        title="Speaking in class",
        steps=[("Answer a question", 40)],
    )
    practise(teen.steps.first(), cast.adolescent_client_user, 50, notes="TEEN-NOTE-7c1")
    assert not may_record_exposure_from_portal(cast.guardian, teen.episode.client)
    web = web_as(cast.guardian)
    url = reverse("exposure:portal", args=[teen.pk])
    page = web.get(url)
    assert page.status_code == 200 and "Save my practice" not in page.text
    assert "TEEN-NOTE-7c1" not in page.text
    assert web.post(url, record_form(teen.steps.first())).status_code == 403
    assert Attempt.objects.count() == 1
    refused = AuditEvent.objects.get(actor_id=cast.guardian.pk, action="portal_write")
    assert (refused.outcome, refused.object_id) == ("denied", str(teen.pk))


def test_a_guardian_not_shared_the_young_persons_answers_sees_the_steps_but_no_distress(
    cast, web_as
):
    teen = ladder_create(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        title="Speaking in class",
        steps=[("Answer a question", 40)],
    )
    step = teen.steps.first()
    practise(step, cast.adolescent_client_user, 87, days=2)
    practise(step, cast.adolescent_client_user, 63, days=1)
    web = web_as(cast.guardian)

    page = web.get(reverse("exposure:portal", args=[teen.pk]))
    chart = web.get(reverse("exposure:portal_chart", args=[teen.pk]))
    teen_page = web_as(cast.adolescent_client_user).get(reverse("exposure:portal", args=[teen.pk]))

    assert "Answer a question" in page.text
    assert "Practice so far" not in page.text and "has come down" not in page.text
    assert chart.status_code == 403
    assert "Your practice so far" in teen_page.text
    assert "from 87 the first time to 63 last time" in teen_page.text


def test_a_guardian_shared_the_young_persons_answers_sees_the_distress_falling(cast, web_as):
    cast.guardian_link.may_see_client_answers = True
    cast.guardian_link.save()
    teen = ladder_create(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        title="Speaking in class",
        steps=[("Answer a question", 40)],
    )
    practise(teen.steps.first(), cast.adolescent_client_user, 87, days=2)
    practise(teen.steps.first(), cast.adolescent_client_user, 63, days=1)
    web = web_as(cast.guardian)

    page = web.get(reverse("exposure:portal", args=[teen.pk]))

    assert "from 87 the first time to 63 last time" in page.text
    assert web.get(reverse("exposure:portal_chart", args=[teen.pk])).status_code == 200


def test_the_guardian_of_a_child_records_the_childs_practice(cast, web_as):
    cast.adolescent_client.date_of_birth = years_ago(9)
    cast.adolescent_client.save()
    child = ladder_create(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        title="Dogs",
        steps=[("Look at a dog across the park", 30)],
    )
    assert may_record_exposure_from_portal(cast.guardian, child.episode.client)
    response = web_as(cast.guardian).post(
        reverse("exposure:portal", args=[child.pk]), record_form(child.steps.first())
    )
    assert response.status_code == 302
    assert Attempt.objects.get().recorded_by == cast.guardian


def test_a_guardian_who_may_not_see_plans_does_not_see_the_ladder(cast, web_as):
    cast.guardian_link.may_see_plan_summary = False
    cast.guardian_link.save()
    teen = ladder_create(actor=cast.clinician, episode=cast.adolescent_episode, title="Class")
    response = web_as(cast.guardian).get(reverse("exposure:portal", args=[teen.pk]))
    assert response.status_code == 404


def test_opening_a_ladder_is_audited_as_a_read_of_that_client(cast, ladder, web_as):
    web_as(cast.co_clinician).get(reverse("exposure:ladder_detail", args=[ladder.pk]))
    event = AuditEvent.objects.get(actor_id=cast.co_clinician.pk, object_type="exposure.ladder")
    assert (event.action, event.outcome, event.object_id, event.client_id) == (
        "read",
        "ok",
        str(ladder.pk),
        cast.adult_client.pk,
    )


def test_the_portal_page_is_audited_as_a_portal_read(cast, ladder, web_as):
    web_as(cast.adult_client_user).get(reverse("exposure:portal", args=[ladder.pk]))
    event = AuditEvent.objects.get(
        actor_id=cast.adult_client_user.pk, object_type="exposure.ladder"
    )
    assert (event.action, event.client_id) == ("portal_read", cast.adult_client.pk)


def test_the_ladder_of_a_closed_episode_leaves_the_portal(cast, ladder, web_as):
    episode = cast.adult_episode
    episode.status, episode.end_date, episode.closure_reason = "closed", days_ago(0), "completed"
    episode.save()
    web = web_as(cast.adult_client_user)
    assert web.get(reverse("exposure:portal", args=[ladder.pk])).status_code == 404
    assert reverse("exposure:portal", args=[ladder.pk]) not in web.get(reverse("portal:home")).text


def test_the_real_plans_goal_list_is_used_and_is_empty_without_a_plan(cast):
    assert queries.goal_titles(cast.adult_episode) == {}


def test_the_clinician_links_a_new_ladder_to_a_plan_goal(cast, web_as, monkeypatch):
    key = uuid.uuid4()
    goals = {key: "Travel to work by bus"}
    monkeypatch.setattr(queries, "goal_titles", lambda episode: goals)
    monkeypatch.setattr("rapport.exposure.views.goal_titles", lambda episode: goals)
    web = web_as(cast.clinician)
    url = reverse("exposure:ladder_new", args=[cast.adult_episode.pk])
    assert "Travel to work by bus" in web.get(url).text
    form = {"submission_key": str(uuid.uuid4()), "title": "Buses", "goal_key": str(key)}
    response = web.post(url, form)
    ladder = Ladder.objects.get(title="Buses")
    assert response.status_code == 302 and ladder.goal_key == key
    page = web.get(reverse("exposure:ladder_detail", args=[ladder.pk]))
    assert "For the plan goal: <strong>Travel to work by bus</strong>" in page.text


def test_a_spanish_speaking_clients_chart_is_drawn_in_spanish_and_cached_apart(
    cast, ladder, web_as
):
    practise(ladder.steps.first(), cast.adult_client_user, 60, days=3)
    url = reverse("exposure:portal_chart", args=[ladder.pk])
    web = web_as(cast.adult_client_user)
    english = web.get(url)
    cast.adult_client.language = "es"
    cast.adult_client.save(update_fields=["language"])
    spanish = web.get(url, HTTP_IF_NONE_MATCH=english["ETag"])

    assert spanish.status_code == 200 and spanish["ETag"] != english["ETag"]
    assert b"Repetici" in spanish.content and b"Repetition" not in spanish.content
    assert b"Repetition" in english.content
