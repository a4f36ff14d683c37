from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.accounts.models import CLINICAL_STAFF_ROLES, User, language_choices
from rapport.people.models import Client, GuardianLink, GuardianPhone
from rapport.people.queries import CaseloadFilters


class DateInput(forms.DateInput):
    input_type = "date"


class ClientForm(forms.ModelForm[Client]):
    class Meta:
        model = Client
        fields = [
            "full_name",
            "preferred_name",
            "pronouns",
            "date_of_birth",
            "email",
            "phone",
            "address",
            "preferred_language",
            "language",
            "sms_consent",
            "status",
        ]
        widgets = {"date_of_birth": DateInput(), "address": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "full_name": _("Full name"),
            "preferred_name": _("Preferred name"),
            "pronouns": _("Pronouns"),
            "date_of_birth": _("Date of birth"),
            "email": _("Email"),
            "phone": _("Phone"),
            "address": _("Address"),
            "preferred_language": _("Preferred language"),
            "status": _("Status"),
        }
        help_texts = {
            "language": _("Forms, the portal and emails reach the client in this language."),
            "sms_consent": _(
                "Tick only with the client's own agreement. Texts carry the link to a form and "
                "never say what it is about; the client can reply STOP at any time."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left out, the client keeps the language they have (English for a new client).
        self.fields["language"].required = False
        stopped = self.instance.sms_stopped_at
        given = self.instance.sms_consent_at
        if self.instance.sms_consent and given is not None and stopped is None:
            source = self.instance.get_sms_consent_source_display() or gettext("recorded")
            agreed = gettext("Agreed on %(when)s (%(source)s).") % {
                "when": date_format(timezone.localtime(given), "d M Y, H:i"),
                "source": source,
            }
            self.fields[
                "sms_consent"
            ].help_text = f"{self.fields['sms_consent'].help_text} {agreed}"
        if stopped is not None:
            self.fields["sms_consent"].help_text = gettext(
                "The client texted STOP on %(day)s: no texts reach them until they text START, "
                "whatever is ticked here."
            ) % {"day": date_format(timezone.localdate(stopped), "d M Y")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("sms_consent") and not (cleaned.get("phone") or "").strip():
            self.add_error("phone", _("Texts need a phone number."))
        return cleaned

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.instance.language or "en"

    def clean_date_of_birth(self) -> date:
        value: date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if value.year < today.year - 120:
            raise forms.ValidationError(_("Check the year of birth."))
        return value


class NewClientForm(SubmitOnceMixin, ClientForm):
    primary_clinician = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Primary clinician")
    )
    start_date = forms.DateField(widget=DateInput(), label=_("Episode start"))
    referral_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Reason for referral")
    )

    class Meta(ClientForm.Meta):
        fields = [f for f in ClientForm.Meta.fields if f != "status"]

    def __init__(self, *args: Any, practice_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary_clinician"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            practice_id=practice_id, role__in=CLINICAL_STAFF_ROLES, is_active=True
        )


class GuardianLinkForm(forms.ModelForm[GuardianLink]):
    class Meta:
        model = GuardianLink
        fields = [
            "relationship",
            "has_parental_responsibility",
            "consent_to_treatment",
            "consent_to_contact",
            "may_see_schedule",
            "may_see_plan_summary",
            "may_see_client_answers",
            "may_see_client_free_text",
            "is_active",
        ]
        labels = {
            "relationship": _("Relationship"),
            "has_parental_responsibility": _("Has parental responsibility"),
            "consent_to_treatment": _("Consent to treatment"),
            "consent_to_contact": _("Consent to contact"),
            "may_see_schedule": _("May see the appointment schedule"),
            "may_see_plan_summary": _("May see shared plan summaries"),
            "may_see_client_answers": _("May see the young person's own scores"),
            "may_see_client_free_text": _("May see the young person's written answers"),
            "is_active": _("Link active"),
        }

    language = forms.ChoiceField(
        choices=language_choices,
        required=False,
        label=_("The guardian's language"),
        help_text=_("Their forms, portal and emails are in this language."),
    )

    phone = forms.CharField(
        max_length=40,
        required=False,
        label=_("The guardian's mobile number"),
        help_text=_("Their own: forms they answer are texted here, never to the child's number."),
    )
    sms_consent = forms.BooleanField(
        required=False,
        label=_("Text messages"),
        help_text=_(
            "Tick only with the guardian's own agreement. Texts carry the link to a form and "
            "never say what it is about; they can reply STOP at any time."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            guardian = self.instance.guardian
            self.initial.setdefault("language", guardian.language)
            texts = GuardianPhone.objects.filter(guardian=guardian).first()
            if texts is not None:
                self.initial.setdefault("phone", texts.phone)
                self.initial.setdefault("sms_consent", texts.sms_consent)
                if texts.sms_stopped_at is not None:
                    day = timezone.localdate(texts.sms_stopped_at)
                    self.fields["sms_consent"].help_text = gettext(
                        "This number texted STOP on %(day)s: no texts reach it until it texts "
                        "START, whatever is ticked here."
                    ) % {"day": date_format(day, "d M Y")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("sms_consent") and not (cleaned.get("phone") or "").strip():
            self.add_error("phone", _("Texts need a phone number."))
        return cleaned


class BreakGlassForm(SubmitOnceMixin):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=10,
        label=_("Why do you need to open this record?"),
        help_text=_(
            "Recorded in the audit trail with your name. Access lasts 60 minutes, read-only;"
            " the clinician's private notes are not shown."
        ),
    )


class CaseloadSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search by name"))


class CaseloadFilterForm(CaseloadSearchForm):
    """A caseload's search and filters; anything invalid falls back to the open episodes."""

    status = forms.ChoiceField(
        required=False,
        choices=[
            ("open", pgettext_lazy("episodes", "Open")),
            ("closed", pgettext_lazy("episodes", "Closed")),
            ("all", pgettext_lazy("episodes", "All")),
        ],
        label=_("Episodes"),
    )
    since = forms.DateField(
        required=False,
        label=_("Started since"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def filters(self) -> CaseloadFilters:
        """The keyword arguments of `caseload_filter`."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": (data.get("q") or "").strip(),
            "status": data.get("status") or "open",
            "started_since": data.get("since"),
        }


class GuardianAddForm(SubmitOnceMixin):
    full_name = forms.CharField(max_length=200, label=_("Full name"))
    email = forms.EmailField(label=_("Email"))
    relationship = forms.ChoiceField(
        choices=GuardianLink.Relationship.choices, label=_("Relationship")
    )
    consent_to_treatment = forms.BooleanField(
        required=False, label=_("Has consented to the young person's treatment")
    )
    language = forms.ChoiceField(
        choices=language_choices,
        required=False,
        initial="en",
        label=_("Their language"),
        help_text=_("Forms, the portal and emails reach them in this language."),
    )


class TextReplyForm(forms.Form):
    """What an SMS gateway posts of a reply: who sent it and what it says."""

    body = forms.CharField(max_length=1600, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the field is added by name.
        self.fields["from"] = forms.CharField(max_length=40)
