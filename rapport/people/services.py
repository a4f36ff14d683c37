"""Workflows over client records and guardian links. Each is atomic and audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import CLINICAL_STAFF_ROLES, Role, User
from rapport.accounts.password_links import set_password_link
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.care.signals import episode_opened
from rapport.core.reminders import phone_key
from rapport.people.languages import client_language, language_of, writing_to
from rapport.people.models import (
    Client,
    GuardianLink,
    GuardianPhone,
    StoppedNumber,
    TextConsentSource,
)
from rapport.people.signals import guardian_link_ended

CLIENT_FIELDS = (
    "full_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "preferred_language",
    "language",
    "sms_consent",
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
        raise ValidationError(_("Only clinicians and supervisors register clients."))
    if (
        primary_clinician.practice_id != actor.practice_id
        or primary_clinician.role not in CLINICAL_STAFF_ROLES
    ):
        raise ValidationError(_("The primary clinician must be a clinician in this practice."))
    client = Client(
        practice_id=actor.practice_id, **{k: details[k] for k in details if k in CLIENT_FIELDS}
    )
    if client.sms_consent:
        client.sms_consent_at = timezone.now()
        client.sms_consent_source = TextConsentSource.STAFF
    client.sms_stopped_at = _stopped_since(phone_key(client.phone))
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
    episode_opened.send(sender=Episode, actor=actor, episode=episode)
    return client


@transaction.atomic
def client_update(*, actor: User, client: Client, details: dict[str, Any]) -> Client:
    changed = []
    digits_before = phone_key(client.phone)
    for field in CLIENT_FIELDS:
        if field in details and getattr(client, field) != details[field]:
            setattr(client, field, details[field])
            changed.append(field)
    if "sms_consent" in changed:
        # When the yes was given, and by whom, is kept with it; a STOP the client texted is
        # theirs to lift (by texting START), not staff's, so it stays.
        client.sms_consent_at = timezone.now() if client.sms_consent else None
        client.sms_consent_source = TextConsentSource.STAFF if client.sms_consent else ""
        changed += ["sms_consent_at", "sms_consent_source"]
    if phone_key(client.phone) != digits_before:
        # A STOP belongs to the number it came from: a new number carries its own.
        client.sms_stopped_at = _stopped_since(phone_key(client.phone))
        changed.append("sms_stopped_at")
    if changed:
        client.full_clean()
        client.save(update_fields=changed)
    audit_record(actor=actor, action="update", obj=client, detail={"changed": changed})
    return client


def _stopped_since(digits: str) -> datetime | None:
    """When a number texted STOP (not lifted by a START since); None for any other number."""
    if not digits:
        return None
    stop = StoppedNumber.objects.filter(digits=digits).first()
    return stop.stopped_at if stop is not None else None


@transaction.atomic
def text_reply_record(*, sender: str, reply: str) -> int:
    """A reply texted to the practice's number. A STOP belongs to the number: it is recorded
    against it, and ends texts to every client and guardian on record with that number (in any
    practice: the gateway's number is shared), and to anyone given that number later; START
    lifts it for all of them. A family sharing one phone is one person to the gateway, which
    stops the number whoever we meant to text. Returns how many records changed; each change
    is audited."""
    digits = phone_key(sender)
    if not digits or reply not in ("stop", "start"):
        return 0
    now = timezone.now()
    if reply == "stop":
        StoppedNumber.objects.get_or_create(digits=digits, defaults={"stopped_at": now})
    else:
        StoppedNumber.objects.filter(digits=digits).delete()
    records: list[Client | GuardianPhone] = [
        *Client.objects.select_for_update().filter(phone_digits=digits),
        *GuardianPhone.objects.select_for_update(of=("self",))
        .select_related("guardian")
        .filter(phone_digits=digits),
    ]
    changed = 0
    for record in records:
        stopped = record.sms_stopped_at is not None
        if (reply == "stop") == stopped:
            continue  # already as asked
        record.sms_stopped_at = now if reply == "stop" else None
        record.save(update_fields=["sms_stopped_at"])
        audit_record(
            actor=None,
            action=f"text_{reply}",
            obj=record,
            practice_id=_practice_of(record),
            detail={"via": "text reply"},
        )
        changed += 1
    return changed


def _practice_of(record: Client | GuardianPhone) -> int | None:
    if isinstance(record, Client):
        return record.practice_id
    return record.guardian.practice_id


@transaction.atomic
def texts_consent_set(
    *,
    actor: User,
    record: Client | GuardianPhone,
    phone: str,
    consent: bool,
    source: str,
) -> Client | GuardianPhone:
    """Give or withdraw a yes to texts, and set the number they go to, for a client or a
    guardian (their own GuardianPhone, made on their first yes or number). The yes keeps when
    and by whom it was given (`source`: staff, or the person in the portal); a new number
    carries its own STOP, if it ever texted one. Audited whether or not anything changed."""
    if source not in TextConsentSource.values:
        raise ValidationError(_("Unknown source of consent."))
    phone = phone.strip()
    if consent and not phone:
        raise ValidationError({"phone": _("Texts need a phone number.")})
    changed = []
    if record.phone != phone:
        if phone_key(record.phone) != phone_key(phone):
            record.sms_stopped_at = _stopped_since(phone_key(phone))
            changed.append("sms_stopped_at")
        record.phone = phone
        changed.append("phone")
    if record.sms_consent != consent:
        record.sms_consent = consent
        record.sms_consent_at = timezone.now() if consent else None
        record.sms_consent_source = source if consent else ""
        changed += ["sms_consent", "sms_consent_at", "sms_consent_source"]
    if record.pk is None:
        record.full_clean()
        record.save()
    elif changed:
        record.full_clean()
        record.save(update_fields=changed)
    audit_record(
        actor=actor,
        action="texts_consent",
        obj=record,
        practice_id=_practice_of(record),
        detail={
            "changed": [f for f in changed if f in ("phone", "sms_consent")],
            "consent": consent,
            "source": source,
        },
    )
    return record


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
    # The guardian's language is their own, whichever child's link it is set from.
    language = settings.get("language")
    guardian = link.guardian
    if language and language != guardian.language:
        changed["language"] = [guardian.language, language]
        guardian.language = language
        guardian.full_clean(exclude=["password"])
        guardian.save(update_fields=["language"])
    audit_record(actor=actor, action="update", obj=link, detail={"changed": changed})
    # The guardian's number and yes to texts are their own too, whichever child's link they are
    # recorded from.
    if "sms_consent" in settings:
        texts = GuardianPhone.objects.filter(guardian=guardian).first() or GuardianPhone(
            guardian=guardian
        )
        if texts.phone != settings.get("phone", "").strip() or (
            texts.sms_consent != settings["sms_consent"]
        ):
            texts_consent_set(
                actor=actor,
                record=texts,
                phone=settings.get("phone", ""),
                consent=settings["sms_consent"],
                source=TextConsentSource.STAFF,
            )
    if "is_active" in changed and not link.is_active:
        guardian_link_ended.send(sender=GuardianLink, link=link)
    return link


def _invite(
    user: User, *, practice_name: str, base_url: str | None, template: str, extra: dict[str, Any]
) -> None:
    client = extra.get("client")
    # A client's language is on their record (their account may be moments old).
    language = (
        client_language(client)
        if isinstance(client, Client) and user.role == Role.CLIENT
        else language_of(user)
    )
    with writing_to(language):
        body = render_to_string(
            template,
            {
                "user": user,
                "practice_name": practice_name,
                **extra,
                "link": set_password_link(user, base_url=base_url),
            },
        )
        subject = _("Your Rapport account at %(practice)s") % {"practice": practice_name}
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def guardian_add(
    *,
    actor: User,
    client: Client,
    full_name: str,
    email: str,
    relationship: str,
    consent_to_treatment: bool,
    base_url: str | None = None,
    language: str = "",
) -> GuardianLink:
    """Link a parent or guardian to a child or adolescent client, inviting them if new."""

    if not client.is_minor:
        raise ValidationError(_("Guardians are linked to clients under 18 only."))
    email = email.strip().lower()
    guardian = User.objects.filter(email=email).first()
    if guardian is None:
        guardian = User(
            email=email,
            full_name=full_name.strip(),
            role=Role.GUARDIAN,
            practice_id=client.practice_id,
            language=language or "en",
        )
        guardian.set_unusable_password()
        guardian.full_clean(exclude=["password"])
        guardian.save()
        _invite(
            guardian,
            practice_name=client.practice.name,
            base_url=base_url,
            template="people/email/guardian_invitation.txt",
            extra={"client": client},
        )
        audit_record(actor=actor, action="create", obj=guardian, client_id=client.pk)
    elif guardian.role != Role.GUARDIAN or guardian.practice_id != client.practice_id:
        # Do not reveal anything about the existing account.
        raise ValidationError(_("This email address cannot be used for a guardian here."))
    elif guardian.full_name.strip().casefold() != full_name.strip().casefold():
        # Brothers and sisters share a parent's account, but a mistyped address must not hand
        # one family's schedule to another family's parent.
        raise ValidationError(
            _(
                "This email address belongs to a parent account under a different name. "
                "Check the address, or type the name exactly as on that account."
            )
        )
    if GuardianLink.objects.filter(client=client, guardian=guardian).exists():
        raise ValidationError(
            _("%(name)s is already linked to this client.") % {"name": guardian.full_name}
        )
    link = GuardianLink(
        client=client,
        guardian=guardian,
        relationship=relationship,
        consent_to_treatment=consent_to_treatment,
    )
    link.full_clean()
    link.save()
    audit_record(actor=actor, action="create", obj=link)
    return link


@transaction.atomic
def client_portal_invite(*, actor: User, client: Client, base_url: str | None = None) -> User:
    """Give a client their own portal login, sent to the email on their record."""

    if client.user_id is not None:
        raise ValidationError(_("This client already has a portal login."))
    if not client.email:
        raise ValidationError(_("Add the client's email address first."))
    email = client.email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError(_("This email address cannot be used for a portal login here."))
    user = User(
        email=email, full_name=client.full_name, role=Role.CLIENT, practice_id=client.practice_id
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    client.user = user
    client.save(update_fields=["user"])
    _invite(
        user,
        practice_name=client.practice.name,
        base_url=base_url,
        template="people/email/client_invitation.txt",
        extra={"client": client},
    )
    audit_record(actor=actor, action="portal_invite", obj=client)
    return user
