from datetime import date
from uuid import uuid4

from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.models import Episode
from rapport.core.ages import AgeBand
from rapport.people.models import Client


def client_payload(**overrides):
    data = {
        "submission_key": uuid4(),
        "full_name": "Noor Newcomer",
        "preferred_name": "",
        "pronouns": "she/her",
        "date_of_birth": "1990-04-02",
        "email": "noor@example.com",
        "phone": "07700 900123",
        "address": "",
        "preferred_language": "English",
        "primary_clinician": "",
        "start_date": timezone.localdate().isoformat(),
        "referral_reason": "Low mood",
    }
    data.update(overrides)
    return data


def test_a_clinician_registers_a_client_and_opens_their_first_episode(cast, web_as):
    response = web_as(cast.clinician).post(
        reverse("people:client_new"), client_payload(primary_clinician=cast.clinician.pk)
    )
    assert response.status_code == 302
    client = Client.objects.get(full_name="Noor Newcomer")
    assert client.practice == cast.practice
    episode = Episode.objects.get(client=client)
    assert episode.primary_clinician == cast.clinician and episode.referral_reason == "Low mood"
    created = AuditEvent.objects.filter(action="create", client_id=client.pk)
    assert created.filter(object_type__in=["people.client", "care.episode"]).count() == 2


def test_registering_with_a_date_of_birth_in_the_future_is_a_form_error(cast, web_as):
    response = web_as(cast.clinician).post(
        reverse("people:client_new"),
        client_payload(primary_clinician=cast.clinician.pk, date_of_birth="2999-01-01"),
    )
    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors
    assert not Client.objects.filter(full_name="Noor Newcomer").exists()


def test_a_clinician_of_another_practice_cannot_be_chosen_as_primary(cast, web_as):
    response = web_as(cast.clinician).post(
        reverse("people:client_new"), client_payload(primary_clinician=cast.foreign_clinician.pk)
    )
    assert "primary_clinician" in response.context["form"].errors


def test_age_band_comes_from_the_date_of_birth(cast):
    assert cast.adult_client.age_band() == AgeBand.ADULT
    assert cast.adolescent_client.age_band() == AgeBand.ADOLESCENT
    assert cast.adolescent_client.is_minor
    assert Client(date_of_birth=date(2020, 1, 1)).age_band(on=date(2026, 1, 1)) == AgeBand.CHILD


def test_editing_client_details_is_audited_with_the_changed_fields_only(cast, web_as):
    url = reverse("people:client_edit", args=[cast.adult_client.pk])
    form = web_as(cast.clinician).get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(preferred_name="Lex", date_of_birth=cast.adult_client.date_of_birth.isoformat())
    response = web_as(cast.clinician).post(url, data)
    assert response.status_code == 302
    cast.adult_client.refresh_from_db()
    assert cast.adult_client.preferred_name == "Lex"
    event = AuditEvent.objects.filter(action="update", client_id=cast.adult_client.pk).latest("id")
    assert event.detail == {"changed": ["preferred_name"]}


def test_a_guardian_sees_an_adolescents_answers_only_when_the_clinician_allows_it(cast, web_as):
    link = cast.guardian_link
    assert not link.may_see_client_answers and not link.may_see_client_free_text
    url = reverse("people:guardian_link_edit", args=[link.pk])
    response = web_as(cast.clinician).post(
        url,
        {
            "relationship": "mother",
            "has_parental_responsibility": "on",
            "consent_to_treatment": "on",
            "consent_to_contact": "on",
            "may_see_schedule": "on",
            "may_see_plan_summary": "on",
            "may_see_client_answers": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.may_see_client_answers and not link.may_see_client_free_text


def test_the_caseload_lists_own_clients_and_searches_by_name(cast, web_as):
    web = web_as(cast.clinician)
    names = [
        row.episode.client.full_name for row in web.get(reverse("people:caseload")).context["rows"]
    ]
    assert names == ["Alex Adult", "Tia Teen"]
    found = web.get(reverse("people:caseload"), {"q": "tia"}).context["rows"]
    assert [row.episode.client.full_name for row in found] == ["Tia Teen"]


def test_the_caseload_search_answers_htmx_with_just_the_table(cast, web_as):
    response = web_as(cast.clinician).get(
        reverse("people:caseload"), {"q": "alex"}, HTTP_HX_REQUEST="true"
    )
    assert "<table" in response.text and "<html" not in response.text
    assert "Alex Adult" in response.text and "Tia Teen" not in response.text


def test_a_supervisor_sees_the_caseloads_of_their_team_only(cast, web_as):
    response = web_as(cast.supervisor).get(reverse("practices:team"))
    clients = {
        row.episode.client.full_name for _, rows in response.context["caseloads"] for row in rows
    }
    assert clients == {"Alex Adult", "Tia Teen"}
    other = web_as(cast.other_supervisor).get(reverse("practices:team"))
    assert {
        row.episode.client.full_name for _, rows in other.context["caseloads"] for row in rows
    } == {"Olive Other"}


def test_a_guardian_who_may_not_see_the_schedule_is_told_so(cast, web_as):
    cast.guardian_link.may_see_schedule = False
    cast.guardian_link.save()
    response = web_as(cast.guardian).get(reverse("portal:home"))
    assert "The schedule is not shared with you." in response.text


def test_adding_a_new_guardian_invites_them_by_email_and_links_them(cast, web_as):
    from django.core import mail

    from rapport.accounts.models import User
    from rapport.people.models import GuardianLink

    response = web_as(cast.clinician).post(
        reverse("people:guardian_new", args=[cast.adolescent_client.pk]),
        {
            "submission_key": uuid4(),
            "full_name": "Dana Teen",
            "email": "Dana@Example.com",
            "relationship": "father",
            "consent_to_treatment": "on",
        },
    )
    assert response.status_code == 302
    dana = User.objects.get(email="dana@example.com")
    assert dana.role == "guardian" and not dana.has_usable_password()
    link = GuardianLink.objects.get(client=cast.adolescent_client, guardian=dana)
    assert link.consent_to_treatment and not link.may_see_client_free_text
    assert mail.outbox[0].to == ["dana@example.com"] and "password-reset" in mail.outbox[0].body


def test_guardians_are_only_linked_to_clients_under_eighteen(cast, web_as):
    response = web_as(cast.clinician).post(
        reverse("people:guardian_new", args=[cast.adult_client.pk]),
        {
            "submission_key": uuid4(),
            "full_name": "Pat Parent",
            "email": "pat@example.com",
            "relationship": "mother",
        },
    )
    assert response.status_code == 200
    assert "under 18" in response.text


def test_a_staff_email_cannot_be_reused_for_a_guardian(cast, web_as):
    response = web_as(cast.clinician).post(
        reverse("people:guardian_new", args=[cast.adolescent_client.pk]),
        {
            "submission_key": uuid4(),
            "full_name": "X",
            "email": cast.outsider_clinician.email,
            "relationship": "mother",
        },
    )
    assert response.status_code == 200
    assert "cannot be used" in response.text
    cast.outsider_clinician.refresh_from_db()
    assert cast.outsider_clinician.role == "clinician"


def test_a_client_is_invited_to_the_portal_with_the_email_on_their_record(cast, web_as):
    from django.core import mail

    cast.other_client.email = "olive@example.com"
    cast.other_client.save()
    web = web_as(cast.outsider_clinician)
    response = web.post(reverse("people:portal_invite", args=[cast.other_client.pk]))
    assert response.status_code == 302
    cast.other_client.refresh_from_db()
    assert cast.other_client.user.email == "olive@example.com"
    assert cast.other_client.user.role == "client"
    assert mail.outbox[0].to == ["olive@example.com"]
    again = web.post(reverse("people:portal_invite", args=[cast.other_client.pk]), follow=True)
    assert "already has a portal login" in again.text
    assert len(mail.outbox) == 1


def test_an_existing_parent_is_linked_to_a_sibling_only_when_the_name_matches(cast, web_as):
    from rapport.people.models import GuardianLink

    sibling = Client.objects.create(
        practice=cast.practice, full_name="Theo Teen", date_of_birth=date(2015, 5, 5)
    )
    Episode.objects.create(
        practice=cast.practice,
        client=sibling,
        primary_clinician=cast.clinician,
        start_date=timezone.localdate(),
    )
    url = reverse("people:guardian_new", args=[sibling.pk])
    web = web_as(cast.clinician)
    wrong = web.post(
        url,
        {
            "submission_key": uuid4(),
            "full_name": "Someone Else",
            "email": cast.guardian.email,
            "relationship": "mother",
        },
    )
    assert "different name" in wrong.text
    assert not GuardianLink.objects.filter(client=sibling).exists()
    right = web.post(
        url,
        {
            "submission_key": uuid4(),
            "full_name": cast.guardian.full_name,
            "email": cast.guardian.email,
            "relationship": "mother",
        },
    )
    assert right.status_code == 302
    assert GuardianLink.objects.filter(client=sibling, guardian=cast.guardian).exists()


def test_a_wrong_role_visit_is_refused_and_audited(cast, web_as):
    response = web_as(cast.guardian).get(reverse("people:caseload"))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        actor_id=cast.guardian.pk, outcome="denied", object_type="route"
    ).exists()


def test_a_double_clicked_registration_creates_one_client(cast, web_as):
    web = web_as(cast.clinician)
    payload = client_payload(primary_clinician=cast.clinician.pk)
    first = web.post(reverse("people:client_new"), payload)
    second = web.post(reverse("people:client_new"), payload, follow=True)
    assert Client.objects.filter(full_name="Noor Newcomer").count() == 1
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "already saved" in second.text


def test_a_failed_submission_can_be_corrected_and_sent_again_with_the_same_key(cast, web_as):
    web = web_as(cast.clinician)
    payload = client_payload(primary_clinician=cast.clinician.pk, date_of_birth="2999-01-01")
    assert web.post(reverse("people:client_new"), payload).status_code == 200
    payload["date_of_birth"] = "1990-04-02"
    assert web.post(reverse("people:client_new"), payload).status_code == 302
    assert Client.objects.filter(full_name="Noor Newcomer").count() == 1


def test_another_user_cannot_replay_someone_elses_submission_key(cast, web_as):
    payload = client_payload(primary_clinician=cast.clinician.pk)
    web_as(cast.clinician).post(reverse("people:client_new"), payload)
    replay = web_as(cast.co_clinician).post(reverse("people:client_new"), payload)
    assert replay.status_code == 403
