from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.alerts.models import Alert
from rapport.core import trajectory as core
from rapport.practices.models import PracticeSettingsRow


class TrajectorySettings(PracticeSettingsRow):
    """A practice's thresholds for on-track classification; defaults in core.trajectory."""

    practice = models.OneToOneField(
        "practices.Practice", on_delete=models.CASCADE, related_name="trajectory_settings"
    )
    at_risk_percentile = models.FloatField(
        default=core.DEFAULT_AT_RISK_PERCENTILE,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("A score below this percentile of expected improvement is at risk."),
    )
    off_track_percentile = models.FloatField(
        default=core.DEFAULT_OFF_TRACK_PERCENTILE,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("A score below this percentile of expected improvement is off track."),
    )
    min_clients = models.PositiveIntegerField(
        default=core.DEFAULT_MIN_CLIENTS,
        validators=[MinValueValidator(10), MaxValueValidator(100_000)],
        help_text=_("Clients (episodes) with an intake score before a model replaces the rule."),
    )
    min_observations = models.PositiveIntegerField(
        default=core.DEFAULT_MIN_OBSERVATIONS,
        validators=[MinValueValidator(30), MaxValueValidator(1_000_000)],
        help_text=_("Scores needed before a model replaces the rule."),
    )
    fallback_session = models.PositiveSmallIntegerField(
        default=core.DEFAULT_FALLBACK_SESSION,
        validators=[MinValueValidator(2), MaxValueValidator(40)],
        help_text=_("Without a model: off track without reliable improvement by this session."),
    )
    alert_at_risk = models.BooleanField(
        default=False,
        help_text=_(
            "Also open an alert when a client is at risk (by design a quarter of clients who do "
            "as expected fall below the 25th percentile at some session, so this is off by "
            "default)."
        ),
    )
    validation_window = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
        help_text=_("The validation report counts flags raised up to this session as early."),
    )

    def __str__(self) -> str:
        return f"Trajectory settings of {self.practice}"

    def clean(self) -> None:
        if self.off_track_percentile > self.at_risk_percentile:
            raise ValidationError(
                {"off_track_percentile": _("Off track must be at or below the at-risk percentile.")}
            )

    @property
    def thresholds(self) -> core.Thresholds:
        return core.Thresholds(
            at_risk_percentile=self.at_risk_percentile,
            off_track_percentile=self.off_track_percentile,
            fallback_session=self.fallback_session,
        )

    def alert_kind_for(self, classification: core.Classification) -> str | None:
        """The one alert a score calls for, the most serious: deterioration, off track, at risk
        (the last only when the practice asks for it)."""
        if classification.reliable_deterioration:
            return str(Alert.Kind.DETERIORATION)
        if classification.status is core.Status.OFF_TRACK:
            return str(Alert.Kind.OFF_TRACK)
        if classification.status is core.Status.AT_RISK and self.alert_at_risk:
            return str(Alert.Kind.AT_RISK)
        return None


class Method(models.TextChoices):
    MODEL = "model", _("Expected-trajectory model")
    RULE = "rule", _("Reliable-change rule")


class ExpectedTrajectory(models.Model):
    """The practice's expected course of one measure family, as last fitted."""

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.CASCADE, related_name="expected_trajectories"
    )
    family = models.CharField(max_length=64)
    fitted_at = models.DateTimeField()
    method = models.CharField(max_length=8, choices=Method.choices)
    reason = models.TextField(blank=True, help_text=_("Why the rule stands in, if it does."))
    n_clients = models.PositiveIntegerField(default=0)
    n_obs = models.PositiveIntegerField(default=0)
    converged = models.BooleanField(default=False)
    parameters = models.JSONField(default=dict, blank=True)  # core.ExpectedModel.to_dict()
    # What reliable change is judged by: S_diff = √2 · SD · √(1 − r).
    reliability = models.FloatField(null=True, blank=True)
    reliability_source = models.CharField(max_length=120, blank=True)
    sd = models.FloatField(null=True, blank=True)
    sd_source = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "family"], name="one_expected_trajectory_per_family"
            )
        ]
        ordering = ["family"]

    def __str__(self) -> str:
        return f"Expected trajectory of {self.family} ({self.method})"

    @property
    def model(self) -> core.ExpectedModel | None:
        if self.method != Method.MODEL or not self.parameters:
            return None
        return core.ExpectedModel.from_dict(self.parameters)

    @property
    def s_difference(self) -> float | None:
        return core.s_diff(self.reliability, self.sd)

    def describe(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "method": self.method,
            "fitted_at": self.fitted_at.isoformat(),
            "n_clients": self.n_clients,
            "n_obs": self.n_obs,
            "reason": self.reason,
        }


class Status(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")


class ScoreStatus(models.Model):
    """How one client score after intake compares with the expected trajectory."""

    response = models.OneToOneField(
        "measures.Response", on_delete=models.CASCADE, related_name="track_status"
    )
    episode = models.ForeignKey(
        "care.Episode", on_delete=models.CASCADE, related_name="score_statuses"
    )
    family = models.CharField(max_length=64)
    session_number = models.PositiveSmallIntegerField(help_text=_("1 is the intake."))
    at = models.DateTimeField(help_text=_("When the score was given."))
    status = models.CharField(max_length=12, choices=Status.choices)
    method = models.CharField(max_length=8, choices=Method.choices)
    percentile = models.FloatField(
        null=True, blank=True, help_text=_("Of expected improvement (model only).")
    )
    expected = models.FloatField(null=True, blank=True, help_text=_("Median expected score."))
    reliable_deterioration = models.BooleanField(default=False)
    classified_at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["episode", "at"])]

    def __str__(self) -> str:
        return f"{self.family} session {self.session_number}: {self.status}"
