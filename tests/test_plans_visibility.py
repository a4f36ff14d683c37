"""The therapist's private formulation never reaches a client or guardian: every portal plan
page of the matrix, as every portal role, is searched for the marker in cast_plans.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.authorization.cases import Case
from tests.authorization.cast_plans import PLANS_PRIVATE
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    send,
    shared_fixture,
    web_for,
)
from tests.authorization.matrix_cast import MatrixCast
from tests.authorization.routes_plans import PLANS_ROUTES
from tests.conftest import signed_in

PORTAL_ROLES = ("adult_client", "adolescent_client", "guardian")
PORTAL_PAGES = [
    pytest.param(route, case, role, id=f"{route}-{case.target}-{role}")
    for route, cases in PLANS_ROUTES.items()
    if route.startswith("plans:portal_")
    for case in cases
    if case.method == "GET"
    for role in PORTAL_ROLES
    if case.expected[role] == 200
]


def test_the_marker_is_on_the_clinicians_page_of_the_version(cast: MatrixCast) -> None:
    """So that its absence from the portal means something."""
    version = cast.extra["plans_own_version"]
    page = signed_in(cast.clinician).get(reverse("plans:version", args=[version.pk]))
    assert PLANS_PRIVATE in page.text


def test_every_role_that_reads_a_plan_in_the_portal_is_checked() -> None:
    roles = {param.values[2] for param in PORTAL_PAGES}
    assert roles == set(PORTAL_ROLES)


@pytest.mark.parametrize(("route", "case", "role"), PORTAL_PAGES)
def test_portal_plan_pages_never_show_the_private_formulation(
    shared: Prepared, route: str, case: Case, role: str
) -> None:
    _, web = web_for(shared, role)

    response = send(web, case, case.url(route, shared.cast), shared.cast)

    assert response.status_code == 200
    assert "Worry less" in response.text  # the plan itself is there
    assert PLANS_PRIVATE not in response.text


@pytest.mark.parametrize("role", PORTAL_ROLES)
def test_portal_home_never_shows_the_private_formulation(shared: Prepared, role: str) -> None:
    _, web = web_for(shared, role)

    page = web.get(reverse("portal:home"))

    assert page.status_code == 200
    assert PLANS_PRIVATE not in page.text
