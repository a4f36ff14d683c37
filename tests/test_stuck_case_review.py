"""The stuck-case review: opened from an off-track alert, an unrepaired rupture, a plan-review
alert or by hand; completed with the checklist and a decision, which resolves the alert that
started it; shown on the client page; overdue ones listed for the supervisor."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.alliance.services import rupture_open
from rapport.audit.models import AuditEvent
from rapport.core import case_review as rules
from rapport.matching.models import StuckCaseReview

DECISION = "Talk about the relationship next session; see the supervisor on Thursday."


def open_from(web, episode, key=None, **trigger):  # type: ignore[no-untyped-def]
    payload = {"submission_key": key or str(uuid.uuid4()), **trigger}
    return web.post(reverse("matching:review_new", args=[episode.pk]), payload)


def completed(follow_up_days=30, key="1b1f6a3e-2a36-4e0e-8a62-6b5d1e0c7a90", **changes):  # type: ignore[no-untyped-def]
    answers = dict.fromkeys(rules.CHECKLIST_KEYS, "fine") | {"alliance": "concern"}
    return {
        "submission_key": key,
        **answers,
        "alliance_note": "Quieter since we changed the day.",
        "options": ["rupture_conversation", "supervision"],
        "decision": DECISION,
        "follow_up_on": (timezone.localdate() + timedelta(days=follow_up_days)).isoformat(),
        **changes,
    }


def the_review(episode) -> StuckCaseReview:  # type: ignore[no-untyped-def]
    [review] = StuckCaseReview.objects.filter(episode=episode)
    return review


@pytest.mark.parametrize(
    ("kind", "trigger"),
    [(Alert.Kind.OFF_TRACK, "off_track"), (Alert.Kind.PLAN_REVIEW, "plan_review")],
)
def test_a_review_opened_from_an_alert_is_completed_and_resolves_the_alert(
    cast, web_as, kind, trigger
):
    alert = alert_open(episode=cast.adult_episode, kind=kind, reason="Scores above the band.")
    web = web_as(cast.clinician)

    opened = open_from(web, cast.adult_episode, alert=alert.pk)
    review = the_review(cast.adult_episode)
    page = web.get(opened["Location"])
    done = web.post(opened["Location"], completed())

    assert opened["Location"] == reverse("matching:review", args=[review.pk])
    assert review.trigger == trigger and review.alert == alert and review.is_open
    assert b"What the data say" in page.content and b"Fit of the approach" in page.content
    assert done.status_code == 302
    review.refresh_from_db()
    alert.refresh_from_db()
    assert review.status == "done" and review.decided_by == cast.clinician
    assert review.options == ["rupture_conversation", "supervision"]
    assert review.answers["alliance"] == {
        "answer": "concern",
        "note": "Quieter since we changed the day.",
    }
    assert review.facts["attendance"]["attended"] >= 1  # what the page showed, stored
    assert alert.status == Alert.Status.RESOLVED and DECISION in alert.resolution_note
    assert AuditEvent.objects.filter(
        action="complete", object_type="matching.stuckcasereview"
    ).exists()


def test_a_review_opens_from_an_unrepaired_rupture_and_by_hand(cast, web_as):
    rupture = rupture_open(
        actor=cast.clinician,
        episode=cast.adult_episode,
        session=cast.adult_session,
        kind="withdrawal",
        client_words="Fine, whatever.",
        understanding="Pulled back when we set the homework.",
    )
    web = web_as(cast.clinician)

    open_from(web, cast.adult_episode, rupture=rupture.pk)
    from_rupture = the_review(cast.adult_episode)
    web.post(reverse("matching:review", args=[from_rupture.pk]), completed())
    open_from(web, cast.adult_episode)
    by_hand = StuckCaseReview.objects.filter(episode=cast.adult_episode).first()

    assert from_rupture.trigger == "rupture" and from_rupture.rupture == rupture
    assert by_hand is not None and by_hand.trigger == "by_hand" and by_hand.alert is None


def test_a_risk_alert_or_a_resolved_one_cannot_start_a_review(cast, web_as):
    risk = alert_open(episode=cast.adult_episode, kind=Alert.Kind.RISK, reason="Item 9")
    web = web_as(cast.clinician)

    refused = open_from(web, cast.adult_episode, alert=risk.pk)

    assert refused.status_code == 302 and "/clients/" in refused["Location"]
    assert not StuckCaseReview.objects.exists()


def test_opening_twice_with_one_key_stores_one_review_and_an_episode_has_one_open(cast, web_as):
    web = web_as(cast.clinician)

    key = str(uuid.uuid4())
    first = open_from(web, cast.adult_episode, key=key)
    again = open_from(web, cast.adult_episode, key=key)
    other_key = open_from(web, cast.adult_episode)

    assert first["Location"] == again["Location"] == other_key["Location"]
    assert StuckCaseReview.objects.count() == 1


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, b"The follow-up date is in the past."), (91, b"within 90 days")],
)
def test_a_follow_up_in_the_past_or_too_far_ahead_is_refused_on_the_form(
    cast, web_as, days, message
):
    web = web_as(cast.clinician)
    url = open_from(web, cast.adult_episode)["Location"]

    page = web.post(url, completed(follow_up_days=days))

    assert page.status_code == 200 and message in page.content
    assert the_review(cast.adult_episode).is_open


def test_a_review_without_every_checklist_answer_or_a_way_forward_is_refused(cast, web_as):
    web = web_as(cast.clinician)
    url = open_from(web, cast.adult_episode)["Location"]
    payload = completed()
    del payload["motivation"]

    page = web.post(url, {**payload, "options": []})

    assert page.status_code == 200
    assert b"Answer this item." in page.content and b"Choose at least one" in page.content
    assert the_review(cast.adult_episode).is_open


def test_completing_twice_with_one_key_saves_once(cast, web_as):
    web = web_as(cast.clinician)
    url = open_from(web, cast.adult_episode)["Location"]

    first = web.post(url, completed())
    second = web.post(url, completed(decision="A second decision, never saved."))

    assert first["Location"] == second["Location"]
    assert the_review(cast.adult_episode).decision == DECISION
    assert AuditEvent.objects.filter(action="complete").count() == 1


def test_the_client_page_shows_the_latest_review_and_who_decided(cast, web_as):
    web = web_as(cast.clinician)
    url = open_from(web, cast.adult_episode)["Location"]
    web.post(url, completed())

    page = web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).content

    assert DECISION.encode() in page
    assert cast.clinician.full_name.encode() in page
    follow_up = timezone.localdate() + timedelta(days=30)
    assert f"{follow_up:%-d %b %Y}".encode() in page


def test_an_outsider_gets_404_and_a_client_403(cast, web_as):
    url = open_from(web_as(cast.clinician), cast.adult_episode)["Location"]

    assert web_as(cast.outsider_clinician).get(url).status_code == 404
    assert web_as(cast.outsider_clinician).post(url, completed()).status_code == 404
    assert web_as(cast.adult_client_user).get(url).status_code == 403
    assert the_review(cast.adult_episode).is_open


def test_the_supervisor_sees_reviews_past_their_follow_up_or_left_open(cast, web_as):
    web = web_as(cast.clinician)
    url = open_from(web, cast.adult_episode)["Location"]
    web.post(url, completed())
    review = the_review(cast.adult_episode)
    long_ago = timezone.now() - timedelta(days=40)
    StuckCaseReview.objects.filter(pk=review.pk).update(
        follow_up_on=timezone.localdate() - timedelta(days=3)
    )
    left_open = StuckCaseReview.objects.create(
        episode=cast.adolescent_episode,
        opened_by=cast.clinician,
        opened_at=long_ago,
        trigger="by_hand",
    )
    dashboard = reverse("dashboards:therapist")

    supervisor = web_as(cast.supervisor).get(dashboard).content.decode()
    outsider_supervisor = web_as(cast.other_supervisor).get(dashboard).content.decode()

    assert "Case reviews overdue" in supervisor
    assert reverse("matching:review", args=[review.pk]) in supervisor
    assert reverse("matching:review", args=[left_open.pk]) in supervisor
    assert "Follow-up was due" in supervisor and "not completed" in supervisor
    assert reverse("matching:review", args=[review.pk]) not in outsider_supervisor


def test_a_later_review_answers_an_overdue_follow_up(cast, web_as):
    web = web_as(cast.clinician)
    url = open_from(web, cast.adult_episode)["Location"]
    web.post(url, completed())
    StuckCaseReview.objects.update(follow_up_on=timezone.localdate() - timedelta(days=3))
    open_from(web, cast.adult_episode)  # the follow-up review, opened today

    supervisor = web_as(cast.supervisor).get(reverse("dashboards:therapist")).content.decode()

    assert "Follow-up was due" not in supervisor


def test_the_progress_chart_marks_the_day_of_a_completed_review(cast, web_as):
    from rapport.progress.charts import clinician_chart
    from rapport.progress.queries import episode_progress

    web = web_as(cast.clinician)
    url = open_from(web, cast.adult_episode)["Location"]
    before = clinician_chart(episode_progress(cast.adult_episode)).revisions
    web.post(url, completed())

    after = clinician_chart(episode_progress(cast.adult_episode)).revisions
    page = web.get(reverse("progress:episode", args=[cast.adult_episode.pk])).content

    assert [e.label for e in before] == []
    assert [(e.label, e.short) for e in after] == [("case review", "review")]
    assert b"Case reviews" in page
