from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# The names of the languages in settings.LANGUAGES, for the catalogues: a language added there
# is named as the settings name it until a translator gives it its name.
LANGUAGE_NAMES = (gettext_noop("English"), gettext_noop("Spanish (español)"))


def language_choices() -> list[tuple[str, Any]]:
    """The languages people may choose, read when asked: a new language needs no migration."""
    return [(code, _(name)) for code, name in settings.LANGUAGES]


LANGUAGE_MAX_LENGTH = 8


class Role(models.TextChoices):
    ADMIN = "admin", _("Practice admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    CLINICIAN = "clinician", _("Clinician")
    CLIENT = "client", _("Client")
    GUARDIAN = "guardian", _("Parent or guardian")


STAFF_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CLINICIAN})
CLINICAL_STAFF_ROLES = frozenset({Role.SUPERVISOR, Role.CLINICIAN})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who signs in. A user belongs to one practice and holds one role there."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.PROTECT, related_name="users", null=True
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    team = models.ForeignKey(
        "practices.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("The clinician's team; its supervisor sees the clinician's caseload."),
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    # Staff pages and a guardian's forms, portal and emails; a client's come from their record.
    language = models.CharField(
        max_length=LANGUAGE_MAX_LENGTH,
        choices=language_choices,
        default="en",
        db_default="en",
        verbose_name=_("Language of Rapport's pages"),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="user_role_known"
            ),
            # Staff always belong to a practice; a person's single staff role therefore binds
            # them to exactly one practice.
            models.CheckConstraint(
                condition=~Q(role__in=sorted(r.value for r in STAFF_ROLES))
                | Q(practice__isnull=False),
                name="staff_user_has_practice",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    # Rapport has no all-powerful account and does not use Django's admin site.
    is_staff = False
    is_superuser = False

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    @property
    def is_practice_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_clinical_staff(self) -> bool:
        return self.role in CLINICAL_STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def require_practice_admin(self) -> None:
        """Only a practice's admins manage the practice: its accounts and its settings."""
        if self.role != Role.ADMIN or self.practice_id is None:
            raise PermissionDenied("Only practice admins manage the practice.")

    @property
    def staff_practice_id(self) -> int:
        """`practice_id` for a member of staff, typed as set: the staff_user_has_practice
        constraint gives every staff role a practice, so a page behind a staff role decorator
        (or code past `require_practice_admin`) reads its practice here."""
        assert self.practice_id is not None, "staff always belong to a practice"
        return self.practice_id

    @property
    def first_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Submission(models.Model):
    """A form submission already carried out, so that a retried or double-clicked submit is
    carried out once. The key is a random UUID rendered into the form."""

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    result_url = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"submission {self.key}"


class ThrottleEvent(models.Model):
    """One counted event for a rate limit (a failed sign-in from an address, a password-reset
    request). Kept in the database so that every app server counts the same events.

    The key is a keyed hash of the address or email, so the table names nobody."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"])]

    def __str__(self) -> str:
        return f"{self.scope} at {self.at:%H:%M:%S}"


class EnrolmentCode(models.Model):
    """A one-time code emailed to an account's own address before a second factor is set up:
    knowing the password alone does not let someone enrol their authenticator first.

    Only a keyed hash of the code is kept; it works for a few minutes and a few tries."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"enrolment code for user {self.user_id}"


class ApiToken(models.Model):
    """A personal access token for the JSON API, sent as `Authorization: Bearer <token>`.

    The token is shown once, when it is made; only the SHA-256 of it is kept, so a copy of the
    database opens nothing. `key_id` (random, in the token after its prefix) finds the row; the
    hashes are then compared in constant time."""

    class Scope(models.TextChoices):
        READ = "read", _("Read the records you may read")
        WRITE = "write", _("Read, and write what you may write")
        FHIR = "fhir", _("FHIR exports (and imports, for a practice admin)")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text=_("What the token is for, to tell it apart."))
    scope = models.CharField(max_length=8, choices=Scope.choices)
    key_id = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["read", "write", "fhir"]), name="api_token_scope_known"
            ),
        ]

    def __str__(self) -> str:
        return f"API token {self.name} ({self.key_id})"


class ApiIdempotencyKey(models.Model):
    """The first result of an API write sent with an `Idempotency-Key`: the same key again gets
    the same result without a second write; the same key with another body gets 409."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"idempotency key of user {self.user_id}"
