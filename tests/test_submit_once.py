"""Every form that creates something stores it once, whatever the double clicks and retries.

The routes come from the URL configuration: each one that accepts POST is listed below either as
a create guarded by a one-time key (accounts.services.submission_once), as one that cannot store
twice by its nature, or as not creating anything (with the reason). A new route missing from these
lists fails the first test, so it cannot arrive without someone deciding how it behaves on a
double submit. Each create is then posted twice with the same payload (and key), as the
authorization matrix posts it, and must add rows only once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView

from tests.authorization.cases import Case
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    web_for,
)
from tests.authorization.matrix import MATRIX

# Creates guarded by a one-time key in the form, with the role that posts them.
SUBMIT_ONCE = {
    "people:client_new": "clinician",
    "people:guardian_new": "clinician",
    "care:session_new": "clinician",
    "practices:user_new": "admin",
    "people:break_glass": "admin",
    "measures:episode_measures": "clinician",
    "alliance:rupture_new": "clinician",
    "alliance:repair_new": "clinician",
    "plans:problem_new": "clinician",
    "plans:draft_new": "clinician",
    "plans:goal_new": "clinician",
    "plans:rating_new": "clinician",
    "plans:count_new": "clinician",
    "plans:review_new": "clinician",
    "plans:portal_rating": "adult_client",
    "exposure:ladder_new": "clinician",
    "exposure:step_new": "clinician",
    "exposure:attempt_new": "clinician",
    "reports:send": "clinician",
    "matching:review_new": "clinician",
    "matching:fit_check_new": "clinician",
    "matching:portal_fit_check": "adolescent_client",
    # One handoff per fit check: a repeat returns the one begun.
    "matching:handoff_new": "supervisor",
    "matching:consultation_new": "supervisor",
    # How a consultation went, once: a repeat without the key finds it recorded and is refused.
    "matching:consultation_record": "outsider_clinician",
    "accounts:api_tokens": "clinician",
    # A guardian's first yes to texts makes their record of it (a client's is on their record).
    "portal:texts": "guardian",
}

# Creates that cannot store twice whatever is posted: one row per object at most (a response
# per assignment, locked while stored), or a change of state that a repeat leaves as it is.
ONCE_BY_NATURE = {
    "measures:assignment_complete": "clinician",
    "portal:assignment": "adult_client",
    "care:episode_close": "clinician",
    "reports:discharge_write": "clinician",
    # Keyed all the same; a repeat without the key finds the review completed.
    "matching:review": "clinician",
    # One profile per therapist: a repeat updates it with the same values.
    "matching:profile_own": "clinician",
    "matching:profile_edit": "admin",
    # One language per account: a repeat sets the same one (keyed all the same).
    "accounts:account": "clinician",
    # One preference of each kind per client: a repeat sets the same values.
    "matching:preferences": "clinician",
    # A state change once: a repeat finds the fit check approved (or closed) and is refused.
    "matching:fit_check": "supervisor",
    # An import remembers every resource it stored: the same file again finds it all there.
    "interop:fhir_import": "admin",
    # One setting-aside per episode: a repeat moves its time.
    "matching:fit_suggestion_dismiss": "clinician",
    # State changes of one handoff: a repeat finds it cancelled (or completed) and is refused.
    "matching:handoff": "supervisor",
    # The client's answer on one handoff: a repeat sets the same items.
    "matching:portal_handoff": "adult_client",
    # The offer is a field of the fit check: a repeat stores the same offer.
    "matching:fit_check_offer": "supervisor",
    # A choice once: a repeat of the same choice finds it made and stores nothing.
    "matching:fit_check_choose": "supervisor",
    "matching:portal_choose": "adult_client",
    # One preference of each kind per client, as on the staff page.
    "matching:portal_preferences": "adult_client",
}

# API writes carried out once per Idempotency-Key (a header, not a form's key): the same key
# again gets the first result and stores nothing.
API_ONCE_BY_KEY = {
    "api:measure_assign": "clinician",
    "api:response_submit": "clinician",
}

# API writes that cannot store twice whatever is sent.
API_ONCE_BY_NATURE = {
    "api:fhir_import": "a second import of the same data finds it there and stores nothing",
    "api:alert_acknowledge": "acknowledges an open alert once; a repeat is refused (422)",
}

# Routes that take POST but do not create a row a double click could duplicate.
NOT_A_CREATE = {
    "home": "a page",
    "healthz": "a health check",
    "accounts:login": "signing in",
    "plans:reply": "writes the reply onto the request it answers (an update; keyed all the same)",
    "accounts:logout": "signing out",
    "accounts:keep_alive": "counts as activity in the session; stores nothing else",
    "accounts:language": "the language switch before signing in: a cookie, nothing stored",
    "accounts:two_factor_setup": "one authenticator per account, replaced on setup",
    "accounts:two_factor_verify": "a sign-in step",
    "accounts:password_reset": "an email; its throttling belongs to sign-in",
    "accounts:password_reset_done": "a page",
    "accounts:password_reset_confirm": "changes a password",
    "accounts:password_reset_complete": "a page",
    "people:caseload": "a page",
    "people:client_detail": "a page",
    "people:client_edit": "edits a client",
    "people:portal_invite": "sends an invitation email; a new one replaces the last",
    "people:guardian_link_edit": "edits a guardian link",
    "people:client_directory": "a page",
    "care:session_detail": "records attendance and notes of an existing session",
    "care:episode_transfer": "moves an episode to another clinician",
    "care:episode_team": "sets the episode's team (a set, not added rows)",
    "care:episode_status": "changes an episode's status",
    "practices:team": "a page",
    "practices:manage": "a page",
    "practices:user_list": "a page",
    "practices:user_edit": "edits an account",
    "practices:team_list": "a page",
    "practices:team_new": "a team name is unique in a practice: a repeat is a form error",
    "practices:team_edit": "edits a team",
    "practices:settings": "edits the practice's settings",
    "measures:default_measures": "sets the default measures (one set per age band, not rows)",
    "audit:trail": "a page",
    "portal:home": "a page",
    "measures:link_done": "a page",
    "measures:link_form": "one response per assignment (tested in test_measures)",
    "measures:client_mode_form": "one response per assignment (tested in test_measures)",
    "measures:client_mode_unlock": "leaves client mode",
    "measures:client_mode_start": "puts the device in client mode (session state only)",
    "measures:assignment_link": "a new link replaces the last; only one ever works",
    "measures:plan_stop": "stops a plan",
    "measures:response_detail": "a page",
    "measures:response_fhir": "a download",
    "people:text_reply": "records a STOP or START against a number: a repeat finds it so",
    "interop:research_export": "a download (the export is audited, nothing else is stored)",
    "alerts:inbox": "a page",
    "reports:download": "spends a single-use link: a repeat finds it used",
    "alerts:acknowledge": "acknowledges an open alert once; a repeat finds it acknowledged",
    "alerts:resolve": "resolves an alert once; a repeat finds it resolved",
    "alliance:episode": "a page",
    "alliance:chart": "a chart",
    "alliance:rupture_detail": "edits a rupture",
    "alliance:inbox": "a page",
    "alliance:overview": "a page",
    "alliance:settings": "edits settings",
    "plans:episode": "a page",
    "plans:reorder": "reorders problems",
    "plans:problem_edit": "edits a problem",
    "plans:problem_move": "moves a problem",
    "plans:version": "edits a draft plan",
    "plans:propose": "proposes a draft once; a repeat finds it proposed",
    "plans:answer": "records agreement once per party",
    "plans:compare": "a page",
    "plans:print": "a page",
    "plans:goal_edit": "edits a goal",
    "plans:goal_remove": "removes a goal",
    "plans:portal_plan": "a page",
    "plans:portal_decide": "records agreement once per party",
    "plans:portal_print": "a page",
    "exposure:episode_ladders": "a page",
    "exposure:ladder_detail": "a page",
    "exposure:ladder_edit": "edits a ladder",
    "exposure:chart": "a chart",
    "exposure:step_edit": "edits a step",
    "exposure:step_move": "moves a step",
    "exposure:portal": "the client's practice record, keyed like attempt_new",
    "exposure:portal_chart": "a chart",
    "trajectories:overview": "a page",
    "trajectories:refresh": "recomputes (replaces) expected trajectories",
    "trajectories:validation": "a page",
    "trajectories:episode": "a page",
    "trajectories:settings": "edits settings",
    "progress:episode": "a page",
    "progress:chart": "a chart",
    "progress:portal": "a page",
    "progress:portal_chart": "a chart",
    "dashboards:therapist": "a page",
    "dashboards:practice": "a page",
    "dashboards:refresh": "recomputes (replaces) the dashboard figures",
    "matching:fit_checks": "a page",
    "matching:directory": "a page",
    "matching:fit_settings": "edits the practice's settings (one row per practice)",
    "matching:handoff_settings": "edits the practice's settings (one row per practice)",
    "accounts:api_token_revoke": "revokes a token once; a repeat finds it revoked",
    "api:openapi-json": "a document",
    "api:measure_plans": "lists measures; a POST to its address is api:measure_assign's",
    "api:api-root": "nothing (404): the operations are below it",
}


def _without_drafts(cast: Any) -> None:
    """The cast's episodes carry draft plans; a new draft is started only where none is."""
    from rapport.plans.models import PlanVersion

    PlanVersion.objects.filter(status="draft").update(status="superseded")


def _without_open_reviews(cast: Any) -> None:
    """The cast's episodes carry open reviews; a new one is opened only where none is."""
    from rapport.matching.models import StuckCaseReview

    StuckCaseReview.objects.update(status=StuckCaseReview.Status.DONE)


def _without_active_fit_checks(cast: Any) -> None:
    """The cast's clinician has asked for a fit check; a person has one active at a time."""
    from rapport.matching.models import FitCheck

    FitCheck.objects.update(status=FitCheck.Status.CLOSED)


def _without_handoffs(cast: Any) -> None:
    """The cast's private fit check has a handoff begun; a new one starts only where none is."""
    from rapport.matching.models import Handoff

    Handoff.objects.all().delete()


# What has to be true before a create can store anything.
PREPARE = {
    "plans:draft_new": _without_drafts,
    "matching:review_new": _without_open_reviews,
    "matching:fit_check_new": _without_active_fit_checks,
    "matching:handoff_new": _without_handoffs,
}

# What any request may write without it counting as stored data.
BOOKKEEPING = {
    "audit.auditevent",
    "audit.auditchainhead",
    "sessions.session",
    "accounts.submission",
    "measures.linkattempt",
}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            nested = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _walk(pattern.url_patterns, nested)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.callback


def allowed_methods(view: Any) -> list[str] | None:
    """The methods a view's require_http_methods allows (or, for an API operation, the methods
    its operations declare); None when it does not restrict them."""
    if isinstance(view, functools.partial):
        view = view.func
    while view is not None:
        for cell in view.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, list) and value and all(_is_method(m) for m in value):
                return value
            if isinstance(value, PathView):
                return sorted({m for operation in value.operations for m in operation.methods})
        view = getattr(view, "__wrapped__", None)
    return None


def _is_method(value: object) -> bool:
    return isinstance(value, str) and value.isupper()


def post_routes() -> set[str]:
    """Every named route whose view may take a POST (unrestricted views included)."""
    routes = set()
    for name, view in _walk(get_resolver().url_patterns):
        methods = allowed_methods(view)
        if methods is None or "POST" in methods:
            routes.add(name)
    return routes


def test_every_route_that_takes_a_post_is_declared_once_or_not_a_create():
    declared = [
        *SUBMIT_ONCE,
        *ONCE_BY_NATURE,
        *API_ONCE_BY_KEY,
        *API_ONCE_BY_NATURE,
        *NOT_A_CREATE,
    ]
    routes = post_routes()

    assert len(declared) == len(set(declared)), "a route is declared twice"
    assert routes - set(declared) == set(), "new POST routes: declare how a double submit behaves"
    assert set(declared) - routes == set(), "declared routes that no longer exist or take POST"


def test_the_route_walker_sees_a_new_create_route_without_a_decision():
    """The walker finds routes only through the URLconf, so it would see a newly added one."""
    assert "alliance:repair_new" in post_routes()
    assert "measures:response_detail" in post_routes()  # unrestricted views count too


def stored_rows() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and model._meta.label_lower not in BOOKKEEPING
    }


def successful_post(route: str, role: str) -> tuple[str, Case]:
    """The role, and the matrix's POST to this route that the role is allowed to make."""
    for case in MATRIX.get(route, []):
        if case.method == "POST" and case.expected.get(role) in (302, 200):
            return role, case
    raise AssertionError(f"the authorization matrix has no allowed POST for {route} as {role}")


@pytest.mark.parametrize(
    ("route", "who"), [*SUBMIT_ONCE.items(), *ONCE_BY_NATURE.items()], ids=lambda v: v
)
def test_posting_a_create_form_twice_stores_it_once(route, who, cast, prepared):  # noqa: F811
    role, case = successful_post(route, who)
    _, web = web_for(prepared, role)
    if route in PREPARE:
        PREPARE[route](cast)
    url = case.url(route, cast)
    payload = case.payload(cast)  # one key, sent twice: a double click or a retry
    before = stored_rows()

    first = web.post(url, payload)
    after_first = stored_rows()
    second = web.post(url, payload)
    after_second = stored_rows()

    assert first.status_code in (200, 302), first.content[:400]
    assert second.status_code < 500
    added = {k: after_first[k] - before[k] for k in before if after_first[k] != before[k]}
    if route in SUBMIT_ONCE:
        assert added, f"{route}: the first post stored nothing, so the test proves nothing"
    again = {
        k: after_second[k] - after_first[k] for k in before if after_second[k] != after_first[k]
    }
    assert again == {}, f"{route}: the repeated post stored {again}"


@pytest.mark.parametrize(("route", "who"), API_ONCE_BY_KEY.items(), ids=lambda v: v)
def test_an_api_write_sent_twice_with_one_idempotency_key_stores_once(route, who, cast, prepared):  # noqa: F811
    [case] = [c for c in MATRIX[route] if c.method == "POST" and c.expected[who] == 201]
    _, web = web_for(prepared, who)
    url = case.url(route, cast)
    data = case.data(cast) if callable(case.data) else dict(case.data)
    key = {"HTTP_IDEMPOTENCY_KEY": "a-retry-after-a-timeout"}
    before = stored_rows()

    first = web.post(url, data, content_type="application/json", **key)
    after_first = stored_rows()
    second = web.post(url, data, content_type="application/json", **key)
    after_second = stored_rows()

    assert first.status_code == 201, first.content[:400]
    assert (second.status_code, second.json()) == (201, first.json())
    added = {k for k in before if after_first[k] != before[k]}
    assert added - {"accounts.apiidempotencykey"}, f"{route}: the first call stored nothing"
    assert after_second == after_first, f"{route}: the repeated call stored something"


def test_a_create_form_without_its_key_is_refused_not_stored(cast, prepared):  # noqa: F811
    _, case = successful_post("alliance:rupture_new", "clinician")
    _, web = web_for(prepared, "clinician")
    payload = {k: v for k, v in case.payload(cast).items() if k != "submission_key"}
    before = stored_rows()

    page = web.post(case.url("alliance:rupture_new", cast), payload)

    assert page.status_code == 200 and stored_rows() == before
