"""What every schema of the API shares: nothing but its declared fields, in and out, and the
one shape of every refusal."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict


class Strict(Schema):
    """A body or a result with exactly its fields: an unknown field sent is refused (422)."""

    model_config = ConfigDict(extra="forbid")


class Page(Strict):
    """Where a list starts and how long it is."""

    offset: int
    limit: int
    count: int


class ResourceProblem(Strict):
    """What is wrong with one resource of a FHIR import, and where."""

    resource: str
    path: str
    message: str


class Refusal(Strict):
    """Why a call was refused: `detail` in words (for a malformed request, the list of what is
    wrong in it); `errors` by item for answers that are not valid, `problems` by resource for
    a FHIR import that is not."""

    detail: str | list[dict[str, Any]]
    errors: dict[str, str] | None = None
    problems: list[ResourceProblem] | None = None


# Every operation may be refused so: a body that is not JSON (400), no valid token (401), not
# allowed (403), not there or not yours (404), invalid (422), too many calls (429).
REFUSALS: dict[int, type[Refusal]] = {status: Refusal for status in (400, 401, 403, 404, 422, 429)}
