from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import ApiToken, Role, User, language_choices
from rapport.people.languages import language_of, writing_to
from rapport.practices.models import Team
from rapport.ranges import show_ranges


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        # One message whether or not the email is known: no account enumeration.
        "invalid_login": _("That email and password do not match an account. Please try again."),
        "inactive": _("That email and password do not match an account. Please try again."),
    }

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


class EnrolmentCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the email"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits from the email.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


class UserForm(forms.ModelForm[User]):
    """An admin creates or edits an account in their own practice."""

    class Meta:
        model = User
        fields = ["full_name", "email", "role", "team", "language", "is_active"]
        labels = {
            "full_name": _("Full name"),
            "email": _("Email"),
            "role": _("Role"),
            "team": _("Team"),
            "is_active": _("Account active"),
        }

    def __init__(self, *args: Any, practice_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(practice_id=practice_id)  # type: ignore[attr-defined]
        self.fields["team"].required = False
        # Left out, the account keeps its language (English for a new one).
        self.fields["language"].required = False

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.instance.language or "en"

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        clash = User.objects.filter(email=email).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another account already uses this email address."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("team") and data.get("role") not in {Role.CLINICIAN, Role.SUPERVISOR}:
            self.add_error("team", _("Only clinicians and supervisors belong to a team."))
        return data


class SubmitOnceMixin(forms.Form):
    """A hidden random key per rendered form: see accounts.services.submission_once."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class InviteUserForm(SubmitOnceMixin, UserForm):
    pass


class LanguageChoiceForm(SubmitOnceMixin):
    """A person's own language: staff pages, the portal, forms and emails follow it."""

    language = forms.ChoiceField(
        label=_("Language"), choices=lambda: native_language_names(), widget=forms.RadioSelect
    )


def native_language_names() -> list[tuple[str, str]]:
    """Each language named in itself ("Español"): a reader finds their own whatever the page is
    in."""
    return [
        (code, str(get_language_info(code)["name_local"]).capitalize())
        for code, _name in language_choices()
    ]


class ResetPasswordForm(PasswordResetForm):
    """Django's reset form, also for an invitee who has not chosen a password yet: Django leaves
    such accounts out, so an invitee whose invitation expired could never get a new link."""

    def get_users(self, email: str) -> Any:
        return User.objects.filter(email__iexact=email.strip(), is_active=True)

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        """The email in the language of the account it is for, whoever asked for it."""
        context = kwargs.get("context") or args[2]
        with writing_to(language_of(context["user"])):
            super().send_mail(*args, **kwargs)


class ApiTokenForm(SubmitOnceMixin):
    """A new personal access token: its name, its scope and how many days it lives."""

    name = forms.CharField(
        max_length=80,
        label=_("Name"),
        help_text=_("What the token is for, for example “nightly sync script”."),
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ, label=_("Scope")
    )
    days = forms.IntegerField(label=_("Days it works"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = settings.RAPPORT_API_TOKEN_MAX_DAYS
        days = self.fields["days"]
        days.initial = settings.RAPPORT_API_TOKEN_DAYS
        days.validators += [MinValueValidator(1), MaxValueValidator(longest)]
        show_ranges(self)
