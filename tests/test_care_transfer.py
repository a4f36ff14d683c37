"""Transferring an episode to another clinician: the history is kept, future appointments move,
the past is not rewritten, and who may open the record follows the new care relationship."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance
from rapport.care.services import episode_close, episode_transfer
from tests.conftest import make_session, make_user

REASON = "The client moved closer to the other office"


def transfer(cast, episode=None, to=None, reason=REASON, actor=None):
    return episode_transfer(
        actor=actor or cast.clinician,
        episode=episode or cast.adolescent_episode,
        to_clinician=to or cast.outsider_clinician,
        reason=reason,
    )


def transfer_url(episode) -> str:
    return reverse("care:episode_transfer", args=[episode.pk])


def client_page(client) -> str:
    return reverse("people:client_detail", args=[client.pk])


def test_each_transfer_is_kept_in_order_with_who_did_it(cast):
    transfer(cast, to=cast.outsider_clinician)
    transfer(cast, to=cast.co_clinician, reason="Back to team A", actor=cast.other_supervisor)
    history = list(cast.adolescent_episode.transfers.all())
    assert [(t.from_clinician, t.to_clinician) for t in history] == [
        (cast.clinician, cast.outsider_clinician),
        (cast.outsider_clinician, cast.co_clinician),
    ]
    assert [t.transferred_by for t in history] == [cast.clinician, cast.other_supervisor]
    assert history[0].transferred_at <= history[1].transferred_at
    cast.adolescent_episode.refresh_from_db()
    assert cast.adolescent_episode.primary_clinician == cast.co_clinician


def test_the_reason_is_kept_without_surrounding_spaces(cast):
    record = transfer(cast, reason=f"  {REASON}\n")
    assert record.reason == REASON


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_a_transfer_needs_a_reason(cast, reason):
    with pytest.raises(ValidationError, match="Say why"):
        transfer(cast, reason=reason)
    cast.adolescent_episode.refresh_from_db()
    assert cast.adolescent_episode.primary_clinician == cast.clinician


def test_a_transfer_to_the_current_clinician_is_refused(cast):
    with pytest.raises(ValidationError, match="already with this clinician"):
        transfer(cast, to=cast.clinician)
    assert not cast.adolescent_episode.transfers.exists()


def test_a_closed_episode_cannot_be_transferred(cast):
    episode_close(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="closed episode"):
        transfer(cast)
    assert not cast.adolescent_episode.transfers.exists()


def test_a_transfer_must_go_to_an_active_clinician_of_the_practice(cast):
    leaver = make_user(cast.practice, "gone@northside.test", Role.CLINICIAN, is_active=False)
    for someone in (leaver, cast.admin, cast.guardian, cast.foreign_clinician):
        with pytest.raises(ValidationError, match="active clinician in this practice"):
            transfer(cast, to=someone)
    assert not cast.adolescent_episode.transfers.exists()


def test_a_supervisor_can_take_an_episode_as_primary_clinician(cast):
    transfer(cast, to=cast.supervisor)
    cast.adolescent_episode.refresh_from_db()
    assert cast.adolescent_episode.primary_clinician == cast.supervisor


def test_a_team_member_who_becomes_primary_leaves_the_team_list(cast):
    transfer(cast, episode=cast.adult_episode, to=cast.co_clinician)
    assert cast.co_clinician not in cast.adult_episode.team_members.all()
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.primary_clinician == cast.co_clinician


def test_only_scheduled_future_sessions_move_to_the_new_clinician(cast):
    future = make_session(cast.adolescent_episode, days_from_now=5)
    cancelled = make_session(cast.adolescent_episode, days_from_now=8)
    cancelled.attendance = Attendance.CANCELLED_CLIENT
    cancelled.save()
    unrecorded_past = make_session(cast.adolescent_episode, days_from_now=-2)
    transfer(cast)
    for session in (future, cancelled, unrecorded_past):
        session.refresh_from_db()
    assert future.clinician == cast.outsider_clinician
    assert cancelled.clinician == cast.clinician
    assert unrecorded_past.clinician == cast.clinician


def test_the_transfer_is_audited_with_both_clinicians_and_the_moved_count(cast):
    make_session(cast.adolescent_episode, days_from_now=5)
    make_session(cast.adolescent_episode, days_from_now=12)
    transfer(cast)
    event = AuditEvent.objects.get(action="transfer", object_type="care.episode")
    assert event.detail == {
        "from_clinician": cast.clinician.pk,
        "to_clinician": cast.outsider_clinician.pk,
        "future_sessions_moved": 2,
    }
    assert event.actor_id == cast.clinician.pk


# --- Who sees what afterwards -------------------------------------------------------------------


def test_after_a_transfer_the_new_clinician_and_their_supervisor_see_the_client(cast, web_as):
    transfer(cast)
    for who in (cast.outsider_clinician, cast.other_supervisor):
        assert web_as(who).get(client_page(cast.adolescent_client)).status_code == 200


def test_after_a_transfer_the_old_clinician_and_their_supervisor_no_longer_do(cast, web_as):
    held = make_session(cast.adolescent_episode, days_from_now=-3, held=True)
    transfer(cast)
    for who in (cast.clinician, cast.supervisor):
        web = web_as(who)
        assert web.get(client_page(cast.adolescent_client)).status_code == 404
        # Their own past session goes with the record: it is the client's, not the clinician's.
        assert web.get(reverse("care:session_detail", args=[held.pk])).status_code == 404


def test_the_old_clinicians_caseload_drops_the_client_and_the_new_one_gains_them(cast, web_as):
    transfer(cast)

    def names(user):
        rows = web_as(user).get(reverse("people:caseload")).context["rows"]
        return {row.episode.client.full_name for row in rows}

    assert "Tia Teen" not in names(cast.clinician)
    assert "Tia Teen" in names(cast.outsider_clinician)


def test_a_team_member_keeps_seeing_the_client_when_the_primary_changes(cast, web_as):
    transfer(cast, episode=cast.adult_episode, to=cast.outsider_clinician)
    assert web_as(cast.co_clinician).get(client_page(cast.adult_client)).status_code == 200
    assert web_as(cast.clinician).get(client_page(cast.adult_client)).status_code == 404


def test_the_client_page_tells_the_history_of_transfers(cast, web_as):
    transfer(cast)
    text = web_as(cast.outsider_clinician).get(client_page(cast.adolescent_client)).text
    assert (
        f"from {cast.clinician.full_name} to {cast.outsider_clinician.full_name}: {REASON}" in text
    )


# --- Through the page ---------------------------------------------------------------------------


def test_the_page_offers_active_clinical_staff_of_the_practice_but_not_the_current_one(
    cast, web_as
):
    make_user(cast.practice, "gone@northside.test", Role.CLINICIAN, is_active=False)
    response = web_as(cast.clinician).get(transfer_url(cast.adolescent_episode))
    assert response.status_code == 200
    offered = set(response.context["form"].fields["to_clinician"].queryset)
    assert offered == {
        cast.co_clinician,
        cast.outsider_clinician,
        cast.supervisor,
        cast.other_supervisor,
    }


def test_choosing_someone_not_offered_is_a_form_error(cast, web_as):
    response = web_as(cast.clinician).post(
        transfer_url(cast.adolescent_episode),
        {"to_clinician": cast.foreign_clinician.pk, "reason": REASON},
    )
    assert response.status_code == 200
    assert "to_clinician" in response.context["form"].errors
    assert not cast.adolescent_episode.transfers.exists()


def test_a_clinician_who_hands_on_their_client_is_taken_to_their_caseload(cast, web_as):
    response = web_as(cast.clinician).post(
        transfer_url(cast.adolescent_episode),
        {"to_clinician": cast.outsider_clinician.pk, "reason": REASON},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("people:caseload")
    assert "Episode transferred." in response.text


def test_a_supervisor_who_still_sees_the_client_is_taken_back_to_the_client(cast, web_as):
    response = web_as(cast.supervisor).post(
        transfer_url(cast.adolescent_episode),
        {"to_clinician": cast.co_clinician.pk, "reason": REASON},
    )
    assert response["Location"] == client_page(cast.adolescent_client)


def test_opening_the_transfer_page_transfers_nothing(cast, web_as):
    web_as(cast.clinician).get(transfer_url(cast.adolescent_episode))
    assert not cast.adolescent_episode.transfers.exists()
    assert not AuditEvent.objects.filter(action="transfer").exists()


def test_a_transfer_posted_twice_is_refused_the_second_time(cast, web_as):
    web = web_as(cast.supervisor)
    data = {"to_clinician": cast.co_clinician.pk, "reason": REASON}
    web.post(transfer_url(cast.adolescent_episode), data)
    again = web.post(transfer_url(cast.adolescent_episode), data)
    assert again.status_code == 200
    assert cast.adolescent_episode.transfers.count() == 1


@pytest.mark.parametrize(
    "who,status", [("outsider_clinician", 404), ("foreign_clinician", 404), ("admin", 403)]
)
def test_only_the_care_team_may_transfer(cast, web_as, who, status):
    response = web_as(getattr(cast, who)).post(
        transfer_url(cast.adolescent_episode),
        {"to_clinician": cast.co_clinician.pk, "reason": REASON},
    )
    assert response.status_code == status
    assert not cast.adolescent_episode.transfers.exists()
