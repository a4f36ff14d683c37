"""How measures react to events of care and of the people around a client; connected in
rapport/signals.py. Each runs inside the sender's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rapport.accounts.models import User
from rapport.care.models import Episode, Session
from rapport.measures.services import (
    default_measures_apply,
    discharge_assignments_create,
    guardian_assignments_withdraw,
    session_assignments_ensure,
)

if TYPE_CHECKING:
    # For the annotation only: measures reads a link's ids, it does not depend on people.
    from rapport.people.models import GuardianLink


def start_default_measures(sender: Any, actor: User, episode: Episode, **kwargs: Any) -> None:
    default_measures_apply(actor=actor, episode=episode)


def plan_session_forms(sender: Any, session: Session, **kwargs: Any) -> None:
    # Forms are made when a session is booked or recorded, never when a page is viewed; when
    # each may be answered is decided by rapport.measures.availability.
    session_assignments_ensure(session=session)


def send_discharge_measures(sender: Any, episode: Episode, **kwargs: Any) -> None:
    discharge_assignments_create(episode=episode)


def withdraw_guardian_forms(sender: Any, link: GuardianLink, **kwargs: Any) -> None:
    guardian_assignments_withdraw(client_id=link.client_id, guardian_id=link.guardian_id)
