"""A request for changes to the plan reaches the therapist and is answered.

The client (or the guardian) asks for changes in the portal: an alert opens for the clinical team
with their words, the caseload flags it, and the therapist answers with a new version (which
resolves the alert) or a reply in words that the person who asked reads in the portal.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.audit.models import AuditEvent
from rapport.plans import services
from rapport.plans.models import PlanDecision
from tests.conftest import signed_in
from tests.test_plans import accepted_plan, proposed_plan

ASK = "Can we work on sleep first, please?"


def changes_alerts(episode):
    return Alert.objects.filter(episode=episode, kind=Alert.Kind.PLAN_CHANGES)


def ask_in_portal(cast, version, user=None, text=ASK):
    web = signed_in(user or cast.adult_client_user)
    return web.post(
        reverse("plans:portal_decide", args=[version.pk]), {"accept": "no", "comment": text}
    )


def reply(cast, version, text, party="client", key=None):
    return signed_in(cast.clinician).post(
        reverse("plans:reply", args=[version.pk]),
        {"party": party, "reply": text, "submission_key": key or str(uuid.uuid4())},
    )


def test_asking_for_changes_in_the_portal_opens_an_alert_with_the_clients_words(cast):
    version = proposed_plan(cast)

    ask_in_portal(cast, version)

    alert = changes_alerts(cast.adult_episode).get()
    assert alert.status == "open"
    assert alert.reason.startswith("Alex Adult asked for changes to the plan (version 1)")
    assert ASK in alert.reason
    assert AuditEvent.objects.filter(action="open", object_id=str(alert.pk)).exists()


def test_the_alert_is_on_the_client_page_and_the_caseload_flags_it(cast):
    version = proposed_plan(cast)
    ask_in_portal(cast, version)
    web = signed_in(cast.clinician)

    client_page = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    caseload = web.get(reverse("people:caseload"))
    plan_page = web.get(reverse("plans:episode", args=[cast.adult_episode.pk]))

    assert "Changes to the plan asked for" in client_page.text and ASK in client_page.text
    assert "Plan: changes asked for" in caseload.text
    assert "Changes asked for." in plan_page.text and ASK in plan_page.text


def test_a_new_version_proposed_answers_the_request_and_resolves_the_alert(cast):
    version = proposed_plan(cast)
    ask_in_portal(cast, version)

    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="Sleep first, as asked"
    )
    services.plan_propose(actor=cast.clinician, version=draft)

    alert = changes_alerts(cast.adult_episode).get()
    assert alert.status == "resolved"
    assert "version 2" in alert.resolution_note
    caseload = signed_in(cast.clinician).get(reverse("people:caseload"))
    assert "Plan: changes asked for" not in caseload.text


def test_a_reply_in_words_is_shown_to_the_client_and_resolves_the_alert(cast):
    version = proposed_plan(cast)
    ask_in_portal(cast, version)

    response = reply(cast, version, "Yes: let's talk it through on Tuesday.")

    decision = PlanDecision.objects.get(version=version, party="client")
    assert response.status_code == 302
    assert decision.reply == "Yes: let's talk it through on Tuesday."
    assert decision.replied_by == cast.clinician
    assert changes_alerts(cast.adult_episode).get().status == "resolved"
    assert AuditEvent.objects.filter(
        action="reply", object_type="plans.plandecision", actor_id=cast.clinician.pk
    ).exists()
    portal = signed_in(cast.adult_client_user).get(
        reverse("plans:portal_plan", args=[cast.adult_client.pk])
    )
    assert "Your request for changes" in portal.text
    assert ASK in portal.text
    assert "let&#x27;s talk it through on Tuesday" in portal.text


def test_the_reply_is_saved_once_however_often_it_is_submitted(cast):
    version = proposed_plan(cast)
    ask_in_portal(cast, version)
    key = str(uuid.uuid4())

    reply(cast, version, "We will change it together.", key=key)
    again = reply(cast, version, "We will change it together.", key=key)
    other = reply(cast, version, "Something else entirely")

    decision = PlanDecision.objects.get(version=version, party="client")
    assert again.status_code == 302 and other.status_code == 302
    assert decision.reply == "We will change it together."
    assert AuditEvent.objects.filter(action="reply").count() == 1


def test_an_empty_reply_is_refused_with_a_reason(cast):
    version = proposed_plan(cast)
    ask_in_portal(cast, version)
    decision = PlanDecision.objects.get(version=version, party="client")

    with pytest.raises(ValidationError, match="Write your answer"):
        services.plan_changes_reply(actor=cast.clinician, decision=decision, reply="  ")
    response = reply(cast, version, "")

    assert response.status_code == 302
    assert PlanDecision.objects.get(pk=decision.pk).reply == ""
    assert changes_alerts(cast.adult_episode).get().status == "open"


def test_an_acceptance_can_not_be_replied_to(cast):
    version = proposed_plan(cast)
    decision_version = services.plan_decide(
        user=cast.adult_client_user, version=version, party="client", accept=True, comment=""
    )
    accepted = decision_version.decisions.get()

    with pytest.raises(ValidationError):
        services.plan_changes_reply(actor=cast.clinician, decision=accepted, reply="Thanks!")


def test_the_guardians_request_reaches_the_therapist_and_their_answer_reaches_the_guardian(cast):
    version = proposed_plan(cast, episode=cast.adolescent_episode)
    services.plan_decide(
        user=cast.adolescent_client_user,
        version=version,
        party="client",
        accept=True,
        comment="",
    )

    ask_in_portal(cast, version, user=cast.guardian, text="Fewer evening sessions, please")
    alert = changes_alerts(cast.adolescent_episode).get()
    reply(cast, version, "We can meet after school instead.", party="guardian")

    assert "(Ti's parent or guardian) asked for changes" in alert.reason
    assert changes_alerts(cast.adolescent_episode).get().status == "resolved"
    guardian_page = signed_in(cast.guardian).get(
        reverse("plans:portal_plan", args=[cast.adolescent_client.pk])
    )
    teen_page = signed_in(cast.adolescent_client_user).get(
        reverse("plans:portal_plan", args=[cast.adolescent_client.pk])
    )
    assert "We can meet after school instead." in guardian_page.text
    # The guardian's words and the answer to them are for the guardian and the clinical team.
    assert "Fewer evening sessions" not in teen_page.text
    assert "We can meet after school instead." not in teen_page.text


def test_the_young_persons_comment_is_not_shown_to_their_guardian(cast):
    version = proposed_plan(cast, episode=cast.adolescent_episode)

    ask_in_portal(cast, version, user=cast.adolescent_client_user, text="Not with mum there")

    guardian_page = signed_in(cast.guardian).get(
        reverse("plans:portal_plan", args=[cast.adolescent_client.pk])
    )
    assert guardian_page.status_code == 200
    assert "Not with mum there" not in guardian_page.text


def test_a_request_recorded_in_session_by_the_therapist_opens_no_alert(cast):
    version = proposed_plan(cast)

    services.plan_decide(
        user=cast.clinician, version=version, party="client", accept=False, comment="Sleep first"
    )

    assert not changes_alerts(cast.adult_episode).exists()


def test_accepting_a_new_version_clears_the_plan_review_due_alert(cast):
    accepted_plan(cast, review_every=1, review_unit="weeks")
    services.plan_reviews_check_all()
    due = Alert.objects.get(episode=cast.adult_episode, kind=Alert.Kind.PLAN_REVIEW)
    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="Scheduled review"
    )
    services.plan_propose(actor=cast.clinician, version=draft)
    still_open = Alert.objects.get(pk=due.pk).status

    services.plan_decide(
        user=cast.adult_client_user, version=draft, party="client", accept=True, comment=""
    )

    assert still_open == "open"  # proposing alone is not yet an agreed plan
    due.refresh_from_db()
    assert due.status == "resolved"
    assert "Version 2 of the plan accepted" in due.resolution_note
    # The schedule counts from the new agreement: nothing falls due again straight away.
    assert services.plan_reviews_check_all() == 0
