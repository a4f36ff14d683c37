from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.accounts.models import CLINICAL_STAFF_ROLES, User
from rapport.care.models import ClosureReason, Episode, Modality, Session


class SessionScheduleForm(SubmitOnceMixin):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Date"))
    start_time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}), initial=time(9, 0), label=_("Start time")
    )
    duration_minutes = forms.IntegerField(
        min_value=5, max_value=480, initial=50, label=_("Minutes")
    )
    modality = forms.ChoiceField(
        choices=Modality.choices, initial=Modality.IN_PERSON, label=_("Modality")
    )

    def __init__(self, *args: Any, episode: Episode | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode = episode

    def scheduled_start(self) -> datetime:
        naive = datetime.combine(self.cleaned_data["date"], self.cleaned_data["start_time"])
        return timezone.make_aware(naive)  # the practice's zone is the active one


class SessionRecordForm(forms.ModelForm[Session]):
    class Meta:
        model = Session
        fields = ["attendance", "modality", "duration_minutes", "private_notes"]
        labels = {
            "attendance": _("Attendance"),
            "modality": _("Modality"),
            "duration_minutes": _("Minutes"),
            "private_notes": _("Private notes"),
        }
        widgets = {
            "attendance": forms.RadioSelect,
            "modality": forms.RadioSelect,
            "private_notes": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A radio list needs no "select an option" entry: one choice is always checked.
        self.fields["modality"].choices = Modality.choices  # type: ignore[attr-defined]


class EpisodeCloseForm(forms.Form):
    reason = forms.ChoiceField(choices=ClosureReason.choices, label=_("Reason for closing"))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("End date"))
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Note")
    )


class EpisodeTransferForm(forms.Form):
    to_clinician = forms.ModelChoiceField(queryset=User.objects.none(), label=_("New clinician"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Reason"))

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_clinician"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            practice_id=episode.practice_id, role__in=CLINICAL_STAFF_ROLES, is_active=True
        ).exclude(pk=episode.primary_clinician_id)


class EpisodeStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("active", _("Active")), ("on_hold", _("On hold"))], label=_("Status")
    )


class EpisodeTeamForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Clinicians working with the primary clinician"),
    )

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            practice_id=episode.practice_id, role__in=CLINICAL_STAFF_ROLES, is_active=True
        ).exclude(pk=episode.primary_clinician_id)
