"""The warning before a staff member is signed out for want of activity (accounts/idle.js)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from rapport.accounts.middleware import LAST_SEEN_RESOLUTION, idle_seconds_left

register = template.Library()

# How long before the end the warning shows: time to notice it and press one button.
WARNING_SECONDS = 120


@register.inclusion_tag("accounts/idle_warning.html", takes_context=True)
def idle_warning(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    left = idle_seconds_left(request) if request is not None else None
    if left is None:
        return {"shown": False}
    limit = int(settings.RAPPORT_STAFF_IDLE_TIMEOUT.total_seconds())
    # With a very short limit (a test's), warn at half of it.
    warn = min(WARNING_SECONDS, limit // 2)
    return {
        "shown": True,
        "left": left,
        "limit": limit,
        # A request is recorded to the minute: after one made without reloading the page (htmx),
        # the session ends no earlier than the limit less this.
        "slack": int(LAST_SEEN_RESOLUTION),
        "warn": warn,
        "warn_minutes": warn // 60,
        "csrf_token": context.get("csrf_token"),
    }
