"""When alerts open and close, as the services that raise them behave: every opening audited and
announced inside its transaction; a risk answer opens one urgent alert; a plan review is opened
once however many alerts ask for it, and closed by the review or an accepted plan; a request
for changes opens one alert with the person's words."""

from __future__ import annotations

import pytest
from django.db import transaction

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_acknowledge, alert_open, alert_resolve
from rapport.alerts.signals import alert_opened
from rapport.audit.models import AuditEvent
from rapport.measures.models import Response
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from rapport.plans import services as plans
from tests.conftest import assignment_for
from tests.test_plans import proposed_plan

NOTE = "Looked at it with the client today."


def test_an_opened_alert_belongs_to_the_episodes_client_and_practice_and_is_open(cast):
    alert = alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")

    assert (alert.practice, alert.client, alert.episode) == (
        cast.practice,
        cast.adult_client,
        cast.adult_episode,
    )
    assert alert.status == Alert.Status.OPEN and alert.is_open
    assert not alert.urgent and alert.opened_at is not None
    assert alert.acknowledged_by is None and alert.resolved_by is None


def test_opening_an_alert_is_audited_with_its_kind_and_urgency(cast):
    alert = alert_open(
        episode=cast.adult_episode, kind=Alert.Kind.RISK, reason="PHQ-9: item 9", urgent=True
    )

    event = AuditEvent.objects.get(action="open", object_type="alerts.alert")
    assert (event.object_id, event.client_id, event.actor_id) == (
        str(alert.pk),
        cast.adult_client.pk,
        None,
    )
    assert event.detail == {"kind": "risk", "urgent": True}


def test_opening_an_alert_tells_the_listeners(cast):
    heard = []

    def listener(sender, alert, **kwargs):
        heard.append(alert.pk)

    alert_opened.connect(listener)
    try:
        alert = alert_open(episode=cast.adult_episode, kind=Alert.Kind.CEILING, reason="All 10s")
    finally:
        alert_opened.disconnect(listener)

    assert heard == [alert.pk]


def test_a_listener_that_fails_undoes_the_opening(cast):
    def broken(sender, alert, **kwargs):
        raise RuntimeError("listener failed")

    alert_opened.connect(broken)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            alert_open(episode=cast.adult_episode, kind=Alert.Kind.CEILING, reason="All 10s")
    finally:
        alert_opened.disconnect(broken)

    assert not Alert.objects.exists()
    assert not AuditEvent.objects.filter(action="open").exists()


def test_acknowledging_and_resolving_keep_the_alerts_kind_reason_and_opening(cast):
    alert = alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")
    opened = alert.opened_at

    alert_acknowledge(actor=cast.clinician, alert=alert, note=NOTE)
    alert_resolve(actor=cast.clinician, alert=alert, note=NOTE)

    alert.refresh_from_db()
    assert (alert.kind, alert.reason, alert.opened_at) == ("off_track", "Off track", opened)


# --- A risk answer ------------------------------------------------------------------------------


@pytest.fixture
def phq9_due(cast):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    return assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")


def phq9(item9: int) -> dict[str, str]:
    answers = {f"phq9-{n}": "1" for n in range(1, 9)}
    answers["phq9-9"] = str(item9)
    return answers


def submit(assignment, answers):
    return response_submit(
        assignment=assignment, answers=answers, mode=Response.Mode.IN_SESSION, actor=None
    )


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_answer_above_zero_to_the_risk_question_opens_one_urgent_alert(cast, phq9_due, item9):
    response = submit(phq9_due, phq9(item9))

    [alert] = Alert.objects.all()
    assert (alert.kind, alert.urgent) == (Alert.Kind.RISK, True)
    assert (alert.session, alert.source_response) == (cast.adult_session, response)
    assert alert.reason.startswith("PHQ-9: ")
    assert list(Alert.objects.risk_unresolved()) == [alert]


def test_no_to_the_risk_question_opens_no_alert(phq9_due):
    submit(phq9_due, phq9(0))

    assert not Alert.objects.exists()


def test_the_same_form_sent_twice_opens_its_risk_alert_once(phq9_due):
    first = submit(phq9_due, phq9(2))
    again = submit(phq9_due, phq9(2))

    assert again == first
    assert Alert.objects.filter(kind=Alert.Kind.RISK).count() == 1


# --- Plan review --------------------------------------------------------------------------------


@pytest.fixture
def agreed_plan(cast):
    version = proposed_plan(cast)
    plans.plan_decide(
        user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
    )
    return version


def reviews(cast) -> list[Alert]:
    return list(Alert.objects.filter(episode=cast.adult_episode, kind=Alert.Kind.PLAN_REVIEW))


@pytest.mark.parametrize(
    "kind",
    [Alert.Kind.OFF_TRACK, Alert.Kind.AT_RISK, Alert.Kind.DETERIORATION, Alert.Kind.GOALS_LOW],
)
def test_an_alert_that_says_the_plan_may_not_be_working_opens_a_plan_review(
    cast, agreed_plan, kind
):
    alert_open(episode=cast.adult_episode, kind=kind, reason="Not going well")

    [review] = reviews(cast)
    assert review.status == Alert.Status.OPEN
    assert "worth reviewing the plan with the client" in review.reason


def test_a_plan_reviews_stored_reason_is_english_when_a_spanish_page_raised_it(cast, agreed_plan):
    from django.utils import translation

    with translation.override("es"):
        alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Not going well")

    [review] = reviews(cast)
    assert review.reason == "Off track: worth reviewing the plan with the client."


@pytest.mark.parametrize(
    "kind", [Alert.Kind.LOW_ALLIANCE, Alert.Kind.CEILING, Alert.Kind.RISK, Alert.Kind.DISAGREEMENT]
)
def test_other_alerts_open_no_plan_review(cast, agreed_plan, kind):
    alert_open(episode=cast.adult_episode, kind=kind, reason="Something else")

    assert reviews(cast) == []


def test_without_a_plan_beyond_a_draft_no_review_is_opened(cast):
    plans.plan_draft_start(actor=cast.clinician, episode=cast.adult_episode, reason="First plan")

    alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")

    assert reviews(cast) == []


def test_a_second_prompt_opens_no_second_review_while_the_first_is_unresolved(cast, agreed_plan):
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")
    [review] = reviews(cast)
    alert_acknowledge(actor=cast.clinician, alert=review, note=NOTE)

    alert_open(episode=cast.adult_episode, kind=Alert.Kind.DETERIORATION, reason="Worse")

    assert reviews(cast) == [review]


def test_once_the_review_is_resolved_a_new_prompt_opens_a_new_one(cast, agreed_plan):
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")
    [first] = reviews(cast)
    alert_resolve(actor=cast.clinician, alert=first, note=NOTE)

    alert_open(episode=cast.adult_episode, kind=Alert.Kind.GOALS_LOW, reason="Goals rated 2")

    assert len(reviews(cast)) == 2
    assert Alert.objects.get(kind=Alert.Kind.PLAN_REVIEW, status=Alert.Status.OPEN) != first


def test_another_clients_review_does_not_stand_in_for_this_ones(cast, agreed_plan):
    teen_plan = proposed_plan(cast, episode=cast.adolescent_episode)
    plans.plan_decide(
        user=cast.adolescent_client_user,
        version=teen_plan,
        party="client",
        accept=True,
        comment="",
    )
    alert_open(episode=cast.adolescent_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")

    alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")

    assert len(reviews(cast)) == 1
    assert Alert.objects.filter(kind=Alert.Kind.PLAN_REVIEW).count() == 2


def test_recording_a_review_resolves_the_open_review_alert(cast, agreed_plan):
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")

    plans.plan_review_record(
        actor=cast.clinician,
        episode=cast.adult_episode,
        working="Sleep is better",
        not_working="Mood still low",
        changes="",
        revise=False,
    )

    [review] = reviews(cast)
    assert review.status == Alert.Status.RESOLVED
    assert review.resolved_by == cast.clinician
    assert review.resolution_note.startswith("Plan reviewed on ")
    # The alert that asked for the review is the clinician's to close, not the review's.
    assert Alert.objects.get(kind=Alert.Kind.OFF_TRACK).status == Alert.Status.OPEN


def test_accepting_a_new_version_resolves_the_open_review_alert(cast, agreed_plan):
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")
    draft = plans.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="Review: new approach"
    )
    proposed = plans.plan_propose(actor=cast.clinician, version=draft)

    plans.plan_decide(
        user=cast.adult_client_user, version=proposed, party="client", accept=True, comment=""
    )

    [review] = reviews(cast)
    assert review.status == Alert.Status.RESOLVED
    assert f"Version {proposed.number} of the plan accepted" in review.resolution_note


# --- Asking for changes to the plan -------------------------------------------------------------


def test_asking_for_changes_opens_one_alert_with_the_persons_words(cast):
    version = proposed_plan(cast)

    for _ in range(2):  # a double click sends the same answer twice
        plans.plan_decide(
            user=cast.adult_client_user,
            version=version,
            party="client",
            accept=False,
            comment="More about sleep, please",
        )

    [alert] = Alert.objects.filter(kind=Alert.Kind.PLAN_CHANGES)
    assert alert.status == Alert.Status.OPEN and not alert.urgent
    assert "More about sleep, please" in alert.reason
    assert "version 1" in alert.reason
