"""How alerts react to their own opening; connected in rapport/signals.py."""

from __future__ import annotations

from typing import Any

from rapport.alerts.models import Alert
from rapport.alerts.notify import notify_on_commit


def notify_urgent(sender: Any, alert: Alert, **kwargs: Any) -> None:
    notify_on_commit(alert)
