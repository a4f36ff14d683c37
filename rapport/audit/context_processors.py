"""The emergency-access banner: a practice admin under break-glass is told on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def emergency_access(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_admin:
        return {}
    from rapport.access import active_grants

    return {"emergency_grants": list(active_grants(user).order_by("expires_at"))}
