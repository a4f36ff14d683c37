"""The OpenAPI document served at /api/v1/openapi.json is the one checked in next to this test:
a change to the API changes the committed document in the same commit, where a reviewer sees
it. After a deliberate change, regenerate it with `make openapi` (which runs this module with
RAPPORT_WRITE_OPENAPI=1) and commit tests/api/openapi.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.test import Client as WebClient

COMMITTED = Path(__file__).with_name("openapi.json")
SERVED = "/api/v1/openapi.json"


def served_document() -> dict:  # type: ignore[type-arg]
    reply = WebClient().get(SERVED)
    assert reply.status_code == 200
    return reply.json()  # type: ignore[no-any-return]


def test_the_served_openapi_document_is_the_committed_one(db):
    served = served_document()
    if os.environ.get("RAPPORT_WRITE_OPENAPI") == "1":
        COMMITTED.write_text(json.dumps(served, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))

    assert served == committed, (
        "The API changed: regenerate tests/api/openapi.json with `make openapi` and commit it."
    )


def test_every_operation_says_how_it_is_authenticated_and_what_it_refuses(db):
    document = served_document()
    schemes = document["components"]["securitySchemes"]

    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security"), f"{method} {path} names no authentication"
            assert operation.get("description") or operation.get("summary"), f"{method} {path}"


def test_the_document_is_built_once_and_each_caller_gets_a_copy_of_its_own(db, monkeypatch):
    from ninja import NinjaAPI

    from rapport.api.site import api

    built = []
    build = NinjaAPI.get_openapi_schema

    def counted(self, **kwargs):  # type: ignore[no-untyped-def]
        built.append(kwargs)
        return build(self, **kwargs)

    monkeypatch.setattr(NinjaAPI, "get_openapi_schema", counted)
    first = api.get_openapi_schema()
    first["info"]["title"] = "Changed by one caller"
    second = api.get_openapi_schema()

    assert second["info"]["title"] == "Rapport API"
    assert served_document()["info"]["title"] == "Rapport API"
    assert len(built) <= 1  # none where an earlier test of this process already had it built
