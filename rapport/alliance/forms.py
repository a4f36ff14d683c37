from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.alliance.models import AllianceSettings, RepairAction, Rupture
from rapport.care.models import Attendance, Episode, Session
from rapport.ranges import show_ranges


class RuptureForm(SubmitOnceMixin):
    session = forms.ModelChoiceField(
        queryset=Session.objects.none(), required=False, label=_("Session")
    )
    kind = forms.ChoiceField(choices=Rupture.Kind.choices, label=_("What it looked like"))
    client_words = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("What the client said")
    )
    understanding = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Your understanding")
    )

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only a session that was held can be where a rupture happened.
        self.fields["session"].queryset = episode.sessions.filter(  # type: ignore[attr-defined]
            attendance=Attendance.ATTENDED
        ).order_by("-scheduled_start")


class RuptureEditForm(forms.ModelForm[Rupture]):
    class Meta:
        model = Rupture
        fields = ["kind", "client_words", "understanding"]
        labels = {
            "kind": _("What it looked like"),
            "client_words": _("What the client said"),
            "understanding": _("Your understanding"),
        }
        widgets = {
            "client_words": forms.Textarea(attrs={"rows": 3}),
            "understanding": forms.Textarea(attrs={"rows": 3}),
        }


class RepairForm(SubmitOnceMixin):
    kind = forms.ChoiceField(choices=RepairAction.Kind.choices, label=_("What you did"))
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note")
    )


class AllianceSettingsForm(forms.ModelForm[AllianceSettings]):
    class Meta:
        model = AllianceSettings
        fields = [
            "low_total_cutoff",
            "low_item_value",
            "drop_from_previous",
            "drop_from_recent_mean",
            "disagreement_total",
            "disagreement_item",
            "child_guardian_discrepancy",
            "goals_item_low",
            "ceiling_sessions",
            "repair_window_sessions",
            "overdue_alert_days",
        ]
        labels = {
            "low_total_cutoff": _("Low total cutoff"),
            "low_item_value": _("Low item value"),
            "drop_from_previous": _("Drop from previous"),
            "drop_from_recent_mean": _("Drop from recent mean"),
            "disagreement_total": _("Disagreement total"),
            "disagreement_item": _("Disagreement item"),
            "child_guardian_discrepancy": _("Child guardian discrepancy"),
            "goals_item_low": _("Goals item low"),
            "ceiling_sessions": _("Ceiling sessions"),
            "repair_window_sessions": _("Repair window sessions"),
            "overdue_alert_days": _("Overdue alert days"),
        }
        # The goals item is judged by its own line only (core.alliance.ITEM_RULE_ITEMS).
        help_texts = {
            "low_item_value": _("Alert when bond, approach or overall (0–10) is at or below this."),
            "goals_item_low": _(
                "The goals item's only line: at or below this suggests a plan review."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_ranges(self)
