from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.ranges import show_ranges
from rapport.trajectories.models import TrajectorySettings


class TrajectorySettingsForm(forms.ModelForm[TrajectorySettings]):
    class Meta:
        model = TrajectorySettings
        fields = [
            "at_risk_percentile",
            "off_track_percentile",
            "alert_at_risk",
            "min_clients",
            "min_observations",
            "fallback_session",
            "validation_window",
        ]
        labels = {
            "at_risk_percentile": _("At-risk percentile"),
            "off_track_percentile": _("Off-track percentile"),
            "alert_at_risk": _("Alert when at risk"),
            "min_clients": _("Minimum clients for a model"),
            "min_observations": _("Minimum scores for a model"),
            "fallback_session": _("Rule: reliable improvement expected by session"),
            "validation_window": _("Validation: early flags up to session"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_ranges(self)
