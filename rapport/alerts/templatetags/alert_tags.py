from __future__ import annotations

from collections.abc import Iterable

from django import template

from rapport.alerts.models import Alert
from rapport.alerts.queries import AlertCard, alert_cards
from rapport.alerts.wording import reason_said

register = template.Library()


@register.filter
def as_cards(alerts: Iterable[Alert]) -> list[AlertCard]:
    """The alerts a page has loaded, one card per session (see alerts.queries)."""
    return alert_cards(alerts)


@register.filter
def reason(stored: str) -> str:
    """A reason stored in English, in the reader's language (see alerts.wording)."""
    return reason_said(stored)
