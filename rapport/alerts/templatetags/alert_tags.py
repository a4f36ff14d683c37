from __future__ import annotations

from collections.abc import Iterable

from django import template

from rapport.alerts.models import Alert
from rapport.alerts.queries import AlertCard, alert_cards

register = template.Library()


@register.filter
def as_cards(alerts: Iterable[Alert]) -> list[AlertCard]:
    """The alerts a page has loaded, one card per session (see alerts.queries)."""
    return alert_cards(alerts)
