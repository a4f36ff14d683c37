"""The warm handoff: the client agrees item by item in the portal, the old therapist writes a
summary the client reads first, the coordinator completes the transfer; the new therapist sees
only what was agreed of the time before, the old one loses access; consent withdrawn or expired
stops everything with nothing half-moved; the follow-up emails and flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import EpisodeTransfer
from rapport.matching import handoff_queries, handoff_services
from rapport.matching.handoff_models import Handoff
from tests.authorization.fixtures import (  # noqa: F401
    cast_fixture,
    prepared_fixture,
)
from tests.conftest import make_session, signed_in
from tests.test_alliance import rate

# The matrix's cast is built once for the module: keep its tests on one worker.
pytestmark = pytest.mark.xdist_group("handoff")

SUMMARY = "We worked on sleep and on going back to work; the goals of the plan still hold."


def consent(cast, *items: str):  # type: ignore[no-untyped-def]
    web = signed_in(cast.adult_client_user)
    payload = {"action": "consent", **{f"share_{item}": "on" for item in items}}
    return web.post(reverse("matching:portal_handoff", args=[cast.adult_client.pk]), payload)


def warm_and_complete(cast):  # type: ignore[no-untyped-def]
    handoff = Handoff.objects.get(pk=cast.extra["own_handoff"].pk)
    handoff_services.handoff_summary_write(actor=cast.clinician, handoff=handoff, summary=SUMMARY)
    handoff_services.handoff_summary_read(actor=cast.adult_client_user, handoff=handoff)
    return handoff_services.handoff_complete(actor=cast.supervisor, handoff=handoff)


def test_the_client_sees_exactly_what_would_be_shared_and_that_private_notes_never_are(cast):
    web = signed_in(cast.adult_client_user)
    page = web.get(reverse("matching:portal_handoff", args=[cast.adult_client.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "1 questionnaire about how you have been, from" in text
    assert "1 time an answer about your safety was flagged" in text
    assert "private notes are never shared" in text
    home = web.get(reverse("portal:home")).content.decode()
    assert reverse("matching:portal_handoff", args=[cast.adult_client.pk]) in home


def test_the_new_therapist_sees_only_what_was_agreed_and_the_old_one_loses_access(cast):
    held = make_session(cast.adult_episode, days_from_now=-3, held=True)
    rate(held, "client", 8)
    assert consent(cast, "measures").status_code == 302

    handoff = warm_and_complete(cast)

    assert handoff.status == "completed" and handoff.shared_items == {"measures"}
    new = signed_in(cast.outsider_clinician)
    client_page = new.get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert client_page.status_code == 200
    assert [h.instrument.family for h in client_page.context["histories"]] == ["phq9"]
    assert client_page.context["risk_alerts"] == [] and client_page.context["alliance_rows"] == []
    own_response = reverse("measures:response_detail", args=[cast.own_response.pk])
    assert new.get(own_response).status_code == 200  # measures: agreed
    rupture = reverse("alliance:rupture_detail", args=[cast.own_rupture.pk])
    assert new.get(rupture).status_code == 404  # alliance history: not agreed
    session = reverse("care:session_detail", args=[held.pk])
    assert new.get(session).status_code == 404  # the old therapist's notes never move
    old = signed_in(cast.clinician)
    assert old.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404
    # The coordinator, who is not the receiving therapist, is not limited by the consent.
    assert signed_in(cast.supervisor).get(rupture).status_code == 200


def test_consent_withdrawn_between_steps_stops_the_transfer_with_nothing_moved(cast):
    consent(cast, "measures", "plan")
    handoff = Handoff.objects.get(pk=cast.extra["own_handoff"].pk)
    handoff_services.handoff_summary_write(actor=cast.clinician, handoff=handoff, summary=SUMMARY)
    handoff_services.handoff_summary_read(actor=cast.adult_client_user, handoff=handoff)
    withdraw = signed_in(cast.adult_client_user).post(
        reverse("matching:portal_handoff", args=[cast.adult_client.pk]), {"action": "withdraw"}
    )

    refused = signed_in(cast.supervisor).post(
        reverse("matching:handoff", args=[handoff.pk]), {"action": "complete"}, follow=True
    )

    assert withdraw.status_code == 302
    assert "consent is not in force" in refused.content.decode()
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.primary_clinician_id == cast.clinician.pk
    assert not EpisodeTransfer.objects.filter(episode=cast.adult_episode).exists()
    assert Handoff.objects.get(pk=handoff.pk).status == "withdrawn"


def test_a_failure_after_the_transfer_step_leaves_the_episode_where_it_was(cast, monkeypatch):
    consent(cast, "measures")
    handoff = Handoff.objects.get(pk=cast.extra["own_handoff"].pk)
    handoff_services.handoff_summary_write(actor=cast.clinician, handoff=handoff, summary=SUMMARY)
    handoff_services.handoff_summary_read(actor=cast.adult_client_user, handoff=handoff)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(handoff_services, "_audit", broken)
    with pytest.raises(RuntimeError):
        handoff_services.handoff_complete(actor=cast.supervisor, handoff=handoff)

    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.primary_clinician_id == cast.clinician.pk
    assert not EpisodeTransfer.objects.filter(episode=cast.adult_episode).exists()


def test_consent_that_has_expired_is_asked_again_before_anything_moves(cast):
    consent(cast, "measures")
    Handoff.objects.filter(pk=cast.extra["own_handoff"].pk).update(
        consent_expires_at=timezone.now() - timedelta(minutes=1)
    )
    handoff = Handoff.objects.get(pk=cast.extra["own_handoff"].pk)

    with pytest.raises(ValidationError, match="not in force"):
        handoff_services.handoff_summary_write(
            actor=cast.clinician, handoff=handoff, summary=SUMMARY
        )
    page = signed_in(cast.adult_client_user).get(
        reverse("matching:portal_handoff", args=[cast.adult_client.pk])
    )
    assert "has expired" in page.content.decode()
    [row] = handoff_queries.coordinator_rows(cast.adult_episode.practice_id)
    assert row.consent_expired


def test_the_receiving_therapist_reads_the_summary_only_after_the_client(cast):
    consent(cast, "plan")
    handoff = Handoff.objects.get(pk=cast.extra["own_handoff"].pk)
    handoff_services.handoff_summary_write(actor=cast.clinician, handoff=handoff, summary=SUMMARY)
    url = reverse("matching:handoff", args=[handoff.pk])

    before = signed_in(cast.outsider_clinician).get(url).content.decode()
    handoff_services.handoff_summary_read(actor=cast.adult_client_user, handoff=handoff)
    after = signed_in(cast.outsider_clinician).get(url).content.decode()

    assert SUMMARY not in before and "once the client has" in before
    assert SUMMARY in after


def test_a_young_person_decides_and_their_guardian_only_reads(cast):
    fit = handoff_services.FitCheck.objects.create(
        episode=cast.adolescent_episode,
        starter="guardian",
        requested_by=cast.guardian,
        requested_at=timezone.now(),
        status="with_coordinator",
        words="She does not want to go any more.",
        sent_to_coordinator_at=timezone.now(),
    )
    handoff_services.handoff_begin(
        actor=cast.supervisor, fit_check=fit, to_clinician=cast.outsider_clinician
    )
    url = reverse("matching:portal_handoff", args=[cast.adolescent_client.pk])

    guardian_page = signed_in(cast.guardian).get(url)
    guardian_post = signed_in(cast.guardian).post(url, {"action": "consent"})
    teen_post = signed_in(cast.adolescent_client_user).post(
        url, {"action": "consent", "share_plan": "on"}
    )

    assert guardian_page.status_code == 200
    assert "chooses this for themself" in guardian_page.content.decode()
    assert guardian_post.status_code == 403 and teen_post.status_code == 302
    assert Handoff.objects.get(fit_check=fit).shared_items == {"plan"}


def test_did_you_start_emails_go_at_14_and_30_days_once_each_and_the_coordinator_is_told(cast):
    consent(cast, "measures")
    handoff = warm_and_complete(cast)
    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save()
    done = handoff.completed_at

    def send(days: int) -> int:
        return handoff_services.handoff_follow_ups_send(
            base_url="https://rapport.test", now=done + timedelta(days=days)
        )

    assert (send(10), send(15), send(16), send(31)) == (0, 1, 0, 1)
    assert "new therapist" in mail.outbox[0].subject
    assert Handoff.objects.get(pk=handoff.pk).follow_ups_sent == [14, 30]
    [row] = handoff_queries.coordinator_rows(
        cast.adult_episode.practice_id, now=done + timedelta(days=22)
    )
    assert row.not_started


def test_the_outcomes_page_counts_without_naming_and_hides_figures_from_few_clients(cast):
    consent(cast, "measures")
    warm_and_complete(cast)

    page = signed_in(cast.supervisor).get(reverse("matching:rematch_outcomes"))

    text = page.content.decode()
    outcomes = page.context["outcomes"]
    assert (outcomes.rematches, outcomes.handoffs, outcomes.fit_checks) == (1, 1, 2)
    assert "too few to show" in text
    assert cast.adult_client.full_name not in text and cast.outsider_clinician.full_name not in text


def test_a_handoff_goes_only_to_the_therapist_chosen_in_the_fit_check(cast):
    from rapport.matching.services import fit_check_choose

    fit_check = cast.extra["own_private_fit"]
    Handoff.objects.filter(fit_check=fit_check).delete()  # as before the coordinator began one
    chosen = fit_check_choose(
        actor=cast.supervisor, fit_check=fit_check, clinician=cast.outsider_clinician
    )

    page = signed_in(cast.supervisor).get(reverse("matching:fit_check", args=[fit_check.pk]))
    # The "hand over to" box offers the chosen therapist and nobody else.
    assert cast.outsider_clinician.full_name in page.content.decode()
    assert cast.co_clinician.full_name not in page.content.decode()
    with pytest.raises(ValidationError, match="chosen in this fit check"):
        handoff_services.handoff_begin(
            actor=cast.supervisor, fit_check=chosen, to_clinician=cast.co_clinician
        )
    handoff = handoff_services.handoff_begin(
        actor=cast.supervisor, fit_check=chosen, to_clinician=cast.outsider_clinician
    )
    assert handoff.to_clinician == cast.outsider_clinician


def test_the_old_therapists_private_formulation_never_moves_even_with_the_plan(cast):
    from rapport.plans.models import PlanVersion

    draft = PlanVersion.objects.filter(episode=cast.adult_episode).order_by("-number").first()
    assert draft is not None, "the cast's adult episode has a plan"
    PlanVersion.objects.filter(pk=draft.pk).update(private_formulation="PRIVATE-FORMULATION-3f9a")
    page = reverse("plans:version", args=[draft.pk])
    assert "PRIVATE-FORMULATION-3f9a" in signed_in(cast.clinician).get(page).content.decode()
    assert consent(cast, "plan").status_code == 302

    warm_and_complete(cast)

    seen = signed_in(cast.outsider_clinician).get(page)
    assert seen.status_code == 200  # the plan: agreed
    assert "PRIVATE-FORMULATION-3f9a" not in seen.content.decode()


def test_the_old_therapists_unfinished_draft_is_set_aside_when_the_plan_is_not_shared(cast):
    from rapport.plans.models import PlanVersion

    draft = _draft_of_the_old_therapist(cast)
    assert consent(cast, "measures").status_code == 302

    warm_and_complete(cast)

    draft.refresh_from_db()
    assert draft.status == PlanVersion.Status.SUPERSEDED
    # The new therapist is not sent to a draft they may not open: they can start their own.
    start = signed_in(cast.outsider_clinician).get(
        reverse("plans:draft_new", args=[cast.adult_episode.pk])
    )
    assert start.status_code == 200
    assert (
        signed_in(cast.supervisor).get(reverse("plans:version", args=[draft.pk])).status_code == 200
    )


def test_the_old_therapists_draft_stays_open_for_the_new_one_when_the_plan_is_shared(cast):
    draft = _draft_of_the_old_therapist(cast)
    assert consent(cast, "plan").status_code == 302

    warm_and_complete(cast)

    draft.refresh_from_db()
    assert draft.status == "draft"
    start = signed_in(cast.outsider_clinician).get(
        reverse("plans:draft_new", args=[cast.adult_episode.pk])
    )
    assert start.status_code == 302 and start.url == reverse("plans:version", args=[draft.pk])


def _draft_of_the_old_therapist(cast):  # type: ignore[no-untyped-def]
    from rapport.plans.models import PlanVersion
    from rapport.plans.services import plan_draft_start

    found = PlanVersion.objects.filter(episode=cast.adult_episode, status="draft").first()
    return found or plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="Sleep first"
    )
