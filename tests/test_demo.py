from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max, Min
from django.test import RequestFactory
from pytest_django import Settings

from rapport.accounts.models import STAFF_ROLES, Role, User
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, Episode, EpisodeStatus, EpisodeTransfer, Session
from rapport.core.ages import AgeBand, age_band
from rapport.people.models import Client, GuardianLink
from rapport.practices.demo import DEMO_PASSWORD, DemoSummary, build_demo_practice, plan_demo
from rapport.practices.models import Practice

# A fixed day keeps every count and date here independent of when the tests run.
TODAY = dt.date(2026, 3, 18)


@pytest.fixture
def demo(db: None) -> DemoSummary:
    return build_demo_practice(today=TODAY)


def _user(local: str) -> User:
    return User.objects.get(email=f"{local}@demo.rapport.test")


def test_demo_creates_forty_clients_with_guardians_for_the_young_ones(demo: DemoSummary) -> None:
    clients = list(Client.objects.filter(practice=demo.practice))
    assert 36 <= len(clients) <= 44
    bands = {c.pk: age_band(c.date_of_birth, TODAY) for c in clients}
    minors = [c for c in clients if bands[c.pk] != AgeBand.ADULT]
    assert 6 <= len(minors) <= 10
    assert {bands[c.pk] for c in minors} == {AgeBand.CHILD, AgeBand.ADOLESCENT}
    for client in minors:
        links = list(GuardianLink.objects.filter(client=client))
        assert 1 <= len(links) <= 2
        assert all(link.consent_to_treatment for link in links)
    adults = [c for c in clients if bands[c.pk] == AgeBand.ADULT]
    assert not GuardianLink.objects.filter(client__in=adults).exists()
    assert all(TODAY.year - 71 <= c.date_of_birth.year <= TODAY.year - 19 for c in adults)

    staff = Counter(
        User.objects.filter(practice=demo.practice, role__in=STAFF_ROLES).values_list(
            "role", flat=True
        )
    )
    assert staff == {Role.ADMIN: 1, Role.SUPERVISOR: 1, Role.CLINICIAN: 3}
    assert demo.practice.teams.get().supervisor == _user("supervisor")
    assert demo.practice.is_demo
    assert Episode.objects.filter(primary_clinician=_user("supervisor")).count() == 2


def test_every_demo_login_signs_in_with_the_published_password(demo: DemoSummary) -> None:
    emails = {login.email for login in demo.logins}
    assert emails == {
        f"{local}@demo.rapport.test"
        for local in (
            "admin",
            "supervisor",
            "clinician",
            "clinician2",
            "clinician3",
            "client",
            "guardian",
        )
    }
    request = RequestFactory().post("/accounts/login/")
    for login in demo.logins:
        assert authenticate(request, username=login.email, password=login.password) is not None
        assert login.password == DEMO_PASSWORD
    # Every other guardian is invited but cannot sign in until they choose a password.
    others = User.objects.filter(role=Role.GUARDIAN).exclude(email__in=emails)
    assert others.exists()
    assert not any(user.has_usable_password() for user in others)


def test_the_guardian_login_sees_a_child_and_an_adolescent_of_the_first_clinician(
    demo: DemoSummary,
) -> None:
    links = GuardianLink.objects.filter(guardian=_user("guardian")).select_related("client")
    by_band = {age_band(link.client.date_of_birth, TODAY): link for link in links}
    assert set(by_band) == {AgeBand.CHILD, AgeBand.ADOLESCENT}
    assert not by_band[AgeBand.ADOLESCENT].may_see_client_answers
    assert not by_band[AgeBand.ADOLESCENT].may_see_client_free_text
    for link in links:
        assert link.client.episodes.get().primary_clinician == _user("clinician")
    portal = Client.objects.get(user=_user("client"))
    assert portal.episodes.get().primary_clinician == _user("clinician")


def test_demo_sessions_span_six_months_with_every_modality_and_attendance(
    demo: DemoSummary,
) -> None:
    sessions = Session.objects.filter(episode__practice=demo.practice)
    span = sessions.aggregate(first=Min("scheduled_start"), last=Max("scheduled_start"))
    assert span["first"].date() <= TODAY - dt.timedelta(weeks=25)
    assert TODAY < span["last"].date() <= TODAY + dt.timedelta(days=14)
    assert set(sessions.values_list("modality", flat=True)) == {
        "in_person",
        "video",
        "phone",
        "text",
    }
    assert set(sessions.values_list("attendance", flat=True)) == set(Attendance.values)
    # Only the future is still to be recorded.
    cutoff = dt.datetime.combine(TODAY, dt.time(), tzinfo=demo.practice.zone)
    assert not sessions.filter(scheduled_start__lt=cutoff, attendance=Attendance.SCHEDULED).exists()
    assert (
        not sessions.filter(scheduled_start__gte=cutoff)
        .exclude(attendance=Attendance.SCHEDULED)
        .exists()
    )
    # Clinicians are never double-booked.
    starts = list(sessions.values_list("clinician_id", "scheduled_start"))
    assert len(starts) == len(set(starts))
    assert sessions.exclude(private_notes="").exists()


def test_demo_episodes_include_closures_pauses_and_a_transfer(demo: DemoSummary) -> None:
    episodes = Episode.objects.filter(practice=demo.practice)
    statuses = Counter(episodes.values_list("status", flat=True))
    assert statuses[EpisodeStatus.CLOSED] == 3 and statuses[EpisodeStatus.ON_HOLD] == 2
    for episode in episodes.filter(status=EpisodeStatus.CLOSED):
        assert episode.end_date < TODAY and episode.closure_note
        assert not episode.sessions.filter(scheduled_start__date__gt=episode.end_date).exists()
    transfer = EpisodeTransfer.objects.get(episode__practice=demo.practice)
    assert (transfer.from_clinician, transfer.to_clinician) == (
        _user("clinician3"),
        _user("clinician2"),
    )
    assert transfer.episode.primary_clinician == _user("clinician2")
    assert {s.clinician for s in transfer.episode.sessions.all()} == {
        _user("clinician3"),
        _user("clinician2"),
    }
    assert episodes.filter(team_members__isnull=False).count() == 4
    assert AuditEvent.objects.filter(action="demo_created").count() == 1


def test_demo_is_deterministic_for_a_seed(demo: DemoSummary) -> None:
    names = set(Client.objects.filter(practice=demo.practice).values_list("full_name", flat=True))
    assert names == {spec.full_name for spec in plan_demo(seed=7, today=TODAY)}
    assert plan_demo(seed=7, today=TODAY) == plan_demo(seed=7, today=TODAY)
    assert plan_demo(seed=8, today=TODAY) != plan_demo(seed=7, today=TODAY)


@pytest.mark.django_db
def test_demo_command_prints_the_logins_and_refuses_a_second_load(
    settings: Settings,
) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo", stdout=out)
    assert "clinician@demo.rapport.test" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert "guardian." not in out.getvalue()  # guardians without a password are not listed
    with pytest.raises(CommandError, match="already loaded"):
        call_command("demo", stdout=StringIO())


@pytest.mark.django_db
def test_demo_refuses_under_production_settings(settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("demo", stdout=StringIO())
    assert not Practice.objects.exists()


@pytest.mark.django_db
def test_demo_if_empty_leaves_an_existing_database_alone(settings: Settings) -> None:
    settings.DEBUG = True
    Practice.objects.create(name="Real Practice")
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "Database already has data; demo not loaded." in out.getvalue()
    assert list(Practice.objects.values_list("name", flat=True)) == ["Real Practice"]


@pytest.mark.django_db
def test_demo_if_empty_loads_into_an_empty_database(settings: Settings) -> None:
    settings.DEBUG = True
    call_command("demo", "--if-empty", "--seed", "3", stdout=StringIO())
    assert Practice.objects.get().is_demo


@pytest.mark.django_db
def test_demo_if_empty_prints_the_logins_again_for_an_existing_demo(settings: Settings) -> None:
    settings.DEBUG = True
    call_command("demo", "--if-empty", stdout=StringIO())
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "demo not loaded" in out.getvalue()
    assert "clinician@demo.rapport.test" in out.getvalue()
    assert "rapport-demo-2026" in out.getvalue()
    assert Practice.objects.count() == 1
