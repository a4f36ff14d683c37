"""A new client starts with the practice's measures for their age; Manage → Default measures."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from django.urls import reverse
from django.utils import timezone

from rapport.measures.defaults import DefaultEntry
from rapport.measures.models import DefaultMeasurePlan, MeasurePlan
from rapport.measures.services import default_measures_save
from rapport.people.models import Client


def years_old(years: int) -> str:
    today = timezone.localdate()
    return (
        date(today.year - years, 1, 1).isoformat()
        if today.month > 1
        else date(today.year - years - 1, 1, 1).isoformat()
    )


def register(web, *, name: str, born: str, clinician) -> Client:  # type: ignore[no-untyped-def]
    response = web.post(
        reverse("people:client_new"),
        {
            "submission_key": uuid4(),
            "full_name": name,
            "date_of_birth": born,
            "preferred_language": "English",
            "primary_clinician": clinician.pk,
            "start_date": timezone.localdate().isoformat(),
            "referral_reason": "Worries",
        },
    )
    assert response.status_code == 302, response.content[:400]
    return Client.objects.get(full_name=name)


def plans_of(client: Client) -> set[tuple[str, str, str, int]]:
    return set(
        MeasurePlan.objects.filter(episode__client=client, is_active=True).values_list(
            "family", "respondent", "schedule", "every_n"
        )
    )


def test_a_new_adult_starts_with_the_adult_measures(cast, web_as):
    client = register(
        web_as(cast.clinician), name="Ana Adult", born=years_old(30), clinician=cast.clinician
    )
    assert plans_of(client) == {
        ("phq9", "client", "every_session", 1),
        ("gad7", "client", "every_session", 1),
        ("feedback", "client", "every_session", 1),
        ("feedback", "therapist", "every_session", 1),
    }


def test_a_new_child_starts_with_child_and_parent_measures(cast, web_as):
    client = register(
        web_as(cast.clinician), name="Cai Child", born=years_old(9), clinician=cast.clinician
    )
    plans = plans_of(client)
    assert ("checkin", "client", "every_session", 1) in plans
    assert ("checkin", "guardian", "every_session", 1) in plans
    assert ("feedback", "guardian", "every_session", 1) in plans
    assert not {family for family, *_ in plans} & {"phq9", "gad7"}


def test_the_practice_changes_the_defaults_and_the_next_client_gets_them(cast, web_as):
    admin = web_as(cast.admin)
    page = admin.get(reverse("measures:default_measures"))
    assert page.status_code == 200
    assert "Adolescents (13 to 17)" in page.text
    response = admin.post(
        reverse("measures:default_measures"),
        {
            "adolescent:checkin:client": "every_n_sessions:2",
            "adult:gad7:client": "intake_discharge",
        },
    )
    assert response.status_code == 302
    teen = register(
        web_as(cast.clinician), name="Tomasz Teen", born=years_old(15), clinician=cast.clinician
    )
    assert plans_of(teen) == {("checkin", "client", "every_n_sessions", 2)}
    adult = register(
        web_as(cast.clinician), name="Abe Adult", born=years_old(40), clinician=cast.clinician
    )
    assert plans_of(adult) == {("gad7", "client", "intake_discharge", 1)}
    stored = DefaultMeasurePlan.objects.get(practice=cast.practice, age_band="child")
    assert stored.measures == []


def test_opening_the_settings_page_stores_nothing(cast, web_as):
    web_as(cast.admin).get(reverse("measures:default_measures"))
    assert not DefaultMeasurePlan.objects.exists()


def test_an_unknown_schedule_is_a_form_error_and_nothing_is_saved(cast, web_as):
    response = web_as(cast.admin).post(
        reverse("measures:default_measures"), {"adult:phq9:client": "every_n_sessions:999"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not DefaultMeasurePlan.objects.exists()


def test_a_default_with_no_version_for_the_age_is_left_out_rather_than_refusing_intake(
    cast, web_as
):
    default_measures_save(
        actor=cast.admin,
        by_band={"child": [DefaultEntry("phq9", "client", "every_session")]},
    )
    client = register(
        web_as(cast.clinician), name="Kim Kid", born=years_old(8), clinician=cast.clinician
    )
    assert plans_of(client) == set()


def test_only_an_admin_sets_the_defaults(cast, web_as):
    response = web_as(cast.clinician).post(
        reverse("measures:default_measures"), {"adult:phq9:client": ""}
    )
    assert response.status_code == 403
    assert not DefaultMeasurePlan.objects.exists()
