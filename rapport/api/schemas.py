"""What every schema of the API shares: nothing but its declared fields, in and out."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class Strict(Schema):
    """A body or a result with exactly its fields: an unknown field sent is refused (422)."""

    model_config = ConfigDict(extra="forbid")


class Problem(Strict):
    """Why a call was refused, in words."""

    detail: str


class Page(Strict):
    """Where a list starts and how long it is."""

    offset: int
    limit: int
    count: int
