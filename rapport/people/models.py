from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import LANGUAGE_MAX_LENGTH, Role, User, language_choices
from rapport.core.ages import AgeBand, age_band
from rapport.core.reminders import phone_key
from rapport.core.text import search_key


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    WAITING = "waiting", _("Waiting list")
    INACTIVE = "inactive", _("Inactive")
    DISCHARGED = "discharged", _("Discharged")


class TextConsentSource(models.TextChoices):
    """Who recorded a yes to texts: shown to the clinician next to when it was given."""

    STAFF = "staff", _("recorded by staff")
    PORTAL = "portal", _("given in the portal")


class Client(models.Model):
    """A person receiving care. They may or may not have a portal login (`user`)."""

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.PROTECT, related_name="clients"
    )
    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_record",
        help_text=_("The client's own portal login, if they have one."),
    )
    full_name = models.CharField(max_length=200)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    preferred_language = models.CharField(max_length=60, default="English")
    # The language Rapport writes to the client in (forms, portal, emails): one of the
    # translated ones, where `preferred_language` above may name any language.
    language = models.CharField(
        max_length=LANGUAGE_MAX_LENGTH,
        choices=language_choices,
        default="en",
        db_default="en",
        verbose_name=_("Language of forms and the portal"),
    )
    # Text messages (links to forms only) need the client's own yes, recorded when given; a STOP
    # the client texts back is recorded too and outranks the yes until they text START.
    sms_consent = models.BooleanField(
        default=False,
        db_default=False,  # bulk SQL loaders that predate the column keep working
        verbose_name=_("Text messages"),
        help_text=_("The client agreed to receive links to their forms by text message."),
    )
    sms_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    sms_consent_source = models.CharField(
        max_length=8,
        choices=TextConsentSource.choices,
        blank=True,
        editable=False,
        db_default="",
    )
    sms_stopped_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The phone number's digits alone, kept in step on every save: a reply (STOP) names its
    # sender however the number on record was written.
    phone_digits = models.CharField(
        max_length=40, blank=True, editable=False, db_default="", db_index=True
    )
    status = models.CharField(
        max_length=16, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    # The names folded for search (see rapport.core.text.search_key), kept in step on every save.
    # The database default keeps bulk SQL loaders that predate the column working.
    search_name = models.CharField(max_length=320, blank=True, editable=False, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "pk"
    access_select_related: ClassVar[tuple[str, ...]] = ()

    class Meta:
        ordering = ["full_name"]
        indexes = [models.Index(fields=["practice", "full_name"])]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = search_key(f"{self.full_name} {self.preferred_name}")
        self.phone_digits = phone_key(self.phone)
        fields = kwargs.get("update_fields")
        if fields is not None and {"full_name", "preferred_name"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_name"}
        if fields is not None and "phone" in fields:
            kwargs["update_fields"] = {*kwargs["update_fields"], "phone_digits"}
        super().save(*args, **kwargs)

    @property
    def may_text(self) -> bool:
        """Texts go only with the client's yes, to a number, and never after a STOP."""
        return self.sms_consent and bool(self.phone.strip()) and self.sms_stopped_at is None

    @classmethod
    def matching(cls, query: str) -> models.Q:
        """Clients whose full or preferred name contains the query, ignoring case and accents."""
        return models.Q(search_name__contains=search_key(query))

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name not in self.full_name.split(" "):
            return f"{self.full_name} ({self.preferred_name})"
        return self.full_name

    def age_band(self, on: date | None = None) -> AgeBand:
        return age_band(self.date_of_birth, on or timezone.localdate())

    @property
    def is_minor(self) -> bool:
        return self.age_band() != AgeBand.ADULT

    @property
    def is_child(self) -> bool:
        """Under 13: an age at which parents usually coach the homework."""
        return self.age_band() == AgeBand.CHILD

    def guardian_link_for(self, user: User) -> GuardianLink | None:
        """The active link through which `user` sees this client as their parent or guardian;
        None for anyone who is not a linked guardian (the client themself, staff)."""
        if user.role != Role.GUARDIAN:
            return None
        return self.guardian_links.filter(guardian=user, is_active=True).first()


class GuardianLink(models.Model):
    """A parent or guardian of a child or adolescent client, and what they may see."""

    class Relationship(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        PARENT = "parent", _("Parent")
        STEP_PARENT = "step_parent", _("Step-parent")
        GRANDPARENT = "grandparent", _("Grandparent")
        FOSTER_CARER = "foster_carer", _("Foster carer")
        LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="guardian_links"
    )
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    has_parental_responsibility = models.BooleanField(default=True)
    consent_to_treatment = models.BooleanField(
        default=False, help_text=_("The guardian has consented to the child's treatment.")
    )
    consent_to_contact = models.BooleanField(
        default=True, help_text=_("Rapport may email this guardian reminders and forms.")
    )
    # What the guardian may see. Defaults follow adolescent confidentiality: their own forms and
    # shared plan summaries, never the young person's own answers or free text.
    may_see_plan_summary = models.BooleanField(default=True)
    may_see_client_answers = models.BooleanField(
        default=False, help_text=_("Scores from the young person's own measures.")
    )
    may_see_client_free_text = models.BooleanField(
        default=False, help_text=_("What the young person wrote in free-text answers.")
    )
    may_see_schedule = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "client"
    access_select_related: ClassVar[tuple[str, ...]] = ("client", "guardian")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "guardian"], name="guardian_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.guardian} — {self.get_relationship_display()} of {self.client}"


class GuardianPhone(models.Model):
    """A parent's or guardian's own number for texts and their own yes to them: one per guardian,
    whichever of their children a form is about (the number and the yes are theirs). Forms a
    guardian answers are texted here, never to the child's number."""

    guardian = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="guardian_phone"
    )
    phone = models.CharField(max_length=40, blank=True)
    phone_digits = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    sms_consent = models.BooleanField(default=False, verbose_name=_("Text messages"))
    sms_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    sms_consent_source = models.CharField(
        max_length=8, choices=TextConsentSource.choices, blank=True, editable=False
    )
    sms_stopped_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Texts to {self.guardian}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_digits = phone_key(self.phone)
        fields = kwargs.get("update_fields")
        if fields is not None and "phone" in fields:
            kwargs["update_fields"] = {*fields, "phone_digits"}
        super().save(*args, **kwargs)

    @property
    def may_text(self) -> bool:
        """As for a client: their yes, a number, and no STOP from it."""
        return self.sms_consent and bool(self.phone.strip()) and self.sms_stopped_at is None


class StoppedNumber(models.Model):
    """A number that texted STOP. The STOP belongs to the number, not to one record: every client
    and guardian with it is stopped, and so is anyone given it later, until it texts START (the
    gateways themselves block a number that said STOP, so a yes given elsewhere cannot lift it)."""

    digits = models.CharField(max_length=40, unique=True)
    stopped_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"STOP from …{self.digits[-4:]}"
