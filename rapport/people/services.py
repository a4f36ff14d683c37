"""Workflows over client records and guardian links. Each is atomic and audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from rapport.accounts.models import CLINICAL_STAFF_ROLES, User
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.people.models import Client, GuardianLink

CLIENT_FIELDS = (
    "full_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "preferred_language",
    "status",
)

GUARDIAN_VISIBILITY_FIELDS = (
    "relationship",
    "has_parental_responsibility",
    "consent_to_treatment",
    "consent_to_contact",
    "may_see_plan_summary",
    "may_see_client_answers",
    "may_see_client_free_text",
    "may_see_schedule",
    "is_active",
)


@transaction.atomic
def client_create(
    *,
    actor: User,
    details: dict[str, Any],
    primary_clinician: User,
    start_date: date,
    referral_reason: str = "",
) -> Client:
    """Register a client and open their first episode of care with the given clinician."""
    if actor.role not in CLINICAL_STAFF_ROLES or actor.practice_id is None:
        raise ValidationError("Only clinicians and supervisors register clients.")
    if (
        primary_clinician.practice_id != actor.practice_id
        or primary_clinician.role not in CLINICAL_STAFF_ROLES
    ):
        raise ValidationError("The primary clinician must be a clinician in this practice.")
    client = Client(
        practice_id=actor.practice_id, **{k: details[k] for k in details if k in CLIENT_FIELDS}
    )
    client.full_clean()
    client.save()
    episode = Episode.objects.create(
        practice_id=actor.practice_id,
        client=client,
        primary_clinician=primary_clinician,
        start_date=start_date,
        referral_reason=referral_reason,
    )
    audit_record(actor=actor, action="create", obj=client)
    audit_record(actor=actor, action="create", obj=episode)
    return client


@transaction.atomic
def client_update(*, actor: User, client: Client, details: dict[str, Any]) -> Client:
    changed = []
    for field in CLIENT_FIELDS:
        if field in details and getattr(client, field) != details[field]:
            setattr(client, field, details[field])
            changed.append(field)
    if changed:
        client.full_clean()
        client.save(update_fields=changed)
    audit_record(actor=actor, action="update", obj=client, detail={"changed": changed})
    return client


@transaction.atomic
def guardian_link_update(
    *, actor: User, link: GuardianLink, settings: dict[str, Any]
) -> GuardianLink:
    changed = {}
    for field in GUARDIAN_VISIBILITY_FIELDS:
        if field in settings and getattr(link, field) != settings[field]:
            changed[field] = [getattr(link, field), settings[field]]
            setattr(link, field, settings[field])
    if changed:
        link.full_clean()
        link.save(update_fields=list(changed))
    audit_record(actor=actor, action="update", obj=link, detail={"changed": changed})
    return link
