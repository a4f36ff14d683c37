"""Account workflows: an admin invites, edits and deactivates users of their practice."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from rapport.accounts.models import Role, Submission, User
from rapport.audit.services import audit_record

USER_FIELDS = ("full_name", "email", "role", "team", "is_active")


def require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN or actor.practice_id is None:
        raise PermissionDenied("Only practice admins manage the practice.")


def set_password_link(user: User, *, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{base_url.rstrip('/')}{path}"


@transaction.atomic
def user_invite(*, actor: User, details: dict[str, Any], base_url: str) -> User:
    """Create an account without a password and email the person a link to choose one."""
    require_admin(actor)
    user = User(
        practice_id=actor.practice_id, **{k: details[k] for k in USER_FIELDS if k in details}
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    link = set_password_link(user, base_url=base_url)
    body = render_to_string(
        "accounts/email/invitation.txt", {"user": user, "practice": actor.practice, "link": link}
    )
    # Inside the transaction: if the mail server refuses, no half-made account is left behind.
    send_mail(f"Your Rapport account at {actor.practice}", body, None, [user.email])
    audit_record(actor=actor, action="create", obj=user, detail={"role": user.role})
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, details: dict[str, Any]) -> User:
    require_admin(actor)
    if user.practice_id != actor.practice_id:
        raise PermissionDenied("That account belongs to another practice.")
    if user.pk == actor.pk and (
        details.get("role", user.role) != Role.ADMIN or not details.get("is_active", True)
    ):
        raise ValidationError("You cannot remove your own admin role or deactivate yourself.")
    changed = {}
    for field in USER_FIELDS:
        if field in details and getattr(user, field) != details[field]:
            changed[field] = str(details[field])
            setattr(user, field, details[field])
    if changed:
        user.full_clean(exclude=["password"])
        user.save()
    audit_record(actor=actor, action="update", obj=user, detail={"changed": sorted(changed)})
    return user


@transaction.atomic
def submission_once(*, user: User, key: uuid.UUID, perform: Callable[[], str]) -> tuple[str, bool]:
    """Carry out a submission once per key; `perform` does the work and returns the URL to show.

    Returns that URL and whether this call did the work. A repeat (double click, retry after a
    lost response) gets the first call's URL. If `perform` fails, nothing is kept, so the person
    can correct the form and submit the same key again.
    """
    existing = Submission.objects.filter(key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                submission = Submission.objects.create(key=key, user=user)
        except IntegrityError:
            # A concurrent duplicate committed first (PostgreSQL waits for it on the unique key).
            existing = Submission.objects.get(key=key)
    if existing is not None:
        if existing.user_id != user.pk:
            raise PermissionDenied("This form was submitted by someone else.")
        return existing.result_url, False
    url = perform()
    submission.result_url = url
    submission.save(update_fields=["result_url"])
    return url, True
