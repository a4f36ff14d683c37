"""The fixed cast of people every web test uses.

Practice "Northside": team A (supervised by `supervisor`) holds `clinician` and `co_clinician`;
team B (supervised by `other_supervisor`) holds `outsider_clinician`.
- `adult_client` (with a portal login) is in the care of `clinician`, with `co_clinician` on the
  episode as a team member;
- `adolescent_client` (15, portal login) is in the care of `clinician`; `guardian` is their parent;
- `other_client` is in the care of `outsider_clinician` — "another object" for everyone in team A;
- `foreign_client` belongs to a different practice altogether.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as WebClient
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

from rapport.accounts.models import Role, User
from rapport.care.models import Episode, Modality, Session
from rapport.measures.services import measure_plan_set
from rapport.people.models import Client, GuardianLink
from rapport.practices.models import Practice, Team

PASSWORD = "correct-horse-battery-staple"

# No test may depend on wall-clock speed: on a busy machine a generated example can take longer
# than hypothesis's default 200 ms deadline without anything being wrong.
hypothesis_settings.register_profile("rapport", deadline=None)
hypothesis_settings.load_profile("rapport")


@dataclass
class Cast:
    practice: Practice
    other_practice: Practice
    team_a: Team
    team_b: Team
    admin: User
    supervisor: User
    other_supervisor: User
    clinician: User
    co_clinician: User
    outsider_clinician: User
    adult_client_user: User
    adolescent_client_user: User
    guardian: User
    foreign_clinician: User
    adult_client: Client
    adolescent_client: Client
    other_client: Client
    foreign_client: Client
    adult_episode: Episode
    adolescent_episode: Episode
    other_episode: Episode
    foreign_episode: Episode
    adult_session: Session
    other_session: Session
    foreign_session: Session
    guardian_link: GuardianLink
    other_guardian_link: GuardianLink

    def person(self, role_name: str) -> User | None:
        """The cast member for a role name used in the authorization matrix."""
        return {
            "admin": self.admin,
            "supervisor": self.supervisor,
            "other_supervisor": self.other_supervisor,
            "clinician": self.clinician,
            "co_clinician": self.co_clinician,
            "outsider_clinician": self.outsider_clinician,
            "adult_client": self.adult_client_user,
            "adolescent_client": self.adolescent_client_user,
            "guardian": self.guardian,
            "anonymous": None,
        }[role_name]


def make_user(practice: Practice | None, email: str, role: str, **extra: Any) -> User:
    return User.objects.create_user(
        email,
        PASSWORD,
        full_name=email.split("@")[0].replace(".", " ").title(),
        practice=practice,
        role=role,
        **extra,
    )


def years_ago(years: int, days: int = 30) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def make_episode(practice: Practice, client: Client, clinician: User) -> Episode:
    return Episode.objects.create(
        practice=practice,
        client=client,
        primary_clinician=clinician,
        start_date=timezone.localdate() - timedelta(weeks=8),
    )


def make_session(episode: Episode, *, days_from_now: int, held: bool = False) -> Session:
    """A video session; `held` records it as attended (feedback about it may then be given)."""
    return Session.objects.create(
        episode=episode,
        clinician=episode.primary_clinician,
        modality=Modality.VIDEO,
        scheduled_start=timezone.now() + timedelta(days=days_from_now),
        attendance="attended" if held else "scheduled",
    )


def phq9_before_video(cast: Cast, start: datetime) -> Session:
    """The adult client's PHQ-9 every session (their email on record), and a video session of
    theirs starting at `start`: what the link-sending worker's tests start from."""
    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save()
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    session = make_session(cast.adult_episode, days_from_now=0)
    session.scheduled_start = start
    session.modality = Modality.VIDEO
    session.save()
    return session


@pytest.fixture
def cast(request: pytest.FixtureRequest, db: None) -> Cast:
    shared = _SHARED.cast_for(request.node)
    return copy.deepcopy(shared) if shared is not None else build_cast()


# The cast is built by about 1,300 tests and costs ~130 queries each time. A module's ordinary
# tests share one build instead: it is made in a transaction opened before the first of them,
# each test runs in a savepoint inside it (as the `db` fixture does anyway) and gets its own deep
# copy of the objects, so what a test writes or changes in memory is still undone when it ends.
# Anything that needs the database in another state closes the shared transaction first: a test
# that does not use the cast (it must not see the cast's rows), a transactional or live-server
# test (it needs committed data), a test with its own django_db mark or with module data of its
# own (`built_once`), or the next module (so that the cast's dates are never older than one
# module's run). A test that ends the transaction itself (a command closing every connection)
# is noticed before the next one, which then builds the cast afresh.
_TRANSACTIONAL = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}
_BROWSER = {"browser", "page", "playwright"}


def _shares_the_cast(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if "cast" not in names or names & _TRANSACTIONAL or item.get_closest_marker("django_db"):
        return False
    # After a test drove a browser, Django was found using another connection than the one
    # holding the shared transaction (which then kept SQLite locked for every later test).
    if names & _BROWSER or item.get_closest_marker("browser"):
        return False
    definitions = item._fixtureinfo.name2fixturedefs  # type: ignore[attr-defined]
    # A module may have a cast of its own (the authorization matrix's): that one is not shared.
    if getattr(definitions["cast"][-1].func, "__module__", None) != build_cast.__module__:
        return False
    for name in names:
        if name.startswith(("django_", "_django")):
            continue
        for fixturedef in definitions.get(name, ()):
            if fixturedef.scope != "function" and "django_db_blocker" in fixturedef.argnames:
                return False
    return True


class _SharedCast:
    def __init__(self) -> None:
        self.module: str | None = None
        self.cast: Cast | None = None
        self._atomic: Any = None
        self._blocker: Any = None
        self._connection: Any = None

    def cast_for(self, item: pytest.Item) -> Cast | None:
        if self.cast is not None and self.module == item.module.__name__ and self.intact():
            return self.cast
        return None

    def intact(self) -> bool:
        """The shared transaction is the connection's outermost and only open block (between
        tests), on the connection it was opened on."""
        from django.db import connection, connections

        return (
            self._atomic is not None
            and connections["default"] is self._connection
            and not connection.closed_in_transaction
            and connection.in_atomic_block
            and connection.atomic_blocks[:1] == [self._atomic]
        )

    def open(self, item: pytest.Item, blocker: Any) -> None:
        from django.db import connection, connections, transaction

        with blocker.unblock():
            if connection.in_atomic_block:  # something else holds a transaction: build per test
                return
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                cast = build_cast()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        self.module, self.cast, self._atomic, self._blocker = (
            item.module.__name__,
            cast,
            atomic,
            blocker,
        )
        self._connection = connections["default"]

    def close(self) -> None:
        if self._atomic is None:
            return
        from django.db import connection, connections, transaction

        atomic, blocker, opened_on = self._atomic, self._blocker, self._connection
        whole = self.intact() and len(connection.atomic_blocks) == 1
        self.module = self.cast = self._atomic = self._blocker = self._connection = None
        with blocker.unblock():
            if whole:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
            elif connections["default"] is not opened_on:
                # Left behind on a connection the thread no longer uses: closing it rolls the
                # transaction back and frees the database (SQLite locks it for writing).
                opened_on.close()
            elif connection.atomic_blocks[:1] == [atomic] and connection.closed_in_transaction:
                # Its connection was closed under it: the database rolled it back; forget it.
                while connection.atomic_blocks:
                    connection.atomic_blocks[-1].__exit__(None, None, None)
            # Otherwise it is gone already (its connection was closed and opened anew).


_SHARED = _SharedCast()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not _shares_the_cast(item) or _SHARED.module != item.module.__name__ or not _SHARED.intact():
        _SHARED.close()


@pytest.fixture(scope="session")
def _shared_cast_closed_before_the_database_goes(django_db_setup: None) -> Iterator[None]:
    # Set up after the test database, so torn down (at the very end) before it is dropped.
    yield
    _SHARED.close()


@pytest.fixture(autouse=True)
def _the_cast_shared_by_a_modules_tests(request: pytest.FixtureRequest) -> None:
    # Autouse fixtures are set up before the `db` fixture's transaction, so this one can open
    # the transaction that the test's own becomes a savepoint of.
    if _SHARED.cast_for(request.node) is None and _shares_the_cast(request.node):
        request.getfixturevalue("_shared_cast_closed_before_the_database_goes")
        _SHARED.close()
        _SHARED.open(request.node, request.getfixturevalue("django_db_blocker"))


@pytest.fixture(autouse=True)
def _shared_data_checked_once(request: pytest.FixtureRequest) -> None:
    """On PostgreSQL, check the deferred foreign keys of data shared by a module's tests (a
    module fixture's, the shared cast) once, before the first test's savepoint.

    Django checks them at the end of every test, before rolling the test's savepoint back: that
    fires every check still queued in the transaction, the shared data's too, and the rollback
    queues them again. Each test of a module on the demo practice paid most of a second for it.
    """
    # Set up after the autouse fixture that opens the shared cast's transaction (defined above),
    # and after every module fixture (a wider scope comes first); before the test's own `db`.
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    outermost = connection.atomic_blocks[0]
    if _CHECKED.get("outermost") is outermost:
        return
    with request.getfixturevalue("django_db_blocker").unblock():
        connection.check_constraints()
    _CHECKED["outermost"] = outermost


_CHECKED: dict[str, Any] = {}


def build_cast() -> Cast:
    # No quiet hours: the worker's tests must not depend on the hour the suite runs at (the
    # quiet hours have their own tests, tests/test_reminders.py, at fixed times).
    quiet = {"quiet_from_hour": 0, "quiet_until_hour": 0}
    practice = Practice.objects.create(name="Northside Therapy", time_zone="Europe/London", **quiet)
    other_practice = Practice.objects.create(
        name="Elsewhere Clinic", time_zone="America/New_York", **quiet
    )
    team_a = Team.objects.create(practice=practice, name="Team A")
    team_b = Team.objects.create(practice=practice, name="Team B")
    supervisor = make_user(practice, "supervisor@northside.test", Role.SUPERVISOR)
    other_supervisor = make_user(practice, "other.supervisor@northside.test", Role.SUPERVISOR)
    team_a.supervisor, team_b.supervisor = supervisor, other_supervisor
    team_a.save()
    team_b.save()
    clinician = make_user(practice, "clinician@northside.test", Role.CLINICIAN, team=team_a)
    co_clinician = make_user(practice, "co.clinician@northside.test", Role.CLINICIAN, team=team_a)
    outsider = make_user(practice, "outsider@northside.test", Role.CLINICIAN, team=team_b)
    admin = make_user(practice, "admin@northside.test", Role.ADMIN)
    adult_user = make_user(practice, "adult.client@example.com", Role.CLIENT)
    teen_user = make_user(practice, "teen.client@example.com", Role.CLIENT)
    guardian = make_user(practice, "parent@example.com", Role.GUARDIAN)
    foreign_clinician = make_user(other_practice, "clinician@elsewhere.test", Role.CLINICIAN)

    adult = Client.objects.create(
        practice=practice,
        user=adult_user,
        full_name="Alex Adult",
        date_of_birth=years_ago(34),
        pronouns="they/them",
    )
    teen = Client.objects.create(
        practice=practice,
        user=teen_user,
        full_name="Tia Teen",
        preferred_name="Ti",
        date_of_birth=years_ago(15),
    )
    other = Client.objects.create(
        practice=practice, full_name="Olive Other", date_of_birth=years_ago(41)
    )
    foreign = Client.objects.create(
        practice=other_practice, full_name="Fay Foreign", date_of_birth=years_ago(29)
    )
    adult_episode = make_episode(practice, adult, clinician)
    adult_episode.team_members.add(co_clinician)
    teen_episode = make_episode(practice, teen, clinician)
    other_episode = make_episode(practice, other, outsider)
    foreign_episode = make_episode(other_practice, foreign, foreign_clinician)
    link = GuardianLink.objects.create(
        client=teen, guardian=guardian, relationship="mother", consent_to_treatment=True
    )
    other_guardian = make_user(practice, "other.parent@example.com", Role.GUARDIAN)
    other_link = GuardianLink.objects.create(
        client=other, guardian=other_guardian, relationship="father"
    )
    return Cast(
        practice=practice,
        other_practice=other_practice,
        team_a=team_a,
        team_b=team_b,
        admin=admin,
        supervisor=supervisor,
        other_supervisor=other_supervisor,
        clinician=clinician,
        co_clinician=co_clinician,
        outsider_clinician=outsider,
        adult_client_user=adult_user,
        adolescent_client_user=teen_user,
        guardian=guardian,
        foreign_clinician=foreign_clinician,
        adult_client=adult,
        adolescent_client=teen,
        other_client=other,
        foreign_client=foreign,
        adult_episode=adult_episode,
        adolescent_episode=teen_episode,
        other_episode=other_episode,
        foreign_episode=foreign_episode,
        adult_session=make_session(adult_episode, days_from_now=-2, held=True),
        other_session=make_session(other_episode, days_from_now=-2, held=True),
        foreign_session=make_session(foreign_episode, days_from_now=-2, held=True),
        guardian_link=link,
        other_guardian_link=other_link,
    )


def signed_in(user: User | None) -> WebClient:
    """A browser-like test client signed in as `user` (or anonymous for None)."""
    web = WebClient()
    if user is not None:
        web.force_login(user)
    return web


@pytest.fixture
def web_as():
    return signed_in


def assignment_for(assignments, family: str, respondent: str = "client"):  # type: ignore[no-untyped-def]
    """The one assignment of a measure family for a respondent, among a session's assignments
    (session feedback is planned for every session, so sessions carry more than one)."""
    [found] = [a for a in assignments if a.plan.family == family and a.respondent == respondent]
    return found


@pytest.fixture(scope="session", autouse=True)
def _demo_recordings_shared_by_the_workers(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Each worker's temporary folder is in the run's own (tests/demo_snapshot.py).
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from tests.demo_snapshot import share_recordings_in

        share_recordings_in(tmp_path_factory.getbasetemp().parent / "demo-recordings")


@pytest.fixture(scope="session")
def _checkpoint_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh, not yet made folder name for each test (the audit creates it when it writes)."""
    base = tmp_path_factory.mktemp("audit-checkpoints")
    return (base / str(number) for number in itertools.count())


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_a_temporary_directory(
    settings: Any, _checkpoint_folders: Iterator[Path]
) -> None:
    # Checkpoints are files outside the database: each test gets its own directory. Not
    # `tmp_path`: making it scans every earlier test's folder, so over a worker's thousands of
    # tests its cost grew with the square of their number (seconds per module by the end).
    settings.RAPPORT_AUDIT_CHECKPOINT_DIR = next(_checkpoint_folders)


def built_once[T](django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """For a module-scoped fixture: data built once for all the module's tests (the demo practice
    takes seconds), in a transaction rolled back after the last of them. Each test's own `db`
    transaction is a savepoint inside it, so what one test writes is still undone at its end.
    Every later test in the module sees the data, so tests that need an empty database go in
    another module."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
