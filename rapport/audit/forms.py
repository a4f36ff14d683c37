from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    client = forms.IntegerField(required=False, min_value=1, label=_("Client number"))
    actor = forms.EmailField(required=False, label=_("Person (email)"))
    action = forms.CharField(required=False, max_length=40, label=_("Action"))
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", _("Any")), *AuditEvent.Outcome.choices],
        label=_("Outcome"),
    )
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Since")
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Until")
    )
