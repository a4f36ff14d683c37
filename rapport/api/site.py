"""The API at /api/v1/: its operations (each app's `api.py`), who may call, and its refusals,
each a status with a reason in JSON — never a server error for a request that is merely wrong."""

from __future__ import annotations

import copy
import functools
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from rapport.accounts.services import IdempotencyClash
from rapport.alerts.api import router as alerts
from rapport.api.auth import CALLERS, RateLimited
from rapport.care.api import router as care
from rapport.interop.api import router as interop
from rapport.measures.api import router as measures
from rapport.measures.services import AnswersInvalid
from rapport.people.api import router as people
from rapport.plans.api import router as plans
from rapport.trajectories.api import router as trajectories

DESCRIPTION = """Rapport's records for programs: the same records, rules and audit trail as
the pages. Send a personal access token (made on your account page, "API tokens") as
`Authorization: Bearer <token>`. You see what you may see on the pages, no more: another
practice's client, or one not in your care, is 404 as if it did not exist. A token's scope
bounds what it may do (read, write, or fhir). Refusals are JSON with a `detail`: 401 (no valid
token), 403 (not allowed), 404, 409 (an Idempotency-Key reused for another request), 422
(invalid input), 429 (too many calls: see Retry-After), 503 (FHIR not set up)."""


class RapportAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The function's name, unique across the apps: shorter than module_function.
        return operation.view_func.__name__

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        # The document follows from the code alone, yet building it walks every operation's
        # schemas (~0.2 s): built once per process (and language), a copy served each time.
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        if key not in self._documents:
            self._documents[key] = super().get_openapi_schema(path_prefix=path_prefix)
        return copy.deepcopy(self._documents[key])

    @functools.cached_property
    def _documents(self) -> dict[tuple[str, str | None], OpenAPISchema]:
        return {}


api = RapportAPI(
    title="Rapport API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,  # the interactive page loads scripts from a CDN; the document is enough
    auth=CALLERS,
)
for router in (people, care, measures, trajectories, alerts, plans, interop):
    api.add_router("/", router)


def _refusal(request: HttpRequest, status: int, detail: Any, **more: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **more}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    reply = _refusal(
        request, 401, "A valid personal access token is needed (Authorization: Bearer <token>)."
    )
    reply["WWW-Authenticate"] = 'Bearer realm="rapport"'
    return reply


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return _refusal(request, 403, str(error) or "Not allowed.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _refusal(request, 404, "Not found.")


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return _refusal(request, 422, " ".join(error.messages))


@api.exception_handler(AnswersInvalid)
def _answers_invalid(request: HttpRequest, error: AnswersInvalid) -> HttpResponse:
    return _refusal(request, 422, str(error), errors=error.errors)


@api.exception_handler(IdempotencyClash)
def _clash(request: HttpRequest, error: IdempotencyClash) -> HttpResponse:
    return _refusal(request, 409, str(error))


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    reply = _refusal(request, 429, str(error))
    reply["Retry-After"] = str(error.retry_after)
    return reply


@api.exception_handler(ImproperlyConfigured)
def _not_set_up(request: HttpRequest, error: ImproperlyConfigured) -> HttpResponse:
    return _refusal(request, 503, str(error))
