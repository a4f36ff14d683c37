"""access.load and its helpers: one loader for every object of a client's record.

Each model says in its own app whose record it belongs to (`client_path`); load decides under
record_access, audits, and returns the model's own type.
"""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import rapport
from rapport import access
from rapport.alerts.models import Alert
from rapport.alliance.models import Rupture
from rapport.audit.context_processors import emergency_access
from rapport.audit.models import AuditEvent, BreakGlassGrant
from rapport.care.models import Episode, Session
from rapport.exposure.models import Ladder, Step
from rapport.measures.models import Assignment, MeasurePlan, Response
from rapport.measures.services import session_assignments_ensure
from rapport.people.models import Client, GuardianLink
from rapport.plans.models import PlanGoal, PlanVersion, Problem
from rapport.practices.models import Practice
from tests.conftest import Cast, assignment_for

PACKAGE = Path(rapport.__file__).parent


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()  # type: ignore[return-value]


def grant_break_glass(cast: Cast, client: Client) -> None:
    now = timezone.now()
    BreakGlassGrant.objects.create(
        user=cast.admin,
        client=client,
        reason="Complaint review by the practice",
        granted_at=now,
        expires_at=now + timedelta(minutes=60),
    )


# --- load -----------------------------------------------------------------------------------------


def test_a_clinician_in_care_loads_the_object_and_the_read_is_audited(cast: Cast) -> None:
    session = access.load(cast.clinician, Session, cast.adult_session.pk)

    assert isinstance(session, Session)
    assert session.pk == cast.adult_session.pk
    event = last_event()
    assert (event.action, event.outcome, event.object_type, event.object_id) == (
        "read",
        "ok",
        "care.session",
        str(session.pk),
    )
    assert event.client_id == cast.adult_client.pk
    assert event.detail == {}


def test_a_load_for_writing_is_audited_as_a_write_unless_the_caller_names_the_action(
    cast: Cast,
) -> None:
    access.load(cast.clinician, Episode, cast.adult_episode.pk, write=True)
    assert last_event().action == "write"

    access.load(cast.clinician, Episode, cast.adult_episode.pk, write=True, action="read")
    assert last_event().action == "read"


def test_the_loaded_object_comes_with_the_relations_its_model_declares(cast: Cast) -> None:
    session = access.load(cast.clinician, Session, cast.adult_session.pk)

    with CaptureQueriesContext(connection) as queries:
        names = (session.episode.client.full_name, session.clinician.email)

    assert names == ("Alex Adult", "clinician@northside.test")
    assert len(queries) == 0


def test_an_object_outside_the_users_care_is_not_found_and_the_attempt_audited(
    cast: Cast,
) -> None:
    with pytest.raises(Http404):
        access.load(cast.outsider_clinician, Episode, cast.adult_episode.pk)

    event = last_event()
    assert (event.action, event.outcome, event.object_type, event.object_id) == (
        "read",
        "denied",
        "care.episode",
        str(cast.adult_episode.pk),
    )


def test_an_object_of_another_practice_is_not_found_even_for_its_practices_role(
    cast: Cast,
) -> None:
    with pytest.raises(Http404):
        access.load(cast.clinician, Client, cast.foreign_client.pk)
    with pytest.raises(Http404):
        access.load(cast.clinician, Session, 10**9)  # no such session: the same answer


def test_a_portal_user_loads_no_staff_object(cast: Cast) -> None:
    with pytest.raises(Http404):
        access.load(cast.adult_client_user, Client, cast.adult_client.pk)


def test_a_break_glass_reader_loads_to_read_and_the_read_says_it_was_break_glass(
    cast: Cast,
) -> None:
    grant_break_glass(cast, cast.adult_client)

    client = access.load(cast.admin, Client, cast.adult_client.pk)

    assert client.pk == cast.adult_client.pk
    assert last_event().detail == {"access": "break_glass"}


def test_a_break_glass_reader_asking_to_write_is_forbidden_and_the_attempt_audited(
    cast: Cast,
) -> None:
    grant_break_glass(cast, cast.adult_client)

    with pytest.raises(PermissionDenied):
        access.load(cast.admin, Session, cast.adult_session.pk, write=True)

    event = last_event()
    assert (event.action, event.outcome, event.object_type, event.client_id) == (
        "write",
        "denied",
        "care.session",
        cast.adult_client.pk,
    )


def test_a_model_that_declares_no_path_to_its_client_cannot_be_loaded(cast: Cast) -> None:
    events = AuditEvent.objects.count()

    with pytest.raises(TypeError, match="Practice declares no client_path"):
        access.load(cast.admin, Practice, cast.practice.pk)

    assert AuditEvent.objects.count() == events


def test_the_audit_trail_names_each_model_as_app_label_and_model_name() -> None:
    named = {
        model: access.object_type_of(model)
        for model in (Client, GuardianLink, Episode, Session, Assignment, Response, MeasurePlan)
        + (Alert, Rupture, Ladder, Step, Problem, PlanVersion, PlanGoal)
    }

    assert list(named.values()) == [
        "people.client",
        "people.guardianlink",
        "care.episode",
        "care.session",
        "measures.assignment",
        "measures.response",
        "measures.measureplan",
        "alerts.alert",
        "alliance.rupture",
        "exposure.ladder",
        "exposure.step",
        "plans.problem",
        "plans.planversion",
        "plans.plangoal",
    ]


def models_passed_to_load() -> set[str]:
    """The class names given as the model of every `access.load(...)` in the project."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            call = node if isinstance(node, ast.Call) else None
            if call is None or not isinstance(call.func, ast.Attribute):
                continue
            target = call.func
            if target.attr == "load" and getattr(target.value, "id", "") == "access":
                model = call.args[1]
                assert isinstance(model, ast.Name), f"{path}: load's model is not a class name"
                names.add(model.id)
    return names


def test_every_model_passed_to_load_declares_its_path_to_the_client() -> None:
    names = models_passed_to_load()
    by_name = {model.__name__: model for model in apps.get_models()}

    assert len(names) >= 14
    assert names <= set(by_name)
    for name in names:
        path = access.client_path_of(by_name[name])
        assert path == "pk" or path.split("__")[-1] == "client"


# --- can_write, fresh ---------------------------------------------------------------------------


def test_can_write_follows_the_record_of_an_object_or_a_client_id(cast: Cast) -> None:
    session = access.load(cast.clinician, Session, cast.adult_session.pk)
    client_id = cast.adolescent_client.pk

    assert access.can_write(cast.clinician, session)
    assert access.can_write(cast.clinician, client_id)
    assert not access.can_write(cast.outsider_clinician, session)
    assert not access.can_write(cast.clinician, None)


def test_a_break_glass_reader_can_not_write(cast: Cast) -> None:
    grant_break_glass(cast, cast.adult_client)
    client = access.load(cast.admin, Client, cast.adult_client.pk)

    assert not access.can_write(cast.admin, client)


def test_the_client_of_a_loaded_object_is_found_without_a_query(cast: Cast) -> None:
    session = access.load(cast.clinician, Session, cast.adult_session.pk)
    link = access.load(cast.clinician, GuardianLink, cast.guardian_link.pk)
    client = access.load(cast.clinician, Client, cast.adult_client.pk)

    with CaptureQueriesContext(connection) as queries:
        found = [access.client_id_of(obj) for obj in (session, link, client)]

    assert found == [cast.adult_client.pk, cast.adolescent_client.pk, cast.adult_client.pk]
    assert len(queries) == 0


def test_fresh_is_the_stored_object_again_and_is_not_audited_again(cast: Cast) -> None:
    client = access.load(cast.clinician, Client, cast.adult_client.pk, write=True)
    client.full_name = "Typed into a form that failed"
    events = AuditEvent.objects.count()

    copy = access.fresh(client)

    assert copy is not client
    assert (copy.pk, copy.full_name) == (client.pk, "Alex Adult")
    assert AuditEvent.objects.count() == events


# --- audit_list ---------------------------------------------------------------------------------


def test_a_listed_queryset_is_audited_with_the_ids_it_showed(cast: Cast) -> None:
    listed = Client.objects.filter(practice=cast.practice).order_by("pk")

    access.audit_list(cast.clinician, listed, view="caseload")

    event = last_event()
    assert (event.action, event.object_type, event.object_id) == ("list", "people.client", "")
    assert event.detail == {"view": "caseload", "clients": [c.pk for c in listed]}


def test_a_list_of_a_model_records_the_ids_given_and_further_detail(cast: Cast) -> None:
    access.audit_list(cast.supervisor, Episode, [3, 1], view="dashboard")
    assert last_event().detail == {"view": "dashboard", "episodes": [3, 1]}

    access.audit_list(cast.admin, Client, view="directory", search=True)
    assert last_event().detail == {"view": "directory", "search": True}
    assert last_event().object_type == "people.client"


# --- break-glass policy -------------------------------------------------------------------------


def test_only_a_practice_admin_may_open_break_glass(cast: Cast) -> None:
    assert access.may_open_break_glass(cast.admin)
    for user in (cast.clinician, cast.supervisor, cast.adult_client_user, cast.guardian):
        assert not access.may_open_break_glass(user)
        assert not access.break_glass_clients(user).exists()


def test_break_glass_opens_only_a_client_of_the_admins_own_practice(cast: Cast) -> None:
    assert access.break_glass_client(cast.admin, cast.other_client.pk) == cast.other_client

    with pytest.raises(Http404):
        access.break_glass_client(cast.admin, cast.foreign_client.pk)

    event = last_event()
    assert (event.action, event.outcome, event.object_type, event.object_id) == (
        "break_glass",
        "denied",
        "people.client",
        str(cast.foreign_client.pk),
    )


def test_the_emergency_banner_lists_the_grants_in_force_for_an_admin_only(cast: Cast) -> None:
    grant_break_glass(cast, cast.adult_client)
    BreakGlassGrant.objects.create(
        user=cast.admin,
        client=cast.other_client,
        reason="An older review, now over",
        granted_at=timezone.now() - timedelta(hours=3),
        expires_at=timezone.now() - timedelta(hours=2),
    )

    def banner_for(user: object) -> dict[str, object]:
        request = HttpRequest()
        request.user = user  # type: ignore[assignment]
        return emergency_access(request)

    grants = banner_for(cast.admin)["emergency_grants"]
    assert [grant.client_id for grant in grants] == [cast.adult_client.pk]  # type: ignore[attr-defined]
    assert banner_for(cast.clinician) == {}


# --- the portal -----------------------------------------------------------------------------------


def test_a_client_opens_their_own_form_in_the_portal_and_the_read_is_audited(cast: Cast) -> None:
    mine = assignment_for(session_assignments_ensure(session=cast.adult_session), "feedback")

    opened = access.portal_load(cast.adult_client_user, Assignment, mine.pk)

    assert opened == mine
    event = last_event()
    assert (event.action, event.object_id, event.client_id) == (
        "portal_read",
        str(mine.pk),
        cast.adult_client.pk,
    )


def test_a_client_can_not_open_another_clients_form_and_the_attempt_is_audited(
    cast: Cast,
) -> None:
    theirs = assignment_for(session_assignments_ensure(session=cast.other_session), "feedback")

    with pytest.raises(Http404):
        access.portal_load(cast.adult_client_user, Assignment, theirs.pk)

    event = last_event()
    assert (event.action, event.outcome) == ("portal_read", AuditEvent.Outcome.DENIED)


def test_staff_see_nothing_through_the_portal_rules(cast: Cast) -> None:
    assert not access.portal_list(cast.clinician, Assignment).exists()
    assert not access.portal_list(cast.admin, PlanVersion).exists()


def test_a_model_without_a_portal_rule_can_not_be_opened_in_the_portal(cast: Cast) -> None:
    with pytest.raises(TypeError, match="portal_visible"):
        access.portal_list(cast.adult_client_user, Session)


def test_a_guardian_sees_the_young_person_through_their_active_link_only(cast: Cast) -> None:
    assert cast.adolescent_client.guardian_link_for(cast.guardian) == cast.guardian_link
    assert cast.adolescent_client.guardian_link_for(cast.adolescent_client_user) is None

    cast.guardian_link.is_active = False
    cast.guardian_link.save(update_fields=["is_active"])

    assert cast.adolescent_client.guardian_link_for(cast.guardian) is None
