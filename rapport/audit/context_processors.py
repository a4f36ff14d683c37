"""The emergency-access banner: a practice admin under break-glass is told on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rapport import access


def emergency_access(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not access.may_open_break_glass(user):
        return {}
    return {"emergency_grants": list(access.active_grants(user).order_by("expires_at"))}
