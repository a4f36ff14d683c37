from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from rapport.accounts.models import User
from rapport.audit.services import audit_record
from rapport.practices.models import Practice, Team


@transaction.atomic
def practice_update(*, actor: User, details: dict[str, Any]) -> Practice:
    actor.require_practice_admin()
    practice = Practice.objects.select_for_update().get(pk=actor.staff_practice_id)
    for field in (
        "name",
        "time_zone",
        "link_lead_hours",
        "link_reminder_hours",
        "link_valid_hours",
        "duty_contact_email",
        "urgent_escalation_minutes",
    ):
        if field in details:
            setattr(practice, field, details[field])
    practice.full_clean()
    practice.save()
    audit_record(actor=actor, action="update", obj=practice, practice_id=practice.pk)
    return practice


@transaction.atomic
def team_save(*, actor: User, team: Team | None, details: dict[str, Any]) -> Team:
    actor.require_practice_admin()
    if team is None:
        team = Team(practice_id=actor.staff_practice_id)
    elif team.practice_id != actor.practice_id:
        raise PermissionDenied("That team belongs to another practice.")
    team.name = details["name"]
    team.supervisor = details.get("supervisor")
    team.full_clean()
    team.save()
    audit_record(actor=actor, action="save", obj=team)
    return team
