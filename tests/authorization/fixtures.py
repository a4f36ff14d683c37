"""The cast, built once per test module, and clients signed in as each role.

Import the fixtures explicitly into each test module that uses them (a module-scoped fixture
imported into several modules is built once per module):

    from tests.authorization.fixtures import (  # noqa: F401
        cast_fixture,
        prepared_fixture,
        shared_fixture,
    )

They are registered under the names `prepared`, `cast` and `shared` (`name=`), so that tests
taking a `cast` or `shared` argument do not shadow the imported functions.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client as WebClient

from rapport.accounts.models import User
from tests import conftest
from tests.authorization.cases import ROLES, Case
from tests.authorization.matrix_cast import MatrixCast, add_measures
from tests.conftest import signed_in

# --- The cast, built once for the module --------------------------------------------------------


@dataclass
class Prepared:
    cast: MatrixCast
    session_keys: dict[str, str]  # role -> key of a session already signed in as that role


@pytest.fixture(scope="module", name="prepared")
def prepared_fixture(django_db_setup: None, django_db_blocker: Any) -> Iterator[Prepared]:
    """The conftest's cast with this module's measures objects, and one signed-in session per
    role, created once for this module inside a transaction rolled back when the module is done."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            cast = add_measures(conftest.build_cast())
            keys = {}
            for role in ROLES:
                if (user := cast.person(role)) is not None:
                    keys[role] = signed_in(user).session.session_key
            yield Prepared(cast, keys)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(name="cast")
def cast_fixture(prepared: Prepared, db: None) -> MatrixCast:
    """Each test runs in a savepoint inside the module's transaction, on its own copy."""
    return copy.deepcopy(prepared.cast)


@pytest.fixture(name="shared")
def shared_fixture(prepared: Prepared, db: None) -> Prepared:
    """The module's cast itself, for tests that only read it (the matrix)."""
    return prepared


def web_for(prepared: Prepared, role: str) -> tuple[User | None, WebClient]:
    """A test client carrying the role's ready-made session cookie (none when anonymous)."""
    web = WebClient()
    if role in prepared.session_keys:
        web.cookies[settings.SESSION_COOKIE_NAME] = prepared.session_keys[role]
    return prepared.cast.person(role), web


def send(web: WebClient, case: Case, url: str, cast: MatrixCast) -> Any:
    if case.method == "POST" and url.startswith("/api/"):
        # The API takes JSON, and its writes are made once by an Idempotency-Key, not a form key.
        data = case.data(cast) if callable(case.data) else dict(case.data)
        return web.post(url, data, content_type="application/json")
    if case.method == "POST":
        return web.post(url, case.payload(cast))
    return web.get(url)
