"""The episode team: clinicians who work with the primary clinician. Only active clinical staff
of the practice may join; joining opens the record to them and leaving closes it; every change
is audited by who was added and who removed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.accounts.models import Role
from rapport.audit.models import AuditEvent
from rapport.care.services import episode_set_team
from tests.conftest import make_user


def team_url(episode) -> str:
    return reverse("care:episode_team", args=[episode.pk])


def set_team(cast, members, episode=None):
    return episode_set_team(
        actor=cast.clinician, episode=episode or cast.adolescent_episode, members=members
    )


def team_of(episode) -> set:
    return set(episode.team_members.all())


def test_setting_the_team_replaces_it_rather_than_adding_to_it(cast):
    set_team(cast, [cast.co_clinician, cast.outsider_clinician])
    set_team(cast, [cast.outsider_clinician])
    assert team_of(cast.adolescent_episode) == {cast.outsider_clinician}


def test_an_empty_choice_leaves_the_primary_clinician_alone(cast):
    set_team(cast, [], episode=cast.adult_episode)
    assert team_of(cast.adult_episode) == set()
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.primary_clinician == cast.clinician


def test_the_primary_clinician_is_never_listed_as_a_team_member_too(cast):
    set_team(cast, [cast.clinician, cast.co_clinician])
    assert team_of(cast.adolescent_episode) == {cast.co_clinician}


def test_a_supervisor_may_join_an_episode_team(cast):
    set_team(cast, [cast.other_supervisor])
    assert team_of(cast.adolescent_episode) == {cast.other_supervisor}


@pytest.mark.parametrize("who", ["foreign_clinician", "admin", "guardian", "adult_client_user"])
def test_only_clinical_staff_of_the_practice_may_join(cast, who):
    with pytest.raises(ValidationError, match="team member must be an active clinician"):
        set_team(cast, [cast.co_clinician, getattr(cast, who)])
    assert team_of(cast.adolescent_episode) == set()  # nothing half-done


def test_a_deactivated_clinician_cannot_join(cast):
    leaver = make_user(cast.practice, "leaver@northside.test", Role.CLINICIAN, is_active=False)
    with pytest.raises(ValidationError):
        set_team(cast, [leaver])
    assert team_of(cast.adolescent_episode) == set()


def test_each_change_is_audited_with_who_was_added_and_who_removed(cast):
    set_team(cast, [cast.co_clinician, cast.outsider_clinician])
    set_team(cast, [cast.outsider_clinician, cast.supervisor])
    details = [
        event.detail
        for event in AuditEvent.objects.filter(
            action="update", object_type="care.episode", object_id=str(cast.adolescent_episode.pk)
        )
    ]
    assert details == [
        {
            "team_added": sorted([cast.co_clinician.pk, cast.outsider_clinician.pk]),
            "team_removed": [],
        },
        {"team_added": [cast.supervisor.pk], "team_removed": [cast.co_clinician.pk]},
    ]


def test_a_new_team_member_can_open_the_clients_sessions_and_a_removed_one_cannot(cast, web_as):
    session_url = reverse("care:session_detail", args=[cast.other_session.pk])
    web = web_as(cast.clinician)
    assert web.get(session_url).status_code == 404
    episode_set_team(
        actor=cast.outsider_clinician, episode=cast.other_episode, members=[cast.clinician]
    )
    assert web.get(session_url).status_code == 200
    episode_set_team(actor=cast.outsider_clinician, episode=cast.other_episode, members=[])
    assert web.get(session_url).status_code == 404


def test_a_team_members_supervisor_sees_the_client_too(cast, web_as):
    client_url = reverse("people:client_detail", args=[cast.other_client.pk])
    assert web_as(cast.supervisor).get(client_url).status_code == 404
    episode_set_team(
        actor=cast.outsider_clinician, episode=cast.other_episode, members=[cast.co_clinician]
    )
    assert web_as(cast.supervisor).get(client_url).status_code == 200


# --- Through the page ---------------------------------------------------------------------------


def test_the_page_offers_the_practices_active_clinical_staff_except_the_primary(cast, web_as):
    make_user(cast.practice, "leaver@northside.test", Role.CLINICIAN, is_active=False)
    response = web_as(cast.clinician).get(team_url(cast.adult_episode))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields["members"].queryset) == {
        cast.co_clinician,
        cast.outsider_clinician,
        cast.supervisor,
        cast.other_supervisor,
    }
    assert set(form.initial["members"]) == {cast.co_clinician}


def test_saving_the_team_on_the_page_goes_back_to_the_client(cast, web_as):
    response = web_as(cast.clinician).post(
        team_url(cast.adult_episode),
        {"members": [cast.co_clinician.pk, cast.outsider_clinician.pk]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "people:client_detail", args=[cast.adult_client.pk]
    )
    assert "Episode team saved." in response.text
    assert team_of(cast.adult_episode) == {cast.co_clinician, cast.outsider_clinician}


@pytest.mark.parametrize("who", ["foreign_clinician", "admin", "clinician"])
def test_choosing_someone_not_offered_on_the_page_is_a_form_error(cast, web_as, who):
    response = web_as(cast.clinician).post(
        team_url(cast.adult_episode), {"members": [getattr(cast, who).pk]}
    )
    assert response.status_code == 200
    assert "members" in response.context["form"].errors
    assert team_of(cast.adult_episode) == {cast.co_clinician}


def test_opening_the_team_page_changes_nothing(cast, web_as):
    web_as(cast.clinician).get(team_url(cast.adult_episode))
    assert team_of(cast.adult_episode) == {cast.co_clinician}
    assert not AuditEvent.objects.filter(action="update", object_type="care.episode").exists()


def test_the_same_team_posted_twice_ends_the_same_and_adds_nobody_the_second_time(cast, web_as):
    web = web_as(cast.clinician)
    data = {"members": [cast.co_clinician.pk, cast.supervisor.pk]}
    web.post(team_url(cast.adult_episode), data)
    web.post(team_url(cast.adult_episode), data)
    assert team_of(cast.adult_episode) == {cast.co_clinician, cast.supervisor}
    last = AuditEvent.objects.filter(action="update", object_type="care.episode").last()
    assert last.detail == {"team_added": [], "team_removed": []}


@pytest.mark.parametrize(
    "who,status", [("outsider_clinician", 404), ("foreign_clinician", 404), ("admin", 403)]
)
def test_only_the_care_team_may_change_the_team(cast, web_as, who, status):
    response = web_as(getattr(cast, who)).post(
        team_url(cast.adult_episode), {"members": [cast.outsider_clinician.pk]}
    )
    assert response.status_code == status
    assert team_of(cast.adult_episode) == {cast.co_clinician}
