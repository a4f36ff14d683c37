from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.people.languages import whole_number
from rapport.reports.models import NAME_MAX, RECOMMENDATIONS_MAX


class LetterForm(SubmitOnceMixin):
    addressee = forms.CharField(
        label=_("To (the referrer's name)"),
        max_length=NAME_MAX,
        help_text=_("The person who referred the client, or who will carry on their care."),
    )
    organisation = forms.CharField(label=_("Organisation"), max_length=NAME_MAX, required=False)
    recommendations = forms.CharField(
        label=_("Recommendations"),
        max_length=RECOMMENDATIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recommendations"].help_text = gettext(
            "Up to %(count)s characters. The client keeps a copy of the letter: write nothing "
            "here they should not read."
        ) % {"count": whole_number(RECOMMENDATIONS_MAX)}

    def clean_recommendations(self) -> str:
        text: str = self.cleaned_data["recommendations"].strip()
        if not text:
            raise forms.ValidationError(_("Write the recommendations."))
        return text
