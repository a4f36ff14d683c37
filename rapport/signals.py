"""Every cross-app reaction in one table: which signal, who listens, and in what order.

An app announces what happened through a signal of its own (`<app>/signals.py`) and never calls
up into the apps that care; those apps react in their `receivers.py`. Nothing else connects a
receiver: tests/test_signals.py fails when the connected receivers differ from this table.

Receivers of the project's own signals run inside the sender's transaction (the signals are sent
with `send`, not `send_robust`), so a receiver that fails rolls the whole write back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import Signal

from rapport.accounts import receivers as accounts
from rapport.alerts import receivers as alerts
from rapport.alerts.signals import alert_opened
from rapport.alliance import receivers as alliance
from rapport.care.models import Session
from rapport.care.signals import episode_closed, episode_opened, session_booked, session_recorded
from rapport.measures import receivers as measures
from rapport.measures.signals import assignments_preparing, response_submitted
from rapport.people.signals import guardian_link_ended
from rapport.plans import receivers as plans
from rapport.trajectories import receivers as trajectories


@dataclass(frozen=True)
class Reaction:
    signal: Signal
    receiver: Callable[..., Any]
    uid: str
    sender: type | None = None


# Within one signal, receivers run in the order listed here.
REACTIONS: tuple[Reaction, ...] = (
    Reaction(user_logged_in, accounts.start_session_clock, "accounts-sign-in"),
    Reaction(user_logged_out, accounts.record_sign_out, "accounts-sign-out"),
    Reaction(episode_opened, measures.start_default_measures, "measures-default-plans"),
    Reaction(session_booked, measures.plan_session_forms, "measures-forms-on-booking"),
    Reaction(session_recorded, measures.plan_session_forms, "measures-forms-on-recording"),
    Reaction(episode_closed, measures.send_discharge_measures, "measures-discharge"),
    Reaction(guardian_link_ended, measures.withdraw_guardian_forms, "measures-guardian-withdraw"),
    Reaction(assignments_preparing, alliance.plan_feedback, "alliance-plans"),
    Reaction(response_submitted, alliance.evaluate, "alliance-evaluate"),
    Reaction(response_submitted, trajectories.classify, "trajectories-classify"),
    Reaction(alert_opened, alerts.notify_urgent, "alerts-urgent-notice"),
    Reaction(alert_opened, plans.review_prompted, "plans-review-prompted"),
    # On every save of a session, not only through care's services: sessions saved directly
    # (the demo's history, imports) bring a review due just the same.
    Reaction(post_save, plans.session_saved, "plans-review-on-session", sender=Session),
)


def connect_reactions() -> None:
    for reaction in REACTIONS:
        reaction.signal.connect(
            reaction.receiver, sender=reaction.sender, weak=False, dispatch_uid=reaction.uid
        )
