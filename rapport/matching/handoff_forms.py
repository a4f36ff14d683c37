"""The handoff's forms: the coordinator's choice of the receiving therapist, the client's
consent item by item, the old therapist's summary, and the joint or closing session."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.accounts.models import CLINICAL_STAFF_ROLES, User
from rapport.care.models import Modality
from rapport.core import handoff as rules
from rapport.matching.handoff_models import HandoffSettings
from rapport.ranges import show_ranges


def receiving_clinicians(practice_id: int, current_id: int) -> QuerySet[User]:
    return (
        User.objects.filter(practice_id=practice_id, role__in=CLINICAL_STAFF_ROLES, is_active=True)
        .exclude(pk=current_id)
        .order_by("full_name")
    )


class HandoffBeginForm(SubmitOnceMixin):
    to_clinician = forms.ModelChoiceField(
        label=_("Hand over to"),
        queryset=User.objects.none(),
        empty_label=_("Choose a clinician"),
    )

    def __init__(
        self,
        *args: Any,
        practice_id: int,
        current_id: int,
        chosen_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_clinician"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = receiving_clinicians(practice_id, current_id)
        if chosen_id is not None:
            # The client (or the coordinator for them) chose among the candidates: the handoff
            # goes to that therapist, not to whoever the coordinator picks here.
            field.queryset = field.queryset.filter(pk=chosen_id)
            field.initial = chosen_id
            field.empty_label = None
        field.label_from_instance = lambda user: user.full_name  # type: ignore[method-assign,assignment]


# Each item's name in the portal, above the exact list of what it holds.
ITEM_TITLES = {
    "measures": _("Questionnaires"),
    "plan": _("Plan and goals"),
    "alliance": _("Session feedback"),
    "risk_alerts": _("Safety alerts"),
}


class HandoffConsentForm(forms.Form):
    """One yes/no per item; agreeing with every box empty is agreeing to move and share none."""

    action = forms.ChoiceField(
        choices=[("consent", "consent"), ("withdraw", "withdraw"), ("read", "read")]
    )

    def __init__(self, *args: Any, shared: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared = shared
        for item, words in shared:
            self.fields[f"share_{item}"] = forms.BooleanField(required=False, label=words)

    def items(self) -> set[str]:
        return {item for item, _words in self.shared if self.cleaned_data.get(f"share_{item}")}

    def rows(self) -> list[tuple[str, forms.BoundField]]:
        return [(str(ITEM_TITLES[item]), self[f"share_{item}"]) for item, _words in self.shared]


class HandoffStepForm(forms.Form):
    """The staff steps: the summary, the joint or closing session, completing, cancelling."""

    action = forms.ChoiceField(
        choices=[
            (a, a) for a in ("summary", "joint_session", "closing_session", "complete", "cancel")
        ]
    )
    summary = forms.CharField(
        label=_("Handoff summary (the client reads it first)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        required=False,
    )
    start = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=5, max_value=480, initial=50, required=False
    )
    modality = forms.ChoiceField(
        label=_("How"), choices=Modality.choices, initial="in_person", required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action in ("joint_session", "closing_session") and not data.get("start"):
            self.add_error("start", _("Say when the session is (or was)."))
        data["minutes"] = data.get("minutes") or 50
        data["modality"] = data.get("modality") or Modality.IN_PERSON.value
        return data


class HandoffSettingsForm(forms.ModelForm[HandoffSettings]):
    """Each setting with its range (rapport.ranges), its default and the reason for it."""

    class Meta:
        model = HandoffSettings
        fields = ["consent_days", "not_started_days"]
        labels = {
            "consent_days": _("Days a client's agreement to share lasts"),
            "not_started_days": _("Days without a first session before the coordinator is told"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Made here, not on the class, so that they are in the language of the request.
        self.fields["consent_days"].help_text = _(
            "Default: %(days)s days. Long enough to book a joint session or read a summary in the "
            "weeks a change of therapist usually takes; short enough that an agreement given "
            "before a long pause is asked again rather than assumed. Under a week leaves no "
            "time for the warm step; after 90 days the client's situation has usually changed."
        ) % {"days": rules.CONSENT_DAYS}
        self.fields["not_started_days"].help_text = _(
            "Default: %(days)s days. By then a weekly or fortnightly client has missed a first "
            "appointment, and most dropouts after a change of therapist happen in these first "
            "weeks."
        ) % {"days": rules.NOT_STARTED_DAYS}
        show_ranges(self)
