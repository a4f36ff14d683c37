from __future__ import annotations

from typing import Any

from django import forms

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
            "at_risk_percentile": "At-risk percentile",
            "off_track_percentile": "Off-track percentile",
            "alert_at_risk": "Alert when at risk",
            "min_clients": "Minimum clients for a model",
            "min_observations": "Minimum scores for a model",
            "fallback_session": "Rule: reliable improvement expected by session",
            "validation_window": "Validation: early flags up to session",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_ranges(self)
