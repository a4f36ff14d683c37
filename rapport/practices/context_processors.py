from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def rapport(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    practice = (
        getattr(user, "practice", None) if user is not None and user.is_authenticated else None
    )
    return {"practice": practice, "is_demo": bool(practice and practice.is_demo)}
