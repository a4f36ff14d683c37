from __future__ import annotations

import zoneinfo
from typing import Self

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            gettext("%(zone)r is not a known time zone (for example Europe/London).")
            % {"zone": value}
        )


class Practice(models.Model):
    """The tenant: every clinical record belongs to exactly one practice."""

    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    is_demo = models.BooleanField(default=False)
    # Telehealth links for measures completed from home.
    link_lead_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_("How long before a video or phone session the link is emailed."),
    )
    link_reminder_hours = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text=_(
            "The first reminder comes this long before the session, if the form is not done."
        ),
    )
    link_valid_hours = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("How long a link works (it also stops working once used)."),
    )
    # One reminder by default: the second and third raise completion less than they annoy
    # (people who did not answer one reminder mostly chose not to); three at most.
    link_reminders = models.PositiveSmallIntegerField(
        default=1,
        db_default=1,
        validators=[MaxValueValidator(3)],
        help_text=_("Three at most: more annoy more than they help."),
    )
    # A day apart by default: a second reminder the same evening reads as nagging.
    link_reminder_every_hours = models.PositiveSmallIntegerField(
        default=24,
        db_default=24,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text=_("Between one reminder and the next."),
    )
    # Nothing is sent from 21:00 to 08:00 in the practice's time zone by default: a message about
    # therapy arriving at night can worry, and wakes people. Equal hours mean no quiet hours.
    quiet_from_hour = models.PositiveSmallIntegerField(
        default=21,
        db_default=21,
        validators=[MaxValueValidator(23)],
        help_text=_("No links or reminders are sent from this hour, in the practice's time zone."),
    )
    quiet_until_hour = models.PositiveSmallIntegerField(
        default=8,
        db_default=8,
        validators=[MaxValueValidator(23)],
        help_text=_("… until this hour. The same hour twice means no quiet hours."),
    )
    # Urgent alerts (a risk answer): who else hears of them, and when an unacknowledged one
    # escalates to the team's supervisor and the duty contact.
    duty_contact_email = models.EmailField(
        blank=True,
        help_text=_(
            "Optional. Also told when an urgent alert opens from a form completed at home, and "
            "when one is not acknowledged in time (for example a duty clinician's shared inbox)."
        ),
    )
    urgent_escalation_minutes = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(1440)],
        help_text=_(
            "An urgent alert not acknowledged within this many minutes is escalated to the "
            "supervisor and the duty contact. Between 5 and 1440 minutes (24 hours)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(urgent_escalation_minutes__gte=5)
                & models.Q(urgent_escalation_minutes__lte=1440),
                name="practice_urgent_escalation_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(link_reminders__lte=3)
                & models.Q(link_reminder_every_hours__gte=1)
                & models.Q(link_reminder_every_hours__lte=72)
                & models.Q(quiet_from_hour__lte=23)
                & models.Q(quiet_until_hour__lte=23),
                name="practice_reminders_and_quiet_hours_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.link_reminder_hours is not None
            and self.link_lead_hours is not None
            and self.link_reminder_hours >= self.link_lead_hours
        ):
            raise ValidationError(
                {
                    "link_reminder_hours": gettext(
                        "The reminder must come after the link is emailed: "
                        "make it fewer hours before the session than the link."
                    )
                }
            )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Team(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    supervisor = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_teams",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "name"], name="team_name_unique_in_practice"
            )
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PracticeSettingsRow(models.Model):
    """A practice's settings of one kind (alliance alerts, trajectories, ...): at most one row per
    practice, holding only what its admin changed from Rapport's defaults.

    Each subclass declares its own `practice` one-to-one field (its reverse name is its own)."""

    practice_id: int

    class Meta:
        abstract = True

    @classmethod
    def for_practice(cls, practice_id: int) -> Self:
        """The settings in effect: the stored row, or an unsaved one with the defaults. Reading
        never writes (a page that only shows settings must not create them); the row is stored
        the first time an admin saves the settings form."""
        stored = cls._default_manager.filter(practice_id=practice_id).first()
        return stored if stored is not None else cls(practice_id=practice_id)
