"""What an admin asks of a research export."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.interop.research import REASON_MIN


class ResearchExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[
            ("csv", _("CSV: opens in a spreadsheet, R or pandas")),
            ("parquet", _("Parquet: typed and compact, for large practices")),
        ],
        initial="csv",
        label=_("Format"),
        widget=forms.RadioSelect,
    )
    identified = forms.BooleanField(
        required=False,
        label=_("Include names, dates of birth, calendar dates, written answers and record ids"),
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why identifiers are needed"),
        help_text=_("Required for an identified export; kept in the audit trail with the export."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reason = (cleaned.get("reason") or "").strip()
        cleaned["reason"] = reason
        if cleaned.get("identified") and len(reason) < REASON_MIN:
            self.add_error(
                "reason",
                _("An identified export needs a reason of at least %(min)s characters.")
                % {"min": REASON_MIN},
            )
        if reason and not cleaned.get("identified"):
            self.add_error(
                "identified",
                _("You gave a reason: tick this if you need identifiers, or clear the reason."),
            )
        return cleaned


IMPORT_MAX_BYTES = 200 * 1024 * 1024


class FhirImportForm(forms.Form):
    bundle = forms.FileField(
        label=_("FHIR R4 Bundle (a .json file)"),
        help_text=_("A collection Bundle, such as another Rapport's export or another system's."),
    )

    def clean_bundle(self) -> object:
        upload = self.cleaned_data["bundle"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("This file is too large for the page: import it from the command line.")
            )
        try:
            return json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise forms.ValidationError(
                _("This file is not JSON (%(error)s).") % {"error": error}
            ) from error
