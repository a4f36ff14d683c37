from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Role, User
from rapport.core.instruments import clean_answers, score
from rapport.core.schedules import LEAD_HOURS_DEFAULT, LEAD_HOURS_MAX

# The practice's own range for how long a link works (practices.Practice.link_valid_hours).
LINK_VALID_HOURS_MIN = 1
LINK_VALID_HOURS_MAX = 720

if TYPE_CHECKING:
    from rapport.core.instruments import Instrument


class InstrumentDefinition(models.Model):
    """A practice's own instrument (for example a licensed ORS/SRS), imported as a definition file.

    Rapport's built-in instruments live as files in rapport/instruments/; imported ones live here,
    visible to their practice only. Each import of a changed file is a new version.
    """

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.CASCADE, related_name="instruments"
    )
    instrument_id = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    document = models.JSONField()
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "instrument_id", "version"], name="instrument_version_unique"
            )
        ]
        ordering = ["instrument_id", "-imported_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.instrument_id} v{self.version})"


class Respondent(models.TextChoices):
    CLIENT = "client", _("Client")
    GUARDIAN = "guardian", _("Parent or guardian")
    THERAPIST = "therapist", _("Therapist")


class Schedule(models.TextChoices):
    EVERY_SESSION = "every_session", _("Every session")
    EVERY_N_SESSIONS = "every_n_sessions", _("Every N sessions")
    INTAKE_DISCHARGE = "intake_discharge", _("At intake and discharge")
    BETWEEN_SESSIONS = "between_sessions", _("Between sessions, from home")


class MeasurePlan(models.Model):
    """One measure an episode uses, who completes it, and when."""

    episode = models.ForeignKey("care.Episode", on_delete=models.CASCADE, related_name="measures")
    family = models.CharField(
        max_length=64, help_text=_("The measure; the age-appropriate version is chosen per person.")
    )
    respondent = models.CharField(max_length=16, choices=Respondent.choices)
    schedule = models.CharField(max_length=24, choices=Schedule.choices)
    every_n = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    # How long before its session a check-in from home (between sessions, or before a video or
    # phone session) may be answered; forms in the room open at the start, feedback after it.
    lead_hours = models.PositiveSmallIntegerField(
        default=LEAD_HOURS_DEFAULT,
        validators=[MaxValueValidator(LEAD_HOURS_MAX)],
        help_text=_("How many hours before the session a check-in from home opens."),
    )
    # Empty: the practice's number of reminders; a clinician may ask for fewer or more for one
    # measure (none for a client who asked not to be chased, say).
    reminders = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(3)],
        help_text=_("Reminders for a form still not done (0 to 3); empty: the practice's setting."),
    )
    # Empty: the practice's link life. A clinician may shorten it for a check-in that says
    # little once its session has passed, or lengthen it (up to the practice's own maximum, 30
    # days) for a discharge measure people answer in their own time.
    link_valid_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(LINK_VALID_HOURS_MIN),
            MaxValueValidator(LINK_VALID_HOURS_MAX),
        ],
        help_text=_("How long a link to this measure works; empty: the practice's setting."),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("episode__client",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "family", "respondent"],
                condition=models.Q(is_active=True),
                name="one_active_plan_per_measure_and_respondent",
            ),
            models.CheckConstraint(
                condition=models.Q(every_n__gte=1) & models.Q(every_n__lte=52),
                name="measure_plan_every_n_sensible",
            ),
            models.CheckConstraint(
                condition=models.Q(lead_hours__lte=LEAD_HOURS_MAX),
                name="measure_plan_lead_hours_sensible",
            ),
            models.CheckConstraint(
                condition=models.Q(link_valid_hours__isnull=True)
                | (
                    models.Q(link_valid_hours__gte=LINK_VALID_HOURS_MIN)
                    & models.Q(link_valid_hours__lte=LINK_VALID_HOURS_MAX)
                ),
                name="measure_plan_link_valid_hours_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family} ({self.respondent}, {self.get_schedule_display()})"

    def link_hours(self, practice_hours: int) -> int:
        """How long a link to this measure works: its own setting, else the practice's."""
        return self.link_valid_hours if self.link_valid_hours is not None else practice_hours


class DefaultMeasurePlan(models.Model):
    """A practice's own starting measures for new clients in one age band (see measures.defaults).

    Without a row the band uses Rapport's defaults; a row with no measures means "none".
    """

    class AgeBandChoice(models.TextChoices):
        CHILD = "child", _("Children (under 13)")
        ADOLESCENT = "adolescent", _("Adolescents (13 to 17)")
        ADULT = "adult", _("Adults (18 and over)")

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.CASCADE, related_name="default_measure_plans"
    )
    age_band = models.CharField(max_length=16, choices=AgeBandChoice.choices)
    # [{"family", "respondent", "schedule", "every_n"}], in the order the page lists them.
    measures = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "age_band"], name="one_default_plan_per_practice_and_band"
            )
        ]

    def __str__(self) -> str:
        return f"Default measures for {self.get_age_band_display()}"


class Assignment(models.Model):
    """One measure for one person to complete, in session or from home."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    episode = models.ForeignKey(
        "care.Episode", on_delete=models.CASCADE, related_name="assignments"
    )
    session = models.ForeignKey(
        "care.Session", on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    plan = models.ForeignKey(
        MeasurePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    instrument_id = models.CharField(max_length=64)
    respondent = models.CharField(max_length=16, choices=Respondent.choices)
    respondent_user = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        help_text=_("The guardian (or clinician) who answers; empty for the client themself."),
    )
    # "client", "guardian:<user id>" or "therapist:<user id>": one assignment per person.
    respondent_key = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    remote = models.BooleanField(default=False, help_text=_("Completed from home through a link."))
    draft = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = (
        "episode__client",
        "episode__practice",
        "session",
    )

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["episode", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "plan", "respondent_key"],
                condition=models.Q(session__isnull=False, plan__isnull=False),
                name="one_assignment_per_session_plan_and_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} for {self.get_respondent_display()} ({self.status})"

    @classmethod
    def portal_visible(cls, user: User) -> models.QuerySet[Assignment]:
        """What a client or guardian answers themself: a client their own forms, a guardian the
        forms addressed to them about a young person they are still linked to."""
        if user.role == Role.CLIENT:
            return cls.objects.filter(respondent="client", episode__client__user=user)
        if user.role == Role.GUARDIAN:
            return cls.objects.filter(
                respondent="guardian",
                respondent_user=user,
                episode__client__guardian_links__guardian=user,
                episode__client__guardian_links__is_active=True,
            )
        return cls.objects.none()

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PENDING

    @cached_property
    def instrument(self) -> Instrument:
        from rapport.measures.registry import get_instrument  # noqa: PLC0415 -- cycle: the registry imports this module

        return get_instrument(self.instrument_id, practice_id=self.episode.practice_id)


class ResponseQuerySet(models.QuerySet["Response"]):
    def risk_flagged(self) -> ResponseQuerySet:
        """Responses that carry a risk flag (see Response.carries_risk_flag)."""
        return self.exclude(flags=[])


class Response(models.Model):
    """A completed administration: the answers as given and their scores at that time."""

    class Mode(models.TextChoices):
        IN_SESSION = "in_session", _("In session")
        LINK = "link", _("From home (link)")
        PORTAL = "portal", _("Portal")
        CLINICIAN = "clinician", _("Entered by clinician")
        # Brought in from another system (a FHIR import): who answered is `respondent`.
        IMPORTED = "imported", _("Imported")

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="response")
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="responses")
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.CharField(max_length=32)
    respondent = models.CharField(max_length=16, choices=Respondent.choices)
    answers = models.JSONField()
    total = models.FloatField(null=True)
    subscales = models.JSONField(default=dict)
    band = models.CharField(max_length=60, blank=True)
    severity = models.PositiveSmallIntegerField(null=True)
    prorated = models.BooleanField(default=False)
    flags = models.JSONField(default=list)
    mode = models.CharField(max_length=12, choices=Mode.choices)
    completed_at = models.DateTimeField()
    # The language the form was shown in: exports flag answers given to a translated version.
    language = models.CharField(max_length=8, default="en", db_default="en")

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("episode__client", "assignment")

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["completed_at"]
        indexes = [models.Index(fields=["episode", "instrument_id", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.total} on {self.completed_at:%Y-%m-%d}"

    @classmethod
    def scored(
        cls,
        *,
        assignment: Assignment,
        instrument: Instrument,
        answers: dict[str, Any],
        mode: str,
        completed_at: datetime,
    ) -> Response:
        """The unsaved response to an assignment: answers cleaned and scored by the instrument.

        The one place a response row is made, so that a submitted form and the demo practice's
        bulk-written history store their scores, bands and flags alike. Answers must be valid.
        """
        cleaned = clean_answers(instrument, answers)
        result = score(instrument, cleaned)
        response = cls(
            assignment=assignment,
            episode_id=assignment.episode_id,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            respondent=assignment.respondent,
            answers=cleaned,
            total=result.total,
            subscales=result.subscales,
            band=result.band.label if result.band else "",
            severity=result.band.severity if result.band else None,
            prorated=result.prorated,
            flags=[
                {"item": flag.link_id, "message": flag.message, "urgent": flag.urgent}
                for flag in result.flags
            ],
            mode=mode,
            completed_at=completed_at,
        )
        if Assignment.episode.is_cached(assignment):  # spares a query to whoever reads it next
            response.episode = assignment.episode
        return response

    @property
    def carries_risk_flag(self) -> bool:
        """The one definition, used wherever a score is shown: an answer met one of the
        instrument's risk rules (PHQ-9 item 9 above "Not at all"), stored with the scores."""
        return bool(self.flags)

    @property
    def risk_messages(self) -> list[str]:
        return [str(flag.get("message", "")) for flag in self.flags]

    @property
    def written_answers(self) -> list[str]:
        """What the person wrote in free-text items (scored items are stored as numbers)."""
        return [
            value.strip()
            for value in self.answers.values()
            if isinstance(value, str) and value.strip()
        ]

    def written_in(self, instrument: Instrument) -> list[tuple[str, str]]:
        """What the person wrote, each with its question as `instrument` words it (the form in
        the reader's language), in the form's order: a form may ask more than one thing in words
        (session feedback: what helped, what could be better)."""
        return [
            (item.text, words)
            for item in instrument.text_items
            if (words := str(self.answers.get(item.link_id) or "").strip())
        ]


class AccessLink(models.Model):
    """A single-use link that opens one assignment from home. Only a hash of the token is kept."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link for assignment {self.assignment_id}"


class LinkAttempt(models.Model):
    """Requests to link URLs per client address, for rate limiting token guessing."""

    ip_address = models.GenericIPAddressField()
    at = models.DateTimeField(db_index=True)
    valid = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["ip_address", "at"])]

    def __str__(self) -> str:
        return f"{self.ip_address} at {self.at:%H:%M:%S}"
