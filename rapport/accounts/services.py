"""Account workflows: an admin invites, edits and deactivates users of their practice."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from rapport.accounts.models import (
    ApiIdempotencyKey,
    ApiToken,
    EnrolmentCode,
    Role,
    Submission,
    ThrottleEvent,
    User,
)
from rapport.accounts.password_links import set_password_link
from rapport.accounts.queries import (
    THROTTLE_MEMORY,
    sign_in_blocked_until,
    throttle_events,
    throttle_key,
)
from rapport.audit.models import AuditEvent
from rapport.audit.services import audit_record
from rapport.core.throttle import count_within
from rapport.core.tokens import hash_token
from rapport.people.languages import language_of, writing_to
from rapport.people.models import Client

USER_FIELDS = ("full_name", "email", "role", "team", "language", "is_active")


@transaction.atomic
def user_invite(*, actor: User, details: dict[str, Any], base_url: str | None = None) -> User:
    """Create an account without a password and email the person a link to choose one."""
    actor.require_practice_admin()
    user = User(
        practice_id=actor.practice_id, **{k: details[k] for k in USER_FIELDS if k in details}
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    link = set_password_link(user, base_url=base_url)
    # In the language the admin chose for the account: the new colleague's own.
    with writing_to(language_of(user)):
        body = render_to_string(
            "accounts/email/invitation.txt",
            {"user": user, "practice": actor.practice, "link": link},
        )
        subject = _("Your Rapport account at %(practice)s") % {"practice": actor.practice}
    # Inside the transaction: if the mail server refuses, no half-made account is left behind.
    send_mail(subject, body, None, [user.email])
    audit_record(actor=actor, action="create", obj=user, detail={"role": user.role})
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, details: dict[str, Any]) -> User:
    actor.require_practice_admin()
    if user.practice_id != actor.practice_id:
        raise PermissionDenied("That account belongs to another practice.")
    if user.pk == actor.pk and (
        details.get("role", user.role) != Role.ADMIN or not details.get("is_active", True)
    ):
        raise ValidationError(_("You cannot remove your own admin role or deactivate yourself."))
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
def account_language_set(*, actor: User, language: str) -> None:
    """A person chooses the language Rapport writes to them in. A client's lives on their
    record, where the clinician sets it too (one place, read by rapport.people.languages)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Rapport has no pages in that language."))
    if actor.role == Role.CLIENT:
        client = Client.objects.select_for_update().filter(user=actor).first()
        if client is None:
            raise PermissionDenied("This account has no client record.")
        before, client.language = client.language, language
        client.save(update_fields=["language"])
        target: Client | User = client
    else:
        before, actor.language = actor.language, language
        actor.save(update_fields=["language"])
        target = actor
    audit_record(actor=actor, action="update", obj=target, detail={"language": [before, language]})


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


# --- Rate limits (README "Signing in") -----------------------------------------------------

RESET_WINDOW = timedelta(hours=1)
RESET_PER_ADDRESS = 3
RESET_PER_IP = 20


def _throttle_prune(now: datetime) -> None:
    ThrottleEvent.objects.filter(at__lt=now - THROTTLE_MEMORY).delete()


@transaction.atomic
def sign_in_failure_record(*, ip_address: str, now: datetime | None = None) -> None:
    """Count a failed sign-in against its address (not while the address is blocked, so a
    guesser cannot grow the table)."""
    now = now or timezone.now()
    if sign_in_blocked_until(ip_address, now=now) is not None:
        return
    _throttle_prune(now)
    ThrottleEvent.objects.create(
        scope="sign_in_ip", key=throttle_key("sign_in_ip", ip_address), at=now
    )


@transaction.atomic
def password_reset_admit(*, email: str, ip_address: str, now: datetime | None = None) -> bool:
    """Whether a password-reset email may be sent for this request, counting it if so.

    At most RESET_PER_ADDRESS per email address and RESET_PER_IP per client address an hour.
    The person asking is told the same thing either way, so nobody learns which addresses
    have accounts or that a limit was reached."""
    now = now or timezone.now()
    scopes = {"reset_address": (email, RESET_PER_ADDRESS), "reset_ip": (ip_address, RESET_PER_IP)}
    for scope, (value, limit) in scopes.items():
        if (
            count_within(
                throttle_events(scope, value, now=now, since=RESET_WINDOW),
                now=now,
                window=RESET_WINDOW,
            )
            >= limit
        ):
            audit_record(
                actor=None,
                action="password_reset_throttled",
                outcome=AuditEvent.Outcome.DENIED,
                detail={"scope": scope},
            )
            return False
    _throttle_prune(now)
    ThrottleEvent.objects.bulk_create(
        ThrottleEvent(scope=scope, key=throttle_key(scope, value), at=now)
        for scope, (value, _) in scopes.items()
    )
    return True


# --- Second factor: an emailed code before enrolment ------------------------------------------

ENROLMENT_CODE_LIFETIME = timedelta(minutes=10)
ENROLMENT_CODE_TRIES = 5
ENROLMENT_CODES_PER_HOUR = 5


def _enrolment_hash(user: User, code: str) -> str:
    return salted_hmac(
        "rapport.enrolment_code", f"{user.pk}:{code}", algorithm="sha256"
    ).hexdigest()


@transaction.atomic
def enrolment_code_send(*, user: User, now: datetime | None = None) -> bool:
    """Email a fresh six-digit code to the account's own address (earlier codes stop working).
    False, and nothing sent, when the account asked for too many codes this hour."""
    now = now or timezone.now()
    sent = throttle_events("enrolment_send", str(user.pk), now=now, since=timedelta(hours=1))
    if len(sent) >= ENROLMENT_CODES_PER_HOUR:
        return False
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
    code = f"{secrets.randbelow(1_000_000):06d}"
    EnrolmentCode.objects.create(
        user=user,
        code_hash=_enrolment_hash(user, code),
        created_at=now,
        expires_at=now + ENROLMENT_CODE_LIFETIME,
    )
    ThrottleEvent.objects.create(
        scope="enrolment_send", key=throttle_key("enrolment_send", str(user.pk)), at=now
    )
    with writing_to(language_of(user)):
        body = render_to_string(
            "accounts/email/enrolment_code.txt",
            {
                "user": user,
                "code": code,
                "minutes": int(ENROLMENT_CODE_LIFETIME.total_seconds() // 60),
            },
        )
        subject = _("Your Rapport set-up code")
    send_mail(subject, body, None, [user.email])
    audit_record(actor=user, action="enrolment_code_sent", obj=user)
    return True


@transaction.atomic
def enrolment_code_check(*, user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` is the account's current code: unused, not expired, within its tries.
    Every try counts, right or wrong; a used code never works again."""
    now = now or timezone.now()
    current = (
        EnrolmentCode.objects.select_for_update()
        .filter(user=user, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if current is None or current.attempts >= ENROLMENT_CODE_TRIES:
        audit_record(
            actor=user, action="enrolment_code_check", obj=user, outcome=AuditEvent.Outcome.DENIED
        )
        return False
    current.attempts += 1
    matches = constant_time_compare(current.code_hash, _enrolment_hash(user, code.strip()))
    if matches:
        current.used_at = now
    current.save(update_fields=["attempts", "used_at"])
    audit_record(
        actor=user,
        action="enrolment_code_check",
        obj=user,
        outcome=AuditEvent.Outcome.OK if matches else AuditEvent.Outcome.DENIED,
    )
    return matches


@transaction.atomic
def totp_device_confirm(*, user: User, key: str, token: str) -> TOTPDevice | None:
    """Keep the authenticator whose secret the set-up page showed, once a code from it proves
    the app holds it. None when the code is wrong: the device stays unconfirmed for another
    try, and one left from an earlier set-up with another secret is dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).exclude(key=key).delete()
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, key=key, defaults={"name": "Authenticator app"}
    )
    if not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="two_factor_enabled", obj=user)
    return device


# --- API tokens -----------------------------------------------------------------------------

API_TOKEN_PREFIX = "rapport_pat_"


@transaction.atomic
def api_token_create(
    *, actor: User | None, user: User, name: str, scope: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """Make a personal access token for `user`: the token itself is returned once, here, and
    only its hash is stored. `actor` None is the command line (an operator with the server's
    keys). Only practice staff use the API; a token lives `days` (the practice default when
    not given), never beyond the maximum."""
    if not user.is_practice_staff or not user.is_active:
        raise ValidationError(_("API tokens are for active practice staff."))
    if scope not in ApiToken.Scope.values:
        raise ValidationError(
            _("Scope must be one of %(scopes)s.") % {"scopes": ", ".join(ApiToken.Scope.values)}
        )
    days = settings.RAPPORT_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.RAPPORT_API_TOKEN_MAX_DAYS:
        raise ValidationError(
            _("A token lives from 1 to %(days)s days.")
            % {"days": settings.RAPPORT_API_TOKEN_MAX_DAYS}
        )
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."))
    key_id = secrets.token_hex(8)
    token = f"{API_TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    created = ApiToken.objects.create(
        user=user,
        name=name[:80],
        scope=scope,
        key_id=key_id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="create",
        obj=created,
        practice_id=user.practice_id,
        detail={"user": user.pk, "scope": scope, "days": days},
    )
    return created, token


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token (its owner's own): it stops working at once; revoking twice is one
    revocation."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk, user=actor)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="revoke", obj=locked)
    return locked


@transaction.atomic
def api_token_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Note when a token was last used, at most once a minute (not a write per call)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def api_idempotent(
    *,
    user: User,
    key: str,
    digest: str,
    perform: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """Carry out an API write once per (user, key): a repeat with the same request gets the
    first result; one with another request is refused (409). The key's row is written in the
    write's transaction, so a failed write leaves the key free."""
    earlier = ApiIdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
    if earlier is not None:
        if not constant_time_compare(earlier.request_digest, digest):
            raise IdempotencyClash("This Idempotency-Key was used for a different request.")
        return earlier.status, earlier.body
    status, body = perform()
    try:
        with transaction.atomic():
            ApiIdempotencyKey.objects.create(
                user=user,
                key=key,
                request_digest=digest,
                status=status,
                body=body,
                created_at=timezone.now(),
            )
    except IntegrityError as error:
        # A concurrent request with the same key won: ours is undone with this transaction.
        raise IdempotencyClash("This Idempotency-Key is being used by another request.") from error
    return status, body


class IdempotencyClash(Exception):
    """An Idempotency-Key sent again with another request (409)."""
