from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.core.reminders import phone_key

# A number with fewer digits than a local one, or more than an international one (E.164: 15),
# is a typing slip: better said now than found when a text never arrives.
PHONE_DIGITS_MIN = 7
PHONE_DIGITS_MAX = 15


class TextsForm(SubmitOnceMixin):
    """A client's or guardian's own yes (or no) to texts, and the number they go to."""

    texts = forms.ChoiceField(
        label=_("Text messages"),
        choices=[
            ("yes", _("Yes, text me the links to my forms")),
            ("no", _("No texts, please")),
        ],
        widget=forms.RadioSelect,
    )
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=40,
        required=False,
        help_text=_("With the country code if it is not a local number, for example +34."),
    )

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone and not PHONE_DIGITS_MIN <= len(phone_key(phone)) <= PHONE_DIGITS_MAX:
            raise forms.ValidationError(_("This does not look like a phone number."))
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("texts") == "yes" and not cleaned.get("phone"):
            self.add_error("phone", _("Texts need a phone number."))
        return cleaned
