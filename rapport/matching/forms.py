from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.care.models import Attendance
from rapport.core import case_review as rules
from rapport.core import fit_check as fit_rules
from rapport.matching.models import ClientPreference, FitCheck, FitCheckSettings, TherapistProfile
from rapport.ranges import show_ranges

# The case review's words are the core's, in English: listed here so that the catalogue has
# them, and translated when a form is shown. A word changed in the core reads in English until it
# is translated (the form labels' test says which).
REVIEW_WORDS = (
    gettext_noop("Our working relationship"),
    gettext_noop("Does the client feel heard and safe with me, and do I feel I can reach them?"),
    gettext_noop("Agreement on goals and tasks"),
    gettext_noop(
        "Do we still want the same things from therapy, and does what we do in sessions make "
        "sense to the client?"
    ),
    gettext_noop("Motivation and readiness"),
    gettext_noop(
        "Is change something the client wants now, or are they here for someone else's sake?"
    ),
    gettext_noop("Life outside therapy"),
    gettext_noop(
        "Has something happened (a loss, a move, money, health, work or school) that weighs "
        "more than our sessions can?"
    ),
    gettext_noop("People around the client"),
    gettext_noop(
        "Does the client have people who help, and is anyone at home making change harder?"
    ),
    gettext_noop("Fit of the approach"),
    gettext_noop(
        "Does the way I am working suit this client, or would another way, pace or format "
        "serve them better?"
    ),
    gettext_noop("Fine"),
    gettext_noop("A concern"),
    gettext_noop("Not sure"),
    gettext_noop("Talk about the relationship with the client (rupture and repair)"),
    gettext_noop("Revise the treatment plan"),
    gettext_noop("Change the measures or how often we meet"),
    gettext_noop("Talk the case through with my supervisor"),
    gettext_noop("Check with the client whether we are the right fit"),
)
ANSWER_CHOICES = [(answer.value, _(rules.ANSWER_WORDS[answer])) for answer in rules.Answer]
OPTION_CHOICES = [(option.value, _(rules.OPTION_WORDS[option])) for option in rules.Option]


class ReviewOpenForm(SubmitOnceMixin):
    """The "Review this case" button: what started it, if anything (checked by the view)."""

    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)
    rupture = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReviewCompleteForm(SubmitOnceMixin):
    """The checklist (one answer and an optional note per item) and the decision."""

    options = forms.MultipleChoiceField(
        label=_("Ways forward"),
        choices=OPTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One or more."),
        error_messages={"required": _("Choose at least one way forward.")},
    )
    decision = forms.CharField(
        label=_("What we decided"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Say what was decided.")},
    )
    follow_up_on = forms.DateField(
        label=_("Look at the case again on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["follow_up_on"].help_text = gettext("Within %(days)s days.") % {
            "days": rules.MAX_FOLLOW_UP_DAYS
        }
        # The checklist's fields first, in its order, then the decision.
        checklist: dict[str, forms.Field] = {}
        for item in rules.CHECKLIST:
            title = gettext(item.title)
            checklist[f"{item.key}"] = forms.ChoiceField(
                label=title,
                help_text=gettext(item.question),
                choices=ANSWER_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer this item.")},
            )
            checklist[f"{item.key}_note"] = forms.CharField(
                label=gettext("Note on %(item)s (optional)")
                % {"item": f"{title[0].lower()}{title[1:]}"},
                required=False,
                max_length=1000,
            )
        self.fields = {**checklist, **self.fields}

    def checklist_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[item.key], self[f"{item.key}_note"]) for item in rules.CHECKLIST]

    def answers(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            item.key: {"answer": data[item.key], "note": data.get(f"{item.key}_note", "")}
            for item in rules.CHECKLIST
        }


def _words(text: str) -> list[str]:
    """A comma-separated list as typed, each entry trimmed, empty ones and repeats left out."""
    found: list[str] = []
    for part in text.split(","):
        word = part.strip()
        if word and word.casefold() not in {w.casefold() for w in found}:
            found.append(word)
    return found


class TherapistProfileForm(forms.Form):
    languages = forms.CharField(
        label=_("Languages you offer therapy in"),
        max_length=300,
        help_text=_("Separated by commas: English, Polish."),
    )
    approaches = forms.CharField(
        label=_("Approaches"),
        max_length=500,
        required=False,
        help_text=_("Separated by commas: CBT, systemic, person-centred."),
    )
    populations = forms.MultipleChoiceField(
        label=_("Who you work with"),
        choices=TherapistProfile.Population.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    modalities = forms.MultipleChoiceField(
        label=_("How you offer sessions"),
        choices=TherapistProfile.Modality.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    days = forms.MultipleChoiceField(
        label=_("Days you work"),
        choices=TherapistProfile.Day.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    hours = forms.CharField(
        label=_("Hours"), max_length=200, required=False, help_text=_("For example: 9:00 to 17:00.")
    )
    capacity = forms.IntegerField(
        label=_("Open places"),
        min_value=0,
        max_value=100,
        help_text=_("How many new clients you can take now; 0 when your caseload is full."),
    )
    share_characteristics = forms.BooleanField(
        label=_("Show the details below to clients and coordinators looking for a therapist"),
        required=False,
    )
    gender = forms.CharField(label=_("Gender (optional)"), max_length=100, required=False)
    age_range = forms.CharField(
        label=_("Age range (optional)"), max_length=100, required=False, help_text=_("e.g. 40s.")
    )
    cultural_background = forms.CharField(
        label=_("Cultural background (optional)"), max_length=200, required=False
    )
    faith = forms.CharField(label=_("Faith (optional)"), max_length=100, required=False)
    directive = forms.ChoiceField(
        label=_("How you tend to work"),
        choices=[("", "—"), *TherapistProfile._meta.get_field("directive").choices],  # type: ignore[misc]
        required=False,
        help_text=_("For clients who say they want one or the other."),
    )
    challenge = forms.ChoiceField(
        label=_("Your manner"),
        choices=[("", "—"), *TherapistProfile._meta.get_field("challenge").choices],  # type: ignore[misc]
        required=False,
    )

    def clean_languages(self) -> list[str]:
        languages = _words(self.cleaned_data["languages"])
        if not languages:
            raise forms.ValidationError(_("Give at least one language."))
        return languages

    def clean_approaches(self) -> list[str]:
        return _words(self.cleaned_data["approaches"])

    @staticmethod
    def initial_from(profile: TherapistProfile | None) -> dict[str, Any]:
        if profile is None:
            return {}
        initial = {
            name: getattr(profile, name)
            for name in (
                "populations",
                "modalities",
                "days",
                "hours",
                "capacity",
                "share_characteristics",
                "gender",
                "age_range",
                "cultural_background",
                "faith",
                "directive",
                "challenge",
            )
        }
        initial["languages"] = ", ".join(profile.languages)
        initial["approaches"] = ", ".join(profile.approaches)
        return initial


# The kinds whose value is chosen from a list rather than typed.
PREFERENCE_CHOICES: dict[str, list[tuple[str, Any]]] = {
    ClientPreference.Kind.MODALITY: [("", "—"), *TherapistProfile.Modality.choices],
    ClientPreference.Kind.DIRECTIVE: [
        ("", "—"),
        ("directive", _("More directive: suggests what to do")),
        ("exploratory", _("More exploratory: helps me find my own way")),
    ],
    ClientPreference.Kind.CHALLENGE: [
        ("", "—"),
        ("gentle", _("Gentler")),
        ("challenging", _("More challenging")),
    ],
}


class ClientPreferencesForm(forms.Form):
    """Each kind of preference: what the client wants and how much it matters to them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in ClientPreference.Kind.choices:
            if kind in PREFERENCE_CHOICES:
                value: forms.Field = forms.ChoiceField(
                    label=label, choices=PREFERENCE_CHOICES[kind], required=False
                )
            else:
                value = forms.CharField(label=label, max_length=200, required=False)
            self.fields[kind] = value
            self.fields[f"{kind}_strength"] = forms.ChoiceField(
                label=gettext("How much it matters: %(preference)s")
                % {"preference": f"{str(label)[0].lower()}{str(label)[1:]}"},
                choices=ClientPreference.Strength.choices,
                initial=ClientPreference.Strength.NO_MATTER,
                widget=forms.RadioSelect,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for kind in ClientPreference.Kind.values:
            strength = data.get(f"{kind}_strength")
            if strength and strength != ClientPreference.Strength.NO_MATTER and not data.get(kind):
                self.add_error(kind, _("Say what the client wants, or mark it as no matter."))
        return data

    def items(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            kind: (str(data.get(kind) or "").strip(), data[f"{kind}_strength"])
            for kind in ClientPreference.Kind.values
        }

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[kind], self[f"{kind}_strength"]) for kind in ClientPreference.Kind.values]

    @staticmethod
    def initial_from(preferences: list[ClientPreference]) -> dict[str, str]:
        initial: dict[str, str] = {}
        for preference in preferences:
            initial[preference.kind] = preference.value
            initial[f"{preference.kind}_strength"] = preference.strength
        return initial


# --- Fit checks ----------------------------------------------------------------------------------

# The portal's words for the preferences (the staff form's are the model's, for staff).
PORTAL_PREFERENCE_LABELS: dict[str, Any] = {
    ClientPreference.Kind.LANGUAGE: _("Language"),
    ClientPreference.Kind.APPROACH: _("Way of working"),
    ClientPreference.Kind.MODALITY: _("How sessions happen"),
    ClientPreference.Kind.DAYS: _("Days"),
    ClientPreference.Kind.GENDER: _("Therapist's gender"),
    ClientPreference.Kind.AGE_RANGE: _("Therapist's age"),
    ClientPreference.Kind.CULTURAL_BACKGROUND: _("Therapist's cultural background"),
    ClientPreference.Kind.FAITH: _("Therapist's faith"),
    ClientPreference.Kind.DIRECTIVE: _("Directive or exploratory"),
    ClientPreference.Kind.CHALLENGE: _("Gentle or challenging"),
}
PORTAL_STRENGTHS = [
    (ClientPreference.Strength.MUST, _("Must")),
    (ClientPreference.Strength.PREFER, _("Prefer")),
    (ClientPreference.Strength.NO_MATTER, _("No matter")),
]
PORTAL_PREFERENCE_CHOICES: dict[str, list[tuple[str, Any]]] = {
    ClientPreference.Kind.MODALITY: [
        ("", "—"),
        ("in_person", _("In person")),
        ("video", _("Video")),
        ("phone", _("Phone")),
    ],
    ClientPreference.Kind.DIRECTIVE: [
        ("", "—"),
        ("directive", _("More directive: suggests what to do")),
        ("exploratory", _("More exploratory: helps me find my own way")),
    ],
    ClientPreference.Kind.CHALLENGE: [
        ("", "—"),
        ("gentle", _("Gentler")),
        ("challenging", _("More challenging")),
    ],
}
YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class PortalPreferenceFields(SubmitOnceMixin):
    """Each preference about a therapist, with how much it matters, in the portal's words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in PORTAL_PREFERENCE_LABELS.items():
            if kind in PORTAL_PREFERENCE_CHOICES:
                value: forms.Field = forms.ChoiceField(
                    label=label, choices=PORTAL_PREFERENCE_CHOICES[kind], required=False
                )
            else:
                value = forms.CharField(label=label, max_length=200, required=False)
            self.fields[kind] = value
            self.fields[f"{kind}_strength"] = forms.ChoiceField(
                label=_("How much it matters"),
                choices=PORTAL_STRENGTHS,
                initial=ClientPreference.Strength.NO_MATTER,
                widget=forms.RadioSelect,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for kind in PORTAL_PREFERENCE_LABELS:
            strength = data.get(f"{kind}_strength") or ClientPreference.Strength.NO_MATTER
            data[f"{kind}_strength"] = strength
            if strength != ClientPreference.Strength.NO_MATTER and not data.get(kind):
                self.add_error(kind, _("Say what you would want, or choose “No matter”."))
        return data

    def preferences(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            str(kind): (str(data.get(kind) or "").strip(), data[f"{kind}_strength"])
            for kind in PORTAL_PREFERENCE_LABELS
        }

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[kind], self[f"{kind}_strength"]) for kind in PORTAL_PREFERENCE_LABELS]


class PortalPreferencesForm(PortalPreferenceFields):
    """The client's (or guardian's) preferences about a therapist, outside a fit check."""


class PortalFitCheckForm(PortalPreferenceFields):
    """A client's (or guardian's) fit check: what is not working, what they would want of a
    therapist, and whether to talk it over with the therapist first."""

    words = forms.CharField(
        label=_("What is not working for you?"),
        help_text=_("In your own words. Only the people you choose below will read it."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": _("Say in a few words what is not working.")},
    )
    talk_first = forms.ChoiceField(
        label=_("Would you like to talk about it with your therapist first?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text=_(
            "Yes: your therapist reads what you wrote and talks it over with you. "
            "No: it goes only to the practice's coordinator, and your therapist is not told."
        ),
        error_messages={"required": _("Choose yes or no.")},
    )
    share_reason = forms.BooleanField(
        label=_(
            "If I change therapist, my current therapist may be told why "
            "(otherwise they are told only that I changed)."
        ),
        required=False,
    )

    def __init__(self, *args: Any, guardian: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if guardian:  # a parent asks about their child's therapist
            self.fields["words"].label = _("What is not working?")
            self.fields["share_reason"].label = _(
                "If the therapist changes, the current therapist may be told why "
                "(otherwise they are told only of the change)."
            )


class TherapistFitCheckForm(SubmitOnceMixin):
    reason = forms.ChoiceField(
        label=_("Why a fit check"),
        choices=[("", "—"), *FitCheck.Reason.choices],
        error_messages={"required": _("Choose a reason.")},
    )
    words = forms.CharField(
        label=_("What the client said, in their words"),
        help_text=_("As the client put it; the coordinator reads it."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": _("Write what the client said.")},
    )
    client_asked = forms.BooleanField(
        label=_("The client asked for this (no supervisor approval needed)"), required=False
    )


class FitCheckStepForm(forms.Form):
    """Approve, decline or close, with a note (needed to decline or close)."""

    action = forms.ChoiceField(choices=[(a.value, a.value) for a in fit_rules.Action])
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


class FitCheckSettingsForm(forms.ModelForm[FitCheckSettings]):
    class Meta:
        model = FitCheckSettings
        fields = [
            "coordinator",
            "alliance_window",
            "alliance_low_sessions",
            "off_track_in_a_row",
            "after_session",
        ]
        labels = {
            "coordinator": _("Who coordinates fit checks"),
            "alliance_window": _("Sessions looked at"),
            "alliance_low_sessions": _("Low sessions among them"),
            "off_track_in_a_row": _("Off-track scores in a row"),
            "after_session": _("Counting from after session"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A model form's field does not carry the model field's range validators (only its
        # type's, 0 or more for a positive integer): give them to it, so the range shows.
        for name, field in self.fields.items():
            model_field = FitCheckSettings._meta.get_field(name)
            if isinstance(model_field, models.Field):
                field.validators = [*field.validators, *model_field.validators]
        show_ranges(self)


# --- Candidates and the choice ------------------------------------------------------------------


class ChooseForm(SubmitOnceMixin):
    clinician = forms.IntegerField(widget=forms.HiddenInput)


class OfferForm(SubmitOnceMixin):
    """Offer the candidates shown to the client, who chooses in the portal."""


class ConsultationForm(SubmitOnceMixin):
    clinician = forms.TypedChoiceField(label=_("With"), coerce=int)
    scheduled_start = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=10,
        max_value=30,
        initial=20,
        help_text=_("10 to 30 minutes."),
    )
    modality = forms.ChoiceField(label=_("How"), choices=TherapistProfile.Modality.choices)

    def __init__(self, *args: Any, candidates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].choices = candidates  # type: ignore[attr-defined]


# How a consultation went, as the session's attendance says it: "cancelled" is split by who
# cancelled, as for every session, so the practice's attendance figures read one way.
CONSULTATION_OUTCOMES = [
    (Attendance.ATTENDED.value, _("Attended")),
    (Attendance.NO_SHOW.value, _("Did not attend")),
    (Attendance.CANCELLED_CLIENT.value, _("Cancelled by the client")),
    (Attendance.CANCELLED_CLINICIAN.value, _("Cancelled by the therapist")),
]


class ConsultationRecordForm(SubmitOnceMixin):
    attendance = forms.ChoiceField(
        label=_("How did it go?"), choices=CONSULTATION_OUTCOMES, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("A short note for the coordinator"),
        help_text=_(
            "What may help the client choose: how you got on, anything practical. Never shown "
            "to the client."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
    )


def _choices_with_any(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("Any")), *[(str(v), label) for v, label in choices]]


class DirectoryFilterForm(forms.Form):
    """The therapist directory's filters (a GET form: every field optional)."""

    language = forms.CharField(label=_("Language"), max_length=100, required=False)
    approach = forms.CharField(label=_("Approach"), max_length=100, required=False)
    population = forms.ChoiceField(
        label=_("Works with"),
        choices=_choices_with_any(TherapistProfile.Population.choices),
        required=False,
    )
    modality = forms.ChoiceField(
        label=_("Sessions"),
        choices=_choices_with_any(TherapistProfile.Modality.choices),
        required=False,
    )
    day = forms.ChoiceField(
        label=_("Day"), choices=_choices_with_any(TherapistProfile.Day.choices), required=False
    )
    open_places = forms.BooleanField(label=_("Open places only"), required=False)
    gender = forms.CharField(label=_("Gender"), max_length=100, required=False)
    age_range = forms.CharField(label=_("Age range"), max_length=100, required=False)
    cultural_background = forms.CharField(
        label=_("Cultural background"), max_length=200, required=False
    )
    faith = forms.CharField(label=_("Faith"), max_length=100, required=False)
