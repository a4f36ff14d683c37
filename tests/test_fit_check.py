"""The fit check: a client asks privately in the portal (or with their therapist first), a
therapist asks with their supervisor's approval, the coordinator sees what reached them, and
Rapport suggests a fit conversation to the therapist only."""

from __future__ import annotations

import uuid

from django.urls import reverse

from rapport.alliance.models import Rupture
from rapport.alliance.services import repair_log
from rapport.matching.models import ClientPreference, FitCheck, FitCheckSettings
from rapport.matching.queries import fit_suggestion
from tests.conftest import years_ago
from tests.test_alliance import past_sessions, rate

WORDS = "I never feel listened to and I dread Tuesdays."


def ask(web, client, key=None, **changes):  # type: ignore[no-untyped-def]
    payload = {
        "submission_key": key or str(uuid.uuid4()),
        "words": WORDS,
        "talk_first": "no",
        "language": "Spanish",
        "language_strength": "must",
        **changes,
    }
    return web.post(reverse("matching:portal_fit_check", args=[client.pk]), payload)


def test_a_private_request_reaches_the_coordinator_and_never_the_current_therapist(cast, web_as):
    client_web = web_as(cast.adult_client_user)
    key = str(uuid.uuid4())

    first = ask(client_web, cast.adult_client, key=key)
    again = ask(client_web, cast.adult_client, key=key)  # a double click
    later = ask(client_web, cast.adult_client, words="Another go.")  # a second request

    assert first.status_code == again.status_code == later.status_code == 302
    [fit_check] = FitCheck.objects.filter(episode=cast.adult_episode)
    assert fit_check.status == "with_coordinator" and fit_check.is_private
    assert fit_check.words == WORDS and not fit_check.share_reason
    wanted = ClientPreference.objects.get(client=cast.adult_client, kind="language")
    assert (wanted.value, wanted.strength) == ("Spanish", "must")
    coordinator = web_as(cast.supervisor).get(reverse("matching:fit_checks")).content.decode()
    assert cast.adult_client.full_name in coordinator
    detail = web_as(cast.supervisor).get(reverse("matching:fit_check", args=[fit_check.pk]))
    assert WORDS in detail.content.decode()
    therapist = web_as(cast.clinician)
    page = therapist.get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert WORDS not in page.content.decode() and "Fit check asked" not in page.content.decode()
    assert therapist.get(reverse("matching:fit_check", args=[fit_check.pk])).status_code == 404
    listed = therapist.get(reverse("matching:fit_checks"))
    assert listed.status_code == 403


def test_talking_first_opens_a_rupture_for_the_therapist_with_the_clients_words(cast, web_as):
    teen = web_as(cast.adolescent_client_user)

    assert ask(teen, cast.adolescent_client, talk_first="yes").status_code == 302

    fit_check = FitCheck.objects.get(episode=cast.adolescent_episode)
    assert fit_check.status == "open" and not fit_check.is_private
    rupture = Rupture.objects.get(pk=fit_check.rupture_id)
    assert rupture.client_words == WORDS
    page = web_as(cast.clinician).get(
        reverse("people:client_detail", args=[cast.adolescent_client.pk])
    )
    assert "Fit check asked" in page.content.decode()
    # The young person's request is their own: their guardian's portal page does not show it.
    guardian = web_as(cast.guardian).get(
        reverse("matching:portal_fit_check", args=[cast.adolescent_client.pk])
    )
    assert guardian.status_code == 200 and WORDS not in guardian.content.decode()


def test_a_child_does_not_ask_in_the_portal_but_their_guardian_does(cast, web_as):
    cast.adolescent_client.date_of_birth = years_ago(9)
    cast.adolescent_client.save()
    url = reverse("matching:portal_fit_check", args=[cast.adolescent_client.pk])

    assert web_as(cast.adolescent_client_user).get(url).status_code == 403
    assert web_as(cast.guardian).get(url).status_code == 200
    assert ask(web_as(cast.guardian), cast.adolescent_client).status_code == 302
    assert FitCheck.objects.get(episode=cast.adolescent_episode).starter == "guardian"


def test_a_therapists_request_waits_for_the_supervisor_unless_the_client_asked(cast, web_as):
    new = reverse("matching:fit_check_new", args=[cast.adult_episode.pk])
    data = {"reason": "not_connecting", "words": "He says he does not feel heard."}
    clinician = web_as(cast.clinician)
    clinician.post(new, {"submission_key": str(uuid.uuid4()), **data})
    asked = FitCheck.objects.get(requested_by=cast.clinician)
    assert asked.status == "awaiting_approval" and asked.sent_to_coordinator_at is None
    url = reverse("matching:fit_check", args=[asked.pk])
    assert clinician.post(url, {"action": "approve"}).status_code == 403
    supervisor = web_as(cast.supervisor)
    assert (
        cast.adult_client.full_name
        in supervisor.get(reverse("matching:fit_checks")).content.decode()
    )

    refused = supervisor.post(url, {"action": "decline", "note": ""})
    approved = supervisor.post(url, {"action": "approve", "note": ""})
    repeat = supervisor.post(url, {"action": "approve", "note": ""})

    assert refused.status_code == 200 and "Say why" in refused.content.decode()
    assert approved.status_code == 302 and repeat.status_code == 403
    asked.refresh_from_db()
    assert asked.status == "approved" and asked.decided_by == cast.supervisor
    assert asked.sent_to_coordinator_at is not None
    co = web_as(cast.co_clinician)
    co.post(new, {"submission_key": str(uuid.uuid4()), **data, "client_asked": "on"})
    assert FitCheck.objects.get(requested_by=cast.co_clinician).status == "with_coordinator"
    assert clinician.post(url, {"action": "nonsense"}).status_code == 400


def test_a_practice_whose_admins_coordinate_sends_private_requests_to_them(cast, web_as):
    FitCheckSettings.objects.create(practice=cast.practice, coordinator="admins")
    ask(web_as(cast.adult_client_user), cast.adult_client)
    fit_check = FitCheck.objects.get()

    assert (
        cast.adult_client.full_name
        in web_as(cast.admin).get(reverse("matching:fit_checks")).content.decode()
    )
    supervisor = web_as(cast.supervisor)
    assert (
        cast.adult_client.full_name
        not in supervisor.get(reverse("matching:fit_checks")).content.decode()
    )
    assert supervisor.get(reverse("matching:fit_check", args=[fit_check.pk])).status_code == 404
    closed = web_as(cast.admin).post(
        reverse("matching:fit_check", args=[fit_check.pk]),
        {"action": "close", "note": "She chose to stay with her therapist."},
    )
    assert closed.status_code == 302 and FitCheck.objects.get().status == "closed"


def test_a_setting_out_of_range_or_inconsistent_is_refused_and_nothing_stored(cast, web_as):
    url = reverse("matching:fit_settings")
    data = {"coordinator": "supervisors", "alliance_window": "3", "off_track_in_a_row": "2"}
    admin = web_as(cast.admin)
    for bad in (
        {"after_session": "4", "alliance_low_sessions": "5"},
        {"after_session": "0", "alliance_low_sessions": "2"},
        {"after_session": "4", "alliance_low_sessions": "2", "coordinator": "everyone"},
    ):
        page = admin.post(url, {**data, **bad})
        assert page.status_code == 200 and 'class="error"' in page.content.decode()
    assert not FitCheckSettings.objects.exists()


def test_rapport_suggests_a_fit_conversation_to_the_therapist_and_it_can_be_set_aside(cast, web_as):
    sessions = past_sessions(cast.adult_episode, 2)
    rate(sessions[0], "client", 7, words="Not sure this is working.")  # low: opens a rupture
    rate(sessions[1], "client", 8)
    assert fit_suggestion(cast.adult_episode) is None  # low twice, but no repair tried yet
    rupture = Rupture.objects.get(episode=cast.adult_episode)
    repair_log(actor=cast.clinician, rupture=rupture, kind="talked", note="We talked about it.")

    page = web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert "Consider a fit conversation" in page.content.decode()
    portal = web_as(cast.adult_client_user).get(reverse("portal:home")).content.decode()
    assert "fit conversation" not in portal

    web_as(cast.clinician).post(
        reverse("matching:fit_suggestion_dismiss", args=[cast.adult_episode.pk])
    )
    page = web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert "Consider a fit conversation" not in page.content.decode()


def test_after_a_transfer_only_the_new_pairing_counts_towards_a_suggested_fit_conversation(cast):
    from rapport.care.services import episode_transfer

    sessions = past_sessions(cast.adult_episode, 2)
    rate(sessions[0], "client", 7, words="Not sure this is working.")
    rate(sessions[1], "client", 8)
    rupture = Rupture.objects.get(episode=cast.adult_episode)
    repair_log(actor=cast.clinician, rupture=rupture, kind="talked", note="We talked about it.")
    assert fit_suggestion(cast.adult_episode) is not None

    episode_transfer(
        actor=cast.supervisor,
        episode=cast.adult_episode,
        to_clinician=cast.co_clinician,
        reason="A better fit.",
    )
    cast.adult_episode.refresh_from_db()

    # The low ratings and the rupture were with the previous therapist.
    assert fit_suggestion(cast.adult_episode) is None
