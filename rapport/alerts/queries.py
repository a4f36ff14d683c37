"""Alerts as a clinician reads them: one card per session, each alert of it with every reason.

One difficult session can open several alerts at once (low alliance, the alliance falling, the
therapist rating it higher, goals rated low, a plan review). Shown one by one they read as five
separate problems; grouped by session they read as one session to look at, with each kind's
reasons and each alert's own acknowledgement trail kept. Urgent alerts (a risk answer) always
have a card of their own, so they are never folded into something less pressing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rapport.alerts.models import Alert

# Alliance findings joined their reasons with "; " before reasons were stored one per line.
_JOINED_BY_SEMICOLON = frozenset(
    {
        Alert.Kind.LOW_ALLIANCE,
        Alert.Kind.ALLIANCE_DROP,
        Alert.Kind.DISAGREEMENT,
        Alert.Kind.CHILD_GUARDIAN,
    }
)


def reason_lines(alert: Alert) -> list[str]:
    """Each reason of an alert on its own line."""
    lines = [line.strip() for line in alert.reason.splitlines() if line.strip()]
    if len(lines) == 1 and alert.kind in _JOINED_BY_SEMICOLON:
        lines = [part.strip() for part in lines[0].split("; ") if part.strip()]
    return lines


@dataclass
class AlertCard:
    alerts: list[Alert] = field(default_factory=list)

    @property
    def first(self) -> Alert:
        return self.alerts[0]

    @property
    def urgent(self) -> bool:
        return any(alert.urgent for alert in self.alerts)

    @property
    def opened_at(self) -> datetime:
        return min(alert.opened_at for alert in self.alerts)

    @property
    def session(self):  # type: ignore[no-untyped-def]
        return self.first.session

    @property
    def title(self) -> str:
        kinds = list(dict.fromkeys(alert.get_kind_display() for alert in self.alerts))
        return " · ".join(kinds)

    @property
    def entries(self) -> list[tuple[Alert, list[str]]]:
        return [(alert, reason_lines(alert)) for alert in self.alerts]

    @property
    def open_alerts(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.status == Alert.Status.OPEN]

    @property
    def unresolved_alerts(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.status != Alert.Status.RESOLVED]

    @property
    def escalated_at(self) -> datetime | None:
        times = [alert.escalated_at for alert in self.alerts if alert.escalated_at]
        return min(times) if times else None

    @property
    def status_words(self) -> str:
        statuses = {alert.status for alert in self.alerts}
        if len(statuses) == 1:
            return self.first.get_status_display()
        counts = [
            f"{sum(a.status == status for a in self.alerts)} {str(label).lower()}"
            for status, label in Alert.Status.choices
            if status in statuses
        ]
        return ", ".join(counts)


def card_key(alert: Alert) -> tuple[object, ...]:
    """Alerts of one session share a card; urgent ones and those of no session stand alone."""
    if alert.urgent or alert.session_id is None:
        return ("alone", alert.pk)
    return ("session", alert.episode_id, alert.session_id)


def alert_cards(alerts: Iterable[Alert]) -> list[AlertCard]:
    """Cards in the order of their first alert (urgent first, then newest, as Alert.Meta)."""
    cards: dict[tuple[object, ...], AlertCard] = {}
    for alert in alerts:
        cards.setdefault(card_key(alert), AlertCard()).alerts.append(alert)
    for card in cards.values():
        card.alerts.sort(key=lambda a: (a.opened_at, a.pk))
    return list(cards.values())


def same_card(alert: Alert, candidates: Iterable[Alert]) -> list[Alert]:
    """The other alerts among `candidates` that share `alert`'s card."""
    key = card_key(alert)
    return [other for other in candidates if other.pk != alert.pk and card_key(other) == key]
