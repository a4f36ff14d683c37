import re
from uuid import uuid4

from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse

from rapport.accounts.models import User


def test_an_admin_invites_a_clinician_who_sets_a_password_from_the_email(cast, web_as):
    response = web_as(cast.admin).post(
        reverse("practices:user_new"),
        {
            "submission_key": uuid4(),
            "full_name": "Robin Newhire",
            "email": "Robin@Northside.test",
            "role": "clinician",
            "team": cast.team_a.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="robin@northside.test")
    assert user.practice == cast.practice and user.team == cast.team_a
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["robin@northside.test"]
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/\S+)", mail.outbox[0].body).group(
        1
    )
    web = WebClient()
    form_page = web.get(link, follow=True)
    assert form_page.context["validlink"]
    done = web.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a-much-longer-passphrase-42",
            "new_password2": "a-much-longer-passphrase-42",
        },
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-longer-passphrase-42")


def test_an_email_already_in_use_is_a_form_error(cast, web_as):
    response = web_as(cast.admin).post(
        reverse("practices:user_new"),
        {
            "submission_key": uuid4(),
            "full_name": "Dup",
            "email": cast.clinician.email,
            "role": "clinician",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not mail.outbox


def test_an_admin_cannot_remove_their_own_admin_role(cast, web_as):
    response = web_as(cast.admin).post(
        reverse("practices:user_edit", args=[cast.admin.pk]),
        {
            "full_name": cast.admin.full_name,
            "email": cast.admin.email,
            "role": "clinician",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    cast.admin.refresh_from_db()
    assert cast.admin.role == "admin"


def test_an_admin_cannot_open_an_account_of_another_practice(cast, web_as):
    response = web_as(cast.admin).get(
        reverse("practices:user_edit", args=[cast.foreign_clinician.pk])
    )
    assert response.status_code == 404


def test_an_admin_changes_the_practice_time_zone(cast, web_as):
    response = web_as(cast.admin).post(
        reverse("practices:settings"),
        {
            "name": "Northside Therapy",
            "time_zone": "Europe/Dublin",
            "link_lead_hours": 48,
            "link_reminder_hours": 3,
            "link_valid_hours": 72,
            "link_reminders": 1,
            "link_reminder_every_hours": 24,
            "quiet_from_hour": 21,
            "quiet_until_hour": 8,
            "urgent_escalation_minutes": 60,
        },
    )
    assert response.status_code == 302
    cast.practice.refresh_from_db()
    assert cast.practice.time_zone == "Europe/Dublin"
    assert cast.practice.link_lead_hours == 48


def test_an_unknown_time_zone_is_rejected(cast, web_as):
    response = web_as(cast.admin).post(
        reverse("practices:settings"), {"name": "N", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 200 and "time_zone" in response.context["form"].errors


def test_an_admin_creates_a_team_with_a_supervisor(cast, web_as):
    response = web_as(cast.admin).post(
        reverse("practices:team_new"),
        {
            "name": "Young People",
            "supervisor": cast.supervisor.pk,
        },
    )
    assert response.status_code == 302
    assert cast.practice.teams.filter(name="Young People", supervisor=cast.supervisor).exists()
