from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Role, User
from rapport.practices.models import Practice, Team
from rapport.ranges import show_ranges


class PracticeSettingsForm(forms.ModelForm[Practice]):
    time_zone = forms.ChoiceField(
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones())], label=_("Time zone")
    )
    # The model's range, also in the field so the browser shows it (min/max on the input).
    urgent_escalation_minutes = forms.IntegerField(
        min_value=5,
        max_value=1440,
        label=_("Escalate unacknowledged urgent alerts after (minutes)"),
        help_text=Practice._meta.get_field("urgent_escalation_minutes").help_text,
    )

    class Meta:
        model = Practice
        fields = [
            "name",
            "time_zone",
            "link_lead_hours",
            "link_reminder_hours",
            "link_valid_hours",
            "link_reminders",
            "link_reminder_every_hours",
            "quiet_from_hour",
            "quiet_until_hour",
            "duty_contact_email",
            "urgent_escalation_minutes",
        ]
        labels = {
            "name": _("Name"),
            "duty_contact_email": _("Duty contact email"),
            "link_lead_hours": _(
                "Send a form's link this many hours before a video or phone session"
            ),
            "link_reminder_hours": _("First reminder, hours before the session"),
            "link_valid_hours": _("A link works for (hours)"),
            "link_reminders": _("Reminders for a form not yet done"),
            "link_reminder_every_hours": _("Hours between reminders"),
            "quiet_from_hour": _("Quiet hours: from (hour of the day)"),
            "quiet_until_hour": _("Quiet hours: until (hour of the day)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_ranges(self)


class TeamForm(forms.ModelForm[Team]):
    class Meta:
        model = Team
        fields = ["name", "supervisor"]
        labels = {"name": _("Name"), "supervisor": _("Supervisor")}

    def __init__(self, *args: Any, practice_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practice_id = practice_id
        self.fields["supervisor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            practice_id=practice_id, role=Role.SUPERVISOR
        )

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        clash = Team.objects.filter(practice_id=self.practice_id, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("There is already a team with this name."))
        return name
