from django import forms

from rapport.audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    client = forms.IntegerField(required=False, min_value=1, label="Client number")
    actor = forms.EmailField(required=False, label="Person (email)")
    action = forms.CharField(required=False, max_length=40)
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *AuditEvent.Outcome.choices])
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
